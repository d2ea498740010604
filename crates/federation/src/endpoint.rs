//! Where the TAXII 2.1 endpoints live (section 4 and 5), relative to an
//! API root or a discovery URL, and URLs made safe to print.

use reqwest::Url;

use crate::error::Error;

/// Parses a URL given by a person or a discovery resource: `http` or
/// `https`, with a host, no query and no fragment. The path is given a
/// trailing `/`, since every TAXII endpoint URL ends in one and relative
/// endpoints are joined below it.
pub fn parse_base(text: &str) -> Result<Url, Error> {
    let invalid = |reason: &str| Error::Url {
        url: redact_text(text),
        reason: reason.to_owned(),
    };
    let mut url = Url::parse(text.trim()).map_err(|e| invalid(&e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid("only http and https URLs are supported"));
    }
    if url.host_str().is_none_or(str::is_empty) || url.cannot_be_a_base() {
        return Err(invalid("the URL has no host"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid(
            "an API root or discovery URL has no query or fragment",
        ));
    }
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

/// Whether `url` names a discovery endpoint (its last path segment is
/// `taxii2`, as TAXII 2.1 section 4.1 places it) rather than an API root.
pub fn is_discovery(url: &Url) -> bool {
    url.path_segments()
        .and_then(|mut segments| segments.rfind(|s| !s.is_empty()))
        == Some("taxii2")
}

/// The discovery endpoint for `url`: `url` itself when it is one, else
/// `/taxii2/` on the same server.
pub fn discovery_of(url: &Url) -> Url {
    if is_discovery(url) {
        return url.clone();
    }
    let mut discovery = url.clone();
    discovery.set_path("/taxii2/");
    discovery
}

/// The URL of an API root named by a discovery resource, which may be
/// absolute or relative to the discovery URL.
pub fn api_root_from_discovery(discovery: &Url, entry: &str) -> Result<Url, Error> {
    let joined = discovery.join(entry.trim()).map_err(|e| Error::Url {
        url: entry.to_owned(),
        reason: e.to_string(),
    })?;
    parse_base(joined.as_str())
}

/// `root` followed by `segments`, each percent-encoded as one path
/// segment, and a trailing `/`: `endpoint(root, &["collections", id,
/// "objects"])` is `{root}collections/{id}/objects/`.
pub fn endpoint(root: &Url, segments: &[&str]) -> Url {
    let mut url = root.clone();
    url.set_query(None);
    url.set_fragment(None);
    if let Ok(mut path) = url.path_segments_mut() {
        path.pop_if_empty().extend(segments).push("");
    }
    url
}

/// The URL without its user name and password, for messages and logs.
pub fn redact(url: &Url) -> String {
    let mut shown = url.clone();
    let _ = shown.set_password(None);
    let _ = shown.set_username("");
    shown.to_string()
}

/// [`redact`] for text that may not even parse.
fn redact_text(text: &str) -> String {
    match Url::parse(text.trim()) {
        Ok(url) => redact(&url),
        Err(_) if text.contains('@') => "(a URL with credentials)".to_owned(),
        Err(_) => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_roots_get_a_trailing_slash_and_endpoints_join_below_them() {
        let root = parse_base("http://127.0.0.1:5000/trustgroup1").unwrap();
        assert_eq!(root.as_str(), "http://127.0.0.1:5000/trustgroup1/");
        assert_eq!(
            endpoint(&root, &["collections"]).as_str(),
            "http://127.0.0.1:5000/trustgroup1/collections/"
        );
        assert_eq!(
            endpoint(&root, &["collections", "91a7b528", "objects"]).as_str(),
            "http://127.0.0.1:5000/trustgroup1/collections/91a7b528/objects/"
        );
        assert_eq!(
            endpoint(&root, &["status", "2d086da7"]).as_str(),
            "http://127.0.0.1:5000/trustgroup1/status/2d086da7/"
        );
        let deep = parse_base("https://x.example/a/b/").unwrap();
        assert_eq!(
            endpoint(&deep, &[]).as_str(),
            "https://x.example/a/b/",
            "no segments is the root itself"
        );
    }

    #[test]
    fn ids_are_one_encoded_segment_and_cannot_climb() {
        let root = parse_base("http://h/root/").unwrap();
        assert_eq!(
            endpoint(&root, &["collections", "../../x?y#z"]).as_str(),
            "http://h/root/collections/..%2F..%2Fx%3Fy%23z/"
        );
        assert_eq!(
            endpoint(&root, &["collections", "a b"]).as_str(),
            "http://h/root/collections/a%20b/"
        );
    }

    #[test]
    fn refuses_what_is_no_server_url() {
        for bad in [
            "ftp://h/root/",
            "not a url",
            "/root/",
            "http://h/root/?x=1",
            "http://h/root/#f",
            "mailto:someone@example.org",
        ] {
            assert!(parse_base(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn discovery_urls_are_recognised_and_derived() {
        let d = parse_base("https://taxii.example/taxii2").unwrap();
        assert!(is_discovery(&d));
        assert_eq!(discovery_of(&d).as_str(), "https://taxii.example/taxii2/");
        let root = parse_base("https://taxii.example:8443/api1/").unwrap();
        assert!(!is_discovery(&root));
        assert_eq!(
            discovery_of(&root).as_str(),
            "https://taxii.example:8443/taxii2/"
        );
        assert_eq!(
            api_root_from_discovery(&d, "/api2").unwrap().as_str(),
            "https://taxii.example/api2/"
        );
        assert_eq!(
            api_root_from_discovery(&d, "https://other.example/api3/")
                .unwrap()
                .as_str(),
            "https://other.example/api3/"
        );
    }

    #[test]
    fn credentials_never_reach_messages() {
        let url = parse_base("https://ana:s3cret@taxii.example/api1/").unwrap();
        let shown = redact(&url);
        assert_eq!(shown, "https://taxii.example/api1/");
        let err = parse_base("ftp://ana:s3cret@taxii.example/").unwrap_err();
        assert!(!err.to_string().contains("s3cret"), "{err}");
    }
}
