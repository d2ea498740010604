//! The census: requests to our team, answered from a form prefilled with
//! our directory entry, and, for an admin, where each campaign stands.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Map, Value};
use vigia_directory::census::{AnswerKind, Change, Question};

use super::{field, render, status_page, Chrome, SignedIn};
use crate::directory::{CampaignStatus, Directory, InboxItem};
use crate::error::{AppError, AppResult};
use crate::routes::directory::{confirm_as, respond_as};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "console/census.html")]
struct CensusPage {
    c: Chrome,
    inbox: Vec<InboxItem>,
    campaigns: Vec<CampaignStatus>,
}

/// `GET /console/census`: requests to our team and, for an admin, where
/// each campaign stands.
pub(crate) async fn census(State(state): State<AppState>, s: SignedIn) -> AppResult<Response> {
    let d = Directory::of(&state);
    let inbox = d.inbox(s.team()).await?;
    let mut campaigns = Vec::new();
    if s.chrome.admin {
        for c in state.store.campaigns().await? {
            campaigns.push(d.campaign_status(&c.id).await?);
        }
    }
    render(&CensusPage {
        c: s.chrome,
        inbox,
        campaigns,
    })
}

/// One question as the form shows it.
struct Field {
    /// The form field's name: `q-` and the question's id.
    name: String,
    text: String,
    kind: &'static str,
    value: String,
    choices: Vec<(String, bool)>,
}

struct Section {
    title: String,
    fields: Vec<Field>,
}

/// What happened to the last submission, shown above the form.
#[derive(Default)]
struct Outcome {
    error: String,
    revision: Option<u32>,
    applied: bool,
    changes: Vec<String>,
}

#[derive(Template)]
#[template(path = "console/census_form.html")]
struct FormPage {
    c: Chrome,
    campaign: String,
    title: String,
    sections: Vec<Section>,
    outcome: Outcome,
}

fn kind_name(kind: AnswerKind) -> &'static str {
    match kind {
        AnswerKind::Text => "text",
        AnswerKind::YesNo => "yes-no",
        AnswerKind::Number => "number",
        AnswerKind::Date => "date",
        AnswerKind::List => "list",
        AnswerKind::Choice => "choice",
    }
}

/// An answer as the form's field shows it: lists one item per line.
fn shown(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Bool(true)) => "yes".into(),
        Some(Value::Bool(false)) => "no".into(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_owned))
            .collect::<Vec<_>>()
            .join("\n"),
        Some(other) => other.to_string(),
    }
}

fn sections(questions: &[Question], answers: &Map<String, Value>) -> Vec<Section> {
    let mut out: Vec<Section> = Vec::new();
    for q in questions {
        let value = shown(answers.get(&q.id));
        let field = Field {
            name: format!("q-{}", q.id),
            text: q.text.clone(),
            kind: kind_name(q.answer),
            choices: q.choices.iter().map(|c| (c.clone(), *c == value)).collect(),
            value,
        };
        match out.last_mut() {
            Some(s) if s.title == q.section => s.fields.push(field),
            _ => out.push(Section {
                title: q.section.clone(),
                fields: vec![field],
            }),
        }
    }
    out
}

/// The answers a submitted form gives, typed as the questionnaire asks;
/// an empty field is no answer. The directory checks them again.
fn answers_from(
    questions: &[Question],
    form: &[(String, String)],
) -> AppResult<Map<String, Value>> {
    let mut answers = Map::new();
    for q in questions {
        let text = field(form, &format!("q-{}", q.id)).trim();
        if text.is_empty() {
            continue;
        }
        let bad = |what: &str| AppError::BadRequest(format!("question {}: {what}", q.id));
        let value = match q.answer {
            AnswerKind::YesNo => match text {
                "yes" => Value::Bool(true),
                "no" => Value::Bool(false),
                _ => return Err(bad("answer yes or no")),
            },
            AnswerKind::Number => text
                .parse::<u64>()
                .map(Value::from)
                .map_err(|_| bad("a whole number"))?,
            AnswerKind::List => Value::Array(
                text.lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(|l| Value::String(l.to_owned()))
                    .collect(),
            ),
            AnswerKind::Text | AnswerKind::Date | AnswerKind::Choice => {
                Value::String(text.to_owned())
            }
        };
        answers.insert(q.id.clone(), value);
    }
    Ok(answers)
}

fn change_line(c: &Change) -> String {
    format!("{}: {} → {}", c.field, c.before, c.after)
}

/// `GET /console/census/{id}`: the questionnaire, prefilled with our last
/// answers or, before the first, with our directory entry.
pub(crate) async fn form(
    State(state): State<AppState>,
    s: SignedIn,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let (questionnaire, answers) = Directory::of(&state).form(&id, s.team()).await?;
    render(&FormPage {
        c: s.chrome,
        campaign: id,
        title: questionnaire.title,
        sections: sections(&questionnaire.questions, &answers),
        outcome: Outcome::default(),
    })
}

/// `POST /console/census/{id}`: `action=send` answers (or revises);
/// `action=apply` also confirms, which updates our directory entry.
pub(crate) async fn answer(
    State(state): State<AppState>,
    s: SignedIn,
    Path(id): Path<String>,
    body: Bytes,
) -> AppResult<Response> {
    let form = s.form(&body)?;
    s.caller.require_admin()?;
    // Only the questions: the prefill is not needed to read a submission.
    let questionnaire = Directory::of(&state).questionnaire(&id).await?;
    let submitted = answers_from(&questionnaire.questions, &form);
    let result = match &submitted {
        Ok(answers) => send(&state, &s, &id, answers.clone(), field(&form, "action")).await,
        Err(e) => Err(AppError::BadRequest(e.to_string())),
    };
    let (outcome, status) = match result {
        Ok(outcome) => (outcome, StatusCode::OK),
        Err(e) if e.status() == StatusCode::BAD_REQUEST || e.status().as_u16() == 422 => {
            let outcome = Outcome {
                error: e.to_string(),
                ..Outcome::default()
            };
            (outcome, e.status())
        }
        Err(e) => return Err(e),
    };
    // What was sent is what is now stored; a refused form keeps what was
    // typed, as far as it could be read.
    let answers = submitted.unwrap_or_default();
    let page = FormPage {
        c: s.chrome,
        campaign: id,
        title: questionnaire.title,
        sections: sections(&questionnaire.questions, &answers),
        outcome,
    };
    Ok(status_page(status, render(&page)?))
}

async fn send(
    state: &AppState,
    s: &SignedIn,
    id: &str,
    answers: Map<String, Value>,
    action: &str,
) -> AppResult<Outcome> {
    let (revision, changes) = respond_as(state, &s.caller, id, answers, "console").await?;
    let applied = action == "apply";
    if applied {
        confirm_as(state, &s.caller, id, "console").await?;
    }
    Ok(Outcome {
        revision: Some(revision),
        applied,
        changes: changes.iter().map(change_line).collect(),
        ..Outcome::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigia_directory::census::Questionnaire;

    #[test]
    fn a_form_reads_back_as_the_answers_it_shows() {
        let q = Questionnaire::default();
        let mut answers = Map::new();
        answers.insert("a1-name".into(), Value::from("CSIRT <Test>"));
        answers.insert("f22-24x7".into(), Value::Bool(true));
        answers.insert("c12-staff".into(), Value::from(12u64));
        answers.insert("a5-languages".into(), serde_json::json!(["es", "en"]));
        answers.insert("b8-maturity".into(), Value::from("operational"));
        let form: Vec<(String, String)> = sections(&q.questions, &answers)
            .into_iter()
            .flat_map(|s| s.fields)
            .map(|f| (f.name, f.value))
            .collect();
        assert_eq!(answers_from(&q.questions, &form).unwrap(), answers);
    }

    #[test]
    fn a_bad_field_names_its_question() {
        let q = Questionnaire::default();
        let form = vec![("q-c12-staff".to_owned(), "twelve".to_owned())];
        let e = answers_from(&q.questions, &form).unwrap_err();
        assert!(e.to_string().contains("c12-staff"), "{e}");
        let form = vec![("q-f22-24x7".to_owned(), "maybe".to_owned())];
        assert!(answers_from(&q.questions, &form).is_err());
    }
}
