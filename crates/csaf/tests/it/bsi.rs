//! BSI's CSAF validator (npm `@secvisogram/csaf-validator-lib`, through
//! `e2e/csaf-validate.mjs`): the strict schema test and every mandatory
//! test of section 6.1, over documents of every kind and TLP.

use std::process::Command;

use vigia_csaf::export;

use crate::support::{repo_root, samples, TempDir};

/// Fails, never skips, when Node.js or the package is missing.
fn validator_is_installed() {
    let root = repo_root();
    let node = Command::new("node").arg("--version").output();
    assert!(
        node.as_ref().is_ok_and(|o| o.status.success()),
        "BSI's CSAF validator needs Node.js (node --version failed: {node:?}): run scripts/test, \
         which installs it"
    );
    let package = root.join("e2e/node_modules/@secvisogram/csaf-validator-lib/mandatoryTests.js");
    assert!(
        package.exists(),
        "BSI's CSAF validator is not installed ({} is missing): run scripts/test, which runs \
         npm ci in e2e/",
        package.display()
    );
}

#[test]
fn exported_documents_pass_the_bsi_validators_mandatory_tests() {
    validator_is_installed();
    let dir = TempDir::new("bsi");
    let mut paths = Vec::new();
    for input in samples() {
        let doc = export(&input).expect("exports");
        let path = dir.0.join(doc.file_name());
        std::fs::write(&path, doc.to_bytes()).expect("write");
        paths.push(path);
    }
    let run = Command::new("node")
        .arg(repo_root().join("e2e/csaf-validate.mjs"))
        .args(&paths)
        .current_dir(repo_root())
        .output()
        .expect("node runs");
    let (out, err) = (
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr),
    );
    assert!(
        run.status.success(),
        "BSI's validator rejects exported documents ({}):\n{out}\n{err}",
        run.status
    );
    // Shown with --nocapture: each document and the optional tests' notes.
    println!("{out}");
    let summary = format!("{n} of {n} documents pass", n = paths.len());
    assert!(out.contains(&summary), "{out}");
}

#[test]
fn the_validator_script_fails_a_bad_document() {
    validator_is_installed();
    let dir = TempDir::new("bsi-bad");
    let input = samples().remove(0);
    let mut doc = export(&input).expect("exports").into_json();
    // 6.1.16: the version is not the last number of the revision history.
    doc["document"]["tracking"]["version"] = "7".into();
    let path = dir.0.join("bad.json");
    std::fs::write(&path, serde_json::to_vec(&doc).expect("json")).expect("write");
    let run = Command::new("node")
        .arg(repo_root().join("e2e/csaf-validate.mjs"))
        .arg(&path)
        .output()
        .expect("node runs");
    let out = String::from_utf8_lossy(&run.stdout);
    assert_eq!(run.status.code(), Some(1), "{out}");
    assert!(out.contains("mandatoryTest_6_1_16"), "{out}");
}
