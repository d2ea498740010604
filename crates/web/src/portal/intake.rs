//! The portal's incident report form and status lookup: plain HTML forms
//! over the same intake as `POST /api/public/reports`.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Multipart, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use serde_json::Value;
use vigia_watch::public_report::{Attachment, ReportDraft, MAX_ATTACHMENT};

use super::pages::{Frame, Lang};
use crate::error::{AppError, AppResult};
use crate::reports::{categories, status_of, submit};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "portal/report_form.html")]
struct FormPage {
    p: Frame,
    countries: Vec<(String, String)>,
    categories: Vec<&'static str>,
    error: Option<String>,
    v: Filled,
}

/// What the reporter typed, shown again beside an error.
#[derive(Default)]
struct Filled {
    country: String,
    category: String,
    description: String,
    contact: String,
}

#[derive(Template)]
#[template(path = "portal/report_sent.html")]
struct SentPage {
    p: Frame,
    reference: String,
    team_name: String,
}

#[derive(Template)]
#[template(path = "portal/report_status.html")]
struct StatusPage {
    p: Frame,
    status: Option<Value>,
    error: Option<String>,
}

impl StatusPage {
    fn field(&self, name: &str) -> String {
        self.status
            .as_ref()
            .and_then(|s| s.get(name))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    }
    fn status_key(&self) -> String {
        format!("portal.status.{}", self.field("status"))
    }
}

fn html(status: StatusCode, t: &impl Template) -> AppResult<Response> {
    let body = t
        .render()
        .map_err(|e| AppError::Internal(format!("template: {e}")))?;
    Ok((status, Html(body)).into_response())
}

async fn countries(state: &AppState) -> Vec<(String, String)> {
    match state.store.member_states().await {
        Ok(states) => {
            let mut all: Vec<(String, String)> = states
                .into_iter()
                .map(|s| (s.state.iso2, s.state.name))
                .collect();
            all.sort_by(|a, b| a.1.cmp(&b.1));
            all
        }
        Err(_) => Vec::new(),
    }
}

async fn form_page(
    state: &AppState,
    headers: &HeaderMap,
    lang: &Lang,
    status: StatusCode,
    error: Option<String>,
    v: Filled,
) -> AppResult<Response> {
    let page = FormPage {
        p: Frame::new(state, headers, lang),
        countries: countries(state).await,
        categories: categories(),
        error,
        v,
    };
    html(status, &page)
}

/// `GET /report/incident`: the form.
pub(crate) async fn form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(lang): Query<Lang>,
) -> AppResult<Response> {
    form_page(
        &state,
        &headers,
        &lang,
        StatusCode::OK,
        None,
        Filled::default(),
    )
    .await
}

/// `POST /report/incident` (multipart/form-data, for the attachment).
pub(crate) async fn send(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(lang): Query<Lang>,
    mut multipart: Multipart,
) -> AppResult<Response> {
    let mut v = Filled::default();
    let mut honeypot = String::new();
    let mut attachment: Option<Attachment> = None;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                let error = format!("the form could not be read: {e}");
                return form_page(
                    &state,
                    &headers,
                    &lang,
                    StatusCode::BAD_REQUEST,
                    Some(error),
                    v,
                )
                .await;
            }
        };
        let name = field.name().unwrap_or_default().to_owned();
        let file_name = field.file_name().unwrap_or_default().to_owned();
        let bytes: Bytes = match field.bytes().await {
            Ok(b) => b,
            Err(e) => {
                let error =
                    format!("{name}: {e} (an attachment may be at most {MAX_ATTACHMENT} bytes)");
                return form_page(
                    &state,
                    &headers,
                    &lang,
                    StatusCode::PAYLOAD_TOO_LARGE,
                    Some(error),
                    v,
                )
                .await;
            }
        };
        let text = || String::from_utf8_lossy(&bytes).into_owned();
        match name.as_str() {
            "country" => v.country = text(),
            "category" => v.category = text(),
            "description" => v.description = text(),
            "contact" => v.contact = text(),
            "website" => honeypot = text(),
            "attachment" if !bytes.is_empty() => {
                attachment = Some(Attachment {
                    file_name,
                    bytes: bytes.to_vec(),
                })
            }
            _ => {}
        }
    }
    let category = match v.category.parse::<vigia_watch::public_report::Category>() {
        Ok(c) => c,
        Err(e) => {
            let error = e.to_string();
            return form_page(
                &state,
                &headers,
                &lang,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(error),
                v,
            )
            .await;
        }
    };
    let draft = ReportDraft {
        country: v.country.clone(),
        category,
        description: v.description.clone(),
        contact: Some(v.contact.clone()),
        attachment,
    };
    match submit(&state, draft, &honeypot).await {
        Ok(s) => html(
            StatusCode::CREATED,
            &SentPage {
                p: Frame::new(&state, &headers, &lang),
                reference: s.reference,
                team_name: s.team_name,
            },
        ),
        Err(e @ (AppError::Unprocessable { .. } | AppError::BadRequest(_))) => {
            let status = e.status();
            form_page(&state, &headers, &lang, status, Some(e.to_string()), v).await
        }
        Err(e) => Err(e),
    }
}

/// `GET /report/status`: the lookup form.
pub(crate) async fn status_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(lang): Query<Lang>,
) -> AppResult<Response> {
    let page = StatusPage {
        p: Frame::new(&state, &headers, &lang),
        status: None,
        error: None,
    };
    html(StatusCode::OK, &page)
}

/// `POST /report/status`: the reference in the form body, never the URL.
pub(crate) async fn status(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(lang): Query<Lang>,
    body: Bytes,
) -> AppResult<Response> {
    let reference = form_urlencoded::parse(&body)
        .find(|(k, _)| k == "reference")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    let (code, status, error) = match status_of(&state, &reference).await {
        Ok(s) => (StatusCode::OK, Some(s), None),
        Err(AppError::NotFound(_)) => (
            StatusCode::NOT_FOUND,
            None,
            Some("No report with this reference was received here.".to_owned()),
        ),
        Err(e) => return Err(e),
    };
    let page = StatusPage {
        p: Frame::new(&state, &headers, &lang),
        status,
        error,
    };
    html(code, &page)
}
