//! The OASIS CSAF 2.0 examples, every profile, read by `import`; the CSAF
//! 2.1 ones are refused with a named error.

use std::path::{Path, PathBuf};

use vigia_csaf::{import, ImportError};
use vigia_stix::Tlp;

use crate::support::csaf_data;

fn json_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            json_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
    out.sort();
}

#[test]
fn every_csaf_2_0_example_imports() {
    let mut files = Vec::new();
    json_files(&csaf_data().join("examples/csaf"), &mut files);
    assert!(files.len() >= 19, "{} examples", files.len());
    for path in &files {
        let text = std::fs::read_to_string(path).expect("read");
        let a = import(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(!a.tracking_id.is_empty() && !a.title.is_empty());
        assert!(!a.publisher.is_empty());
        assert!(
            a.initial_release_date <= a.current_release_date,
            "{}",
            path.display()
        );
    }
}

#[test]
fn what_the_examples_say_is_read() {
    let read = |name: &str| {
        let path = csaf_data().join("examples/csaf").join(name);
        import(&std::fs::read_to_string(&path).expect("read")).expect("imports")
    };
    let bsi = read("bsi-2022-0001.json");
    assert_eq!(bsi.tracking_id, "BSI-2022-0001");
    assert_eq!(bsi.tlp, Some(Tlp::Clear), "WHITE is CLEAR");
    assert_eq!(bsi.cves, ["CVE-2022-27193"]);
    assert_eq!(bsi.category, "csaf_security_advisory");

    let cisco = read("cisco-sa-20180328-smi2.json");
    assert_eq!(cisco.tlp, None, "no label: the caller decides");
    assert_eq!(cisco.cves, ["CVE-2018-0171"]);
    let cvss = cisco.cvss.expect("Cisco scores with CVSS v3");
    assert_eq!(cvss.base_score, 9.8);
    assert!(cvss.vector.starts_with("CVSS:3.0/"), "{}", cvss.vector);
    assert!(cisco.summary.is_some());

    let rh = read("rhsa-2019_1862.json");
    assert_eq!(rh.category, "csaf_informational_advisory");
    assert!(rh.cves.is_empty());
    assert_eq!(rh.aggregate_severity.as_deref(), Some("Low"));

    let vex = read("csaf_vex/2022-evd-uc-02-na-001.json");
    assert_eq!(vex.cves.len(), 19);
    assert_eq!(vex.cves[0], "CVE-2020-11896");
}

#[test]
fn csaf_2_1_examples_give_a_named_error() {
    let dir = csaf_data().join("../csaf_2.1/examples/csaf");
    let mut files = Vec::new();
    json_files(&dir, &mut files);
    assert!(!files.is_empty(), "CSAF 2.1 examples at {}", dir.display());
    for path in files {
        let err = import(&std::fs::read_to_string(&path).expect("read"))
            .expect_err("CSAF 2.1 is not read as 2.0");
        assert_eq!(
            err,
            ImportError::Version("2.1".into()),
            "{}",
            path.display()
        );
    }
}
