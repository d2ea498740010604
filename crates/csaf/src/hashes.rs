//! Hash files (requirement 18, section 7.1.18): the hexadecimal hash, two
//! spaces and the file name, as `sha256sum` and `sha512sum` print them, so
//! `sha256sum -c` checks a downloaded document.

use sha2::{Digest, Sha256, Sha512};

/// The content of `<file name>.sha256`.
pub fn sha256_file(content: &[u8], file_name: &str) -> String {
    line(&hex::encode(Sha256::digest(content)), file_name)
}

/// The content of `<file name>.sha512`.
pub fn sha512_file(content: &[u8], file_name: &str) -> String {
    line(&hex::encode(Sha512::digest(content)), file_name)
}

/// Only the last path segment is named: the hash file sits beside the
/// document.
fn line(hex: &str, file_name: &str) -> String {
    let name = file_name.rsplit('/').next().unwrap_or(file_name);
    format!("{hex}  {name}\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_answers_in_sha256sum_format() {
        assert_eq!(
            sha256_file(b"abc", "a.json"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  a.json\n"
        );
        assert_eq!(
            sha512_file(b"abc", "white/2024/a.json"),
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a\
             2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f  a.json\n"
        );
    }

    #[test]
    fn the_file_starts_with_the_first_hex_digit() {
        let f = sha256_file(b"", "x.json");
        assert!(f.as_bytes()[0].is_ascii_hexdigit());
        assert_eq!(f.split("  ").next().map(str::len), Some(64));
    }
}
