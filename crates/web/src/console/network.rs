//! The network's working life in the console: one page with the calendar
//! (and its iCalendar feed), milestones and each member's state, training
//! demand and proposed mentoring pairs, the compendium, the country's
//! self-assessment and the regional readiness index, and a form to
//! publish any record; and the annual report. Everything goes through the
//! API's `calendar_as`, `milestones_as`, `training_as`, `compendium_as`,
//! `assessment_as`, `annual_as` and `publish_as`.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde_json::Value;
use vigia_cooperation::report::{bar_chart, bars, AnnualReport};
use vigia_cooperation::Kind;

use super::{field, fields, render, Chrome, SignedIn};
use crate::cooperation::{
    annual_as, assessment_as, calendar_as, compendium_as, milestones_as, publish_as, today,
    training_as, CompendiumQuery, MilestoneView, NewRecord, Upcoming, YearQuery,
};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

pub(crate) const ANNUAL_CSS: &str = include_str!("../../assets/annual.css");

#[derive(Template)]
#[template(path = "console/network.html")]
struct NetworkPage {
    c: Chrome,
    events: Vec<Upcoming>,
    milestones: Vec<MilestoneView>,
    training: Value,
    documents: Vec<Value>,
    assessment: Value,
    kinds: Vec<&'static str>,
    year: i32,
}

impl NetworkPage {
    fn text(&self, v: &Value, key: &str) -> String {
        match v.get(key) {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Null) | None => String::new(),
            Some(other) => other.to_string(),
        }
    }
    fn list<'a>(&self, v: &'a Value, key: &str) -> Vec<&'a Value> {
        v.get(key)
            .and_then(Value::as_array)
            .map(|a| a.iter().collect())
            .unwrap_or_default()
    }
    fn tenths(&self, v: &Value) -> String {
        v.as_u64()
            .map(|t| format!("{}.{}", t / 10, t % 10))
            .unwrap_or_else(|| "—".into())
    }
}

/// `GET /console/network`
pub(crate) async fn page(State(state): State<AppState>, s: SignedIn) -> AppResult<Response> {
    let c = &s.caller;
    render(&NetworkPage {
        events: calendar_as(&state, c, "console").await?,
        milestones: milestones_as(&state, c, "console").await?,
        training: training_as(&state, c, "console").await?,
        documents: compendium_as(&state, c, &CompendiumQuery::default(), "console").await?,
        assessment: assessment_as(&state, c, "console").await?,
        kinds: Kind::ALL
            .iter()
            .filter(|k| **k != Kind::AssessmentScores)
            .map(|k| k.as_str())
            .collect(),
        year: today().year(),
        c: s.chrome,
    })
}

/// `POST /console/network`: publishes one record from the form.
pub(crate) async fn publish(
    State(state): State<AppState>,
    s: SignedIn,
    body: Bytes,
) -> AppResult<Response> {
    let form = s.form(&body)?;
    let kind: Kind = field(&form, "kind")
        .parse()
        .map_err(|e: String| AppError::field("kind", e))?;
    let body: Value = serde_json::from_str(field(&form, "body"))
        .map_err(|e| AppError::field("body", format!("not JSON: {e}")))?;
    let tlp = field(&form, "tlp");
    let id = field(&form, "id").trim();
    publish_as(
        &state,
        &s.caller,
        kind,
        NewRecord {
            title: field(&form, "title").to_owned(),
            summary: field(&form, "summary").to_owned(),
            body,
            id: (!id.is_empty()).then(|| id.to_owned()),
            tlp: (!tlp.is_empty()).then(|| tlp.to_owned()),
            to: fields(&form, "to")
                .iter()
                .flat_map(|t| t.split(',').map(|x| x.trim().to_owned()))
                .filter(|t| !t.is_empty())
                .collect(),
            groups: Vec::new(),
        },
        "console",
    )
    .await?;
    Ok(Redirect::to("/console/network").into_response())
}

#[derive(Template)]
#[template(path = "console/annual.html")]
struct AnnualPage<'a> {
    r: &'a AnnualReport,
    node: &'a str,
    inline_css: bool,
    css: &'static str,
    chart_kind: String,
    chart_severity: String,
    chart_country: String,
    chart_sector: String,
    chart_reports: String,
    coverage_rows: Vec<(String, usize, usize)>,
}

impl AnnualPage<'_> {
    fn duration(&self, seconds: &Option<i64>) -> String {
        match seconds {
            None => "—".into(),
            Some(s) if *s < 120 => format!("{s} s"),
            Some(s) if *s < 7200 => format!("{} min", s / 60),
            Some(s) => format!("{:.1} h", *s as f64 / 3600.0),
        }
    }
}

/// The report as a whole HTML document; with `inline_css` it stands alone
/// (for the API and for printing to PDF).
pub(crate) fn report_html(r: &AnnualReport, node: &str, inline_css: bool) -> AppResult<String> {
    let mut statuses: Vec<&String> = r
        .coverage
        .start
        .keys()
        .chain(r.coverage.end.keys())
        .collect();
    statuses.sort();
    statuses.dedup();
    let page = AnnualPage {
        r,
        node,
        inline_css,
        css: ANNUAL_CSS,
        chart_kind: bar_chart("Products by kind", &bars(&r.products.by_kind)),
        chart_severity: bar_chart("Products by severity", &bars(&r.products.by_severity)),
        chart_country: bar_chart(
            "Products by originating country",
            &bars(&r.products.by_country),
        ),
        chart_sector: bar_chart(
            "Products by sector of the originating team's constituency",
            &bars(&r.products.by_sector),
        ),
        chart_reports: bar_chart(
            "Public reports by category",
            &bars(&r.public_reports.by_category),
        ),
        coverage_rows: statuses
            .into_iter()
            .map(|s| {
                (
                    s.clone(),
                    r.coverage.start.get(s).copied().unwrap_or(0),
                    r.coverage.end.get(s).copied().unwrap_or(0),
                )
            })
            .collect(),
    };
    page.render()
        .map_err(|e| AppError::Internal(format!("template: {e}")))
}

/// `GET /console/annual?year=Y`
pub(crate) async fn annual(
    State(state): State<AppState>,
    s: SignedIn,
    Query(q): Query<YearQuery>,
) -> AppResult<Response> {
    let year = q.year.unwrap_or_else(|| today().year());
    let report = annual_as(&state, &s.caller, year, "console").await?;
    Ok(Html(report_html(&report, &state.node.team_name, false)?).into_response())
}

/// `GET /console/assets/annual.css`
pub(crate) async fn css() -> Response {
    (
        [(axum::http::header::CONTENT_TYPE, "text/css; charset=utf-8")],
        ANNUAL_CSS,
    )
        .into_response()
}
