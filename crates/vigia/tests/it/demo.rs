//! `vigia demo --nodes 3 --scenario`: the printed URLs answer, the token
//! works, the scenario's products are where they should be, and Ctrl-C
//! (SIGTERM) stops every node.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::federation_net::{free_port, stored_in};

/// A base port for the demo's mail catcher (base − 1) and `nodes + 1`
/// nodes, below Linux's ephemeral range (32768–60999) where the other
/// tests' nodes and every outgoing connection take their ports, and each
/// checked free.
fn demo_ports(nodes: u16) -> u16 {
    let seed = u32::from(free_port()) ^ std::process::id();
    for i in 0..200u32 {
        let base = 20_000 + ((seed.wrapping_add(i * 97)) % 12_000) as u16;
        let free = (base - 1..=base + nodes)
            .all(|p| std::net::TcpListener::bind(("127.0.0.1", p)).is_ok());
        if free {
            return base;
        }
    }
    panic!("no free run of ports for the demo between 20000 and 32000");
}
use crate::helpers::{vigia, TempDir};

#[test]
// The child is waited for on every path but a panic, which kills it below.
#[allow(clippy::zombie_processes)]
fn the_demo_runs_a_network_plays_the_scenario_and_stops_cleanly() {
    let dir = TempDir::new("demo");
    let base = demo_ports(5);
    let mut child = vigia()
        .args([
            "demo",
            "--nodes",
            "3",
            "--scenario",
            "--fresh",
            "--data-dir",
            dir.str(),
        ])
        .args(["--base-port", &base.to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("vigia demo starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut out = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(240);
    while Instant::now() < deadline {
        let Some(Ok(line)) = lines.next() else { break };
        let done = line.starts_with("vigia demo running");
        out.push(line);
        if done {
            break;
        }
    }
    let text = out.join("\n");
    assert!(
        text.contains("scenario complete"),
        "the scenario did not complete:\n{text}"
    );
    // The Secretariat's public (TLP:CLEAR) products are in its portal's feed.
    let portal = out
        .iter()
        .find(|l| l.starts_with("Public portal"))
        .unwrap_or_else(|| panic!("the portal is announced:\n{text}"));
    let feed_url = portal
        .split_whitespace()
        .find(|w| w.ends_with("/feeds/advisories.atom"))
        .expect("the Atom feed's URL");
    let feed = reqwest::blocking::get(feed_url).unwrap().text().unwrap();
    assert!(
        feed.contains("<entry>") && !feed.contains("TLP:AMBER"),
        "{feed}"
    );
    // The Secretariat's CSAF provider: a national team imports from it,
    // each document's hash and OpenPGP signature checked.
    assert!(
        out.iter()
            .any(|l| l.contains("imported vigia-") && l.contains("hash and signature verified")),
        "the scenario imports the Secretariat's CSAF advisories:\n{text}"
    );
    // The operator's view of indexing: nothing stored is left to index.
    assert!(
        out.iter().any(|l| l.contains("vigia_index_backlog_objects")
            && l.contains("correlation 0")
            && l.contains("search 0")),
        "the scenario shows the indexing backlog:\n{text}"
    );
    // A public report at the Secretariat's portal reaches the country's team.
    assert!(
        out.iter()
            .any(|l| l.contains("AMBER+STRICT to that team alone, in its queue after")),
        "the scenario routes a public report:\n{text}"
    );
    assert!(
        out.iter()
            .any(|l| l.contains("the reporter looks it up at the portal: forwarded")),
        "the reporter follows the report:\n{text}"
    );
    // The Secretariat's awareness page, in Spanish.
    let awareness = portal
        .split_whitespace()
        .find(|w| w.ends_with("/awareness/phishing,"))
        .expect("the awareness page's URL")
        .trim_end_matches(',');
    let page = reqwest::blocking::get(format!("{awareness}?lang=es"))
        .unwrap()
        .text()
        .unwrap();
    assert!(
        page.contains("<strong>dirección del remitente</strong>"),
        "{page}"
    );
    // An assistance request goes round trip.
    assert!(
        out.iter().any(|l| l.contains("saw it accepted")),
        "the scenario's assistance request is accepted:\n{text}"
    );
    // Correlation: the batch lookup finds the shared indicator and a
    // network, a warninglist marks private space, sightings and a claim
    // come back.
    for expected in [
        "203.0.113.66           seen in 1 object(s)",
        "(matched 198.51.100.0/24)",
        "known benign (List of RFC 1918 CIDR blocks)",
        "known benign (List of known IPv4 public DNS resolvers)",
        "seen 6 times",
        "sees it in progress",
    ] {
        assert!(
            out.iter().any(|l| l.contains(expected)),
            "the correlation step shows {expected:?}:\n{text}"
        );
    }
    // The network's working life: calendar feeds, the milestone met by
    // training needs, mentoring, the compendium, the readiness index, and
    // a national section the Secretariat alone reads.
    for expected in [
        "calendar feed holds 2 events (its public feed 1)",
        " done",
        "reminders sent now for 1 milestone(s)",
        "e-mailed its own duty desk 1 reminder(s) that its training needs are due; asked again the same day, 0 more",
        "regional training demand: Digital Forensics Investigator — 3 people",
        "proposed mentoring pair:",
        "1 past its review date",
        "from 2 countries that opted in",
        "national sections seen by the Secretariat 1, by",
        "coverage over ",
    ] {
        assert!(
            out.iter().any(|l| l.contains(expected)),
            "the network-life step shows {expected:?}:\n{text}"
        );
    }
    assert!(
        out.iter().any(
            |l| l.contains("national sections seen by the Secretariat 1") && l.ends_with(" 0")
        ),
        "a member does not read another's section marked for the Secretariat:\n{text}"
    );
    // The console's compose preview and search, over the same API.
    let preview = out
        .iter()
        .find(|l| l.contains("POST /api/products/preview"))
        .unwrap_or_else(|| panic!("the scenario previews its recipients:\n{text}"));
    let reached: Vec<&str> = preview
        .split("reaches ")
        .nth(1)
        .and_then(|r| r.split(';').next())
        .unwrap_or_default()
        .split(", ")
        .collect();
    assert_eq!(reached.len(), 2, "the two addressees, each once: {preview}");
    let search = out
        .iter()
        .find(|l| l.contains("GET /api/search"))
        .unwrap_or_else(|| panic!("the scenario searches:\n{text}"));
    assert!(!search.contains(": 0 objects"), "{search}");

    let client = reqwest::blocking::Client::new();
    let urls: Vec<&str> = out
        .iter()
        .filter_map(|l| l.split_whitespace().nth(1))
        .filter(|w| w.starts_with("http://127.0.0.1:"))
        .collect();
    assert_eq!(urls.len(), 4, "the Secretariat and three nodes:\n{text}");
    for url in &urls {
        let status = client
            .get(format!("{url}/healthz"))
            .send()
            .unwrap()
            .status();
        assert!(status.is_success(), "{url} answers");
    }
    let token = out
        .iter()
        .skip_while(|l| !l.starts_with("API token"))
        .nth(1)
        .map(|l| l.trim().to_owned())
        .expect("a token is printed");
    let resp = client
        .get(format!("{}/api/objects?limit=1000", urls[1]))
        .bearer_auth(&token)
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let listed = resp.text().unwrap();
    assert!(
        listed.contains("ALERT: ransomware affiliate"),
        "the alert is visible to the analyst at the first node"
    );

    // The network alert reached every node; the embargoed first version of
    // the advisory only its one recipient.
    for site in ["secretariat", "br", "mx", "cr"] {
        let stored = stored_in(&dir.path().join(site));
        assert!(
            stored
                .iter()
                .any(|o| o.raw.contains("ALERT: ransomware affiliate")),
            "the alert reached {site}"
        );
        assert!(
            stored
                .iter()
                .any(|o| o.raw.contains("Advisory: protect public institutions")),
            "the public advisory reached {site}"
        );
    }
    let embargoed = |site: &str| {
        stored_in(&dir.path().join(site))
            .iter()
            .any(|o| o.raw.contains("Embargoed until the vendor"))
    };
    assert!(embargoed("br") && embargoed("mx"));
    assert!(
        !embargoed("cr") && !embargoed("secretariat"),
        "the embargo held"
    );

    // Watch and warning: the critical alert was acknowledged and its
    // originator saw it; the drill answered; duty desks got e-mail.
    assert!(
        text.contains("MX   acknowledged (\"segments isolated\")"),
        "{text}"
    );
    assert!(
        text.contains("acknowledged in"),
        "the drill reports times:\n{text}"
    );
    // Real public material: ATT&CK techniques everywhere, CSAF-based notices.
    for site in ["br", "mx", "cr"] {
        let stored = stored_in(&dir.path().join(site));
        assert!(
            stored
                .iter()
                .any(|o| o.raw.contains("\"external_id\":\"T1486\"")),
            "the ATT&CK technique reached {site}"
        );
    }
    assert!(
        ["br", "mx", "cr"]
            .iter()
            .any(|site| stored_in(&dir.path().join(site))
                .iter()
                .any(|o| o.raw.contains("From CSAF advisory"))),
        "notices built from the CSAF examples were published"
    );
    // The directory and census: signed entries everywhere, endorsements,
    // a census answered and confirmed, the coverage report and its map.
    assert!(text.contains("signed entries published"), "{text}");
    assert!(text.contains("of 3 answered"), "{text}");
    assert!(text.contains("1 confirmed"), "{text}");
    assert!(
        text.contains("member states have no national point of contact"),
        "{text}"
    );
    let svg = std::fs::read_to_string(dir.path().join("coverage.svg")).expect("the coverage map");
    assert!(svg.starts_with("<svg") && svg.contains("Haiti"), "{svg}");
    for site in ["br", "mx", "cr"] {
        let entries = stored_in(&dir.path().join(site))
            .iter()
            .filter(|o| {
                o.object_type == "identity"
                    && o.raw.contains(vigia_directory::DIRECTORY_EXTENSION_ID)
            })
            .count();
        assert!(
            entries >= 4,
            "every team's entry reached {site} ({entries})"
        );
    }
    let mails = std::fs::read_dir(dir.path().join("mail")).unwrap().count();
    assert!(mails >= 2, "the duty desks' e-mail is caught ({mails})");

    let pid = child.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let stopped = Instant::now() + Duration::from_secs(60);
    while Instant::now() < stopped {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "demo exits cleanly");
            for url in &urls {
                assert!(
                    client.get(format!("{url}/healthz")).send().is_err(),
                    "{url} stopped"
                );
            }
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    panic!("the demo did not stop on SIGTERM");
}
