//! The inbox, the product view (acknowledge, actioned, findings), compose
//! with a preview of exactly who will receive, and search.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::Value;
use vigia_stix::{Distribution, Timestamp, Tlp};
use vigia_watch::product::EmbargoDraft;
use vigia_watch::{ProductDraft, ProductKind, ReceiptState, Severity};

use super::pages::{marking, tlp_class, ProductRow};
use super::{field, fields, render, Chrome, SignedIn};
use crate::error::{AppError, AppResult};
use crate::routes::objects::search_visible;
use crate::routes::watch::{
    acknowledge_product, add_finding_as, preview_recipients, product_view, publish_as,
    visible_products, RecipientPreview,
};
use crate::state::AppState;

#[derive(Deserialize)]
pub(crate) struct InboxParams {
    #[serde(default)]
    kind: String,
}

#[derive(Template)]
#[template(path = "console/inbox.html")]
struct InboxPage {
    c: Chrome,
    kinds: Vec<(&'static str, bool)>,
    rows: Vec<ProductRow>,
}

/// `GET /console/products`: every product the user may see, newest first.
pub(crate) async fn inbox(
    State(state): State<AppState>,
    s: SignedIn,
    Query(params): Query<InboxParams>,
) -> AppResult<Response> {
    let kind = Some(params.kind.as_str()).filter(|k| !k.is_empty());
    let rows = visible_products(&state, &s.caller, 400, kind)
        .await?
        .into_iter()
        .take(100)
        .map(|(p, _)| {
            let (tlp, tlp_label) = marking(&p.tlp);
            ProductRow {
                arrived: s.chrome.when(p.date_added),
                id: p.id,
                title: p.title,
                kind: p.kind,
                severity: p.severity,
                tlp,
                tlp_label,
                step: 0,
                next_step: String::new(),
                receipts: String::new(),
            }
        })
        .collect();
    render(&InboxPage {
        c: s.chrome,
        kinds: ProductKind::ALL
            .iter()
            .map(|k| (k.as_str(), k.as_str() == params.kind))
            .collect(),
        rows,
    })
}

struct ReceiptRow {
    team: String,
    delivered: String,
    seen: String,
    acknowledged: String,
    actioned: String,
    by: String,
    note: String,
}

struct FindingRow {
    team: String,
    tlp: String,
    tlp_label: String,
    text: String,
    at: String,
}

#[derive(Template)]
#[template(path = "console/product.html")]
struct ProductPage {
    c: Chrome,
    id: String,
    title: String,
    paragraphs: Vec<String>,
    kind: String,
    severity: String,
    tlp: String,
    tlp_label: String,
    tlp_key: String,
    originator: String,
    signature: &'static str,
    cves: Vec<String>,
    exercise: bool,
    embargo: String,
    versions: Vec<(String, String, String)>,
    related: Vec<String>,
    is_originator: bool,
    receipts: Vec<ReceiptRow>,
    own_state: &'static str,
    may_acknowledge: bool,
    escalation: Option<(i64, String)>,
    findings: Vec<FindingRow>,
    joint_analysis: bool,
}

/// The object's references to other objects, without markings and the
/// author: what the product is about.
fn related(raw: &Value) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(o) = raw.as_object() {
        for (k, v) in o {
            if k == "created_by_ref" || k == "object_marking_refs" {
                continue;
            }
            let refs: Vec<&Value> = match v {
                Value::Array(a) if k.ends_with("_refs") => a.iter().collect(),
                Value::String(_) if k.ends_with("_ref") => vec![v],
                _ => continue,
            };
            // Team identities are the audience, not the subject.
            out.extend(
                refs.iter()
                    .filter_map(|r| r.as_str())
                    .filter(|r| !r.starts_with("identity--"))
                    .map(str::to_owned),
            );
        }
    }
    out
}

fn own_state(receipts: &[vigia_store::ReceiptRecord], team: &str) -> &'static str {
    let mine = receipts.iter().find(|r| r.team == team);
    match mine {
        Some(r) if r.actioned_at.is_some() => "receipt.actioned",
        Some(r) if r.acknowledged_at.is_some() => "receipt.acknowledged",
        Some(r) if r.seen_at.is_some() => "receipt.seen",
        Some(r) if r.delivered_at.is_some() => "receipt.delivered",
        _ => "receipt.none",
    }
}

/// `GET /console/products/{id}`: hidden and absent look the same (404).
pub(crate) async fn view(
    State(state): State<AppState>,
    s: SignedIn,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let v = product_view(&state, &s.caller, &id, "console").await?;
    let c = &s.chrome;
    let raw: Value = serde_json::from_str(&v.object.raw).unwrap_or_default();
    let (tlp, tlp_label) = marking(v.object.tlp.as_str());
    let here = &state.node.team_id;
    let signature = match &v.object.audience.origin_node {
        Some(origin) if origin == here => "signature.here",
        Some(_) => "signature.verified",
        None => "signature.local",
    };
    let when = |t: Option<i64>| t.map(|t| c.when(t)).unwrap_or_else(|| "—".into());
    let team_names: std::collections::BTreeMap<String, String> = state
        .store
        .list_teams()
        .await?
        .into_iter()
        .map(|t| (t.id.to_string(), t.name))
        .chain(
            state
                .store
                .peers()
                .await?
                .into_iter()
                .map(|p| (p.peer.team_id.to_string(), p.peer.name)),
        )
        .collect();
    let name_of = |t: &str| team_names.get(t).cloned().unwrap_or_else(|| t.to_owned());
    let receipts = v
        .receipts
        .iter()
        .map(|r| ReceiptRow {
            team: name_of(&r.team),
            delivered: when(r.delivered_at),
            seen: when(r.seen_at),
            acknowledged: when(r.acknowledged_at),
            actioned: when(r.actioned_at),
            by: r.by_user.clone().unwrap_or_default(),
            note: r.note.clone().unwrap_or_default(),
        })
        .collect();
    let findings = v
        .findings
        .iter()
        .map(|n| {
            let note: Value = serde_json::from_str(&n.raw).unwrap_or_default();
            let (tlp, tlp_label) = marking(n.tlp.as_str());
            FindingRow {
                team: n
                    .audience
                    .originator
                    .as_ref()
                    .map(|t| name_of(t.as_str()))
                    .unwrap_or_default(),
                tlp,
                tlp_label,
                text: note["content"].as_str().unwrap_or_default().to_owned(),
                at: c.at(n.date_added),
            }
        })
        .collect();
    let page = ProductPage {
        id: id.clone(),
        title: v.info.title.clone(),
        paragraphs: v
            .info
            .description
            .split("\n\n")
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect(),
        kind: v.info.kind.as_str().to_owned(),
        severity: v.info.severity.as_str().to_owned(),
        tlp_key: format!("tlp.{tlp}"),
        tlp,
        tlp_label,
        originator: v
            .object
            .audience
            .originator
            .as_ref()
            .map(|t| name_of(t.as_str()))
            .unwrap_or_default(),
        signature,
        cves: v.info.cves.clone(),
        exercise: v.info.exercise,
        embargo: v.info.embargo_until.map(|t| c.at(t)).unwrap_or_default(),
        versions: v
            .versions
            .iter()
            .map(|o| {
                (
                    o.version.map(|t| c.at(t)).unwrap_or_default(),
                    c.at(o.date_added),
                    o.tlp.label().to_owned(),
                )
            })
            .collect(),
        related: related(&raw),
        is_originator: v.is_originator,
        own_state: own_state(&v.receipts, s.team().as_str()),
        may_acknowledge: !v.is_originator
            && !v
                .receipts
                .iter()
                .any(|r| r.team == s.team().as_str() && r.actioned_at.is_some()),
        receipts,
        escalation: v
            .assignment
            .filter(|a| a.closed_at.is_none())
            .map(|a| (a.step, when(a.next_step_at))),
        findings,
        joint_analysis: v.info.kind == ProductKind::SuspiciousActivity,
        c: s.chrome,
    };
    render(&page)
}

/// `POST /console/products/{id}/acknowledge` (`state`: acknowledged or
/// actioned), by the same rule as the API.
pub(crate) async fn acknowledge(
    State(state): State<AppState>,
    s: SignedIn,
    Path(id): Path<String>,
    body: Bytes,
) -> AppResult<Response> {
    let form = s.form(&body)?;
    let receipt_state = field(&form, "state");
    let receipt_state = receipt_state
        .parse::<ReceiptState>()
        .map_err(|e| AppError::BadRequest(e.to_string()))?;
    let note = Some(field(&form, "note").trim().to_owned()).filter(|n| !n.is_empty());
    acknowledge_product(
        &state,
        &s.caller,
        &id,
        Some(receipt_state.as_str()),
        note,
        "console",
    )
    .await?;
    Ok(Redirect::to(&format!("/console/products/{id}")).into_response())
}

/// `POST /console/products/{id}/findings`: a finding for joint analysis.
pub(crate) async fn finding(
    State(state): State<AppState>,
    s: SignedIn,
    Path(id): Path<String>,
    body: Bytes,
) -> AppResult<Response> {
    let form = s.form(&body)?;
    let tlp = match field(&form, "tlp") {
        "" => None,
        t => Some(
            t.parse::<Tlp>()
                .map_err(|e| AppError::BadRequest(e.to_string()))?,
        ),
    };
    add_finding_as(&state, &s.caller, &id, field(&form, "text"), tlp, None).await?;
    Ok(Redirect::to(&format!("/console/products/{id}")).into_response())
}

/// A team or sharing group the composer can address.
struct Choice {
    value: String,
    label: String,
    checked: bool,
}

#[derive(Template)]
#[template(path = "console/compose.html")]
struct ComposePage {
    c: Chrome,
    kinds: Vec<(&'static str, bool)>,
    severities: Vec<(&'static str, bool)>,
    tlps: Vec<(&'static str, &'static str, bool)>,
    teams: Vec<Choice>,
    groups: Vec<Choice>,
    title: String,
    description: String,
    users: String,
    cves: String,
    refs: String,
    embargo: String,
    exercise: bool,
    error: Option<String>,
    preview: Option<Vec<RecipientPreview>>,
}

/// The composer's form, as submitted.
struct ComposeForm {
    kind: String,
    severity: String,
    tlp: String,
    title: String,
    description: String,
    teams: Vec<String>,
    groups: Vec<String>,
    users: String,
    cves: String,
    refs: String,
    embargo: String,
    exercise: bool,
}

impl ComposeForm {
    fn read(form: &[(String, String)]) -> Self {
        Self {
            kind: field(form, "kind").to_owned(),
            severity: field(form, "severity").to_owned(),
            tlp: field(form, "tlp").to_owned(),
            title: field(form, "title").to_owned(),
            description: field(form, "description").to_owned(),
            teams: fields(form, "team"),
            groups: fields(form, "group"),
            users: field(form, "users").to_owned(),
            cves: field(form, "cves").to_owned(),
            refs: field(form, "refs").to_owned(),
            embargo: field(form, "embargo").to_owned(),
            exercise: field(form, "exercise") == "on",
        }
    }

    fn blank() -> Self {
        Self {
            kind: "alert".into(),
            severity: "high".into(),
            tlp: "green".into(),
            title: String::new(),
            description: String::new(),
            teams: Vec::new(),
            groups: Vec::new(),
            users: String::new(),
            cves: String::new(),
            refs: String::new(),
            embargo: String::new(),
            exercise: false,
        }
    }

    /// The draft the API would take; every error names the field.
    fn draft(&self, c: &Chrome) -> Result<ProductDraft, String> {
        let list = |s: &str| -> Vec<String> {
            s.split([',', ' ', '\n'])
                .map(str::trim)
                .filter(|x| !x.is_empty())
                .map(str::to_owned)
                .collect()
        };
        let kind: ProductKind = self.kind.parse().map_err(|e| format!("{e}"))?;
        let audience = Distribution {
            recipient_teams: self.teams.clone(),
            recipient_users: list(&self.users),
            sharing_groups: self.groups.clone(),
            ..Distribution::default()
        };
        let refs = list(&self.refs);
        let embargo = match self.embargo.trim() {
            "" => None,
            e => Some(EmbargoDraft {
                until: c.parse_local(e).ok_or_else(|| {
                    format!("embargo: {e:?} is not a date and time (YYYY-MM-DDTHH:MM)")
                })?,
                widen_to: Distribution::default(),
            }),
        };
        Ok(ProductDraft {
            kind,
            title: self.title.trim().to_owned(),
            description: self.description.trim().to_owned(),
            severity: self
                .severity
                .parse::<Severity>()
                .map_err(|e| format!("{e}"))?,
            tlp: self.tlp.parse::<Tlp>().map_err(|e| format!("tlp: {e}"))?,
            audience,
            embargo,
            cves: list(&self.cves),
            cvss: None,
            mitigates: if kind == ProductKind::Mitigation {
                refs.clone()
            } else {
                Vec::new()
            },
            related: if kind == ProductKind::Mitigation {
                Vec::new()
            } else {
                refs
            },
            supersedes: None,
            exercise: self.exercise,
        })
    }
}

async fn compose_page(
    state: &AppState,
    s: SignedIn,
    f: ComposeForm,
    error: Option<String>,
    preview: Option<Vec<RecipientPreview>>,
) -> AppResult<Response> {
    let mut teams: Vec<Choice> = Vec::new();
    for t in state.store.list_teams().await? {
        if &t.id == s.team() {
            continue;
        }
        let value = t.id.to_string();
        teams.push(Choice {
            checked: f.teams.contains(&value),
            label: t.name,
            value,
        });
    }
    for p in state.store.peers().await? {
        let value = p.peer.team_id.to_string();
        teams.push(Choice {
            checked: f.teams.contains(&value),
            label: format!("{} ({})", p.peer.name, p.peer.country),
            value,
        });
    }
    let groups = state
        .store
        .list_sharing_groups()
        .await?
        .into_iter()
        .map(|(name, _, _)| Choice {
            checked: f.groups.contains(&name.to_string()),
            label: name.to_string(),
            value: name.to_string(),
        })
        .collect();
    let page = ComposePage {
        kinds: ProductKind::ALL
            .iter()
            .filter(|k| **k != ProductKind::BestPractice)
            .map(|k| (k.as_str(), k.as_str() == f.kind))
            .collect(),
        severities: Severity::ALL
            .iter()
            .map(|v| (v.as_str(), v.as_str() == f.severity))
            .collect(),
        tlps: Tlp::ALL
            .iter()
            .map(|t| (t.as_str(), tlp_class(*t), t.as_str() == f.tlp))
            .collect(),
        teams,
        groups,
        title: f.title,
        description: f.description,
        users: f.users,
        cves: f.cves,
        refs: f.refs,
        embargo: f.embargo,
        exercise: f.exercise,
        error,
        preview,
        c: s.chrome,
    };
    let has_error = page.error.is_some();
    let response = render(&page)?;
    Ok(if has_error {
        super::status_page(axum::http::StatusCode::UNPROCESSABLE_ENTITY, response)
    } else {
        response
    })
}

/// `GET /console/compose`
pub(crate) async fn compose_form(
    State(state): State<AppState>,
    s: SignedIn,
) -> AppResult<Response> {
    s.caller.require_writer()?;
    compose_page(&state, s, ComposeForm::blank(), None, None).await
}

/// `POST /console/compose`: `action=preview` shows who would receive it;
/// `action=publish` publishes it through the same path as the API.
pub(crate) async fn compose(
    State(state): State<AppState>,
    s: SignedIn,
    body: Bytes,
) -> AppResult<Response> {
    let form = s.form(&body)?;
    s.caller.require_writer()?;
    let f = ComposeForm::read(&form);
    let draft = match f.draft(&s.chrome) {
        Ok(d) => d,
        Err(e) => return compose_page(&state, s, f, Some(e), None).await,
    };
    let team = s.team().clone();
    if field(&form, "action") == "publish" {
        return match publish_as(&state, &s.caller, &draft, "console").await {
            Ok(p) => Ok(Redirect::to(&format!("/console/products/{}", p.id)).into_response()),
            Err(AppError::BadRequest(e)) | Err(AppError::Unprocessable { message: e, .. }) => {
                compose_page(&state, s, f, Some(e), None).await
            }
            Err(e) => Err(e),
        };
    }
    match preview_recipients(&state, &team, &draft).await {
        Ok(p) => compose_page(&state, s, f, None, Some(p)).await,
        Err(AppError::BadRequest(e)) => compose_page(&state, s, f, Some(e), None).await,
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
pub(crate) struct SearchParams {
    #[serde(default)]
    q: String,
}

struct Hit {
    id: String,
    object_type: String,
    title: String,
    tlp: String,
    tlp_label: String,
    product: bool,
}

#[derive(Template)]
#[template(path = "console/search.html")]
struct SearchPage {
    c: Chrome,
    q: String,
    hits: Vec<Hit>,
    searched: bool,
}

/// `GET /console/search?q=`: full text over titles, descriptions and
/// indicator values, keeping only what the user may see.
pub(crate) async fn search(
    State(state): State<AppState>,
    s: SignedIn,
    Query(params): Query<SearchParams>,
) -> AppResult<Response> {
    let q = params.q.trim().to_owned();
    let mut hits = Vec::new();
    for o in search_visible(&state, &s.caller, &q, "console").await? {
        let raw: Value = serde_json::from_str(&o.raw).unwrap_or_default();
        let title = ["name", "title", "abstract", "pattern", "value", "content"]
            .iter()
            .find_map(|k| raw[*k].as_str())
            .unwrap_or_default();
        let (tlp, tlp_label) = marking(o.tlp.as_str());
        hits.push(Hit {
            product: vigia_watch::ProductInfo::read(&raw).is_some(),
            id: o.id.to_string(),
            object_type: o.object_type.clone(),
            title: title.chars().take(200).collect(),
            tlp,
            tlp_label,
        });
    }
    render(&SearchPage {
        searched: !q.is_empty(),
        c: s.chrome,
        q,
        hits,
    })
}

impl Chrome {
    /// A `datetime-local` value in the user's time zone.
    fn parse_local(&self, s: &str) -> Option<Timestamp> {
        let civil: jiff::civil::DateTime = s.parse().ok()?;
        let zoned = civil.to_zoned(self.tz.clone()).ok()?;
        Timestamp::from_unix_micros(zoned.timestamp().as_microsecond()).ok()
    }
}
