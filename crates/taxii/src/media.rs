//! Media types (TAXII 2.1 section 1.6.8).

pub const TAXII_MEDIA_TYPE: &str = "application/taxii+json;version=2.1";
pub const STIX_MEDIA_TYPE: &str = "application/stix+json;version=2.1";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MediaError {
    #[error(
        "the Accept header {0:?} allows no media type this server produces; use {TAXII_MEDIA_TYPE}"
    )]
    NotAcceptable(String),
    #[error("the Content-Type {0:?} is not supported; send {TAXII_MEDIA_TYPE}")]
    Unsupported(String),
}

/// One media range, lower-cased and without white space.
fn normalise(item: &str) -> String {
    item.chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase()
}

/// Whether `item` names TAXII 2.1 JSON (with no version, or version 2.1).
fn is_taxii_21(item: &str) -> bool {
    let mut parts = item.split(';');
    let base = parts.next().unwrap_or("");
    if base != "application/taxii+json" {
        return false;
    }
    parts.all(|p| !p.starts_with("version=") || p == "version=2.1")
}

/// Checks an Accept header for TAXII endpoints. An absent header accepts
/// anything; `*/*` and `application/*` are honoured.
pub fn check_accept(header: Option<&str>) -> Result<(), MediaError> {
    let Some(header) = header else { return Ok(()) };
    let ok = header.split(',').map(normalise).any(|item| {
        let base = item.split(';').next().unwrap_or("").to_owned();
        base == "*/*" || base == "application/*" || is_taxii_21(&item)
    });
    if ok {
        Ok(())
    } else {
        Err(MediaError::NotAcceptable(header.to_owned()))
    }
}

/// Checks the Content-Type of a POST to an objects endpoint.
pub fn check_content_type(header: Option<&str>) -> Result<(), MediaError> {
    match header {
        Some(h) if is_taxii_21(&normalise(h)) => Ok(()),
        other => Err(MediaError::Unsupported(other.unwrap_or("").to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_header_variants() {
        for ok in [
            None,
            Some("application/taxii+json;version=2.1"),
            Some("application/taxii+json; version=2.1"),
            Some("application/taxii+json"),
            Some("text/html, application/taxii+json;version=2.1"),
            Some("*/*"),
        ] {
            assert!(check_accept(ok).is_ok(), "{ok:?}");
        }
        for bad in [
            "application/taxii+json;version=2.0",
            "application/xml",
            "application/stix+json;version=2.1",
        ] {
            assert!(check_accept(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn content_type_must_be_taxii_21() {
        assert!(check_content_type(Some("application/taxii+json;version=2.1")).is_ok());
        assert!(check_content_type(Some("application/json")).is_err());
        assert!(check_content_type(Some("application/taxii+json;version=2.0")).is_err());
        assert!(check_content_type(None).is_err());
    }
}
