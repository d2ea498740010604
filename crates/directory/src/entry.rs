//! A team's directory entry: the FIRST global-irt fields, the RFC 2350
//! template and what the seeds add (designation, maturity, CSIRT of last
//! resort, funding, law-enforcement links), each field with a visibility.
//!
//! Field names are snake_case and at least three characters long, as STIX
//! requires of properties, because the entry travels inside STIX objects.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::services;

/// What kind of team an entry describes.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum TeamKind {
    #[default]
    NationalCsirt,
    Sector,
    Government,
    Academic,
    Private,
    Secretariat,
}

impl TeamKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TeamKind::NationalCsirt => "national-csirt",
            TeamKind::Sector => "sector",
            TeamKind::Government => "government",
            TeamKind::Academic => "academic",
            TeamKind::Private => "private",
            TeamKind::Secretariat => "secretariat",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "national-csirt" => TeamKind::NationalCsirt,
            "sector" => TeamKind::Sector,
            "government" => TeamKind::Government,
            "academic" => TeamKind::Academic,
            "private" => TeamKind::Private,
            "secretariat" => TeamKind::Secretariat,
            _ => return None,
        })
    }
}

/// Who may read a field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Visibility {
    /// Anyone, without signing in (TLP:CLEAR).
    Public,
    /// Every member of the network (TLP:GREEN).
    Network,
    /// Named teams only (TLP:AMBER to the entry's `restricted_to`).
    Restricted,
}

impl Visibility {
    pub const ALL: [Visibility; 3] = [
        Visibility::Public,
        Visibility::Network,
        Visibility::Restricted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Network => "network",
            Visibility::Restricted => "restricted",
        }
    }
}

/// Designation by the member state's government (C-011, C-017).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DesignationKind {
    /// The government-designated national point of contact.
    NationalPoc,
    /// The government-designated national CSIRT (also the point of contact).
    NationalCsirt,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Designation {
    pub kind: DesignationKind,
    /// The body that designated the team (a ministry, a decree's issuer).
    pub authority: String,
    /// The legal or administrative instrument (decree, resolution, note).
    pub instrument: String,
    /// `YYYY-MM-DD`.
    pub date: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MaturityStage {
    PocOnly,
    BeingEstablished,
    Operational,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MaturityStep {
    pub stage: MaturityStage,
    /// `YYYY-MM-DD`.
    pub since: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Maturity {
    pub stage: Option<MaturityStage>,
    pub history: Vec<MaturityStep>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Constituency {
    pub description: String,
    /// Sectors served, from STIX's industry-sector vocabulary.
    pub sectors: Vec<String>,
    /// "Membership range": how many and which kinds of constituents.
    pub membership_range: Option<String>,
}

/// One weekly opening window, in the entry's time zone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HoursWindow {
    /// `mon-fri`, `sat`, `mon,wed`.
    pub days: String,
    /// `HH:MM`.
    pub open: String,
    pub close: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OperatingHours {
    /// Staffed around the clock, every day.
    pub always: bool,
    /// IANA time zone, e.g. `America/Mexico_City`.
    pub time_zone: String,
    pub windows: Vec<HoursWindow>,
    pub description: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EmergencyContact {
    pub phone: Option<String>,
    pub email: Option<String>,
    pub description: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChannelKind {
    Email,
    Web,
    Phone,
    Api,
}

/// How the public or constituents report an incident.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportingChannel {
    pub channel: ChannelKind,
    pub address: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Affiliation {
    /// `FIRST`, `LAC-CSIRTs`, `CERT/CC`, `TF-CSIRT`…
    pub name: String,
    /// `full-member`, `liaison`, `member`, `partner`…
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub membership: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Certification {
    /// `TF-CSIRT Trusted Introducer`, `FIRST`, `SIM3`, a national scheme…
    pub scheme: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
    /// `YYYY-MM-DD`.
    pub date: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiry: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Funding {
    /// `government-budget`, `regulator-levy`, `membership-fees`, `donor`…
    pub mechanism: String,
    pub source: Option<String>,
    /// `stable`, `uncertain`, `project-based`.
    pub stability: Option<String>,
}

/// A law-enforcement person or body (C-146 to C-149).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LawContact {
    pub name: String,
    pub unit: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    /// C-149: a person on call with technical knowledge and knowledge of
    /// domestic law and procedure.
    pub qualified: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Authority {
    pub name: String,
    /// `investigation`, `prosecution` or both.
    pub roles: Vec<String>,
    pub contact: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LawEnforcement {
    /// Membership of the 24/7 High Tech Crime Network (REMJA / G8).
    pub network_247_member: bool,
    /// The country's 24/7 cybercrime contact.
    pub contact_247: Option<LawContact>,
    /// Authorities that investigate and prosecute cybercrime.
    pub authorities: Vec<Authority>,
    /// How the national CSIRT and its law-enforcement counterpart work
    /// together (referrals, liaison officer, agreement).
    pub liaison: Option<String>,
}

/// A self-declared answer to one minimum-standards item.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Attestation {
    pub met: bool,
    pub evidence: Option<String>,
    pub date: Option<String>,
}

/// One team's directory entry.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DirectoryEntry {
    /// The team's identity id; also the entry's STIX `identity` id.
    pub team: String,
    /// The national team whose node publishes (and alone may change) it.
    pub node: String,
    pub kind: TeamKind,
    pub short_name: String,
    pub official_name: String,
    /// ISO 3166-1 alpha-2.
    pub country: String,
    pub subregion: Option<String>,
    pub additional_countries: Vec<String>,
    pub parent_organisation: Option<String>,
    pub postal_address: Option<String>,
    pub constituency: Constituency,
    /// FIRST global-irt `cert-type` identifiers.
    pub cert_types: Vec<String>,
    /// `YYYY` or `YYYY-MM-DD`.
    pub established: Option<String>,
    pub staff_size: Option<u32>,
    pub hours: OperatingHours,
    /// ISO 639-1 codes.
    pub languages: Vec<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// The 24/7 contact for alert and warning.
    pub emergency: Option<EmergencyContact>,
    pub pgp_fingerprints: Vec<String>,
    pub websites: Vec<String>,
    pub reporting: Vec<ReportingChannel>,
    pub node_url: Option<String>,
    /// The node's Ed25519 public key, base64, and its fingerprint.
    pub node_key: Option<String>,
    pub node_fingerprint: Option<String>,
    /// FIRST CSIRT Services Framework 2.1 service ids.
    pub services: Vec<String>,
    /// The services this team deems most critical (C-025).
    pub critical_services: Vec<String>,
    pub affiliations: Vec<Affiliation>,
    pub certifications: Vec<Certification>,
    pub designation: Option<Designation>,
    pub maturity: Maturity,
    /// The team takes ownership when no other party exists (C-029).
    pub last_resort: bool,
    pub funding: Option<Funding>,
    /// C-017: exchanging information on threats, weaknesses and incidents;
    /// reporting national status; informing national authorities.
    pub poc_capabilities: Vec<String>,
    pub law_enforcement: Option<LawEnforcement>,
    /// Minimum-standards and trust-attribute answers, by checklist item.
    pub attestations: BTreeMap<String, Attestation>,
    /// Per-field visibility, overriding the defaults.
    pub visibility: BTreeMap<String, Visibility>,
    /// Teams that see restricted fields; empty: this node's peers.
    pub restricted_to: Vec<String>,
}

/// Fields every viewer sees: without them an entry names nobody.
pub const ALWAYS_PUBLIC: [&str; 6] = [
    "team",
    "node",
    "kind",
    "short_name",
    "official_name",
    "country",
];

/// Settings about the entry, never published as fields.
const META: [&str; 2] = ["visibility", "restricted_to"];

/// The visibility a field has unless the entry says otherwise.
pub fn default_visibility(field: &str) -> Visibility {
    match field {
        "staff_size" | "phone" | "node_url" | "node_key" | "node_fingerprint"
        | "postal_address" | "critical_services" | "funding" | "attestations"
        | "poc_capabilities" => Visibility::Network,
        "emergency" | "law_enforcement" => Visibility::Restricted,
        _ => Visibility::Public,
    }
}

pub const CAPABILITIES: [&str; 3] = [
    "exchange-information",
    "report-national-status",
    "inform-authorities",
];

/// The published fields of an entry, grouped by who may read them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Tiers {
    pub public: Map<String, Value>,
    pub network: Map<String, Value>,
    pub restricted: Map<String, Value>,
}

impl Tiers {
    pub fn get(&self, v: Visibility) -> &Map<String, Value> {
        match v {
            Visibility::Public => &self.public,
            Visibility::Network => &self.network,
            Visibility::Restricted => &self.restricted,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EntryError {
    #[error("{field}: {reason}")]
    Invalid { field: String, reason: String },
    #[error("entry is not valid: {0}")]
    Shape(String),
}

fn invalid(field: &str, reason: impl Into<String>) -> EntryError {
    EntryError::Invalid {
        field: field.to_owned(),
        reason: reason.into(),
    }
}

const MAX_TEXT: usize = 4_000;
const MAX_LIST: usize = 200;

impl DirectoryEntry {
    /// Reads an entry from JSON, naming the first unknown or mistyped field.
    pub fn from_json(value: Value) -> Result<Self, EntryError> {
        serde_json::from_value(value).map_err(|e| EntryError::Shape(e.to_string()))
    }

    /// Checks the whole entry; the first problem is named with its field.
    pub fn validate(&self) -> Result<(), EntryError> {
        if !is_identity_id(&self.team) {
            return Err(invalid("team", "must be an identity id (identity--<uuid>)"));
        }
        if !is_identity_id(&self.node) {
            return Err(invalid("node", "must be an identity id (identity--<uuid>)"));
        }
        text("short_name", &self.short_name, true, 100)?;
        text("official_name", &self.official_name, true, 300)?;
        country("country", &self.country)?;
        for c in &self.additional_countries {
            country("additional_countries", c)?;
        }
        list_len("additional_countries", self.additional_countries.len())?;
        opt_text("subregion", &self.subregion)?;
        opt_text("parent_organisation", &self.parent_organisation)?;
        opt_text("postal_address", &self.postal_address)?;
        text(
            "constituency.description",
            &self.constituency.description,
            false,
            MAX_TEXT,
        )?;
        for s in &self.constituency.sectors {
            slug("constituency.sectors", s)?;
        }
        for t in &self.cert_types {
            if !crate::export::CERT_TYPES.iter().any(|(id, _)| id == t) {
                return Err(invalid(
                    "cert_types",
                    format!("{t:?} is not a FIRST global-irt cert-type"),
                ));
            }
        }
        if let Some(e) = &self.established {
            if !(e.len() == 4 && e.bytes().all(|b| b.is_ascii_digit())) {
                date("established", e)?;
            }
        }
        if self.staff_size.is_some_and(|s| s > 100_000) {
            return Err(invalid("staff_size", "is not a plausible head count"));
        }
        self.validate_hours()?;
        for l in &self.languages {
            if !(l.len() == 2 && l.bytes().all(|b| b.is_ascii_lowercase())) {
                return Err(invalid(
                    "languages",
                    format!("{l:?} is not an ISO 639-1 code"),
                ));
            }
        }
        if let Some(e) = &self.email {
            email("email", e)?;
        }
        opt_text("phone", &self.phone)?;
        if let Some(e) = &self.emergency {
            if e.phone.is_none() && e.email.is_none() {
                return Err(invalid("emergency", "needs a phone or an e-mail address"));
            }
            if let Some(m) = &e.email {
                email("emergency.email", m)?;
            }
        }
        for f in &self.pgp_fingerprints {
            let hex = f.trim_start_matches("0x").replace(' ', "");
            if !(hex.len() == 40 || hex.len() == 64) || !hex.bytes().all(|b| b.is_ascii_hexdigit())
            {
                return Err(invalid(
                    "pgp_fingerprints",
                    format!("{f:?} is not an OpenPGP v4 or v6 fingerprint"),
                ));
            }
        }
        for w in &self.websites {
            url("websites", w)?;
        }
        for r in &self.reporting {
            match r.channel {
                ChannelKind::Email => email("reporting", &r.address)?,
                ChannelKind::Web | ChannelKind::Api => url("reporting", &r.address)?,
                ChannelKind::Phone => text("reporting", &r.address, true, 100)?,
            }
        }
        if let Some(u) = &self.node_url {
            url("node_url", u)?;
        }
        for s in self.services.iter().chain(&self.critical_services) {
            if services::find(s).is_none() {
                return Err(invalid(
                    "services",
                    format!("{s:?} is not a FIRST CSIRT Services Framework 2.1 service id"),
                ));
            }
        }
        if let Some(s) = self
            .critical_services
            .iter()
            .find(|s| !self.services.contains(s))
        {
            return Err(invalid(
                "critical_services",
                format!("{s:?} is not among the team's services"),
            ));
        }
        for c in &self.certifications {
            text("certifications.scheme", &c.scheme, true, 200)?;
            date("certifications.date", &c.date)?;
            if let Some(x) = &c.expiry {
                date("certifications.expiry", x)?;
            }
        }
        if let Some(d) = &self.designation {
            text("designation.authority", &d.authority, true, 300)?;
            text("designation.instrument", &d.instrument, true, 300)?;
            date("designation.date", &d.date)?;
        }
        for m in &self.maturity.history {
            date("maturity.history.since", &m.since)?;
        }
        for c in &self.poc_capabilities {
            if !CAPABILITIES.contains(&c.as_str()) {
                return Err(invalid(
                    "poc_capabilities",
                    format!("{c:?} is not one of {}", CAPABILITIES.join(", ")),
                ));
            }
        }
        for (field, v) in &self.visibility {
            if ALWAYS_PUBLIC.contains(&field.as_str()) && *v != Visibility::Public {
                return Err(invalid("visibility", format!("{field} is always public")));
            }
            if !Self::published_fields().contains(&field.as_str()) {
                return Err(invalid("visibility", format!("{field:?} is not a field")));
            }
        }
        for t in &self.restricted_to {
            if !is_identity_id(t) {
                return Err(invalid("restricted_to", format!("{t:?} is not a team id")));
            }
        }
        for (name, len) in [
            ("services", self.services.len()),
            ("websites", self.websites.len()),
            ("reporting", self.reporting.len()),
            ("affiliations", self.affiliations.len()),
            ("certifications", self.certifications.len()),
            ("restricted_to", self.restricted_to.len()),
        ] {
            list_len(name, len)?;
        }
        Ok(())
    }

    fn validate_hours(&self) -> Result<(), EntryError> {
        let h = &self.hours;
        if !h.time_zone.is_empty()
            && !h
                .time_zone
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"/_+-".contains(&b))
        {
            return Err(invalid("hours.time_zone", "is not an IANA time zone name"));
        }
        if !h.windows.is_empty() && h.time_zone.is_empty() {
            return Err(invalid(
                "hours.time_zone",
                "is required with opening windows",
            ));
        }
        for w in &h.windows {
            days(&w.days)?;
            clock("hours.windows.open", &w.open)?;
            clock("hours.windows.close", &w.close)?;
        }
        Ok(())
    }

    /// Every field that is published (all but the visibility settings).
    pub fn published_fields() -> Vec<&'static str> {
        FIELDS
            .iter()
            .copied()
            .filter(|f| !META.contains(f))
            .collect()
    }

    /// The visibility of `field` in this entry.
    pub fn visibility_of(&self, field: &str) -> Visibility {
        if ALWAYS_PUBLIC.contains(&field) {
            return Visibility::Public;
        }
        self.visibility
            .get(field)
            .copied()
            .unwrap_or_else(|| default_visibility(field))
    }

    /// Splits the published fields by visibility; empty fields are left
    /// out so a reader cannot tell "hidden" from "not given".
    pub fn tiers(&self) -> Tiers {
        let mut tiers = Tiers::default();
        let Ok(Value::Object(all)) = serde_json::to_value(self) else {
            return tiers;
        };
        for (field, value) in all {
            if META.contains(&field.as_str()) || is_empty(&value) {
                continue;
            }
            let tier = match self.visibility_of(&field) {
                Visibility::Public => &mut tiers.public,
                Visibility::Network => &mut tiers.network,
                Visibility::Restricted => &mut tiers.restricted,
            };
            tier.insert(field, value);
        }
        tiers
    }

    /// An entry from the tiers a reader holds; fields it may not see are
    /// absent (default).
    pub fn assemble<'a>(
        parts: impl IntoIterator<Item = &'a Map<String, Value>>,
    ) -> Result<Self, EntryError> {
        let mut all = Map::new();
        for p in parts {
            for (k, v) in p {
                if !META.contains(&k.as_str()) {
                    all.insert(k.clone(), v.clone());
                }
            }
        }
        Self::from_json(Value::Object(all))
    }

    /// The designated national contact kind, if any.
    pub fn designated(&self) -> Option<DesignationKind> {
        self.designation.as_ref().map(|d| d.kind)
    }

    /// Staffed around the clock.
    pub fn is_24_7(&self) -> bool {
        self.hours.always
    }
}

/// Serialised field names, in declaration order.
const FIELDS: &[&str] = &[
    "team",
    "node",
    "kind",
    "short_name",
    "official_name",
    "country",
    "subregion",
    "additional_countries",
    "parent_organisation",
    "postal_address",
    "constituency",
    "cert_types",
    "established",
    "staff_size",
    "hours",
    "languages",
    "email",
    "phone",
    "emergency",
    "pgp_fingerprints",
    "websites",
    "reporting",
    "node_url",
    "node_key",
    "node_fingerprint",
    "services",
    "critical_services",
    "affiliations",
    "certifications",
    "designation",
    "maturity",
    "last_resort",
    "funding",
    "poc_capabilities",
    "law_enforcement",
    "attestations",
    "visibility",
    "restricted_to",
];

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.values().all(is_empty),
        Value::Number(_) => false,
    }
}

pub(crate) fn is_identity_id(s: &str) -> bool {
    s.strip_prefix("identity--")
        .is_some_and(|u| u.len() == 36 && uuid::Uuid::parse_str(u).is_ok())
}

fn text(field: &str, s: &str, required: bool, max: usize) -> Result<(), EntryError> {
    if required && s.trim().is_empty() {
        return Err(invalid(field, "is required"));
    }
    if s.chars().count() > max {
        return Err(invalid(field, format!("is longer than {max} characters")));
    }
    if s.chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(invalid(field, "contains control characters"));
    }
    Ok(())
}

fn opt_text(field: &str, s: &Option<String>) -> Result<(), EntryError> {
    s.as_deref()
        .map_or(Ok(()), |s| text(field, s, false, MAX_TEXT))
}

fn list_len(field: &str, n: usize) -> Result<(), EntryError> {
    if n > MAX_LIST {
        return Err(invalid(field, format!("has more than {MAX_LIST} items")));
    }
    Ok(())
}

fn country(field: &str, c: &str) -> Result<(), EntryError> {
    if c.len() == 2 && c.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(())
    } else {
        Err(invalid(
            field,
            format!("{c:?} is not an ISO 3166-1 alpha-2 code"),
        ))
    }
}

fn slug(field: &str, s: &str) -> Result<(), EntryError> {
    if !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        Ok(())
    } else {
        Err(invalid(
            field,
            format!("{s:?} must be lowercase letters, digits and hyphens"),
        ))
    }
}

pub fn parse_date(s: &str) -> Option<time::Date> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(s, &format).ok()
}

fn date(field: &str, s: &str) -> Result<(), EntryError> {
    parse_date(s)
        .map(|_| ())
        .ok_or_else(|| invalid(field, format!("{s:?} is not a date (YYYY-MM-DD)")))
}

fn email(field: &str, s: &str) -> Result<(), EntryError> {
    let ok = s.len() <= 254
        && s.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.starts_with('.')
        })
        && !s.chars().any(char::is_whitespace);
    if ok {
        Ok(())
    } else {
        Err(invalid(field, format!("{s:?} is not an e-mail address")))
    }
}

fn url(field: &str, s: &str) -> Result<(), EntryError> {
    let ok = (s.starts_with("https://") || s.starts_with("http://"))
        && s.len() <= 2_000
        && !s.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok {
        Ok(())
    } else {
        Err(invalid(field, format!("{s:?} is not an http(s) URL")))
    }
}

fn clock(field: &str, s: &str) -> Result<(), EntryError> {
    let ok = s.len() == 5
        && s.as_bytes()[2] == b':'
        && s[..2].parse::<u8>().is_ok_and(|h| h <= 24)
        && s[3..].parse::<u8>().is_ok_and(|m| m < 60);
    if ok {
        Ok(())
    } else {
        Err(invalid(field, format!("{s:?} is not a time (HH:MM)")))
    }
}

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

fn days(s: &str) -> Result<(), EntryError> {
    let ok = s.split(',').all(|part| match part.split_once('-') {
        Some((a, b)) => DAYS.contains(&a) && DAYS.contains(&b),
        None => DAYS.contains(&part),
    });
    if ok {
        Ok(())
    } else {
        Err(invalid(
            "hours.windows.days",
            format!("{s:?}: use mon..sun, ranges (mon-fri) and commas"),
        ))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn sample() -> DirectoryEntry {
        DirectoryEntry {
            team: "identity--11111111-1111-4111-8111-111111111111".into(),
            node: "identity--11111111-1111-4111-8111-111111111111".into(),
            kind: TeamKind::NationalCsirt,
            short_name: "CSIRT-MX".into(),
            official_name: "CSIRT Mexico".into(),
            country: "MX".into(),
            subregion: Some("North America".into()),
            constituency: Constituency {
                description: "Federal government and critical infrastructure".into(),
                sectors: vec!["government".into(), "energy".into()],
                membership_range: None,
            },
            cert_types: vec!["national".into()],
            established: Some("2010".into()),
            staff_size: Some(12),
            hours: OperatingHours {
                always: true,
                time_zone: "America/Mexico_City".into(),
                ..Default::default()
            },
            languages: vec!["es".into(), "en".into()],
            email: Some("incidentes@csirt.example.mx".into()),
            phone: Some("+52 55 0000 0000".into()),
            emergency: Some(EmergencyContact {
                phone: Some("+52 55 1111 1111".into()),
                ..Default::default()
            }),
            services: vec!["incident-management/incident-coordination".into()],
            designation: Some(Designation {
                kind: DesignationKind::NationalCsirt,
                authority: "Secretaría de Seguridad".into(),
                instrument: "Acuerdo 1/2010".into(),
                date: "2010-05-01".into(),
            }),
            law_enforcement: Some(LawEnforcement {
                network_247_member: true,
                liaison: Some("Policía Cibernética liaison officer".into()),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn the_field_list_matches_the_struct() {
        let Value::Object(all) = serde_json::to_value(DirectoryEntry::default()).expect("json")
        else {
            panic!("not an object")
        };
        let names: Vec<&str> = all.keys().map(String::as_str).collect();
        let mut listed = FIELDS.to_vec();
        listed.sort_unstable();
        let mut names = names;
        names.sort_unstable();
        assert_eq!(names, listed);
    }

    #[test]
    fn the_sample_is_valid() {
        sample().validate().expect("valid");
    }

    #[test]
    fn fields_are_split_by_their_visibility() {
        let tiers = sample().tiers();
        assert!(tiers.public.contains_key("designation"));
        assert!(tiers.public.contains_key("email"));
        assert!(tiers.network.contains_key("phone"));
        assert!(tiers.network.contains_key("staff_size"));
        assert!(tiers.restricted.contains_key("emergency"));
        assert!(tiers.restricted.contains_key("law_enforcement"));
        assert!(!tiers.public.contains_key("visibility"));
        // Empty fields are not published anywhere.
        assert!(!tiers.public.contains_key("websites"));
    }

    #[test]
    fn an_override_moves_a_field_and_reassembly_restores_the_entry() {
        let mut e = sample();
        e.visibility.insert("phone".into(), Visibility::Public);
        e.validate().expect("valid");
        let tiers = e.tiers();
        assert!(tiers.public.contains_key("phone"));
        let whole = DirectoryEntry::assemble([&tiers.public, &tiers.network, &tiers.restricted])
            .expect("assembles");
        let mut expected = e.clone();
        expected.visibility.clear();
        assert_eq!(whole, expected);
        let public = DirectoryEntry::assemble([&tiers.public]).expect("assembles");
        assert_eq!(public.emergency, None);
        assert_eq!(public.staff_size, None);
        assert_eq!(public.phone.as_deref(), Some("+52 55 0000 0000"));
    }

    #[test]
    fn identity_fields_cannot_be_hidden() {
        let mut e = sample();
        e.visibility
            .insert("country".into(), Visibility::Restricted);
        let err = e.validate().expect_err("refused");
        assert_eq!(err.to_string(), "visibility: country is always public");
    }

    #[test]
    fn bad_fields_are_named() {
        type Edit = fn(&mut DirectoryEntry);
        let cases: Vec<(Edit, &str)> = vec![
            (|e| e.country = "Mexico".into(), "country"),
            (|e| e.email = Some("nobody".into()), "email"),
            (|e| e.services.push("coffee".into()), "services"),
            (|e| e.cert_types.push("army".into()), "cert_types"),
            (|e| e.languages.push("spanish".into()), "languages"),
            (
                |e| e.pgp_fingerprints.push("0x1234".into()),
                "pgp_fingerprints",
            ),
            (
                |e| {
                    e.hours.windows.push(HoursWindow {
                        days: "weekdays".into(),
                        open: "09:00".into(),
                        close: "17:00".into(),
                    })
                },
                "hours.windows.days",
            ),
            (
                |e| {
                    e.critical_services
                        .push("vulnerability-management/vulnerability-disclosure".into())
                },
                "critical_services",
            ),
        ];
        for (edit, field) in cases {
            let mut e = sample();
            edit(&mut e);
            match e.validate() {
                Err(EntryError::Invalid { field: f, .. }) => assert_eq!(f, field),
                other => panic!("{field}: expected an error, got {other:?}"),
            }
        }
    }

    #[test]
    fn unknown_fields_are_refused_by_name() {
        let err = DirectoryEntry::from_json(serde_json::json!({"team": "x", "colour": "red"}))
            .expect_err("refused");
        assert!(err.to_string().contains("colour"), "{err}");
    }
}
