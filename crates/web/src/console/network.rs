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
use serde_json::{json, Value};
use vigia_cooperation::compendium::IGF_BPF_TEMPLATE;
use vigia_cooperation::report::{bar_chart, bars, AnnualReport};
use vigia_cooperation::Kind;

use super::i18n::Messages;
use super::{field, fields, render, Chrome, SignedIn};
use crate::cooperation::{
    annual_as, approve_section_as, assessment_as, calendar_as, compendium_as, milestones_as,
    publish_as, today, training_as, visible, CompendiumQuery, MilestoneView, NewRecord, Upcoming,
    YearQuery,
};
use crate::correlation::Sharing;
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
    /// The caller's team, to offer "mark done" where it is still pending.
    team: String,
    /// The caller's team's own national sections: (id, title, year, approved, tlp).
    sections: Vec<(String, String, String, bool, String)>,
    topics: &'static [(&'static str, &'static str)],
    regions: &'static [&'static str],
    languages: &'static [&'static str],
    audiences: &'static [&'static str],
    igf_parts: &'static [&'static str],
    /// FIRST CSIRT Services Framework: (id, service name).
    services: Vec<(String, &'static str)>,
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
    /// Whether the caller's team still has `m` to meet.
    fn owes(&self, m: &MilestoneView) -> bool {
        m.members
            .iter()
            .any(|p| p.team == self.team && p.state != "done")
    }
    /// The date of an occurrence, `YYYY-MM-DD`.
    fn day<'a>(&self, occurrence: &'a str) -> &'a str {
        occurrence.get(..10).unwrap_or(occurrence)
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
    let team = c.team().map(|t| t.as_str().to_owned()).unwrap_or_default();
    let sections = visible(&state, c, Kind::ReportSection)
        .await?
        .into_iter()
        .filter(|(r, _)| r.team == team)
        .map(|(r, o)| {
            (
                r.id,
                r.title,
                r.body["year"].to_string(),
                r.body["approved"] == Value::Bool(true),
                o.tlp.label().to_owned(),
            )
        })
        .collect();
    render(&NetworkPage {
        team,
        sections,
        topics: &vigia_cooperation::training::ECSF_PROFILES,
        regions: &vigia_cooperation::training::REGIONS,
        languages: &vigia_cooperation::compendium::LANGUAGES,
        audiences: &vigia_cooperation::compendium::AUDIENCES,
        igf_parts: &vigia_cooperation::compendium::IGF_BPF_TEMPLATE,
        services: vigia_directory::services::AREAS
            .iter()
            .flat_map(|a| {
                a.services
                    .iter()
                    .map(move |(id, name)| (format!("{}/{id}", a.id), *name))
            })
            .collect(),
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
    let body = match form.iter().any(|(k, _)| k == "body") {
        // The advanced form: any kind, its body as JSON.
        true => serde_json::from_str(field(&form, "body"))
            .map_err(|e| AppError::field("body", format!("not JSON: {e}")))?,
        false => {
            let team = s.caller.require_authenticated()?;
            body_from_form(kind, &form, team, &state.node.country)?
        }
    };
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
            sharing: Sharing {
                tlp: (!tlp.is_empty()).then(|| tlp.to_owned()),
                to: fields(&form, "to")
                    .iter()
                    .flat_map(|t| t.split(',').map(|x| x.trim().to_owned()))
                    .filter(|t| !t.is_empty())
                    .collect(),
                groups: Vec::new(),
            },
        },
        "console",
    )
    .await?;
    Ok(Redirect::to("/console/network").into_response())
}

/// A record's body from a kind's own form fields (the forms the page
/// shows for marking a milestone done, recording attendance, training
/// needs, mentoring, a compendium document and a national section), for
/// the caller's `team`. The API checks it as it checks JSON.
fn body_from_form(
    kind: Kind,
    form: &[(String, String)],
    team: &vigia_policy::TeamId,
    country: &str,
) -> AppResult<Value> {
    let text = |name: &str| field(form, name).trim().to_owned();
    let number = |name: &str| -> AppResult<Option<u32>> {
        let t = text(name);
        if t.is_empty() {
            return Ok(None);
        }
        t.parse()
            .map(Some)
            .map_err(|_| AppError::field(name, format!("{t:?} is not a whole number")))
    };
    Ok(match kind {
        Kind::MilestoneDone => {
            json!({"milestone_ref": text("milestone_ref"), "comment": text("comment")})
        }
        Kind::Attendance => {
            json!({"event_ref": text("event_ref"), "occurrence": text("occurrence"),
            "present": [team.as_str()], "notes": text("notes")})
        }
        Kind::TrainingNeeds => {
            let mut needs = Vec::new();
            for i in 0..3 {
                let topic = text(&format!("topic{i}"));
                if topic.is_empty() {
                    continue;
                }
                needs.push(json!({"topic": topic,
                    "people": number(&format!("people{i}"))?.unwrap_or(1),
                    "by": text(&format!("by{i}")),
                    "priority": text(&format!("priority{i}"))}));
            }
            let milestone = text("milestone_ref");
            json!({"needs": needs, "comment": text("comment"),
                "milestone_ref": (!milestone.is_empty()).then_some(milestone)})
        }
        Kind::ReportSection => {
            let year: i32 = text("year")
                .parse()
                .map_err(|_| AppError::field("year", "a year such as 2026"))?;
            let mut b = json!({"year": year, "country": country, "text": text("text"),
                "legislation": text("legislation"), "approved": !text("approved").is_empty()});
            for n in [
                "incidents_handled",
                "staff",
                "exercises",
                "awareness_campaigns",
            ] {
                if let Some(v) = number(n)? {
                    b[n] = json!(v);
                }
            }
            b
        }
        Kind::Mentoring => json!({"side": text("side"), "topics": fields(form, "topics"),
            "languages": fields(form, "languages"), "region": text("region"),
            "capacity": number("capacity")?.unwrap_or(1), "comment": text("comment")}),
        Kind::Document => {
            let sections: Vec<Value> = match text("template").as_str() {
                "igf-bpf" => IGF_BPF_TEMPLATE
                    .iter()
                    .enumerate()
                    .map(|(i, h)| json!({"heading": h, "text": text(&format!("part{i}"))}))
                    .collect(),
                _ => vec![json!({"heading": text("title"), "text": text("content")})],
            };
            let event = text("event_ref");
            json!({"document_type": text("document_type"), "template": text("template"),
                "sections": sections, "services": fields(form, "services"),
                "audiences": fields(form, "audiences"), "language": text("language"),
                "owner": text("owner"), "review_by": text("review_by"),
                "event_ref": (!event.is_empty()).then_some(event)})
        }
        other => {
            return Err(AppError::field(
                "body",
                format!(
                    "{} records are published with the JSON form",
                    other.as_str()
                ),
            ))
        }
    })
}

/// `POST /console/network/approve`: approves one of the team's own
/// national sections.
pub(crate) async fn approve(
    State(state): State<AppState>,
    s: SignedIn,
    body: Bytes,
) -> AppResult<Response> {
    let form = s.form(&body)?;
    approve_section_as(&state, &s.caller, field(&form, "id"), "console").await?;
    Ok(Redirect::to("/console/network#sections").into_response())
}

#[derive(Template)]
#[template(path = "console/annual.html")]
struct AnnualPage<'a> {
    m: Messages,
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
    /// The message `key` with its `{name}` placeholders filled.
    fn fill(&self, key: &str, values: &[(&str, String)]) -> String {
        values
            .iter()
            .fold(self.m.t(key).to_owned(), |text, (name, value)| {
                text.replace(&format!("{{{name}}}"), value)
            })
    }
    /// A coverage status (`national-csirt`, `poc-only`, `none`) in words.
    fn status(&self, status: &str) -> &'static str {
        self.m.t(&format!("annual.status.{status}"))
    }
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
pub(crate) fn report_html(
    r: &AnnualReport,
    node: &str,
    inline_css: bool,
    m: Messages,
) -> AppResult<String> {
    let mut statuses: Vec<&String> = r
        .coverage
        .start
        .keys()
        .chain(r.coverage.end.keys())
        .collect();
    statuses.sort();
    statuses.dedup();
    let page = AnnualPage {
        m,
        r,
        node,
        inline_css,
        css: ANNUAL_CSS,
        chart_kind: bar_chart(m.t("annual.chart_kind"), &bars(&r.products.by_kind)),
        chart_severity: bar_chart(m.t("annual.chart_severity"), &bars(&r.products.by_severity)),
        chart_country: bar_chart(m.t("annual.chart_country"), &bars(&r.products.by_country)),
        chart_sector: bar_chart(m.t("annual.chart_sector"), &bars(&r.products.by_sector)),
        chart_reports: bar_chart(
            m.t("annual.chart_reports"),
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
    Ok(Html(report_html(
        &report,
        &state.node.team_name,
        false,
        s.chrome.m,
    )?)
    .into_response())
}

/// `GET /console/assets/annual.css`
pub(crate) async fn css() -> Response {
    (
        [(axum::http::header::CONTENT_TYPE, "text/css; charset=utf-8")],
        ANNUAL_CSS,
    )
        .into_response()
}
