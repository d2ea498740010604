//! The best-practice compendium (C-080 to C-084, C-091): lessons learned,
//! best practices, minutes of meetings and the after-action notes of
//! exercises, with owners, review dates, and tags by FIRST CSIRT Services
//! Framework service, audience and language. Versions are STIX versions
//! of the same note.

use serde::{Deserialize, Serialize};
use time::Date;

use crate::{check_text, check_title, parse_date, FieldError, MAX_TITLE};

/// The IGF Best Practice Forum's outcome template (REQUIREMENTS §2.6).
pub const IGF_BPF_TEMPLATE: [&str; 8] = [
    "Definition of the issue",
    "Regional specificities observed",
    "Existing policy measures and private-sector initiatives; impediments",
    "What worked well: common effective practices",
    "Unintended consequences of policy interventions, good and bad",
    "Unresolved issues where more multistakeholder cooperation is needed",
    "Insights gained from the experience",
    "Proposed steps for further multistakeholder dialogue",
];

/// The audiences a document is written for.
pub const AUDIENCES: [&str; 6] = [
    "csirt",
    "government",
    "private-sector",
    "academia",
    "law-enforcement",
    "public",
];

/// The languages of the OAS.
pub const LANGUAGES: [&str; 4] = ["en", "es", "pt", "fr"];

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DocumentType {
    LessonsLearned,
    BestPractice,
    /// Minutes of a network event.
    Minutes,
    /// What an exercise taught.
    AfterAction,
}

impl DocumentType {
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentType::LessonsLearned => "lessons-learned",
            DocumentType::BestPractice => "best-practice",
            DocumentType::Minutes => "minutes",
            DocumentType::AfterAction => "after-action",
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Template {
    #[default]
    Free,
    /// The eight parts of the IGF Best Practice Forum template.
    IgfBpf,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Section {
    pub heading: String,
    pub text: String,
}

/// A document's body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Document {
    pub document_type: DocumentType,
    #[serde(default)]
    pub template: Template,
    pub sections: Vec<Section>,
    /// FIRST CSIRT Services Framework ids, `area/service`.
    #[serde(default)]
    pub services: Vec<String>,
    #[serde(default)]
    pub audiences: Vec<String>,
    pub language: String,
    /// The person answerable for it.
    pub owner: String,
    /// When it must next be reviewed, `YYYY-MM-DD`.
    pub review_by: String,
    /// The event whose minutes these are, or the exercise reviewed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_ref: Option<String>,
}

impl Document {
    /// The sections of the IGF template, to be filled in.
    pub fn igf_sections() -> Vec<Section> {
        IGF_BPF_TEMPLATE
            .iter()
            .map(|h| Section {
                heading: (*h).to_owned(),
                text: String::new(),
            })
            .collect()
    }

    /// # Errors
    /// The field that is wrong and why.
    pub fn check(&self, title: &str) -> Result<(), FieldError> {
        check_title("title", title)?;
        if self.sections.is_empty() || self.sections.len() > 50 {
            return Err(("sections", "between 1 and 50 sections".into()));
        }
        for s in &self.sections {
            if s.heading.chars().count() > MAX_TITLE {
                return Err((
                    "sections",
                    format!("heading longer than {MAX_TITLE} characters"),
                ));
            }
            check_text("sections", &s.text)?;
        }
        if self.template == Template::IgfBpf {
            let headings: Vec<&str> = self.sections.iter().map(|s| s.heading.as_str()).collect();
            if headings != IGF_BPF_TEMPLATE {
                return Err((
                    "sections",
                    "the IGF Best Practice Forum template has its eight parts, in order".into(),
                ));
            }
        }
        for s in &self.services {
            if vigia_directory::services::find(s).is_none() {
                return Err((
                    "services",
                    format!("{s:?} is not a FIRST CSIRT Services Framework service (area/service)"),
                ));
            }
        }
        if let Some(a) = self
            .audiences
            .iter()
            .find(|a| !AUDIENCES.contains(&a.as_str()))
        {
            return Err((
                "audiences",
                format!("{a:?} is not one of {}", AUDIENCES.join(", ")),
            ));
        }
        if !LANGUAGES.contains(&self.language.as_str()) {
            return Err((
                "language",
                format!("{:?} is not one of {}", self.language, LANGUAGES.join(", ")),
            ));
        }
        check_title("owner", &self.owner)?;
        parse_date("review_by", &self.review_by)?;
        Ok(())
    }

    /// Whether its review date has passed.
    pub fn review_overdue(&self, today: Date) -> bool {
        parse_date("review_by", &self.review_by).is_ok_and(|d| d < today)
    }

    /// The text a STIX tool shows as the note's content.
    pub fn content(&self) -> String {
        self.sections
            .iter()
            .map(|s| format!("{}\n\n{}", s.heading, s.text))
            .collect::<Vec<_>>()
            .join("\n\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn doc() -> Document {
        let mut sections = Document::igf_sections();
        sections[0].text = "Ransomware against municipal services.".into();
        Document {
            document_type: DocumentType::LessonsLearned,
            template: Template::IgfBpf,
            sections,
            services: vec!["incident-management/incident-coordination".into()],
            audiences: vec!["csirt".into(), "government".into()],
            language: "es".into(),
            owner: "Ana Pérez".into(),
            review_by: "2027-06-30".into(),
            event_ref: None,
        }
    }

    #[test]
    fn the_igf_template_holds_its_eight_parts_in_order() {
        let d = doc();
        let first = vigia_directory::services::all().next().unwrap();
        let mut d2 = d.clone();
        d2.services = vec![first];
        assert_eq!(d2.check("Ransomware in municipalities"), Ok(()));
        let mut bad = d.clone();
        bad.sections.swap(0, 1);
        assert_eq!(bad.check("x").unwrap_err().0, "sections");
        let mut free = bad.clone();
        free.template = Template::Free;
        free.services.clear();
        assert_eq!(free.check("x"), Ok(()));
    }

    #[test]
    fn tags_are_checked_against_their_lists() {
        let mut d = doc();
        d.services = vec!["made/up".into()];
        assert_eq!(d.check("x").unwrap_err().0, "services");
        let mut d = doc();
        d.services.clear();
        d.language = "de".into();
        assert_eq!(d.check("x").unwrap_err().0, "language");
        let mut d = doc();
        d.services.clear();
        d.audiences = vec!["everyone".into()];
        assert_eq!(d.check("x").unwrap_err().0, "audiences");
    }

    #[test]
    fn a_passed_review_date_is_flagged() {
        let d = doc();
        assert!(!d.review_overdue(date!(2027 - 06 - 30)));
        assert!(d.review_overdue(date!(2027 - 07 - 01)));
        assert!(d
            .content()
            .starts_with("Definition of the issue\n\nRansomware"));
    }
}
