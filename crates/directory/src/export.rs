//! Exports: FIRST global-irt JSON, RFC 2350 and RFC 9116 `security.txt`.
//!
//! Every export shows only what the entry it is given holds. Pass the
//! entry as its reader may see it (built with `DirectoryEntry::assemble`
//! from the tiers the reader holds) and nothing hidden leaks out; empty
//! fields are left out or written as "Not published.".

use serde_json::{Map, Value};
use time::format_description::well_known::Rfc3339;

use crate::entry::{ChannelKind, DesignationKind, DirectoryEntry, OperatingHours, TeamKind};
use crate::services;

/// FIRST global-irt `cert-types/latest.json`: (identifier, description).
pub const CERT_TYPES: [(&str, &str); 10] = [
    (
        "NREN",
        "academic CSIRT, national research and education network NREN",
    ),
    ("PSIRT", "Product CSIRT"),
    ("national", "CSIRT with a core national responsibility"),
    (
        "national-responsibility",
        "CSIRT with one or more national responsibilities mandated",
    ),
    (
        "sector",
        "Sector CSIRT (for example Energy sector or other critical infrastructures)",
    ),
    ("government", "Government CSIRT"),
    (
        "enterprise",
        "Internal CSIRT to an enterprise dealing with the IT security internally",
    ),
    ("PIRT", "Privacy Incident Response Team"),
    ("publicly-funded", "CSIRT where primarily funding is public"),
    ("commercial", "Commercial CSIRT services"),
];

/// The `source-name` vigia gives itself in global-irt exports.
pub const SOURCE_NAME: &str = "vigia";

/// The prefix of vigia's own global-irt properties: api.md asks that
/// application-specific properties start with `-[repository code]`.
pub const PROPERTY_PREFIX: &str = "-vigia-";

/// Why an export could not be produced; the message names what to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExportError {
    /// The entry lacks something the format requires (e.g. a contact).
    #[error("{0}")]
    Missing(String),
    /// An argument is not in the form the format requires.
    #[error("{0}")]
    Invalid(String),
}

/// The entries as a FIRST global-irt team list (api.md `GET /teams`): one
/// object per entry, empty values omitted, vigia's own properties
/// prefixed with `-vigia-`.
pub fn global_irt(entries: &[DirectoryEntry], last_modified: &str) -> Value {
    Value::Array(
        entries
            .iter()
            .map(|e| Value::Object(irt_team(e, last_modified)))
            .collect(),
    )
}

fn irt_team(e: &DirectoryEntry, last_modified: &str) -> Map<String, Value> {
    let mut m = Map::new();
    put_str(&mut m, "short-team-name", &e.short_name);
    put_str(&mut m, "official-team-name", &e.official_name);
    if let Some(p) = &e.parent_organisation {
        // `host` is api.md's name (v1), `parent-organisation` the v2
        // example's; readers of either find it.
        put_str(&mut m, "parent-organisation", p);
        put_str(&mut m, "host", p);
    }
    put_opt(&mut m, "postal-address", &e.postal_address);
    put_str(&mut m, "country-code", &e.country);
    put_list(&mut m, "additional-country-code", &e.additional_countries);
    put_list(&mut m, "website", &e.websites);
    put_opt(&mut m, "email", &e.email);
    put_opt(&mut m, "establishment", &e.established);
    put_list(&mut m, "phone-numbers", &phone_numbers(e));
    let keys: Vec<String> = e
        .pgp_fingerprints
        .iter()
        .filter_map(|f| fingerprint_hex(f))
        .map(|h| format!("0x{}", h.to_ascii_uppercase()))
        .collect();
    put_list(&mut m, "enckeys", &keys);
    put_opt(&mut m, "operating-hours", &hours_text(&e.hours));
    put_str(&mut m, "constituency", &e.constituency.sectors.join(", "));
    put_str(
        &mut m,
        "constituency-description",
        &e.constituency.description,
    );
    put_list(&mut m, "cert-type", &e.cert_types);
    put_list(&mut m, "languages", &e.languages);
    put_str(&mut m, "source-name", SOURCE_NAME);
    put_str(&mut m, "last-modified", last_modified);

    let mut v = |key: &str, value: Value| put(&mut m, &format!("{PROPERTY_PREFIX}{key}"), value);
    v("team-id", Value::String(e.team.clone()));
    v("node", Value::String(e.node.clone()));
    v("kind", Value::String(e.kind.as_str().to_owned()));
    v("subregion", opt_value(&e.subregion));
    v(
        "membership-range",
        opt_value(&e.constituency.membership_range),
    );
    v("designation", to_value(&e.designation));
    v("services", to_value(&e.services));
    v("critical-services", to_value(&e.critical_services));
    v("last-resort", Value::Bool(e.last_resort));
    v("node-url", opt_value(&e.node_url));
    v("reporting", to_value(&e.reporting));
    v("affiliations", to_value(&e.affiliations));
    v("certifications", to_value(&e.certifications));
    v("maturity", to_value(&e.maturity.stage));
    v(
        "emergency-email",
        opt_value(&e.emergency.as_ref().and_then(|x| x.email.clone())),
    );
    m
}

fn to_value<T: serde::Serialize>(t: &T) -> Value {
    serde_json::to_value(t).unwrap_or(Value::Null)
}

fn opt_value(s: &Option<String>) -> Value {
    s.as_ref().map_or(Value::Null, |s| Value::String(s.clone()))
}

/// Inserts `value` unless it is empty (api.md: "Empty values are omitted").
fn put(m: &mut Map<String, Value>, key: &str, value: Value) {
    if !blank(&value) {
        m.insert(key.to_owned(), value);
    }
}

fn put_str(m: &mut Map<String, Value>, key: &str, s: &str) {
    put(m, key, Value::String(s.trim().to_owned()));
}

fn put_opt(m: &mut Map<String, Value>, key: &str, s: &Option<String>) {
    if let Some(s) = s {
        put_str(m, key, s);
    }
}

fn put_list(m: &mut Map<String, Value>, key: &str, items: &[String]) {
    let items: Vec<Value> = items
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .map(|s| Value::String(s.to_owned()))
        .collect();
    put(m, key, Value::Array(items));
}

fn blank(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::String(s) => s.trim().is_empty(),
        Value::Array(a) => a.iter().all(blank),
        Value::Object(o) => o.values().all(blank),
        Value::Number(_) => false,
    }
}

/// The team's phone and, when the entry holds it, its emergency phone.
fn phone_numbers(e: &DirectoryEntry) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let emergency = e.emergency.as_ref().and_then(|x| x.phone.as_ref());
    for p in e.phone.iter().chain(emergency) {
        let p = p.trim();
        if !p.is_empty() && !out.iter().any(|o| o == p) {
            out.push(p.to_owned());
        }
    }
    out
}

/// An OpenPGP v4 or v6 fingerprint as bare hex, or `None` if it is not one.
fn fingerprint_hex(f: &str) -> Option<String> {
    let f = f.trim();
    let f = f
        .strip_prefix("0x")
        .or_else(|| f.strip_prefix("0X"))
        .unwrap_or(f);
    let hex: String = f.chars().filter(|c| !c.is_whitespace()).collect();
    let ok = (hex.len() == 40 || hex.len() == 64) && hex.bytes().all(|b| b.is_ascii_hexdigit());
    ok.then_some(hex)
}

/// Operating hours as free text: "24/7" when always staffed, otherwise
/// the weekly windows with their time zone and the description.
pub fn hours_text(h: &OperatingHours) -> Option<String> {
    if h.always {
        return Some("24/7".to_owned());
    }
    let windows: Vec<String> = h
        .windows
        .iter()
        .map(|w| format!("{} {}-{}", days_text(&w.days), w.open, w.close))
        .collect();
    let mut text = windows.join(", ");
    if !text.is_empty() && !h.time_zone.trim().is_empty() {
        text = format!("{text} ({})", h.time_zone.trim());
    }
    if let Some(d) = h.description.as_deref().map(str::trim) {
        if !d.is_empty() {
            text = if text.is_empty() {
                d.to_owned()
            } else {
                format!("{text}; {d}")
            };
        }
    }
    (!text.is_empty()).then_some(text)
}

/// `mon-fri,sat` → `Mon-Fri, Sat`.
fn days_text(days: &str) -> String {
    days.split(',')
        .map(|part| {
            part.trim()
                .split('-')
                .map(capitalise)
                .collect::<Vec<_>>()
                .join("-")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    chars.next().map_or_else(String::new, |c| {
        c.to_uppercase().chain(chars).collect::<String>()
    })
}

const NOT_PUBLISHED: &str = "Not published.";

/// A plain-text document being written, section by section.
struct Doc(String);

impl Doc {
    fn heading(&mut self, title: &str) {
        self.0.push('\n');
        self.0.push_str(title);
        self.0.push('\n');
    }

    /// A section: its heading and its body, indented, or "Not published."
    /// when there is nothing to say.
    fn section(&mut self, title: &str, body: &[String]) {
        self.heading(title);
        self.0.push('\n');
        let mut any = false;
        for para in body {
            for line in para.lines() {
                let line = line.trim_end();
                if line.is_empty() {
                    continue;
                }
                any = true;
                self.0.push_str("   ");
                self.0.push_str(&line.replace(char::is_control, " "));
                self.0.push('\n');
            }
        }
        if !any {
            self.0.push_str("   ");
            self.0.push_str(NOT_PUBLISHED);
            self.0.push('\n');
        }
    }
}

fn some(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// The team's name as it should appear in prose.
fn display_name(e: &DirectoryEntry) -> String {
    let short = e.short_name.trim();
    let official = e.official_name.trim();
    match (short.is_empty(), official.is_empty()) {
        (false, _) => short.to_owned(),
        (true, false) => official.to_owned(),
        (true, true) => "The team".to_owned(),
    }
}

/// An RFC 2350 description of the team, in the RFC's template order
/// (Appendix D): what a constituent or a peer needs to know to reach the
/// team and to know what to expect of it.
pub fn rfc2350(entry: &DirectoryEntry, updated: &str) -> String {
    let e = entry;
    let name = display_name(e);
    let mut d = Doc(String::new());
    d.0.push_str(&format!(
        "Expectations for Computer Security Incident Response (RFC 2350): {}\n",
        name.replace(char::is_control, " ")
    ));

    d.heading("1. Document Information");
    d.section("1.1 Date of Last Update", &[updated.trim().to_owned()]);
    d.section("1.2 Distribution List for Notifications", &[]);
    let mut locations = vec![
        "This document is generated from the team's entry in the network's directory (vigia)."
            .to_owned(),
    ];
    locations.extend(e.websites.iter().map(|w| format!("Website: {w}")));
    d.section("1.3 Locations where this Document May Be Found", &locations);

    d.heading("2. Contact Information");
    let team_name = match (e.official_name.trim(), e.short_name.trim()) {
        ("", "") => String::new(),
        (o, "") => o.to_owned(),
        ("", s) => s.to_owned(),
        (o, s) if o == s => o.to_owned(),
        (o, s) => format!("{o} ({s})"),
    };
    d.section("2.1 Name of the Team", &[team_name]);
    d.section(
        "2.2 Address",
        &some(&e.postal_address)
            .map(str::to_owned)
            .into_iter()
            .collect::<Vec<_>>(),
    );
    d.section("2.3 Time Zone", &[e.hours.time_zone.trim().to_owned()]);
    let emergency = e.emergency.as_ref();
    let mut phones: Vec<String> = some(&e.phone).map(str::to_owned).into_iter().collect();
    if let Some(p) = emergency.and_then(|x| some(&x.phone)) {
        phones.push(format!("{p} (emergency)"));
    }
    d.section("2.4 Telephone Number", &phones);
    d.section("2.5 Facsimile Number", &[]);
    let apis: Vec<String> = e
        .reporting
        .iter()
        .filter(|r| r.channel == ChannelKind::Api)
        .map(|r| format!("API: {}", r.address))
        .collect();
    d.section("2.6 Other Telecommunication", &apis);
    let mut mails: Vec<String> = some(&e.email).map(str::to_owned).into_iter().collect();
    if let Some(m) = emergency.and_then(|x| some(&x.email)) {
        mails.push(format!("{m} (emergency)"));
    }
    d.section("2.7 Electronic Mail Address", &mails);
    let keys: Vec<String> = e
        .pgp_fingerprints
        .iter()
        .map(|f| {
            let shown = fingerprint_hex(f).map_or_else(|| f.trim().to_owned(), |h| grouped(&h));
            format!("PGP key fingerprint: {shown}")
        })
        .collect();
    d.section("2.8 Public Keys and Encryption Information", &keys);
    d.section(
        "2.9 Team Members",
        &e.staff_size
            .map(|n| format!("The team has {n} staff members; their names are not published."))
            .into_iter()
            .collect::<Vec<_>>(),
    );
    d.section("2.10 Other Information", &other_information(e));
    d.section("2.11 Points of Customer Contact", &customer_contact(e));

    d.heading("3. Charter");
    d.section("3.1 Mission Statement", &[]);
    d.section("3.2 Constituency", &constituency(e));
    d.section("3.3 Sponsorship and/or Affiliation", &sponsorship(e));
    let authority: Vec<String> = e
        .designation
        .iter()
        .map(|x| {
            let role = match x.kind {
                DesignationKind::NationalCsirt => "the national CSIRT",
                DesignationKind::NationalPoc => "the national point of contact",
            };
            format!(
                "Designated as {role} of {} by {}, under {}, on {}.",
                e.country, x.authority, x.instrument, x.date
            )
        })
        .collect();
    d.section("3.4 Authority", &authority);

    d.heading("4. Policies");
    let mut support = Vec::new();
    if e.services
        .iter()
        .any(|s| s.starts_with("incident-management/"))
    {
        support.push("The team's incident-handling services are listed in section 5.".to_owned());
    }
    if let Some(h) = hours_text(&e.hours) {
        support.push(format!("Operating hours: {h}."));
    }
    d.section("4.1 Types of Incidents and Level of Support", &support);
    d.section(
        "4.2 Co-operation, Interaction and Disclosure of Information",
        &cooperation(e),
    );
    let auth: Vec<String> = if e.pgp_fingerprints.is_empty() {
        Vec::new()
    } else {
        vec![
            "E-mail to the team may be encrypted and signed with the PGP key(s) in section 2.8."
                .to_owned(),
        ]
    };
    d.section("4.3 Communication and Authentication", &auth);

    write_services(&mut d, e);

    let channels: Vec<String> = e
        .reporting
        .iter()
        .map(|r| {
            let kind = match r.channel {
                ChannelKind::Email => "E-mail",
                ChannelKind::Web => "Web form",
                ChannelKind::Phone => "Telephone",
                ChannelKind::Api => "API",
            };
            match some(&r.description) {
                Some(desc) => format!("- {kind}: {} ({desc})", r.address),
                None => format!("- {kind}: {}", r.address),
            }
        })
        .collect();
    d.section("6. Incident Reporting Forms", &channels);
    d.section(
        "7. Disclaimers",
        &[format!(
            "{name} takes care in preparing information, notifications and alerts, but accepts \
             no responsibility for errors or omissions, or for damage resulting from their use."
        )],
    );
    d.0
}

/// `ABCD1234…` → `ABCD 1234 …`.
fn grouped(hex: &str) -> String {
    hex.to_ascii_uppercase()
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

fn kind_text(k: TeamKind) -> &'static str {
    match k {
        TeamKind::NationalCsirt => "national CSIRT",
        TeamKind::Sector => "sector CSIRT",
        TeamKind::Government => "government CSIRT",
        TeamKind::Academic => "academic CSIRT",
        TeamKind::Private => "private CSIRT",
        TeamKind::Secretariat => "network secretariat",
    }
}

fn other_information(e: &DirectoryEntry) -> Vec<String> {
    let mut out = vec![format!("Kind of team: {}.", kind_text(e.kind))];
    for t in &e.cert_types {
        let desc = CERT_TYPES
            .iter()
            .find(|(id, _)| id == t)
            .map_or(t.as_str(), |(_, d)| d);
        out.push(format!("Type: {desc} ({t})."));
    }
    if let Some(x) = some(&e.established) {
        out.push(format!("Established: {x}."));
    }
    if !e.languages.is_empty() {
        out.push(format!("Languages: {}.", e.languages.join(", ")));
    }
    if let Some(stage) = e.maturity.stage {
        let s = match stage {
            crate::entry::MaturityStage::PocOnly => "point of contact only",
            crate::entry::MaturityStage::BeingEstablished => "being established",
            crate::entry::MaturityStage::Operational => "operational",
        };
        out.push(format!("Maturity: {s}."));
    }
    if e.last_resort {
        out.push(
            "CSIRT of last resort: the team takes ownership of incidents when no other party exists."
                .to_owned(),
        );
    }
    out
}

fn customer_contact(e: &DirectoryEntry) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(m) = some(&e.email) {
        out.push(format!(
            "The preferred method for contacting the team is e-mail to {m}."
        ));
    } else if let Some(r) = e.reporting.first() {
        out.push(format!(
            "The preferred method for contacting the team is {}.",
            r.address
        ));
    }
    if let Some(h) = hours_text(&e.hours) {
        out.push(format!("Operating hours: {h}."));
    }
    if let Some(x) = &e.emergency {
        let how: Vec<&str> = [some(&x.phone), some(&x.email)]
            .into_iter()
            .flatten()
            .collect();
        if !how.is_empty() {
            out.push(format!("In an emergency: {}.", how.join(", ")));
        }
        if let Some(desc) = some(&x.description) {
            out.push(desc.to_owned());
        }
    }
    out
}

fn constituency(e: &DirectoryEntry) -> Vec<String> {
    let c = &e.constituency;
    let mut out = Vec::new();
    if !c.description.trim().is_empty() {
        out.push(c.description.trim().to_owned());
    }
    if !c.sectors.is_empty() {
        out.push(format!("Sectors: {}.", c.sectors.join(", ")));
    }
    if let Some(r) = some(&c.membership_range) {
        out.push(format!("Membership range: {r}."));
    }
    let countries: Vec<&str> = std::iter::once(e.country.as_str())
        .chain(e.additional_countries.iter().map(String::as_str))
        .filter(|c| !c.trim().is_empty())
        .collect();
    if !countries.is_empty() {
        out.push(format!("Countries: {}.", countries.join(", ")));
    }
    out
}

fn sponsorship(e: &DirectoryEntry) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(p) = some(&e.parent_organisation) {
        out.push(format!("Parent organisation: {p}."));
    }
    if let Some(f) = &e.funding {
        if !f.mechanism.trim().is_empty() {
            let source = some(&f.source)
                .map(|s| format!(" ({s})"))
                .unwrap_or_default();
            out.push(format!("Funding: {}{source}.", f.mechanism.trim()));
        }
    }
    if !e.affiliations.is_empty() {
        out.push("Affiliations:".to_owned());
        for a in &e.affiliations {
            let mut detail: Vec<String> = a.membership.iter().cloned().collect();
            if let Some(s) = &a.since {
                detail.push(format!("since {s}"));
            }
            out.push(if detail.is_empty() {
                format!("- {}", a.name)
            } else {
                format!("- {} ({})", a.name, detail.join(", "))
            });
        }
    }
    if !e.certifications.is_empty() {
        out.push("Certifications:".to_owned());
        for c in &e.certifications {
            let level = c
                .level
                .as_ref()
                .map(|l| format!(" {l}"))
                .unwrap_or_default();
            let expiry = c
                .expiry
                .as_ref()
                .map(|x| format!(", expires {x}"))
                .unwrap_or_default();
            out.push(format!("- {}{level}: {}{expiry}", c.scheme, c.date));
        }
    }
    out
}

fn cooperation(e: &DirectoryEntry) -> Vec<String> {
    let mut out = Vec::new();
    for c in &e.poc_capabilities {
        out.push(
            match c.as_str() {
                "exchange-information" => {
                    "The team exchanges information on threats, weaknesses \
                                           and incidents with the other teams of the network."
                }
                "report-national-status" => {
                    "The team reports its country's national status to \
                                             the network."
                }
                "inform-authorities" => "The team informs the national authorities.",
                other => other,
            }
            .to_owned(),
        );
    }
    if let Some(l) = e.law_enforcement.as_ref().and_then(|l| some(&l.liaison)) {
        out.push(format!("Law enforcement: {l}"));
    }
    out
}

/// Section 5: the team's services, grouped by FIRST CSIRT Services
/// Framework area in the framework's order; unknown ids come last.
fn write_services(d: &mut Doc, e: &DirectoryEntry) {
    d.heading("5. Services");
    let mut n = 0;
    for area in &services::AREAS {
        let names: Vec<String> = area
            .services
            .iter()
            .filter(|(id, _)| e.services.contains(&format!("{}/{id}", area.id)))
            .map(|(id, name)| {
                let critical = e.critical_services.contains(&format!("{}/{id}", area.id));
                format!("- {name}{}", if critical { " (critical)" } else { "" })
            })
            .collect();
        if !names.is_empty() {
            n += 1;
            d.section(&format!("5.{n} {}", area.name), &names);
        }
    }
    let unknown: Vec<String> = e
        .services
        .iter()
        .filter(|s| services::find(s).is_none())
        .map(|s| format!("- {s}"))
        .collect();
    if !unknown.is_empty() {
        n += 1;
        d.section(&format!("5.{n} Other services"), &unknown);
    }
    if n == 0 {
        d.0.push('\n');
        d.0.push_str("   ");
        d.0.push_str(NOT_PUBLISHED);
        d.0.push('\n');
    }
}

/// An RFC 9116 `security.txt` for the team (unsigned): where to report a
/// vulnerability, in the team's order of preference.
///
/// Errors: [`ExportError::Missing`] when the entry has no usable contact,
/// [`ExportError::Invalid`] when `expires` is not an RFC 3339 date-time or
/// `canonical` is not an `https://` URL.
pub fn security_txt(
    entry: &DirectoryEntry,
    expires: &str,
    canonical: Option<&str>,
) -> Result<String, ExportError> {
    let expires = expires.trim();
    if time::OffsetDateTime::parse(expires, &Rfc3339).is_err() {
        return Err(ExportError::Invalid(format!(
            "expires {expires:?} is not an RFC 3339 date-time (e.g. 2026-12-31T23:59:59Z)"
        )));
    }
    let canonical = canonical.map(str::trim);
    if let Some(c) = canonical {
        if !(c.starts_with("https://") && c.len() > 8 && uri_safe(c)) {
            return Err(ExportError::Invalid(format!(
                "canonical {c:?} is not an https:// URL"
            )));
        }
    }

    let mut contacts: Vec<String> = Vec::new();
    let mut add = |uri: Option<String>| {
        if let Some(uri) = uri {
            if !contacts.contains(&uri) {
                contacts.push(uri);
            }
        }
    };
    for r in &entry.reporting {
        add(match r.channel {
            ChannelKind::Email => mailto(&r.address),
            ChannelKind::Phone => tel(&r.address),
            ChannelKind::Web => https(&r.address),
            // An API is for machines, not a place for a finder to write.
            ChannelKind::Api => None,
        });
    }
    if let Some(m) = &entry.email {
        add(mailto(m));
    }
    if contacts.is_empty() {
        return Err(ExportError::Missing(format!(
            "{} has no contact for security.txt: add an e-mail address or a reporting channel",
            display_name(entry)
        )));
    }

    let mut out = String::new();
    for c in &contacts {
        out.push_str(&format!("Contact: {c}\n"));
    }
    out.push_str(&format!("Expires: {expires}\n"));
    for f in &entry.pgp_fingerprints {
        if let Some(h) = fingerprint_hex(f) {
            out.push_str(&format!(
                "Encryption: openpgp4fpr:{}\n",
                h.to_ascii_lowercase()
            ));
        }
    }
    let languages: Vec<&str> = entry
        .languages
        .iter()
        .map(|l| l.trim())
        .filter(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        .collect();
    if !languages.is_empty() {
        out.push_str(&format!("Preferred-Languages: {}\n", languages.join(", ")));
    }
    if let Some(c) = canonical {
        out.push_str(&format!("Canonical: {c}\n"));
    }
    Ok(out)
}

/// No spaces or control characters, which would break a field line.
fn uri_safe(s: &str) -> bool {
    !s.is_empty() && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

fn mailto(address: &str) -> Option<String> {
    let a = address.trim();
    (uri_safe(a) && a.contains('@')).then(|| format!("mailto:{a}"))
}

/// `+52 55 1234 5678` → `tel:+525512345678`; a number with anything but
/// digits and visual separators is left out rather than mangled.
fn tel(number: &str) -> Option<String> {
    let n: String = number.chars().filter(|c| !c.is_whitespace()).collect();
    let digits = n.strip_prefix('+').unwrap_or(&n);
    let ok = digits.bytes().any(|b| b.is_ascii_digit())
        && digits
            .bytes()
            .all(|b| b.is_ascii_digit() || b"-.()".contains(&b));
    ok.then(|| format!("tel:{n}"))
}

fn https(url: &str) -> Option<String> {
    let u = url.trim();
    (u.starts_with("https://") && u.len() > 8 && uri_safe(u)).then(|| u.to_owned())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use serde_json::json;

    use super::*;
    use crate::entry::tests::sample;
    use crate::entry::{
        Affiliation, Certification, EmergencyContact, HoursWindow, ReportingChannel,
    };

    const FPR: &str = "CA572205C0024E06BA70BE89EAADCFFC22BD4CD5";

    /// The sample entry with every exported field filled in.
    fn full() -> DirectoryEntry {
        let mut e = sample();
        e.parent_organisation = Some("Secretaría de Seguridad".into());
        e.postal_address = Some("Av. Reforma 1\nCiudad de México".into());
        e.additional_countries = vec!["BZ".into()];
        e.websites = vec!["https://csirt.example.mx/".into()];
        e.pgp_fingerprints = vec![format!("0x{}", FPR.to_ascii_lowercase())];
        e.emergency = Some(EmergencyContact {
            phone: Some("+52 55 1111 1111".into()),
            email: Some("urgente@csirt.example.mx".into()),
            description: None,
        });
        e.reporting = vec![
            ReportingChannel {
                channel: ChannelKind::Web,
                address: "https://csirt.example.mx/reportar".into(),
                description: Some("form".into()),
            },
            ReportingChannel {
                channel: ChannelKind::Phone,
                address: "+52 55 2222 2222".into(),
                description: None,
            },
            ReportingChannel {
                channel: ChannelKind::Email,
                address: "incidentes@csirt.example.mx".into(),
                description: None,
            },
        ];
        e.node_url = Some("https://nodo.csirt.example.mx".into());
        e.services = vec![
            "incident-management/incident-coordination".into(),
            "incident-management/incident-report-acceptance".into(),
            "knowledge-transfer/awareness-building".into(),
        ];
        e.affiliations = vec![Affiliation {
            name: "FIRST".into(),
            membership: Some("full-member".into()),
            since: Some("2012".into()),
        }];
        e.certifications = vec![Certification {
            scheme: "SIM3".into(),
            level: None,
            date: "2020-01-01".into(),
            expiry: Some("2026-01-01".into()),
        }];
        e.last_resort = true;
        e.validate().expect("the full sample is valid");
        e
    }

    /// api.md's `GET /teams` property table (global-irt v1).
    const API_MD_PROPERTIES: [&str; 17] = [
        "short-team-name",
        "official-team-name",
        "postal-address",
        "country-code",
        "additional-country-code",
        "website",
        "email",
        "host",
        "establishment",
        "phone-numbers",
        "enckeys",
        "operating-hours",
        "constituency",
        "constituency-code",
        "constituency-description",
        "source-name",
        "last-modified",
    ];

    #[test]
    fn global_irt_keys_are_those_of_the_format() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/data/global-irt/examples/singleTeam.json"
        ))
        .expect("../shared/data/global-irt is beside the repository");
        let example: Value = serde_json::from_str(&text).expect("example is JSON");
        let mut known: BTreeSet<String> = example[0]
            .as_object()
            .expect("a team object")
            .keys()
            .cloned()
            .collect();
        known.extend(API_MD_PROPERTIES.iter().map(|s| s.to_string()));

        let out = global_irt(&[full()], "2024-05-01T00:00:00+00:00");
        let team = out[0].as_object().expect("an object");
        for key in team.keys() {
            if key.starts_with(PROPERTY_PREFIX) {
                continue;
            }
            assert!(known.contains(key), "{key} is not a global-irt property");
        }
        // Every standard field of the full sample made it out.
        for key in [
            "short-team-name",
            "official-team-name",
            "parent-organisation",
            "postal-address",
            "country-code",
            "additional-country-code",
            "website",
            "email",
            "host",
            "establishment",
            "phone-numbers",
            "enckeys",
            "operating-hours",
            "constituency",
            "constituency-description",
            "cert-type",
            "languages",
            "source-name",
            "last-modified",
        ] {
            assert!(team.contains_key(key), "{key} is missing");
        }
    }

    #[test]
    fn global_irt_maps_each_field() {
        let out = global_irt(&[full()], "2024-05-01T00:00:00+00:00");
        assert_eq!(
            out,
            json!([{
                "short-team-name": "CSIRT-MX",
                "official-team-name": "CSIRT Mexico",
                "parent-organisation": "Secretaría de Seguridad",
                "host": "Secretaría de Seguridad",
                "postal-address": "Av. Reforma 1\nCiudad de México",
                "country-code": "MX",
                "additional-country-code": ["BZ"],
                "website": ["https://csirt.example.mx/"],
                "email": "incidentes@csirt.example.mx",
                "establishment": "2010",
                "phone-numbers": ["+52 55 0000 0000", "+52 55 1111 1111"],
                "enckeys": [format!("0x{FPR}")],
                "operating-hours": "24/7",
                "constituency": "government, energy",
                "constituency-description": "Federal government and critical infrastructure",
                "cert-type": ["national"],
                "languages": ["es", "en"],
                "source-name": "vigia",
                "last-modified": "2024-05-01T00:00:00+00:00",
                "-vigia-team-id": "identity--11111111-1111-4111-8111-111111111111",
                "-vigia-node": "identity--11111111-1111-4111-8111-111111111111",
                "-vigia-kind": "national-csirt",
                "-vigia-subregion": "North America",
                "-vigia-designation": {
                    "kind": "national-csirt",
                    "authority": "Secretaría de Seguridad",
                    "instrument": "Acuerdo 1/2010",
                    "date": "2010-05-01"
                },
                "-vigia-services": [
                    "incident-management/incident-coordination",
                    "incident-management/incident-report-acceptance",
                    "knowledge-transfer/awareness-building"
                ],
                "-vigia-last-resort": true,
                "-vigia-node-url": "https://nodo.csirt.example.mx",
                "-vigia-reporting": [
                    {"channel": "web", "address": "https://csirt.example.mx/reportar", "description": "form"},
                    {"channel": "phone", "address": "+52 55 2222 2222"},
                    {"channel": "email", "address": "incidentes@csirt.example.mx"}
                ],
                "-vigia-affiliations": [{"name": "FIRST", "membership": "full-member", "since": "2012"}],
                "-vigia-certifications": [{"scheme": "SIM3", "date": "2020-01-01", "expiry": "2026-01-01"}],
                "-vigia-emergency-email": "urgente@csirt.example.mx"
            }])
        );
    }

    #[test]
    fn global_irt_exports_only_what_the_reduced_entry_holds() {
        let tiers = full().tiers();
        let public = DirectoryEntry::assemble([&tiers.public]).expect("assembles");
        let out = global_irt(&[public], "");
        let team = out[0].as_object().expect("an object");
        // phone is network-only and emergency restricted: no phone at all.
        assert!(!team.contains_key("phone-numbers"));
        assert!(!team.contains_key("postal-address"));
        assert!(!team.contains_key("-vigia-node-url"));
        assert!(!team.contains_key("-vigia-emergency-email"));
        // Empty values are omitted, including an empty last-modified.
        assert!(!team.contains_key("last-modified"));
        for (key, value) in team {
            assert!(!blank(value), "{key} is empty");
        }

        let minimal = DirectoryEntry {
            short_name: "T".into(),
            ..Default::default()
        };
        let out = global_irt(&[minimal], "2024-01-01");
        assert_eq!(
            out,
            json!([{
                "short-team-name": "T",
                "source-name": "vigia",
                "last-modified": "2024-01-01",
                "-vigia-kind": "national-csirt"
            }])
        );
        assert_eq!(global_irt(&[], "x"), json!([]));
    }

    #[test]
    fn operating_hours_are_described_in_words() {
        let h = OperatingHours {
            always: false,
            time_zone: "America/Bogota".into(),
            windows: vec![
                HoursWindow {
                    days: "mon-fri".into(),
                    open: "08:00".into(),
                    close: "17:00".into(),
                },
                HoursWindow {
                    days: "sat,sun".into(),
                    open: "09:00".into(),
                    close: "12:00".into(),
                },
            ],
            description: Some("on call otherwise".into()),
        };
        assert_eq!(
            hours_text(&h).as_deref(),
            Some("Mon-Fri 08:00-17:00, Sat, Sun 09:00-12:00 (America/Bogota); on call otherwise")
        );
        assert_eq!(hours_text(&OperatingHours::default()), None);
    }

    #[test]
    fn rfc2350_follows_the_template_in_order() {
        let doc = rfc2350(&full(), "2024-05-01");
        let headings = [
            "1. Document Information",
            "1.1 Date of Last Update",
            "1.2 Distribution List for Notifications",
            "1.3 Locations where this Document May Be Found",
            "2. Contact Information",
            "2.1 Name of the Team",
            "2.2 Address",
            "2.3 Time Zone",
            "2.4 Telephone Number",
            "2.5 Facsimile Number",
            "2.6 Other Telecommunication",
            "2.7 Electronic Mail Address",
            "2.8 Public Keys and Encryption Information",
            "2.9 Team Members",
            "2.10 Other Information",
            "2.11 Points of Customer Contact",
            "3. Charter",
            "3.1 Mission Statement",
            "3.2 Constituency",
            "3.3 Sponsorship and/or Affiliation",
            "3.4 Authority",
            "4. Policies",
            "4.1 Types of Incidents and Level of Support",
            "4.2 Co-operation, Interaction and Disclosure of Information",
            "4.3 Communication and Authentication",
            "5. Services",
            "5.1 Information Security Incident Management",
            "5.2 Knowledge Transfer",
            "6. Incident Reporting Forms",
            "7. Disclaimers",
        ];
        let mut at = 0;
        for h in headings {
            let line = format!("\n{h}\n");
            let found = doc[at..]
                .find(&line)
                .unwrap_or_else(|| panic!("{h} missing or out of order in\n{doc}"));
            at += found + line.len();
        }
        for expected in [
            "\n1.1 Date of Last Update\n\n   2024-05-01\n",
            "\n2.1 Name of the Team\n\n   CSIRT Mexico (CSIRT-MX)\n",
            "\n2.2 Address\n\n   Av. Reforma 1\n   Ciudad de México\n",
            "\n2.4 Telephone Number\n\n   +52 55 0000 0000\n   +52 55 1111 1111 (emergency)\n",
            "\n2.5 Facsimile Number\n\n   Not published.\n",
            "PGP key fingerprint: CA57 2205 C002 4E06 BA70 BE89 EAAD CFFC 22BD 4CD5\n",
            "\n3.1 Mission Statement\n\n   Not published.\n",
            "   Designated as the national CSIRT of MX by Secretaría de Seguridad, under Acuerdo 1/2010, on 2010-05-01.\n",
            "   Parent organisation: Secretaría de Seguridad.\n",
            "   - FIRST (full-member, since 2012)\n",
            "   - SIM3: 2020-01-01, expires 2026-01-01\n",
            "\n5.1 Information Security Incident Management\n\n   - Information security incident report acceptance\n   - Information security incident coordination\n",
            "\n5.2 Knowledge Transfer\n\n   - Awareness building\n",
            "   - Web form: https://csirt.example.mx/reportar (form)\n   - Telephone: +52 55 2222 2222\n",
            "   Operating hours: 24/7.\n",
        ] {
            assert!(doc.contains(expected), "missing {expected:?} in\n{doc}");
        }
    }

    #[test]
    fn rfc2350_of_a_bare_entry_says_not_published() {
        let bare = DirectoryEntry {
            short_name: "T".into(),
            country: "BZ".into(),
            ..Default::default()
        };
        let doc = rfc2350(&bare, "2024-05-01");
        assert!(
            doc.contains("\n3.4 Authority\n\n   Not published.\n"),
            "{doc}"
        );
        assert!(
            doc.contains("\n5. Services\n\n   Not published.\n"),
            "{doc}"
        );
        assert!(doc.contains("\n6. Incident Reporting Forms\n\n   Not published.\n"));
        assert!(doc.contains("\n2.7 Electronic Mail Address\n\n   Not published.\n"));
    }

    #[test]
    fn security_txt_lists_contacts_in_order_of_preference() {
        let txt = security_txt(
            &full(),
            "2025-05-01T00:00:00Z",
            Some("https://csirt.example.mx/.well-known/security.txt"),
        )
        .expect("exports");
        assert_eq!(
            txt,
            format!(
                "Contact: https://csirt.example.mx/reportar\n\
                 Contact: tel:+525522222222\n\
                 Contact: mailto:incidentes@csirt.example.mx\n\
                 Expires: 2025-05-01T00:00:00Z\n\
                 Encryption: openpgp4fpr:{}\n\
                 Preferred-Languages: es, en\n\
                 Canonical: https://csirt.example.mx/.well-known/security.txt\n",
                FPR.to_ascii_lowercase()
            )
        );
    }

    #[test]
    fn security_txt_needs_a_contact_and_a_valid_expiry() {
        let bare = DirectoryEntry {
            short_name: "T".into(),
            ..Default::default()
        };
        let err = security_txt(&bare, "2025-05-01T00:00:00Z", None).expect_err("no contact");
        assert!(
            matches!(&err, ExportError::Missing(m) if m.contains("no contact")),
            "{err}"
        );

        let only_email = DirectoryEntry {
            email: Some("cert@example.org".into()),
            ..bare
        };
        assert_eq!(
            security_txt(&only_email, "2025-05-01T12:00:00-03:00", None).expect("exports"),
            "Contact: mailto:cert@example.org\nExpires: 2025-05-01T12:00:00-03:00\n"
        );
        for bad in ["2025-05-01", "tomorrow", "", "2025-13-01T00:00:00Z"] {
            let err = security_txt(&only_email, bad, None).expect_err("bad expiry");
            assert!(matches!(err, ExportError::Invalid(_)), "{bad}: {err}");
        }
        let err = security_txt(
            &only_email,
            "2025-05-01T00:00:00Z",
            Some("http://example.org/security.txt"),
        )
        .expect_err("not https");
        assert!(err.to_string().contains("https"), "{err}");
    }

    #[test]
    fn security_txt_skips_what_cannot_be_a_uri() {
        let e = DirectoryEntry {
            reporting: vec![
                ReportingChannel {
                    channel: ChannelKind::Phone,
                    address: "call the front desk".into(),
                    description: None,
                },
                ReportingChannel {
                    channel: ChannelKind::Web,
                    address: "http://insecure.example.org".into(),
                    description: None,
                },
                ReportingChannel {
                    channel: ChannelKind::Email,
                    address: "a@b.org\nContact: mailto:evil@x.org".into(),
                    description: None,
                },
            ],
            ..Default::default()
        };
        assert!(matches!(
            security_txt(&e, "2025-05-01T00:00:00Z", None),
            Err(ExportError::Missing(_))
        ));
        assert_eq!(
            tel("+1 (555) 010-0000").as_deref(),
            Some("tel:+1(555)010-0000")
        );
    }
}
