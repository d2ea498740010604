//! Single-use acknowledgement links from notification e-mails. Opening the
//! link shows a confirmation form; only the POST acknowledges, so a mail
//! scanner that prefetches links acknowledges nothing.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use vigia_policy::TeamId;
use vigia_watch::ReceiptState;

use crate::error::AppResult;
use crate::routes::watch::acknowledge_as;
use crate::state::AppState;

fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width\"><title>{title}</title></head>\
         <body style=\"font-family:sans-serif;max-width:40em;margin:2em auto\"><h1>{title}</h1>{body}</body></html>"
    );
    (status, Html(html)).into_response()
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn valid_token(token: &str) -> bool {
    token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit())
}

/// `GET /ack/{token}`
pub(crate) async fn show(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> AppResult<Response> {
    if !valid_token(&token) {
        return Ok(page(
            StatusCode::NOT_FOUND,
            "Unknown link",
            "<p>This acknowledgement link is not valid.</p>",
        ));
    }
    let hash = vigia_notify::send::ack_token_hash(&token);
    let Some(link) = state.store.ack_link(&hash).await? else {
        return Ok(page(
            StatusCode::NOT_FOUND,
            "Unknown link",
            "<p>This acknowledgement link is not valid.</p>",
        ));
    };
    if link.used_at.is_some() {
        return Ok(page(
            StatusCode::GONE,
            "Already used",
            "<p>This link was already used to acknowledge.</p>",
        ));
    }
    let body = format!(
        "<p>Acknowledge product <code>{}</code> for your team, as {}?</p>\
         <form method=\"post\"><button type=\"submit\">Acknowledge</button></form>",
        escape(&link.product_id),
        escape(&link.contact)
    );
    Ok(page(StatusCode::OK, "Acknowledge", &body))
}

/// `POST /ack/{token}`
pub(crate) async fn confirm(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> AppResult<Response> {
    let gone = || {
        page(
            StatusCode::GONE,
            "Link not usable",
            "<p>This link is unknown, expired or already used.</p>",
        )
    };
    if !valid_token(&token) {
        return Ok(gone());
    }
    let hash = vigia_notify::send::ack_token_hash(&token);
    let Some(link) = state.store.ack_link(&hash).await? else {
        return Ok(gone());
    };
    let watch = state.watch()?;
    if !state
        .store
        .use_ack_link(&hash, watch.clock.now_micros())
        .await?
    {
        return Ok(gone());
    }
    let Some(object) = state.store.latest_object(&link.product_id).await? else {
        return Ok(gone());
    };
    let team =
        TeamId::parse(&link.team).map_err(|e| crate::error::AppError::Internal(e.to_string()))?;
    let by = link
        .user
        .as_ref()
        .map(|u| format!("{u}@{}", team.as_str()))
        .or_else(|| Some(link.contact.clone()));
    acknowledge_as(
        &state,
        &object,
        &team,
        ReceiptState::Acknowledged,
        by,
        Some(format!("acknowledged by e-mail link ({})", link.contact)),
        &format!("ack-link:{}", link.contact),
        "email-link",
    )
    .await?;
    Ok(page(
        StatusCode::OK,
        "Acknowledged",
        "<p>Thank you. The originator has been told.</p>",
    ))
}
