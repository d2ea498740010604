//! The node's OpenPGP key and signatures checked by an independent
//! implementation: Debian's GnuPG 2.2 (`gpg`), in a throw-away home.

use std::path::Path;
use std::process::{Command, Output};

use rand::rngs::StdRng;
use rand::SeedableRng;
use vigia_csaf::{export, sha256_file, sha512_file, OpenPgpKey};
use vigia_stix::Tlp;
use vigia_watch::ProductKind;

use crate::support::{sample, ts, TempDir};

fn gpg(home: &Path, args: &[&str]) -> Output {
    let out = Command::new("gpg")
        .arg("--batch")
        .arg("--no-tty")
        .arg("--homedir")
        .arg(home)
        .args(args)
        .output();
    match out {
        Ok(o) => o,
        Err(e) => panic!("gpg does not run ({e}): run scripts/test, which installs gnupg"),
    }
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn home(dir: &TempDir, name: &str) -> std::path::PathBuf {
    let h = dir.0.join(name);
    std::fs::create_dir_all(&h).expect("home");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&h, std::fs::Permissions::from_mode(0o700)).expect("chmod");
    }
    h
}

#[test]
fn gnupg_verifies_a_documents_signature_and_rejects_a_tampered_file() {
    let dir = TempDir::new("gpg");
    let mut rng = StdRng::seed_from_u64(2024);
    let key = OpenPgpKey::generate(
        &mut rng,
        "CERTuy CSAF <csaf@cert.example>",
        ts("2024-11-05T12:00:00Z"),
    )
    .expect("key");
    let doc = export(&sample(
        "signed",
        ProductKind::VulnerabilityNotice,
        Tlp::Clear,
    ))
    .expect("exports");
    let bytes = doc.to_bytes();
    let file = dir.0.join(doc.file_name());
    std::fs::write(&file, &bytes).expect("write");
    let sig = dir.0.join(format!("{}.asc", doc.file_name()));
    std::fs::write(
        &sig,
        key.sign_detached(&mut rng, &bytes, ts("2024-11-06T09:31:00Z"))
            .expect("sign"),
    )
    .expect("write");
    let public = dir.0.join("pub.asc");
    std::fs::write(&public, key.armored_public().expect("public")).expect("write");

    let h = home(&dir, "verify");
    let import = gpg(&h, &["--import", public.to_str().expect("path")]);
    assert!(
        import.status.success(),
        "gpg --import pub.asc:\n{}",
        text(&import)
    );

    let listed = gpg(&h, &["--with-colons", "--fingerprint", "--list-keys"]);
    let listing = text(&listed);
    assert!(
        listing.contains(&format!("fpr:::::::::{}:", key.fingerprint())),
        "gpg sees the same fingerprint:\n{listing}"
    );
    assert!(
        listing
            .lines()
            .any(|l| l.starts_with("pub:") && l.split(':').nth(3) == Some("22")),
        "a v4 EdDSA (algorithm 22) key:\n{listing}"
    );

    let verify = gpg(
        &h,
        &[
            "--verify",
            sig.to_str().expect("path"),
            file.to_str().expect("path"),
        ],
    );
    assert!(
        verify.status.success() && text(&verify).contains("Good signature"),
        "gpg --verify {}.asc {}:\n{}",
        doc.file_name(),
        doc.file_name(),
        text(&verify)
    );

    let mut tampered = bytes.clone();
    let at = tampered.len() / 2;
    tampered[at] ^= 0x01;
    std::fs::write(&file, &tampered).expect("write");
    let bad = gpg(
        &h,
        &[
            "--verify",
            sig.to_str().expect("path"),
            file.to_str().expect("path"),
        ],
    );
    assert!(
        !bad.status.success() && text(&bad).contains("BAD signature"),
        "a tampered file must fail:\n{}",
        text(&bad)
    );
}

#[test]
fn gnupg_imports_the_secret_key() {
    let dir = TempDir::new("gpg-secret");
    let key = OpenPgpKey::generate(
        &mut StdRng::seed_from_u64(7),
        "CERTuy CSAF <csaf@cert.example>",
        ts("2024-11-05T12:00:00Z"),
    )
    .expect("key");
    let secret = dir.0.join("sec.asc");
    std::fs::write(&secret, key.armored_secret().expect("secret")).expect("write");
    let h = home(&dir, "secret");
    let import = gpg(&h, &["--import", secret.to_str().expect("path")]);
    assert!(
        import.status.success(),
        "gpg --import sec.asc:\n{}",
        text(&import)
    );
    let listed = text(&gpg(&h, &["--with-colons", "--list-secret-keys"]));
    assert!(
        listed.contains(&format!("fpr:::::::::{}:", key.fingerprint())),
        "{listed}"
    );
}

#[test]
fn hash_files_check_with_coreutils() {
    let dir = TempDir::new("sha");
    let doc = export(&sample("hashed", ProductKind::Alert, Tlp::Clear)).expect("exports");
    let bytes = doc.to_bytes();
    std::fs::write(dir.0.join(doc.file_name()), &bytes).expect("write");
    for (tool, content) in [
        ("sha256sum", sha256_file(&bytes, doc.file_name())),
        ("sha512sum", sha512_file(&bytes, doc.file_name())),
    ] {
        let sums = dir.0.join(format!("{}.{}", doc.file_name(), &tool[..6]));
        std::fs::write(&sums, content).expect("write");
        let check = Command::new(tool)
            .arg("-c")
            .arg(&sums)
            .current_dir(&dir.0)
            .output()
            .expect("coreutils");
        assert!(check.status.success(), "{tool} -c: {}", text(&check));
    }
}
