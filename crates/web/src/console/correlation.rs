//! Correlation in the console: a batch lookup, and each object's related
//! view (values and their matches, sightings, analysis claims) with forms
//! to record a sighting and to claim, publish or withdraw an analysis.
//! Everything goes through the API's `lookup_as`, `related_as`,
//! `sight_as`, `claim_as` and `close_as`.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};

use super::{field, render, Chrome, SignedIn};
use crate::correlation::{
    claim_as, close_as, lookup_as, related_as, sight_as, ClaimRow, CloseClaim, LookupRequest,
    LookupValue, NewClaim, NewSighting, RefRow, Sharing, SightingRow, ValueAnswer,
};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Values typed into the console's lookup at once.
const MAX_CONSOLE_VALUES: usize = 5_000;

/// One value's answer, ready to show.
pub(crate) struct Row {
    value: String,
    kind: String,
    objects: usize,
    teams: String,
    countries: String,
    sightings: u64,
    last_added: String,
    /// A message key and its argument.
    note: (&'static str, String),
    matches: Vec<(String, String, String, String)>,
}

impl Row {
    fn of(a: &ValueAnswer, c: &Chrome) -> Row {
        let note = if let Some(e) = &a.error {
            ("lookup.error", e.clone())
        } else if let Some(list) = &a.known_benign {
            ("lookup.benign", list.clone())
        } else if a.over_correlating {
            ("lookup.over", String::new())
        } else {
            ("", String::new())
        };
        Row {
            value: a.value.clone(),
            kind: a.kind.map(|k| k.to_string()).unwrap_or_default(),
            objects: a.objects,
            teams: a.teams.join(", "),
            countries: a.countries.join(", "),
            sightings: a.sightings.count,
            last_added: a
                .last_added
                .as_deref()
                .and_then(|t| vigia_stix::Timestamp::parse(t).ok())
                .map(|t| c.at(t))
                .unwrap_or_default(),
            note,
            matches: a
                .matches
                .iter()
                .map(|m| {
                    (
                        m.id.clone(),
                        m.object_type.clone(),
                        m.team_name
                            .clone()
                            .or(m.country.clone())
                            .unwrap_or_default(),
                        m.via.clone(),
                    )
                })
                .collect(),
        }
    }

    fn has_note(&self) -> bool {
        !self.note.0.is_empty()
    }
}

#[derive(Template)]
#[template(path = "console/lookup.html")]
struct LookupPage {
    c: Chrome,
    input: String,
    asked: bool,
    found: usize,
    rows: Vec<Row>,
}

/// `GET /console/lookup`
pub(crate) async fn lookup_form(s: SignedIn) -> AppResult<Response> {
    render(&LookupPage {
        c: s.chrome,
        input: String::new(),
        asked: false,
        found: 0,
        rows: Vec::new(),
    })
}

/// `POST /console/lookup`
pub(crate) async fn lookup(
    State(state): State<AppState>,
    s: SignedIn,
    body: Bytes,
) -> AppResult<Response> {
    let form = s.form(&body)?;
    let input = field(&form, "values").to_owned();
    let values: Vec<LookupValue> = input
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| LookupValue::Plain(l.to_owned()))
        .collect();
    if values.len() > MAX_CONSOLE_VALUES {
        return Err(AppError::field(
            "values",
            format!(
                "{} values; the console looks up at most {MAX_CONSOLE_VALUES} (use `vigia lookup` or the API for more)",
                values.len()
            ),
        ));
    }
    let answers = lookup_as(
        &state,
        &s.caller,
        LookupRequest {
            values,
            matches_per_value: Some(5),
        },
        "console",
    )
    .await?;
    let rows: Vec<Row> = answers.iter().map(|a| Row::of(a, &s.chrome)).collect();
    render(&LookupPage {
        found: rows.iter().filter(|r| r.objects > 0).count(),
        c: s.chrome,
        input,
        asked: true,
        rows,
    })
}

#[derive(Template)]
#[template(path = "console/related.html")]
struct RelatedPage {
    c: Chrome,
    id: String,
    object_type: String,
    rows: Vec<Row>,
    seen_count: u64,
    seen_teams: usize,
    seen_countries: usize,
    by_team: Vec<SightingRow>,
    claims: Vec<ClaimRow>,
    referred: Vec<RefRow>,
    own_team: String,
}

impl RelatedPage {
    fn own(&self, claim: &ClaimRow) -> bool {
        claim.team == self.own_team && claim.state == "in-progress"
    }
}

/// `GET /console/related/{id}`
pub(crate) async fn related(
    State(state): State<AppState>,
    s: SignedIn,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let r = related_as(&state, &s.caller, &id, "console").await?;
    let own_team = s.caller.require_authenticated()?.as_str().to_owned();
    let rows = r
        .observables
        .iter()
        .map(|a| Row::of(a, &s.chrome))
        .collect();
    render(&RelatedPage {
        id: r.id,
        object_type: r.object_type,
        rows,
        seen_count: r.sightings.summary.count,
        seen_teams: r.sightings.summary.teams,
        seen_countries: r.sightings.summary.countries,
        by_team: r.sightings.by_team,
        claims: r.claims,
        referred: r.referred_to_by,
        own_team,
        c: s.chrome,
    })
}

fn sharing(form: &[(String, String)]) -> Sharing {
    Sharing {
        tlp: Some(field(form, "tlp").to_owned()).filter(|t| !t.is_empty()),
        to: Vec::new(),
        groups: Vec::new(),
    }
}

/// `POST /console/related/{id}/sighting`
pub(crate) async fn sighting(
    State(state): State<AppState>,
    s: SignedIn,
    Path(id): Path<String>,
    body: Bytes,
) -> AppResult<Response> {
    let form = s.form(&body)?;
    let count = match field(&form, "count").trim() {
        "" => None,
        n => Some(
            n.parse::<u64>()
                .map_err(|_| AppError::field("count", format!("{n:?} is not a whole number")))?,
        ),
    };
    let new = NewSighting {
        sighting_of_ref: id.clone(),
        count,
        first_seen: None,
        last_seen: None,
        sharing: sharing(&form),
    };
    sight_as(&state, &s.caller, new, "console").await?;
    Ok(Redirect::to(&format!("/console/related/{id}")).into_response())
}

/// `POST /console/related/{id}/claim`
pub(crate) async fn claim(
    State(state): State<AppState>,
    s: SignedIn,
    Path(id): Path<String>,
    body: Bytes,
) -> AppResult<Response> {
    let form = s.form(&body)?;
    let hours: i64 = field(&form, "within_hours")
        .parse()
        .ok()
        .filter(|h| (1..=24 * 90).contains(h))
        .ok_or_else(|| AppError::field("within_hours", "between 1 and 2160 hours"))?;
    let expected = time::OffsetDateTime::now_utc() + time::Duration::hours(hours);
    let new = NewClaim {
        object_ref: id.clone(),
        expected_by: vigia_stix::Timestamp::from_datetime(expected).to_millis_string(),
        comment: field(&form, "comment").to_owned(),
        sharing: sharing(&form),
    };
    claim_as(&state, &s.caller, new, "console").await?;
    Ok(Redirect::to(&format!("/console/related/{id}")).into_response())
}

/// `POST /console/claims/{id}`: publish with a result, or withdraw.
pub(crate) async fn close(
    State(state): State<AppState>,
    s: SignedIn,
    Path(id): Path<String>,
    body: Bytes,
) -> AppResult<Response> {
    let form = s.form(&body)?;
    let result_ref = Some(field(&form, "result_ref").trim().to_owned()).filter(|r| !r.is_empty());
    let closed = close_as(
        &state,
        &s.caller,
        &id,
        CloseClaim {
            state: field(&form, "state").to_owned(),
            result_ref,
        },
        "console",
    )
    .await?;
    Ok(Redirect::to(&format!("/console/related/{}", closed.object_ref)).into_response())
}
