//! The client against a small TAXII server on loopback that shows the
//! behaviours real servers have: paging by `next`, paging by
//! `X-TAXII-Date-Added-Last` only, error resources, pending statuses,
//! slow and oversized answers.

#![allow(unreachable_pub)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};
use vigia_federation::{envelope, Auth, Error, Options, TaxiiClient, TAXII_MEDIA_TYPE};
use vigia_stix::Timestamp;

const OBJECTS: usize = 250;
const MAX_PAGE: usize = 100;

#[derive(Default)]
struct Seen {
    /// Each request's query parameters, in order.
    queries: Vec<HashMap<String, String>>,
    /// Each request's headers of interest.
    authorization: Vec<Option<String>>,
    accept: Vec<Option<String>>,
    content_type: Vec<Option<String>>,
    posted: Vec<String>,
    status_polls: usize,
}

type Shared = Arc<Mutex<Seen>>;

/// The i-th object, written with odd spacing so byte-faithfulness shows.
fn object(i: usize) -> String {
    format!(
        "{{\"type\":  \"indicator\", \"id\": \"indicator--00000000-0000-4000-8000-{i:012}\" , \"n\":{i}}}"
    )
}

fn date_added(i: usize) -> String {
    format!("2024-01-01T00:00:00.{:06}Z", i + 1)
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

fn record(seen: &Shared, headers: &HeaderMap, query: &HashMap<String, String>) {
    let mut s = seen.lock().unwrap();
    s.queries.push(query.clone());
    s.authorization.push(header(headers, "authorization"));
    s.accept.push(header(headers, "accept"));
    s.content_type.push(header(headers, "content-type"));
}

fn taxii(status: StatusCode, headers: Vec<(&'static str, String)>, body: String) -> Response {
    let mut response = (status, body).into_response();
    let h = response.headers_mut();
    h.insert("content-type", TAXII_MEDIA_TYPE.parse().unwrap());
    for (k, v) in headers {
        h.insert(k, v.parse().unwrap());
    }
    response
}

/// Objects: `next` is an offset (style "next"), or there is no `next` and
/// the client must page by `added_after` (style "dates").
async fn objects(
    State(seen): State<Shared>,
    Path((_root, style)): Path<(String, String)>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    record(&seen, &headers, &query);
    if style == "missing" {
        return taxii(
            StatusCode::NOT_FOUND,
            vec![],
            json!({"title": "ProcessingError", "http_status": "404",
                   "description": "Collection 'missing' not found"})
            .to_string(),
        );
    }
    if style == "broken" {
        return (StatusCode::INTERNAL_SERVER_ERROR, "<html>boom</html>").into_response();
    }
    if style == "slow" {
        tokio::time::sleep(Duration::from_secs(3)).await;
    }
    if style == "huge" {
        return taxii(
            StatusCode::OK,
            vec![],
            format!("{{\"objects\":[\"{}\"]}}", "x".repeat(100_000)),
        );
    }
    let limit: usize = query
        .get("limit")
        .and_then(|l| l.parse().ok())
        .unwrap_or(MAX_PAGE)
        .min(MAX_PAGE);
    let after = query
        .get("added_after")
        .map(|t| Timestamp::parse(t).unwrap());
    let mut start = (0..OBJECTS)
        .find(|&i| after.is_none_or(|a| Timestamp::parse(&date_added(i)).unwrap() > a))
        .unwrap_or(OBJECTS);
    if let Some(next) = query.get("next") {
        start = next.parse().unwrap();
    }
    let end = (start + limit).min(OBJECTS);
    let more = end < OBJECTS;
    let body = format!(
        "{{\"more\": {more}{}, \"objects\": [{}]}}",
        if more && style == "next" {
            format!(", \"next\": \"{end}\"")
        } else {
            String::new()
        },
        (start..end).map(object).collect::<Vec<_>>().join(", ")
    );
    let mut h = vec![];
    if end > start {
        h.push(("x-taxii-date-added-first", date_added(start)));
        h.push(("x-taxii-date-added-last", date_added(end - 1)));
    }
    taxii(StatusCode::OK, h, body)
}

async fn add(
    State(seen): State<Shared>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
    body: String,
) -> Response {
    record(&seen, &headers, &query);
    let count = serde_json::from_str::<Value>(&body).unwrap()["objects"]
        .as_array()
        .unwrap()
        .len();
    seen.lock().unwrap().posted.push(body);
    taxii(
        StatusCode::ACCEPTED,
        vec![],
        json!({"id": "s1", "status": "pending", "total_count": count,
               "success_count": 0, "failure_count": 0, "pending_count": count})
        .to_string(),
    )
}

async fn status(State(seen): State<Shared>) -> Response {
    let polls = {
        let mut s = seen.lock().unwrap();
        s.status_polls += 1;
        s.status_polls
    };
    let (state, done) = if polls >= 2 {
        ("complete", 2)
    } else {
        ("pending", 0)
    };
    taxii(
        StatusCode::OK,
        vec![],
        json!({"id": "s1", "status": state, "total_count": 2,
               "success_count": done, "failure_count": 0, "pending_count": 2 - done})
        .to_string(),
    )
}

async fn discovery() -> Response {
    taxii(
        StatusCode::OK,
        vec![],
        json!({"title": "mock", "default": "/api1/", "api_roots": ["/api1/"]}).to_string(),
    )
}

async fn api_root() -> Response {
    taxii(
        StatusCode::OK,
        vec![],
        json!({"title": "api1", "versions": [TAXII_MEDIA_TYPE], "max_content_length": 1000000})
            .to_string(),
    )
}

/// Starts the mock server; returns its base URL and what it saw.
async fn server() -> (String, Shared) {
    let seen = Shared::default();
    let app = Router::new()
        .route("/taxii2/", get(discovery))
        .route("/{root}/", get(api_root))
        .route("/{root}/collections/{style}/objects/", get(objects))
        .route(
            "/{root}/collections/write/objects/",
            axum::routing::post(add),
        )
        .route("/{root}/status/s1/", get(status))
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), seen)
}

fn options() -> Options {
    Options {
        page_size: 1000,
        ..Options::default()
    }
}

async fn pull_everything(client: &TaxiiClient, collection: &str) -> (usize, Vec<String>) {
    let mut stream = client.pull_all(collection, None);
    let mut pages = 0;
    let mut raws = Vec::new();
    while let Some(page) = stream.next_page().await.unwrap() {
        pages += 1;
        raws.extend(page.objects.iter().map(|o| o.get().to_owned()));
    }
    (pages, raws)
}

#[tokio::test]
async fn follows_next_to_the_end_keeping_every_object_byte_for_byte() {
    let (base, seen) = server().await;
    let client = TaxiiClient::new(
        &format!("{base}/api1/"),
        Auth::Bearer("tok3n".into()),
        options(),
    )
    .unwrap();
    let (pages, raws) = pull_everything(&client, "next").await;
    assert_eq!(pages, 3);
    assert_eq!(raws, (0..OBJECTS).map(object).collect::<Vec<_>>());
    let s = seen.lock().unwrap();
    assert_eq!(s.queries.len(), 3);
    assert_eq!(s.queries[1].get("next").map(String::as_str), Some("100"));
    assert!(
        s.queries
            .iter()
            .all(|q| q.get("limit").map(String::as_str) == Some("1000")),
        "the page size goes with every request, `next` or not: {:?}",
        s.queries
    );
    assert!(s
        .authorization
        .iter()
        .all(|a| a.as_deref() == Some("Bearer tok3n")));
    assert!(s
        .accept
        .iter()
        .all(|a| a.as_deref() == Some(TAXII_MEDIA_TYPE)));
}

#[tokio::test]
async fn without_next_it_pages_by_the_date_added_last_header() {
    let (base, seen) = server().await;
    let client = TaxiiClient::new(
        &format!("{base}/api1/"),
        Auth::Basic {
            user: "ana".into(),
            password: "pw".into(),
        },
        options(),
    )
    .unwrap();
    let (pages, raws) = pull_everything(&client, "dates").await;
    assert_eq!(pages, 3);
    assert_eq!(raws, (0..OBJECTS).map(object).collect::<Vec<_>>());
    let s = seen.lock().unwrap();
    assert_eq!(s.queries[0].get("added_after"), None);
    assert_eq!(
        s.queries[1].get("added_after").map(String::as_str),
        Some(date_added(99).as_str())
    );
    assert_eq!(
        s.queries[2].get("added_after").map(String::as_str),
        Some(date_added(199).as_str())
    );
    assert!(s.queries.iter().all(|q| !q.contains_key("next")));
    // "ana:pw" in base64.
    assert_eq!(s.authorization[0].as_deref(), Some("Basic YW5hOnB3"));
}

#[tokio::test]
async fn since_is_sent_as_added_after() {
    let (base, seen) = server().await;
    let client = TaxiiClient::new(&format!("{base}/api1/"), Auth::None, options()).unwrap();
    let since = Timestamp::parse(&date_added(239)).unwrap();
    let mut stream = client.pull_all("next", Some(since));
    let page = stream.next_page().await.unwrap().unwrap();
    assert_eq!(page.objects.len(), 10);
    assert!(!page.more);
    assert_eq!(
        page.date_added_first.as_deref(),
        Some(date_added(240).as_str())
    );
    assert!(stream.next_page().await.unwrap().is_none());
    let s = seen.lock().unwrap();
    assert_eq!(
        s.queries[0].get("added_after").map(String::as_str),
        Some(date_added(239).as_str())
    );
    assert_eq!(s.authorization[0], None);
}

#[tokio::test]
async fn errors_name_the_url_the_status_and_the_servers_explanation() {
    let (base, _) = server().await;
    let client = TaxiiClient::new(&format!("{base}/api1/"), Auth::None, options()).unwrap();
    let err = client
        .pull_all("missing", None)
        .next_page()
        .await
        .unwrap_err();
    assert_eq!(err.http_status(), Some(404));
    let text = err.to_string();
    assert!(
        text.contains(&format!("{base}/api1/collections/missing/objects/")),
        "{text}"
    );
    assert!(text.contains("HTTP 404"), "{text}");
    assert!(text.contains("Collection 'missing' not found"), "{text}");

    let err = client
        .objects_page("broken", &Default::default(), None)
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("HTTP 500: <html>boom</html>"),
        "{err}"
    );

    let closed = TaxiiClient::new("http://127.0.0.1:1/api1/", Auth::None, options()).unwrap();
    let err = closed.collections().await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err}");
    assert!(
        err.to_string()
            .contains("http://127.0.0.1:1/api1/collections/"),
        "{err}"
    );
}

#[tokio::test]
async fn slow_and_oversized_answers_are_cut_off() {
    let (base, _) = server().await;
    let client = TaxiiClient::new(
        &format!("{base}/api1/"),
        Auth::None,
        Options {
            timeout: Duration::from_millis(300),
            max_response_bytes: 10_000,
            ..options()
        },
    )
    .unwrap();
    let err = client
        .objects_page("slow", &Default::default(), None)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Transport {
                timed_out: true,
                ..
            }
        ),
        "{err}"
    );
    let err = client
        .objects_page("huge", &Default::default(), None)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::TooLarge { limit: 10_000, .. }),
        "{err}"
    );
}

#[tokio::test]
async fn adds_objects_as_taxii_json_and_waits_for_the_status() {
    let (base, seen) = server().await;
    let client = TaxiiClient::new(&format!("{base}/api1/"), Auth::None, options()).unwrap();
    let body = envelope([object(1).as_str(), object(2).as_str()]);
    let status = client.add_objects("write", body.clone()).await.unwrap();
    assert_eq!(
        (status.status.as_str(), status.pending_count),
        ("pending", 2)
    );
    let done = client
        .wait_for_status(status, Duration::from_secs(20))
        .await
        .unwrap();
    assert_eq!(done.status, "complete");
    assert_eq!(done.success_count, 2);
    let s = seen.lock().unwrap();
    assert_eq!(s.posted, vec![body]);
    assert_eq!(s.content_type[0].as_deref(), Some(TAXII_MEDIA_TYPE));
    assert_eq!(s.status_polls, 2);
}

#[tokio::test]
async fn waiting_for_a_status_is_bounded() {
    let (base, _) = server().await;
    let client = TaxiiClient::new(&format!("{base}/api1/"), Auth::None, options()).unwrap();
    let status = client
        .add_objects("write", envelope([object(1).as_str()]))
        .await
        .unwrap();
    let last = client
        .wait_for_status(status, Duration::from_millis(0))
        .await
        .unwrap();
    assert_eq!(
        last.status, "pending",
        "no time to wait: the status as it was"
    );
}

#[tokio::test]
async fn a_discovery_url_leads_to_the_default_api_root() {
    let (base, _) = server().await;
    let client = TaxiiClient::new(&format!("{base}/taxii2/"), Auth::None, options()).unwrap();
    assert!(client.api_root_url().is_none());
    let discovery = client.discovery().await.unwrap();
    assert_eq!(discovery.title, "mock");
    let client = client.with_default_api_root().await.unwrap();
    assert_eq!(
        client.api_root_url().map(|u| u.as_str().to_owned()),
        Some(format!("{base}/api1/"))
    );
    assert_eq!(client.api_root().await.unwrap().title, "api1");
}
