//! What can go wrong talking to a TAXII server. Every variant names the
//! URL (without credentials); HTTP failures carry the status and, when the
//! server sent one, its TAXII error resource (section 3.6.1).

use vigia_taxii::ErrorResource;

/// The longest piece of a non-TAXII error body kept for the message.
const BODY_EXCERPT_CHARS: usize = 300;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{url:?} is not a usable TAXII URL: {reason}")]
    Url { url: String, reason: String },

    #[error("cannot set up the HTTP client: {0}")]
    Setup(String),

    /// No HTTP answer: connection refused, TLS failure, time-out.
    #[error("{method} {url}: {reason}")]
    Transport {
        method: String,
        url: String,
        reason: String,
        timed_out: bool,
    },

    /// The server answered with a status outside 2xx.
    #[error("{method} {url}: HTTP {status}{}", describe(.error.as_deref(), .body.as_deref()))]
    Http {
        method: String,
        url: String,
        status: u16,
        /// The server's TAXII error resource, if the body was one.
        error: Option<Box<ErrorResource>>,
        /// Otherwise the start of the body, as text.
        body: Option<String>,
    },

    #[error("{method} {url}: the response is larger than the limit of {limit} bytes")]
    TooLarge {
        method: String,
        url: String,
        limit: usize,
    },

    /// The server answered 2xx with something that is not the TAXII
    /// resource asked for, or broke the paging rules.
    #[error("{method} {url}: {reason}")]
    Protocol {
        method: String,
        url: String,
        reason: String,
    },
}

impl Error {
    /// The HTTP status, when the server answered with an error status.
    pub fn http_status(&self) -> Option<u16> {
        match self {
            Error::Http { status, .. } => Some(*status),
            _ => None,
        }
    }
}

fn describe(error: Option<&ErrorResource>, body: Option<&str>) -> String {
    match (error, body) {
        (Some(e), _) => match e.description.as_deref() {
            Some(d) if !d.is_empty() => format!(": {}: {d}", e.title),
            _ => format!(": {}", e.title),
        },
        (None, Some(b)) if !b.is_empty() => format!(": {b}"),
        _ => String::new(),
    }
}

/// Reads an error response body: the TAXII error resource if it is one,
/// else a short, single-line excerpt of the text.
pub(crate) fn error_body(body: &[u8]) -> (Option<Box<ErrorResource>>, Option<String>) {
    if let Ok(resource) = serde_json::from_slice::<ErrorResource>(body) {
        return (Some(Box::new(resource)), None);
    }
    let text = String::from_utf8_lossy(body);
    let excerpt: String = text
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(BODY_EXCERPT_CHARS)
        .collect();
    (None, (!excerpt.is_empty()).then_some(excerpt))
}

/// An error and its causes on one line (reqwest's own message is terse:
/// "error sending request"; the cause says "connection refused").
pub(crate) fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![error.to_string()];
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = cause.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_taxii_error_resource_is_shown_with_status_and_url() {
        let body = br#"{"title": "ProcessingError", "http_status": "404",
                        "description": "Collection 'x' not found"}"#;
        let (error, excerpt) = error_body(body);
        assert!(excerpt.is_none());
        let e = Error::Http {
            method: "GET".into(),
            url: "http://127.0.0.1:5000/api1/collections/x/".into(),
            status: 404,
            error,
            body: excerpt,
        };
        assert_eq!(
            e.to_string(),
            "GET http://127.0.0.1:5000/api1/collections/x/: HTTP 404: \
             ProcessingError: Collection 'x' not found"
        );
        assert_eq!(e.http_status(), Some(404));
    }

    #[test]
    fn other_bodies_are_cut_to_one_short_line() {
        let html = format!(
            "<!doctype html>\n<title>500 Internal Server Error</title>\n{}",
            "x".repeat(1000)
        );
        let (error, excerpt) = error_body(html.as_bytes());
        assert!(error.is_none());
        let excerpt = excerpt.unwrap();
        assert!(excerpt.starts_with("<!doctype html> <title>500"));
        assert!(!excerpt.contains('\n'));
        assert_eq!(excerpt.chars().count(), BODY_EXCERPT_CHARS);
        assert_eq!(error_body(b"").1, None);
    }
}
