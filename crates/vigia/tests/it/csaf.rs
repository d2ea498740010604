//! The node as a CSAF 2.0 provider, over HTTP: provider metadata, ROLIE
//! feed, documents that pass BSI's validator, hash files, OpenPGP
//! signatures checked by GnuPG, a signed security.txt that names the
//! provider; and `vigia csaf import` from that provider into another node.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::{json, Value};

use crate::federation_net::{eventually, net_node};
use crate::helpers::{run, stderr, stdout, TempDir};

fn gpg(home: &Path, args: &[&str]) -> Output {
    Command::new("gpg")
        .arg("--batch")
        .arg("--no-tty")
        .arg("--homedir")
        .arg(home)
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!("gpg does not run ({e}): run scripts/test, which installs gnupg")
        })
}

fn gpg_home(dir: &TempDir) -> std::path::PathBuf {
    let h = dir.path().join("gnupg");
    std::fs::create_dir_all(&h).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&h, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
    h
}

fn repo_root() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn the_node_is_a_csaf_provider_whose_documents_validate_and_verify_and_another_node_imports_them() {
    let node = net_node("CR");
    let base = node.url.as_str();
    let token = node.token("analyst", &["--user", "admin"]);
    let publish = |title: &str, tlp: &str, cves: Value| -> String {
        let r = node
            .client
            .post(format!("{base}/api/products"))
            .bearer_auth(&token)
            .json(&json!({"kind": "vulnerability-notice", "title": title,
                          "description": "Update the firmware of the border routers.",
                          "severity": "high", "tlp": tlp, "cves": cves,
                          "cvss": {"vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "base_score": 9.8}}))
            .send()
            .unwrap();
        let status = r.status().as_u16();
        let body: Value = r.json().unwrap();
        assert_eq!(status, 201, "{body}");
        body["id"].as_str().unwrap().to_owned()
    };
    let clear = publish(
        "Border router firmware flaw",
        "clear",
        json!(["CVE-2026-4242"]),
    );
    let amber = publish(
        "Ministry-only router notice",
        "amber",
        json!(["CVE-2026-4243"]),
    );
    let strict = publish(
        "Strict router notice",
        "amber+strict",
        json!(["CVE-2026-4244"]),
    );
    let get = |url: &str| node.client.get(url).send().unwrap();
    let text = |url: &str| {
        let r = get(url);
        assert_eq!(r.status().as_u16(), 200, "{url}");
        r.text().unwrap()
    };

    // provider-metadata.json → the ROLIE feed → each document.
    let metadata_url = format!("{base}/.well-known/csaf/provider-metadata.json");
    let metadata: Value = serde_json::from_str(&text(&metadata_url)).unwrap();
    assert_eq!(metadata["canonical_url"], metadata_url.as_str());
    assert_eq!(metadata["role"], "csaf_trusted_provider");
    assert_eq!(metadata["metadata_version"], "2.0");
    let feed_url = metadata["distributions"][0]["rolie"]["feeds"][0]["url"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        metadata["distributions"][0]["rolie"]["feeds"][0]["tlp_label"],
        "WHITE"
    );
    let key_url = metadata["public_openpgp_keys"][0]["url"]
        .as_str()
        .unwrap()
        .to_owned();
    let fingerprint = metadata["public_openpgp_keys"][0]["fingerprint"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut feed = Value::Null;
    eventually(20, "the CLEAR notice is in the ROLIE feed", || {
        feed = serde_json::from_str(&text(&feed_url)).unwrap();
        feed["feed"]["entry"]
            .as_array()
            .is_some_and(|e| !e.is_empty())
    });
    let entries = feed["feed"]["entry"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "only the CLEAR notice: {feed}");
    let doc_url = entries[0]["content"]["src"].as_str().unwrap().to_owned();
    assert!(
        doc_url.contains("/.well-known/csaf/white/2026/"),
        "{doc_url}"
    );
    let doc_text = text(&doc_url);
    let doc: Value = serde_json::from_str(&doc_text).unwrap();
    assert_eq!(doc["document"]["distribution"]["tlp"]["label"], "WHITE");
    assert_eq!(doc["document"]["title"], "Border router firmware flaw");
    assert_eq!(doc["vulnerabilities"][0]["cve"], "CVE-2026-4242");
    for hidden in [&amber, &strict] {
        let uuid = hidden.trim_start_matches("report--");
        assert!(!feed.to_string().contains(uuid), "{hidden} is not CLEAR");
    }
    assert!(!clear.is_empty());

    // Hash files name the file and match it.
    use sha2::Digest;
    let name = doc_url.rsplit('/').next().unwrap();
    let sha256 = text(&format!("{doc_url}.sha256"));
    let sha512 = text(&format!("{doc_url}.sha512"));
    assert_eq!(
        sha256,
        format!(
            "{}  {name}\n",
            hex::encode(sha2::Sha256::digest(doc_text.as_bytes()))
        )
    );
    assert_eq!(
        sha512,
        format!(
            "{}  {name}\n",
            hex::encode(sha2::Sha512::digest(doc_text.as_bytes()))
        )
    );
    assert_eq!(get(&format!("{doc_url}.md5")).status().as_u16(), 404);

    // BSI's validator: the strict schema and every mandatory test.
    let dir = TempDir::new("csaf-node");
    std::fs::create_dir_all(dir.path()).unwrap();
    let doc_file = dir.path().join(name);
    std::fs::write(&doc_file, &doc_text).unwrap();
    let bsi = Command::new("node")
        .arg(repo_root().join("e2e/csaf-validate.mjs"))
        .arg(&doc_file)
        .current_dir(repo_root())
        .output()
        .expect("node runs: run scripts/test, which installs Node.js and the validator");
    assert!(
        bsi.status.success(),
        "BSI's validator rejects the served document:\n{}{}",
        String::from_utf8_lossy(&bsi.stdout),
        String::from_utf8_lossy(&bsi.stderr)
    );

    // GnuPG verifies the .asc with the key the metadata names.
    let home = gpg_home(&dir);
    let key_file = dir.path().join("key.asc");
    assert!(
        key_url.ends_with(&format!("/openpgp/{fingerprint}.asc")),
        "{key_url}"
    );
    std::fs::write(&key_file, text(&key_url)).unwrap();
    let imported = gpg(&home, &["--import", key_file.to_str().unwrap()]);
    assert!(
        imported.status.success(),
        "{}",
        String::from_utf8_lossy(&imported.stderr)
    );
    let sig_file = dir.path().join(format!("{name}.asc"));
    std::fs::write(&sig_file, text(&format!("{doc_url}.asc"))).unwrap();
    let verify = gpg(
        &home,
        &[
            "--verify",
            sig_file.to_str().unwrap(),
            doc_file.to_str().unwrap(),
        ],
    );
    let said = String::from_utf8_lossy(&verify.stderr).into_owned();
    assert!(
        verify.status.success() && said.contains("Good signature"),
        "{said}"
    );
    assert!(
        said.contains(&fingerprint) || said.contains(&fingerprint[24..]),
        "{said}"
    );
    std::fs::write(&doc_file, doc_text.replace("Border", "Bordel")).unwrap();
    let tampered = gpg(
        &home,
        &[
            "--verify",
            sig_file.to_str().unwrap(),
            doc_file.to_str().unwrap(),
        ],
    );
    assert!(
        !tampered.status.success(),
        "a tampered document must not verify"
    );

    // security.txt: signed, and it points at the provider.
    let admin = node.token("admin", &["--user", "admin"]);
    let r = node
        .client
        .put(format!("{base}/api/directory/{}", node.team))
        .bearer_auth(&admin)
        .json(&crate::directory::entry(&node, "CSIRT-CR", &[]))
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200, "{}", r.text().unwrap());
    let security = text(&format!("{base}/.well-known/security.txt"));
    assert!(
        security.starts_with("-----BEGIN PGP SIGNED MESSAGE-----"),
        "{security}"
    );
    assert!(
        security.contains(&format!("CSAF: {metadata_url}")),
        "{security}"
    );
    let security_file = dir.path().join("security.txt");
    std::fs::write(&security_file, &security).unwrap();
    let verify = gpg(&home, &["--verify", security_file.to_str().unwrap()]);
    assert!(
        verify.status.success(),
        "gpg --verify security.txt: {}",
        String::from_utf8_lossy(&verify.stderr)
    );

    // Another node imports the provider's documents: hash and signature
    // checked, a vulnerability notice made, and a second run changes nothing.
    let other = net_node("PA");
    let import = |source: &str, extra: &[&str]| {
        let mut args = vec!["csaf", "import", "--data-dir", other.dir(), source];
        args.extend_from_slice(extra);
        run(&args)
    };
    let first = import(&metadata_url, &[]);
    assert!(
        first.status.success(),
        "{}{}",
        stdout(&first),
        stderr(&first)
    );
    assert!(
        stdout(&first).contains("1 imported, 0 refused"),
        "{}",
        stdout(&first)
    );
    assert!(
        stdout(&first).contains("hash and signature verified"),
        "{}",
        stdout(&first)
    );
    let mut listed = String::new();
    eventually(20, "the running node lists the imported notice", || {
        listed = stdout(&run(&["product", "list", "--data-dir", other.dir()]));
        listed.contains("vulnerability-notice") && listed.contains("Border router firmware flaw")
    });
    assert!(
        listed.contains("high") && listed.contains("TLP:CLEAR"),
        "{listed}"
    );
    let again = import(&metadata_url, &[]);
    assert!(
        stdout(&again).contains("0 imported, 0 refused"),
        "{}",
        stdout(&again)
    );
    assert!(stdout(&again).contains("unchanged"), "{}", stdout(&again));

    // A local copy whose signature no longer matches is refused and named.
    let local = dir.path().join("mirror");
    std::fs::create_dir_all(&local).unwrap();
    let copy = local.join(name);
    std::fs::write(&copy, doc_text.replace("firmware", "software")).unwrap();
    std::fs::write(
        local.join(format!("{name}.asc")),
        text(&format!("{doc_url}.asc")),
    )
    .unwrap();
    let refused = import(
        local.to_str().unwrap(),
        &["--key", key_file.to_str().unwrap()],
    );
    assert!(!refused.status.success());
    let said = stdout(&refused);
    assert!(
        said.contains("refused") && said.contains("does not verify"),
        "{said}"
    );
}
