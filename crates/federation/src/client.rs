//! [`TaxiiClient`]: one TAXII 2.1 server, one credential, a method per
//! endpoint.

use std::fmt;
use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, ACCEPT, CONTENT_TYPE};
use reqwest::{Method, Url};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::value::RawValue;
use vigia_stix::Timestamp;
use vigia_taxii::{ApiRoot, Collection, Collections, Discovery, Filter, Status, TAXII_MEDIA_TYPE};

use std::sync::Arc;

use vigia_sign::message;
use vigia_sign::NodeKey;

use crate::endpoint::{self, redact};
use crate::error::{chain, error_body, Error};
use crate::query::query_pairs;

/// How the client proves who it is.
#[derive(Clone, Default)]
pub enum Auth {
    #[default]
    None,
    /// `Authorization: Bearer …`
    Bearer(String),
    /// HTTP Basic, as TAXII 2.1 section 1.6.1 requires servers to offer.
    Basic { user: String, password: String },
    /// An HTTP Message Signature (RFC 9421) with this node's key: how
    /// national nodes authenticate to each other.
    Signed(Arc<NodeKey>),
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Auth::None => f.write_str("Auth::None"),
            Auth::Bearer(_) => f.write_str("Auth::Bearer(…)"),
            Auth::Basic { user, .. } => write!(f, "Auth::Basic({user}, …)"),
            Auth::Signed(key) => write!(f, "Auth::Signed({})", key.public().fingerprint()),
        }
    }
}

/// Limits of one client.
#[derive(Clone, Debug)]
pub struct Options {
    /// The most one request may take, from connecting to the last byte.
    pub timeout: Duration,
    pub connect_timeout: Duration,
    /// Responses larger than this are refused, not buffered.
    pub max_response_bytes: usize,
    /// The `limit` sent with every objects request whose filter sets none.
    /// Servers cap it at their own maximum.
    pub page_size: u32,
    pub user_agent: String,
    /// Extra trust anchors (PEM), e.g. a national PKI's root, besides the
    /// public web roots.
    pub root_certificates_pem: Vec<Vec<u8>>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(120),
            connect_timeout: Duration::from_secs(10),
            max_response_bytes: 64 * 1024 * 1024,
            page_size: 1000,
            user_agent: format!("vigia/{}", env!("CARGO_PKG_VERSION")),
            root_certificates_pem: Vec::new(),
        }
    }
}

/// One page of a collection's objects (TAXII 2.1 section 5.4).
#[derive(Debug)]
pub struct Page {
    /// Each object exactly as the server sent it.
    pub objects: Vec<Box<RawValue>>,
    pub more: bool,
    /// The server's opaque token for the following page.
    pub next: Option<String>,
    /// The `X-TAXII-Date-Added-First` and `-Last` headers.
    pub date_added_first: Option<String>,
    pub date_added_last: Option<String>,
}

/// A client of one TAXII 2.1 server with one credential. Cheap to clone.
#[derive(Clone, Debug)]
pub struct TaxiiClient {
    http: reqwest::Client,
    auth: Auth,
    options: Options,
    discovery: Url,
    root: Option<Url>,
}

const GET: &str = "GET";
const POST: &str = "POST";

impl TaxiiClient {
    /// A client for `url`: an API root (`https://host/api1/`), or a
    /// discovery URL (`https://host/taxii2/`), whose default API root
    /// [`TaxiiClient::with_default_api_root`] then selects.
    pub fn new(url: &str, auth: Auth, options: Options) -> Result<Self, Error> {
        let base = endpoint::parse_base(url)?;
        let (discovery, root) = if endpoint::is_discovery(&base) {
            (base, None)
        } else {
            (endpoint::discovery_of(&base), Some(base))
        };
        let sends_secret = !matches!(auth, Auth::None);
        if sends_secret && discovery.scheme() == "http" && !is_loopback(&discovery) {
            tracing::warn!(
                url = %redact(&discovery),
                "sending TAXII credentials over plain http to a host that is not loopback"
            );
        }
        let http = http_client(&options)?;
        Ok(Self {
            http,
            auth,
            options,
            discovery,
            root,
        })
    }

    /// The API root this client works on, if it has one yet.
    pub fn api_root_url(&self) -> Option<&Url> {
        self.root.as_ref()
    }

    /// The same client on another API root of the same server.
    pub fn on_api_root(&self, url: &str) -> Result<Self, Error> {
        Ok(Self {
            root: Some(endpoint::parse_base(url)?),
            ..self.clone()
        })
    }

    /// If this client was made from a discovery URL, selects the API
    /// root the server names as its default (or its only one).
    pub async fn with_default_api_root(self) -> Result<Self, Error> {
        if self.root.is_some() {
            return Ok(self);
        }
        let discovery = self.discovery().await?;
        let chosen = match (&discovery.default, discovery.api_roots.as_slice()) {
            (Some(default), _) => default.clone(),
            (None, [only]) => only.clone(),
            (None, roots) => {
                return Err(Error::Protocol {
                    method: GET.into(),
                    url: redact(&self.discovery),
                    reason: format!(
                        "the server names no default API root and {} others; give an API root URL",
                        roots.len()
                    ),
                })
            }
        };
        let root = endpoint::api_root_from_discovery(&self.discovery, &chosen)?;
        Ok(Self {
            root: Some(root),
            ..self
        })
    }

    /// `GET /taxii2/` (section 4.1).
    pub async fn discovery(&self) -> Result<Discovery, Error> {
        self.get_resource(self.discovery.clone()).await
    }

    /// `GET {api-root}/` (section 4.2).
    pub async fn api_root(&self) -> Result<ApiRoot, Error> {
        self.get_resource(self.at(&[])?).await
    }

    /// `GET {api-root}/collections/` (section 5.1).
    pub async fn collections(&self) -> Result<Collections, Error> {
        self.get_resource(self.at(&["collections"])?).await
    }

    /// `GET {api-root}/collections/{id}/` (section 5.2).
    pub async fn collection(&self, id: &str) -> Result<Collection, Error> {
        self.get_resource(self.at(&["collections", id])?).await
    }

    /// `GET {api-root}/status/{id}/` (section 4.3).
    pub async fn status(&self, id: &str) -> Result<Status, Error> {
        self.get_resource(self.at(&["status", id])?).await
    }

    /// One page of `GET {api-root}/collections/{id}/objects/` (section
    /// 5.4). `next` is the server's token from the page before; TAXII
    /// requires the same filter with it, and the page size is always sent
    /// since some servers refuse `next` without `limit`.
    pub async fn objects_page(
        &self,
        collection: &str,
        filter: &Filter,
        next: Option<&str>,
    ) -> Result<Page, Error> {
        let mut url = self.at(&["collections", collection, "objects"])?;
        {
            let mut query = url.query_pairs_mut();
            for (key, value) in query_pairs(filter, Some(self.options.page_size), next) {
                query.append_pair(key, &value);
            }
        }
        let (body, headers) = self.exchange(Method::GET, &url, None).await?;
        let envelope = parse_envelope(&body).map_err(|reason| Error::Protocol {
            method: GET.into(),
            url: redact(&url),
            reason,
        })?;
        Ok(Page {
            objects: envelope.objects,
            more: envelope.more,
            next: envelope.next,
            date_added_first: header_text(&headers, "x-taxii-date-added-first"),
            date_added_last: header_text(&headers, "x-taxii-date-added-last"),
        })
    }

    /// Every page of a collection's objects added after `added_after`
    /// (all of them when `None`), the last version of each object, as the
    /// TAXII default is.
    pub fn pull_all(&self, collection: &str, added_after: Option<Timestamp>) -> PageStream<'_> {
        self.pull(
            collection,
            Filter {
                added_after,
                ..Filter::default()
            },
        )
    }

    /// Every page of a collection's objects that `filter` selects.
    pub fn pull(&self, collection: &str, filter: Filter) -> PageStream<'_> {
        PageStream {
            client: self,
            collection: collection.to_owned(),
            filter,
            next: None,
            done: false,
        }
    }

    /// `POST {api-root}/collections/{id}/objects/` (section 5.5) with an
    /// envelope's text (see [`envelope`]); returns the status resource.
    pub async fn add_objects(&self, collection: &str, envelope: String) -> Result<Status, Error> {
        let url = self.at(&["collections", collection, "objects"])?;
        let (body, _) = self.exchange(Method::POST, &url, Some(envelope)).await?;
        parse_resource(POST, &url, &body)
    }

    /// Asks for `status` again until it is `complete` or `timeout` has
    /// passed, and returns the last one seen (which may still count
    /// pending objects).
    pub async fn wait_for_status(
        &self,
        status: Status,
        timeout: Duration,
    ) -> Result<Status, Error> {
        let deadline = Instant::now() + timeout;
        let mut delay = Duration::from_millis(200);
        let mut status = status;
        while status.status != "complete" {
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            tokio::time::sleep(delay.min(deadline - now)).await;
            delay = (delay * 2).min(Duration::from_secs(5));
            status = self.status(&status.id).await?;
        }
        Ok(status)
    }

    fn at(&self, segments: &[&str]) -> Result<Url, Error> {
        let root = self.root.as_ref().ok_or_else(|| Error::Url {
            url: redact(&self.discovery),
            reason: "this is a discovery URL; an API root is needed for this request".into(),
        })?;
        Ok(endpoint::endpoint(root, segments))
    }

    async fn get_resource<T: DeserializeOwned>(&self, url: Url) -> Result<T, Error> {
        let (body, _) = self.exchange(Method::GET, &url, None).await?;
        parse_resource(GET, &url, &body)
    }

    /// One request and its whole, size-limited response. Non-2xx answers
    /// become [`Error::Http`] with the server's error resource.
    async fn exchange(
        &self,
        method: Method,
        url: &Url,
        body: Option<String>,
    ) -> Result<(Vec<u8>, HeaderMap), Error> {
        let shown = redact(url);
        let started = Instant::now();
        let mut request = self
            .http
            .request(method.clone(), url.clone())
            .header(ACCEPT, TAXII_MEDIA_TYPE);
        let digest = body.as_ref().map(|b| message::content_digest(b.as_bytes()));
        if let Some(body) = body {
            request = request.header(CONTENT_TYPE, TAXII_MEDIA_TYPE).body(body);
        }
        request = match &self.auth {
            Auth::None => request,
            Auth::Bearer(token) => request.bearer_auth(token),
            Auth::Basic { user, password } => request.basic_auth(user, Some(password)),
            Auth::Signed(key) => sign(request, key, &method, url, digest.as_deref())?,
        };
        let transport = |e: reqwest::Error| Error::Transport {
            method: method.to_string(),
            url: shown.clone(),
            timed_out: e.is_timeout(),
            reason: if e.is_timeout() {
                format!("no complete answer within {:?}", self.options.timeout)
            } else {
                chain(&e.without_url())
            },
        };
        let mut response = request.send().await.map_err(transport)?;
        let status = response.status();
        let headers = response.headers().clone();
        let limit = self.options.max_response_bytes;
        let too_large = || Error::TooLarge {
            method: method.to_string(),
            url: shown.clone(),
            limit,
        };
        if response.content_length().is_some_and(|n| n > limit as u64) {
            return Err(too_large());
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(transport)? {
            if bytes.len() + chunk.len() > limit {
                return Err(too_large());
            }
            bytes.extend_from_slice(&chunk);
        }
        tracing::debug!(
            %method,
            url = %shown,
            status = status.as_u16(),
            bytes = bytes.len(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "TAXII request"
        );
        if !status.is_success() {
            let (error, body) = error_body(&bytes);
            return Err(Error::Http {
                method: method.to_string(),
                url: shown,
                status: status.as_u16(),
                error,
                body,
            });
        }
        Ok((bytes, headers))
    }
}

/// The HTTP client of one [`TaxiiClient`]: rustls, time-outs, extra roots.
pub(crate) fn http_client(options: &Options) -> Result<reqwest::Client, Error> {
    let mut builder = reqwest::Client::builder()
        .timeout(options.timeout)
        .connect_timeout(options.connect_timeout)
        .user_agent(options.user_agent.clone())
        .redirect(reqwest::redirect::Policy::limited(5));
    for pem in &options.root_certificates_pem {
        let certs = reqwest::Certificate::from_pem_bundle(pem)
            .map_err(|e| Error::Setup(format!("bad trust anchor: {}", chain(&e))))?;
        for cert in certs {
            builder = builder.add_root_certificate(cert);
        }
    }
    builder.build().map_err(|e| Error::Setup(chain(&e)))
}

/// Adds `Content-Digest`, `Signature-Input` and `Signature` headers.
fn sign(
    request: reqwest::RequestBuilder,
    key: &NodeKey,
    method: &Method,
    url: &Url,
    digest: Option<&str>,
) -> Result<reqwest::RequestBuilder, Error> {
    let parts = message::RequestParts {
        method: method.as_str(),
        target_uri: url.as_str(),
        content_digest: digest,
    };
    let created = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default();
    let nonce = uuid::Uuid::new_v4().to_string();
    let headers = message::sign_request(key, &parts, created, &nonce)
        .map_err(|e| Error::Setup(format!("cannot sign the request: {e}")))?;
    let mut request = request
        .header("signature-input", headers.signature_input)
        .header("signature", headers.signature);
    if let Some(d) = digest {
        request = request.header("content-digest", d);
    }
    Ok(request)
}

/// Follows a collection's pages to the end: by the server's `next` token
/// while it sends one; when a server answers `more: true` without a
/// `next` (as some TAXII 2.1 servers do), by asking again with
/// `added_after` set to the page's `X-TAXII-Date-Added-Last`.
#[derive(Debug)]
pub struct PageStream<'c> {
    client: &'c TaxiiClient,
    collection: String,
    filter: Filter,
    next: Option<String>,
    done: bool,
}

impl PageStream<'_> {
    /// The following page, or `None` after the last one.
    pub async fn next_page(&mut self) -> Result<Option<Page>, Error> {
        if self.done {
            return Ok(None);
        }
        let page = self
            .client
            .objects_page(&self.collection, &self.filter, self.next.as_deref())
            .await;
        let page = match page {
            Ok(page) => page,
            Err(e) => {
                self.done = true;
                return Err(e);
            }
        };
        match continuation(&page, self.filter.added_after, self.next.as_deref()) {
            Ok(Continuation::Done) => self.done = true,
            Ok(Continuation::Next(token)) => self.next = Some(token),
            Ok(Continuation::AddedAfter(t)) => {
                self.filter.added_after = Some(t);
                self.next = None;
            }
            Err(reason) => {
                self.done = true;
                let mut url = self
                    .client
                    .at(&["collections", &self.collection, "objects"])?;
                url.set_query(None);
                return Err(Error::Protocol {
                    method: GET.into(),
                    url: redact(&url),
                    reason,
                });
            }
        }
        Ok(Some(page))
    }
}

/// What to ask for after a page.
#[derive(Debug, PartialEq, Eq)]
enum Continuation {
    Done,
    Next(String),
    AddedAfter(Timestamp),
}

fn continuation(
    page: &Page,
    added_after: Option<Timestamp>,
    previous_next: Option<&str>,
) -> Result<Continuation, String> {
    if !page.more {
        return Ok(Continuation::Done);
    }
    // A server that filters a page (as an access rule does) may send it
    // empty with a `next`; without one, an empty page cannot move on.
    if let Some(next) = &page.next {
        // Some servers (medallion) keep one token for every page of a
        // request; only an empty page under the same token is a loop.
        if page.objects.is_empty() && previous_next == Some(next.as_str()) {
            return Err(format!(
                "the server sent an empty page and the same next token {next:?} again"
            ));
        }
        return Ok(Continuation::Next(next.clone()));
    }
    if page.objects.is_empty() {
        return Err("the server says there is more but sent an empty page".into());
    }
    let Some(last) = &page.date_added_last else {
        return Err(
            "the server says there is more but sends neither `next` nor X-TAXII-Date-Added-Last"
                .into(),
        );
    };
    let last = Timestamp::parse(last)
        .map_err(|e| format!("X-TAXII-Date-Added-Last is not a timestamp: {e}"))?;
    if added_after.is_some_and(|before| last <= before) {
        return Err(format!(
            "paging by X-TAXII-Date-Added-Last makes no progress (still {})",
            last.to_micros_string()
        ));
    }
    Ok(Continuation::AddedAfter(last))
}

/// The envelope resource, each object kept as received.
struct Envelope {
    objects: Vec<Box<RawValue>>,
    more: bool,
    next: Option<String>,
}

fn parse_envelope(body: &[u8]) -> Result<Envelope, String> {
    #[derive(Deserialize)]
    struct Wire {
        #[serde(default)]
        objects: Option<Vec<Box<RawValue>>>,
        #[serde(default)]
        more: Option<bool>,
        #[serde(default)]
        next: Option<serde_json::Value>,
    }
    let text = std::str::from_utf8(body).map_err(|_| "the envelope is not UTF-8".to_owned())?;
    let wire: Wire =
        serde_json::from_str(text).map_err(|e| format!("not a TAXII envelope: {e}"))?;
    let next = match wire.next {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(s)) if s.is_empty() => None,
        Some(serde_json::Value::String(s)) => Some(s),
        Some(serde_json::Value::Number(n)) => Some(n.to_string()),
        Some(other) => return Err(format!("`next` is neither a string nor a number: {other}")),
    };
    Ok(Envelope {
        objects: wire.objects.unwrap_or_default(),
        more: wire.more.unwrap_or(false),
        next,
    })
}

fn parse_resource<T: DeserializeOwned>(method: &str, url: &Url, body: &[u8]) -> Result<T, Error> {
    serde_json::from_slice(body).map_err(|e| Error::Protocol {
        method: method.into(),
        url: redact(url),
        reason: format!(
            "the answer is not the expected {} resource: {e}",
            short_type_name::<T>()
        ),
    })
}

fn short_type_name<T>() -> &'static str {
    let full = std::any::type_name::<T>();
    full.rsplit("::").next().unwrap_or(full)
}

/// A response header as text, trimmed; `None` if absent, empty or not
/// visible ASCII.
fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

pub(crate) fn is_loopback(url: &Url) -> bool {
    let host = url.host_str().unwrap_or("");
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || bare
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// `{"objects":[…]}` around objects' exact text, for
/// [`TaxiiClient::add_objects`]. Nothing is re-serialised.
pub fn envelope<'a>(objects: impl IntoIterator<Item = &'a str>) -> String {
    relay_envelope(objects, None)
}

/// A TAXII envelope that also names, with [`vigia_taxii::CoveredHint`],
/// the nodes each object is already on its way to.
pub fn relay_envelope<'a>(
    objects: impl IntoIterator<Item = &'a str>,
    covered: Option<&vigia_taxii::CoveredHint>,
) -> String {
    let mut out = String::from("{\"objects\":[");
    for (i, object) in objects.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(object);
    }
    out.push(']');
    if let Some(hint) = covered.and_then(|h| serde_json::to_string(h).ok()) {
        out.push_str(",\"");
        out.push_str(vigia_taxii::COVERED_PROPERTY);
        out.push_str("\":");
        out.push_str(&hint);
    }
    out.push('}');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn page(objects: usize, more: bool, next: Option<&str>, last: Option<&str>) -> Page {
        Page {
            objects: (0..objects)
                .map(|i| RawValue::from_string(format!("{{\"n\":{i}}}")).unwrap())
                .collect(),
            more,
            next: next.map(str::to_owned),
            date_added_first: None,
            date_added_last: last.map(str::to_owned),
        }
    }

    fn ts(text: &str) -> Timestamp {
        Timestamp::parse(text).unwrap()
    }

    #[test]
    fn paging_follows_next_then_the_date_added_header() {
        assert_eq!(
            continuation(&page(1, false, Some("x"), None), None, None),
            Ok(Continuation::Done)
        );
        assert_eq!(
            continuation(
                &page(2, true, Some("tok"), Some("2020-01-01T00:00:00Z")),
                None,
                None
            ),
            Ok(Continuation::Next("tok".into()))
        );
        assert_eq!(
            continuation(
                &page(2, true, None, Some("2020-01-01T00:00:00.123456Z")),
                None,
                None
            ),
            Ok(Continuation::AddedAfter(ts("2020-01-01T00:00:00.123456Z")))
        );
        assert_eq!(
            continuation(&page(0, true, Some("tok"), None), None, None),
            Ok(Continuation::Next("tok".into())),
            "a filtered, empty page may still lead on"
        );
    }

    #[test]
    fn paging_refuses_to_loop_forever() {
        assert!(continuation(&page(0, true, Some("tok"), None), None, Some("tok")).is_err());
        assert!(continuation(&page(0, true, None, None), None, None).is_err());
        assert!(continuation(&page(3, true, None, None), None, None).is_err());
        assert!(continuation(&page(3, true, None, Some("yesterday")), None, None).is_err());
        let at = "2020-01-01T00:00:00.000001Z";
        assert!(continuation(&page(3, true, None, Some(at)), Some(ts(at)), None).is_err());
    }

    #[test]
    fn envelopes_keep_each_object_as_sent() {
        let body = br#"{"more": true, "next": "abc",
            "objects": [ {"type": "indicator",  "id": "x"} ,{"b":1}]}"#;
        let e = parse_envelope(body).unwrap();
        assert!(e.more);
        assert_eq!(e.next.as_deref(), Some("abc"));
        let raws: Vec<&str> = e.objects.iter().map(|o| o.get()).collect();
        assert_eq!(
            raws,
            vec![r#"{"type": "indicator",  "id": "x"}"#, r#"{"b":1}"#]
        );

        let empty = parse_envelope(b"{}").unwrap();
        assert!(empty.objects.is_empty() && !empty.more && empty.next.is_none());
        assert_eq!(
            parse_envelope(br#"{"objects":[],"next":7,"more":true}"#)
                .unwrap()
                .next
                .as_deref(),
            Some("7")
        );
        assert!(parse_envelope(b"[1,2]").is_err());
        assert!(parse_envelope(br#"{"next":{"a":1}}"#).is_err());
        assert!(parse_envelope(b"\xff").is_err());
    }

    #[test]
    fn date_added_headers_are_read_trimmed() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "X-TAXII-Date-Added-Last",
            HeaderValue::from_static(" 2020-01-01T00:00:00.000000Z "),
        );
        headers.insert("X-TAXII-Date-Added-First", HeaderValue::from_static(""));
        assert_eq!(
            header_text(&headers, "x-taxii-date-added-last").as_deref(),
            Some("2020-01-01T00:00:00.000000Z")
        );
        assert_eq!(header_text(&headers, "x-taxii-date-added-first"), None);
        assert_eq!(header_text(&headers, "x-missing"), None);
    }

    #[test]
    fn envelope_wraps_raw_text_untouched() {
        assert_eq!(envelope([]), r#"{"objects":[]}"#);
        assert_eq!(
            envelope([r#"{"a": 1}"#, r#"{"b" :2}"#]),
            r#"{"objects":[{"a": 1},{"b" :2}]}"#
        );
    }

    #[test]
    fn clients_know_their_api_root_and_discovery() {
        let c =
            TaxiiClient::new("http://127.0.0.1:1/api1", Auth::None, Options::default()).unwrap();
        assert_eq!(
            c.api_root_url().map(Url::as_str),
            Some("http://127.0.0.1:1/api1/")
        );
        assert_eq!(c.discovery.as_str(), "http://127.0.0.1:1/taxii2/");
        let d =
            TaxiiClient::new("http://127.0.0.1:1/taxii2/", Auth::None, Options::default()).unwrap();
        assert!(d.api_root_url().is_none());
        assert!(matches!(d.at(&["collections"]), Err(Error::Url { .. })));
        let secret = Auth::Basic {
            user: "ana".into(),
            password: "s3cret".into(),
        };
        assert!(!format!("{secret:?}").contains("s3cret"));
        assert!(!format!("{:?}", Auth::Bearer("tok3n".into())).contains("tok3n"));
    }

    #[test]
    fn loopback_is_recognised() {
        for (url, expected) in [
            ("http://127.0.0.1:5000/", true),
            ("http://localhost/", true),
            ("http://[::1]:80/", true),
            ("http://taxii.example/", false),
            ("http://10.0.0.1/", false),
        ] {
            assert_eq!(is_loopback(&Url::parse(url).unwrap()), expected, "{url}");
        }
    }
}
