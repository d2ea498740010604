//! The member-state register: which states the network serves, loaded
//! from a CSV file (`../shared/data/oas/member-states.csv` by default) and
//! edited by the operator, never hard-coded.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemberState {
    /// ISO 3166-1 alpha-2.
    pub iso2: String,
    pub iso3: String,
    pub name: String,
    pub subregion: String,
    /// ISO 639-1 codes.
    pub languages: Vec<String>,
    /// IANA time zone of the capital.
    pub timezone: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegisterError {
    #[error("line {line}: {reason}")]
    Line { line: usize, reason: String },
    #[error("the header must start with iso2,iso3,name,subregion,languages,timezone")]
    Header,
}

impl MemberState {
    pub fn validate(&self) -> Result<(), String> {
        if !(self.iso2.len() == 2 && self.iso2.bytes().all(|b| b.is_ascii_uppercase())) {
            return Err(format!(
                "iso2 {:?} is not an ISO 3166-1 alpha-2 code",
                self.iso2
            ));
        }
        if !(self.iso3.len() == 3 && self.iso3.bytes().all(|b| b.is_ascii_uppercase())) {
            return Err(format!(
                "iso3 {:?} is not an ISO 3166-1 alpha-3 code",
                self.iso3
            ));
        }
        if self.name.trim().is_empty() || self.name.len() > 200 {
            return Err("name is required (at most 200 characters)".into());
        }
        if self.subregion.trim().is_empty() || self.subregion.len() > 100 {
            return Err("subregion is required (at most 100 characters)".into());
        }
        if let Some(l) = self
            .languages
            .iter()
            .find(|l| !(l.len() == 2 && l.bytes().all(|b| b.is_ascii_lowercase())))
        {
            return Err(format!("language {l:?} is not an ISO 639-1 code"));
        }
        Ok(())
    }
}

/// Reads the register's CSV: `iso2,iso3,name,subregion,languages,timezone,note`,
/// languages separated by `;` or spaces. Names may be quoted.
pub fn parse_csv(text: &str) -> Result<Vec<MemberState>, RegisterError> {
    let mut lines = text.lines().enumerate();
    let header = lines.next().map(|(_, l)| l).unwrap_or_default();
    if !header
        .trim_start_matches('\u{feff}')
        .starts_with("iso2,iso3,name,subregion,languages,timezone")
    {
        return Err(RegisterError::Header);
    }
    let mut states: Vec<MemberState> = Vec::new();
    for (i, line) in lines {
        if line.trim().is_empty() {
            continue;
        }
        let line_no = i + 1;
        let f = split_csv_line(line);
        if f.len() < 6 {
            return Err(RegisterError::Line {
                line: line_no,
                reason: format!("expected at least 6 fields, found {}", f.len()),
            });
        }
        let state = MemberState {
            iso2: f[0].trim().to_owned(),
            iso3: f[1].trim().to_owned(),
            name: f[2].trim().to_owned(),
            subregion: f[3].trim().to_owned(),
            languages: f[4]
                .split([';', ' ', '|'])
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect(),
            timezone: f[5].trim().to_owned(),
            note: f.get(6).map(|s| s.trim().to_owned()).unwrap_or_default(),
        };
        state.validate().map_err(|reason| RegisterError::Line {
            line: line_no,
            reason,
        })?;
        if states.iter().any(|s| s.iso2 == state.iso2) {
            return Err(RegisterError::Line {
                line: line_no,
                reason: format!("{} appears twice", state.iso2),
            });
        }
        states.push(state);
    }
    Ok(states)
}

fn split_csv_line(line: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                current.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    fields.push(current);
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_oas_register() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/data/oas/member-states.csv"
        ))
        .expect("../shared/data/oas/member-states.csv is beside the repository");
        let states = parse_csv(&text).expect("parses");
        assert_eq!(states.len(), 35, "the OAS has 35 member states");
        let ca = states.iter().find(|s| s.iso2 == "CA").expect("Canada");
        assert_eq!(ca.languages, ["en", "fr"]);
        assert!(states.iter().all(|s| s.validate().is_ok()));
    }

    #[test]
    fn bad_lines_are_named() {
        let err = parse_csv(
            "iso2,iso3,name,subregion,languages,timezone,note\nXX,XXX,,Caribbean,en,UTC,\n",
        )
        .expect_err("refused");
        assert_eq!(
            err.to_string(),
            "line 2: name is required (at most 200 characters)"
        );
        let err = parse_csv("a,b\n").expect_err("refused");
        assert_eq!(err, RegisterError::Header);
        let err = parse_csv("iso2,iso3,name,subregion,languages,timezone\n\"BR\",BRA,\"Brazil, Federative Republic\",South America,pt,America/Sao_Paulo\nBR,BRA,Brasil,South America,pt,America/Sao_Paulo\n")
            .expect_err("duplicate");
        assert_eq!(err.to_string(), "line 3: BR appears twice");
    }
}
