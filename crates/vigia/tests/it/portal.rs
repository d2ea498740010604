//! The public portal over HTTP: only TLP:CLEAR reaches it, in pages and
//! in feeds; every page is cacheable and answers conditional requests
//! with 304; "how to report and to whom" covers every member state.

use reqwest::blocking::Response;
use reqwest::header::{
    CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED,
};
use serde_json::{json, Value};

use crate::federation_net::{eventually, net_node};

fn header(r: &Response, name: reqwest::header::HeaderName) -> String {
    r.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn the_portal_shows_only_clear_advisories_caches_them_and_says_whom_to_report_to() {
    let node = net_node("CR");
    let base = node.url.as_str();
    let token = node.token("analyst", &["--user", "admin"]);
    let publish = |title: &str, tlp: &str| -> String {
        let r = node
            .client
            .post(format!("{base}/api/products"))
            .bearer_auth(&token)
            .json(
                &json!({"kind": "advisory", "title": title, "description": "Patch <now> & reboot.",
                          "severity": "high", "tlp": tlp, "cves": ["CVE-2026-1234"]}),
            )
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 201);
        r.json::<Value>().unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let public = publish("Patch the VPN gateways <today> & now", "clear");
    let amber = publish("Only for the ministry", "amber");
    let get = |path: &str| node.client.get(format!("{base}{path}")).send().unwrap();

    // The list: CLEAR only, escaped, with validators.
    let mut list = String::new();
    eventually(20, "the advisory is listed", || {
        list = get("/advisories").text().unwrap();
        list.contains(&public)
    });
    assert!(
        list.contains("Patch the VPN gateways &#60;today&#62; &#38; now"),
        "{list}"
    );
    assert!(
        !list.contains(&amber) && !list.contains("Only for the ministry"),
        "{list}"
    );
    let r = get("/advisories");
    assert_eq!(r.status().as_u16(), 200);
    let etag = header(&r, ETAG);
    let modified = header(&r, LAST_MODIFIED);
    assert!(etag.starts_with('"'), "{etag}");
    assert!(modified.ends_with("GMT"), "{modified}");
    assert!(header(&r, CACHE_CONTROL).starts_with("public, max-age="));
    assert!(header(&r, "content-security-policy".parse().unwrap()).contains("default-src 'none'"));
    for (name, value) in [
        (IF_NONE_MATCH, etag.as_str()),
        (IF_MODIFIED_SINCE, modified.as_str()),
    ] {
        let r = node
            .client
            .get(format!("{base}/advisories"))
            .header(name, value)
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 304, "{value}");
        assert!(r.text().unwrap().is_empty());
    }
    let r = node
        .client
        .get(format!("{base}/advisories"))
        .header(IF_NONE_MATCH, "\"other\"")
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(get("/").status().as_u16(), 200);

    // Its own page; the AMBER one is not found, as if it did not exist.
    let page = get(&format!("/advisories/{public}")).text().unwrap();
    assert!(
        page.contains("TLP:CLEAR") && page.contains("CVE-2026-1234"),
        "{page}"
    );
    assert_eq!(get(&format!("/advisories/{amber}")).status().as_u16(), 404);
    assert_eq!(
        get("/advisories/report--00000000-0000-4000-8000-000000000000")
            .status()
            .as_u16(),
        404
    );
    // In the reader's language.
    let es = node
        .client
        .get(format!("{base}/advisories"))
        .header("accept-language", "es-CR,es;q=0.9")
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(
        es.contains("lang=\"es\"") && es.contains("Avisos y alertas"),
        "{es}"
    );

    // Atom (RFC 4287) and JSON Feed 1.1: the same list, absolute links.
    let r = get("/feeds/advisories.atom");
    assert!(header(&r, CONTENT_TYPE).starts_with("application/atom+xml"));
    assert!(!header(&r, ETAG).is_empty());
    let atom = r.text().unwrap();
    assert_eq!(atom.matches("<entry>").count(), 1, "{atom}");
    assert!(
        atom.contains(&format!("<id>{base}/advisories/{public}</id>")),
        "{atom}"
    );
    assert!(
        !atom.contains("Only for the ministry") && !atom.contains("<now>"),
        "{atom}"
    );
    let r = get("/feeds/advisories.json");
    assert!(header(&r, CONTENT_TYPE).starts_with("application/feed+json"));
    let feed: Value = r.json().unwrap();
    assert_eq!(feed["version"], "https://jsonfeed.org/version/1.1");
    let items = feed["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{feed}");
    assert_eq!(items[0]["url"], format!("{base}/advisories/{public}"));

    // How to report: before the register is loaded the page says so.
    let report = get("/report").text().unwrap();
    assert!(
        report.contains("member-state register is empty"),
        "{report}"
    );
    let admin = node.token("admin", &["--user", "admin"]);
    let csv = std::fs::read_to_string(
        crate::helpers::shared_examples().join("../../oas/member-states.csv"),
    )
    .expect("../shared/data/oas/member-states.csv");
    let r = node
        .client
        .put(format!("{base}/api/member-states"))
        .bearer_auth(&admin)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let r = node
        .client
        .put(format!("{base}/api/directory/{}", node.team))
        .bearer_auth(&admin)
        .json(&crate::directory::entry(&node, "CSIRT-CR", &[]))
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200, "{}", r.text().unwrap());
    // Pages are kept in memory until something new is stored.
    let mut report = String::new();
    eventually(20, "the report page shows CR's entry", || {
        report = get("/report").text().unwrap();
        report.contains("CSIRT-CR")
    });
    let row = |cc: &str| {
        let at = report
            .find(&format!("<tr id=\"{cc}\">"))
            .unwrap_or_else(|| panic!("{cc}: {report}"));
        report[at..at + report[at..].find("</tr>").unwrap()].to_owned()
    };
    let cr = row("CR");
    assert!(
        cr.contains("CSIRT-CR") && cr.contains("national CSIRT"),
        "{cr}"
    );
    assert!(
        cr.contains("incidents@cr.example") && cr.contains("24/7"),
        "{cr}"
    );
    assert!(row("HT").contains("No team is listed yet"), "{}", row("HT"));
    assert_eq!(
        report.matches("<tr id=").count(),
        35,
        "every OAS member state"
    );
    // A page for each state, by its code.
    let jm = get("/report/jm").text().unwrap();
    assert_eq!(jm.matches("<tr id=").count(), 1, "{jm}");
    assert!(jm.contains("<tr id=\"JM\">"), "{jm}");
    assert_eq!(get("/report/XX").status().as_u16(), 404);

    // security.txt (RFC 9116) from the team's public entry.
    let r = get("/.well-known/security.txt");
    assert_eq!(r.status().as_u16(), 200);
    let txt = r.text().unwrap();
    assert!(
        txt.contains("Contact: mailto:incidents@cr.example"),
        "{txt}"
    );
    assert!(txt.contains("Expires: "), "{txt}");
}

#[test]
fn awareness_pages_are_markdown_rendered_safely_in_the_readers_language() {
    let node = net_node("GT");
    let base = node.url.as_str();
    let analyst = node.token("analyst", &["--user", "admin"]);
    let reader = node.token("read-only", &[]);
    let put = |token: &str, path: &str, body: Value| {
        node.client
            .put(format!("{base}/api/awareness/{path}"))
            .bearer_auth(token)
            .json(&body)
            .send()
            .unwrap()
    };
    let en = json!({"title": "Spot a phishing message",
        "markdown": "Check the **sender**. <script>alert(1)</script>\n\n[Report it](https://www.example.org/report) \
                     [click](javascript:alert(1)) <img src=x onerror=alert(1)>\n"});
    assert_eq!(
        put(&analyst, "phishing/en", en.clone()).status().as_u16(),
        200
    );
    assert_eq!(
        put(&analyst, "phishing/es", json!({"title": "Reconozca un mensaje de phishing", "markdown": "Revise el **remitente**."}))
            .status()
            .as_u16(),
        200
    );
    assert_eq!(
        put(&reader, "phishing/fr", en.clone()).status().as_u16(),
        403
    );
    let r = put(&analyst, "Bad Slug/en", en.clone());
    assert_eq!(r.status().as_u16(), 422);
    assert!(r.text().unwrap().contains("slug"));
    let r = put(&analyst, "phishing/de", en);
    assert_eq!(r.status().as_u16(), 422);
    assert!(r.text().unwrap().contains("lang"));

    let get = |path: &str| node.client.get(format!("{base}{path}")).send().unwrap();
    let mut page = String::new();
    eventually(20, "the English page is served", || {
        page = get("/awareness/phishing?lang=en").text().unwrap();
        page.contains("Spot a phishing message")
    });
    assert!(page.contains("<strong>sender</strong>"), "{page}");
    assert!(
        page.contains("href=\"https://www.example.org/report\""),
        "{page}"
    );
    for active in ["<script>alert", "javascript:", "onerror"] {
        assert!(!page.contains(active), "{active} reached the page: {page}");
    }
    let es = get("/awareness/phishing?lang=es").text().unwrap();
    assert!(
        es.contains("Revise el <strong>remitente</strong>.") && es.contains("hreflang=\"en\""),
        "{es}"
    );
    // Not written in Portuguese: the English page, said so.
    let pt = get("/awareness/phishing?lang=pt").text().unwrap();
    assert!(
        pt.contains("Spot a phishing message") && pt.contains("ainda não está escrita"),
        "{pt}"
    );
    let list = get("/awareness?lang=es").text().unwrap();
    assert!(list.contains("Reconozca un mensaje de phishing"), "{list}");
    assert_eq!(get("/awareness/nothing-here").status().as_u16(), 404);
}
