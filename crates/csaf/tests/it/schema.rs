//! Exported documents and provider metadata against the official JSON
//! schemas; export and import round trips; the refusal of AMBER+STRICT.

use std::collections::BTreeSet;

use serde_json::{json, Value};
use vigia_csaf::{
    export, import, CsafTlp, DocumentCategory, ExportError, FeedEntry, Layout, ProviderMetadata,
    RolieFeed,
};
use vigia_stix::Tlp;
use vigia_watch::ProductKind;

use crate::support::{csaf_data, publisher, sample, samples, schema_errors, ts, validator};

#[test]
fn every_exported_document_validates_against_the_csaf_schema() {
    let v = validator("csaf_json_schema.json");
    let mut categories = BTreeSet::new();
    let all = samples();
    for input in &all {
        let doc = export(input).unwrap_or_else(|e| panic!("{} exports: {e}", input.title));
        let errors = schema_errors(&v, doc.json());
        assert!(
            errors.is_empty(),
            "{} ({:?}, {}) is not valid CSAF 2.0:\n{errors}",
            input.title,
            doc.category(),
            doc.tlp()
        );
        // The bytes served are the same document.
        let reread: Value = serde_json::from_slice(&doc.to_bytes()).expect("bytes are JSON");
        assert_eq!(&reread, doc.json());
        categories.insert(doc.category().as_str());
    }
    assert_eq!(
        categories,
        BTreeSet::from([
            DocumentCategory::Base.as_str(),
            DocumentCategory::InformationalAdvisory.as_str(),
            DocumentCategory::SecurityIncidentResponse.as_str(),
        ]),
        "the samples cover every profile vigia writes"
    );
    assert!(all.len() > 40);
}

#[test]
fn the_validator_is_not_vacuous() {
    let v = validator("csaf_json_schema.json");
    let good = export(&sample("control", ProductKind::Alert, Tlp::Clear)).expect("exports");
    for (what, breaks) in [
        ("a TLP:CLEAR label", json!({"label": "CLEAR"})),
        (
            "a relative TLP URL",
            json!({"label": "WHITE", "url": "first.org/tlp"}),
        ),
    ] {
        let mut bad = good.json().clone();
        bad["document"]["distribution"]["tlp"] = breaks;
        assert!(
            !schema_errors(&v, &bad).is_empty(),
            "{what} must not validate"
        );
    }
    let mut bad = good.json().clone();
    bad["document"]["tracking"]["current_release_date"] = json!("yesterday");
    assert!(!schema_errors(&v, &bad).is_empty(), "date-time is checked");
    // A CVSS score is resolved through the FIRST schemas, offline.
    let mut scored = good.json().clone();
    scored["product_tree"] = json!({"full_product_names": [{"name": "P", "product_id": "P1"}]});
    scored["vulnerabilities"] = json!([{"cve": "CVE-2024-3400", "scores": [{"products": ["P1"],
        "cvss_v3": {"version": "3.1", "vectorString": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
                    "baseScore": 10.0, "baseSeverity": "CRITICAL"}}]}]);
    assert_eq!(schema_errors(&v, &scored), "");
    scored["vulnerabilities"][0]["scores"][0]["cvss_v3"]["baseSeverity"] = json!("HUGE");
    assert!(
        !schema_errors(&v, &scored).is_empty(),
        "the CVSS schema is applied"
    );
}

#[test]
fn the_official_examples_validate_with_this_validator() {
    let v = validator("csaf_json_schema.json");
    let dir = csaf_data().join("examples/csaf");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).expect("examples") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "json") {
            let doc: Value =
                serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("json");
            assert_eq!(schema_errors(&v, &doc), "", "{}", path.display());
            n += 1;
        }
    }
    assert!(n >= 5);
}

#[test]
fn amber_strict_is_refused_for_every_kind() {
    for kind in ProductKind::ALL {
        let input = sample("strict", kind, Tlp::AmberStrict);
        let err = export(&input).expect_err("AMBER+STRICT is never exported");
        assert!(matches!(err, ExportError::AmberStrict(_)), "{err}");
        assert!(err.to_string().contains("AMBER+STRICT"), "{err}");
    }
}

#[test]
fn each_tlp_maps_to_its_csaf_label() {
    for (tlp, label) in [
        (Tlp::Clear, "WHITE"),
        (Tlp::Green, "GREEN"),
        (Tlp::Amber, "AMBER"),
        (Tlp::Red, "RED"),
    ] {
        let doc = export(&sample("tlp", ProductKind::Advisory, tlp)).expect("exports");
        assert_eq!(
            doc.json()["document"]["distribution"]["tlp"]["label"],
            label
        );
        assert_eq!(
            doc.json()["document"]["distribution"]["tlp"]["url"],
            "https://www.first.org/tlp/"
        );
        assert!(doc
            .path()
            .starts_with(&format!("{}/2024/", label.to_lowercase())));
    }
}

#[test]
fn export_then_import_keeps_title_cves_tlp_and_more() {
    for input in samples() {
        let doc = export(&input).expect("exports");
        let text = String::from_utf8(doc.to_bytes()).expect("utf-8");
        let back = import(&text).unwrap_or_else(|e| panic!("{} imports: {e}", input.title));
        assert_eq!(back.title, input.title);
        let mut cves = input.cves.clone();
        cves.dedup();
        assert_eq!(back.cves, cves, "{}", input.title);
        assert_eq!(back.tlp, Some(input.tlp), "{}", input.title);
        assert_eq!(back.tracking_id, doc.tracking_id());
        assert_eq!(back.publisher, "CERTuy");
        assert_eq!(back.category, doc.category().as_str());
        assert_eq!(
            back.summary.as_deref(),
            (!input.description.is_empty()).then_some(input.description.as_str())
        );
        assert_eq!(
            back.current_release_date,
            input.revisions.last().expect("revision").date
        );
        assert_eq!(back.version, input.revisions.len().to_string());
    }
}

#[test]
fn provider_metadata_validates_against_the_provider_schema() {
    let v = validator("provider_json_schema.json");
    let layout = Layout::new("https://csirt.example.gov.uy").expect("layout");
    let fpr = "8F5F267907B2C4559DB360DB2294BA7D2B2298B1";
    let mut m = ProviderMetadata::for_node(&layout, publisher(), fpr, ts("2024-11-06T10:00:00Z"));
    assert_eq!(schema_errors(&v, &m.to_json().expect("metadata")), "");
    m.directory_url = Some(format!("{}/white/", layout.base()));
    m.feeds.push(vigia_csaf::FeedRef {
        tlp: CsafTlp::Green,
        url: layout.feed_url(CsafTlp::Green),
        summary: "TLP:GREEN advisories.".into(),
    });
    m.mirror_on_csaf_aggregators = false;
    assert_eq!(schema_errors(&v, &m.to_json().expect("metadata")), "");
    // The official example passes the same validator.
    let example: Value = serde_json::from_str(
        &std::fs::read_to_string(
            csaf_data().join("examples/provider-metadata/example-01-provider-metadata.json"),
        )
        .expect("example"),
    )
    .expect("json");
    assert_eq!(schema_errors(&v, &example), "");
}

/// The keys of every object in a JSON value, by path with array indices
/// dropped.
fn shape(v: &Value, path: &str, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let p = format!("{path}/{k}");
                out.insert(p.clone());
                shape(x, &p, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| shape(x, path, out)),
        _ => {}
    }
}

#[test]
fn a_rolie_feed_has_the_shape_of_the_official_example() {
    let layout = Layout::new("https://csirt.example.gov.uy").expect("layout");
    let docs: Vec<_> = samples()
        .iter()
        .filter(|s| s.tlp == Tlp::Clear && !s.description.is_empty())
        .map(|s| export(s).expect("exports"))
        .collect();
    let entries: Vec<FeedEntry> = docs
        .iter()
        .map(|d| FeedEntry::for_document(d, &layout.document_url(d)))
        .collect();
    let feed = RolieFeed {
        id: "certuy-csaf-feed-tlp-white".into(),
        title: "CERTuy CSAF feed (TLP:WHITE)".into(),
        self_url: layout.feed_url(CsafTlp::White),
        tlp: CsafTlp::White,
        updated: docs
            .iter()
            .map(|d| d.current_release_date())
            .max()
            .expect("docs"),
    }
    .to_json(&entries)
    .expect("feed");
    let example: Value = serde_json::from_str(
        &std::fs::read_to_string(csaf_data().join("examples/ROLIE/example-01-feed-tlp-white.json"))
            .expect("example"),
    )
    .expect("json");
    let (mut ours, mut theirs) = (BTreeSet::new(), BTreeSet::new());
    shape(&feed, "", &mut ours);
    shape(&example, "", &mut theirs);
    assert_eq!(ours, theirs);
    assert_eq!(
        feed["feed"]["entry"].as_array().map(Vec::len),
        Some(entries.len())
    );
}
