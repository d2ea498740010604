//! Full-text search: what is found, which version, and that no typed text
//! can break it.

use serde_json::json;
use sqlx::{Connection, Executor};
use vigia_stix::{StixId, StixObject};
use vigia_store::{Backend, Store, StoreError, StoredObject, MAX_SEARCH_QUERY_CHARS};

use crate::support::{batch, on_both_backends, parse, uuid, Item, TestDb, TEAM_A, TEAM_B};

on_both_backends!(
    words_of_names_descriptions_and_notes_are_found,
    indicator_values_are_found_inside_patterns,
    observable_values_and_hashes_are_found,
    only_the_latest_version_is_searched_and_returned,
    newest_matches_come_first_up_to_the_limit,
    a_viewers_keys_narrow_the_search_before_the_limit,
    hostile_queries_are_plain_text,
    blank_and_oversized_queries,
    deleted_versions_leave_the_index,
    nul_escapes_in_objects_do_not_break_indexing,
    migration_indexes_objects_stored_before_it,
    case_and_diacritics_are_folded_in_every_script,
);

const CREATED: &str = "2024-01-01T00:00:00.000Z";

fn indicator_id(n: u64) -> String {
    format!("indicator--{}", uuid(20, n))
}

fn indicator(n: u64, modified: &str, pattern: &str, description: &str) -> StixObject {
    parse(
        &json!({
            "type": "indicator",
            "spec_version": "2.1",
            "id": indicator_id(n),
            "created": CREATED,
            "modified": modified,
            "name": format!("detection {n}"),
            "description": description,
            "pattern": pattern,
            "pattern_type": "stix",
            "valid_from": "2024-01-01T00:00:00Z",
        })
        .to_string(),
    )
}

fn ip_indicator(n: u64, ip: &str) -> StixObject {
    indicator(
        n,
        CREATED,
        &format!("[ipv4-addr:value = '{ip}']"),
        "address seen in scanning",
    )
}

fn note(n: u64, summary: &str, content: &str) -> StixObject {
    parse(
        &json!({
            "type": "note",
            "spec_version": "2.1",
            "id": format!("note--{}", uuid(21, n)),
            "created": CREATED,
            "modified": CREATED,
            "abstract": summary,
            "content": content,
            "object_refs": [indicator_id(1)],
        })
        .to_string(),
    )
}

fn report(n: u64, name: &str) -> StixObject {
    parse(
        &json!({
            "type": "report",
            "spec_version": "2.1",
            "id": format!("report--{}", uuid(22, n)),
            "created": CREATED,
            "modified": CREATED,
            "name": name,
            "published": CREATED,
            "object_refs": [indicator_id(1)],
        })
        .to_string(),
    )
}

async fn store_all(store: &Store, objects: Vec<StixObject>) {
    let items: Vec<Item> = objects.into_iter().map(Item::green).collect();
    store.insert_objects(&batch(&items)).await.unwrap();
}

/// The ids a search returns, in its order.
async fn found(store: &Store, query: &str) -> Vec<String> {
    ids(&store
        .search_objects(query, 100)
        .await
        .unwrap_or_else(|e| panic!("search {query:?} failed: {e}")))
}

fn ids(rows: &[StoredObject]) -> Vec<String> {
    rows.iter().map(|o| o.id.to_string()).collect()
}

fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}

async fn words_of_names_descriptions_and_notes_are_found(db: &TestDb) {
    let store = &db.store;
    let phishing = indicator(
        1,
        CREATED,
        "[url:value = 'http://login.example.org/']",
        "Phishing kit targeting the Ministry of Finance.",
    );
    let ransomware = report(1, "Ransomware campaign against hospitals");
    let analysis = note(
        1,
        "Analyst summary",
        "The dropper persists through a scheduled task.",
    );
    let (phishing_id, report_id, note_id) = (
        phishing.id().to_string(),
        ransomware.id().to_string(),
        analysis.id().to_string(),
    );
    store_all(store, vec![phishing, ransomware, analysis]).await;

    // A description word, in any case, with its punctuation.
    assert_eq!(found(store, "ministry").await, [phishing_id.as_str()]);
    assert_eq!(found(store, "MINISTRY").await, [phishing_id.as_str()]);
    assert_eq!(found(store, "Finance.").await, [phishing_id.as_str()]);
    // A name, a note's content and its abstract.
    assert_eq!(found(store, "hospitals").await, [report_id.as_str()]);
    assert_eq!(found(store, "scheduled").await, [note_id.as_str()]);
    assert_eq!(found(store, "analyst").await, [note_id.as_str()]);
    // Every word must match, wherever it is in the object.
    assert_eq!(
        found(store, "phishing finance login").await,
        [phishing_id.as_str()]
    );
    assert!(found(store, "phishing hospitals").await.is_empty());
    // Whole words only, and nothing outside the searched fields: the type
    // and the id are not text.
    assert!(found(store, "minist").await.is_empty());
    assert!(found(store, "indicator").await.is_empty());
    assert!(found(store, &uuid(20, 1)).await.is_empty());
}

async fn indicator_values_are_found_inside_patterns(db: &TestDb) {
    let store = &db.store;
    let sha256 = "3a7bd3e2360a3d29eea436fcfb7e44c735d117c42d1c1835420b6b9942dd4f1b";
    let near = ip_indicator(1, "198.51.100.7");
    let neighbour = ip_indicator(2, "198.51.100.70");
    let domain = indicator(
        3,
        CREATED,
        "[domain-name:value = 'evil.example'] OR [url:value = 'https://cdn.evil.example/a.js']",
        "command and control",
    );
    let file = indicator(
        4,
        CREATED,
        &format!("[file:hashes.'SHA-256' = '{sha256}']"),
        "dropper",
    );
    let all = [&near, &neighbour, &domain, &file].map(|o| o.id().to_string());
    store_all(store, vec![near, neighbour, domain, file]).await;

    // An address is its own run of numbers: .7 is not .70.
    assert_eq!(found(store, "198.51.100.7").await, [all[0].clone()]);
    assert_eq!(found(store, "198.51.100.70").await, [all[1].clone()]);
    assert_eq!(
        sorted(found(store, "198.51.100").await),
        sorted(vec![all[0].clone(), all[1].clone()])
    );
    assert!(found(store, "198.51.100.8").await.is_empty());
    // A domain, alone or inside a URL; in any case.
    assert_eq!(found(store, "evil.example").await, [all[2].clone()]);
    assert_eq!(found(store, "CDN.Evil.Example").await, [all[2].clone()]);
    assert!(found(store, "evil.example.org").await.is_empty());
    // A hash, whichever case it is written in.
    assert_eq!(found(store, sha256).await, [all[3].clone()]);
    assert_eq!(found(store, &sha256.to_uppercase()).await, [all[3].clone()]);
    assert!(found(store, &sha256[..40]).await.is_empty());
}

async fn observable_values_and_hashes_are_found(db: &TestDb) {
    let store = &db.store;
    let domain = parse(
        &json!({
            "type": "domain-name",
            "spec_version": "2.1",
            "id": format!("domain-name--{}", uuid(23, 1)),
            "value": "update.badcdn.example",
        })
        .to_string(),
    );
    let md5 = "D41D8CD98F00B204E9800998ECF8427E";
    let file = parse(
        &json!({
            "type": "file",
            "spec_version": "2.1",
            "id": format!("file--{}", uuid(23, 2)),
            "name": "invoice.pdf.exe",
            "hashes": { "MD5": md5 },
        })
        .to_string(),
    );
    let (domain_id, file_id) = (domain.id().to_string(), file.id().to_string());
    store_all(store, vec![domain, file]).await;

    assert_eq!(found(store, "badcdn.example").await, [domain_id]);
    assert_eq!(found(store, &md5.to_lowercase()).await, [file_id.as_str()]);
    assert_eq!(found(store, "invoice.pdf.exe").await, [file_id]);
    // The hash algorithm is a key, not a value.
    assert!(found(store, "MD5").await.is_empty());
}

async fn only_the_latest_version_is_searched_and_returned(db: &TestDb) {
    let store = &db.store;
    let v1 = "2024-01-01T00:00:00.000Z";
    let v2 = "2024-02-01T00:00:00.000Z";
    let v3 = "2024-03-01T00:00:00.000Z";
    let version = |modified: &str, ip: &str, description: &str| {
        indicator(
            1,
            modified,
            &format!("[ipv4-addr:value = '{ip}']"),
            description,
        )
    };
    store_all(
        store,
        vec![version(v1, "203.0.113.1", "botnet controller first seen")],
    )
    .await;
    store_all(
        store,
        vec![version(v3, "203.0.113.3", "botnet controller moved")],
    )
    .await;
    // An older version arriving late does not become what is searched.
    store_all(
        store,
        vec![version(v2, "203.0.113.2", "botnet controller interim")],
    )
    .await;
    assert_eq!(
        store
            .object_versions(&StixId::parse(&indicator_id(1)).unwrap())
            .await
            .unwrap()
            .len(),
        3
    );

    // A word in every version: one result, the latest version.
    let rows = store.search_objects("botnet", 10).await.unwrap();
    assert_eq!(ids(&rows), [indicator_id(1)]);
    assert_eq!(
        rows[0].version.unwrap().to_millis_string(),
        v3,
        "the latest version is returned"
    );
    assert!(rows[0].raw.contains("203.0.113.3"));
    // Words only older versions held no longer find the object.
    for gone in ["203.0.113.1", "203.0.113.2", "interim", "first"] {
        assert!(found(store, gone).await.is_empty(), "{gone} still found");
    }
    assert_eq!(found(store, "203.0.113.3 moved").await, [indicator_id(1)]);
}

async fn newest_matches_come_first_up_to_the_limit(db: &TestDb) {
    let store = &db.store;
    for n in 1..=5 {
        store_all(store, vec![ip_indicator(n, &format!("192.0.2.{n}"))]).await;
    }
    let rows = store.search_objects("scanning", 3).await.unwrap();
    assert_eq!(
        ids(&rows),
        [indicator_id(5), indicator_id(4), indicator_id(3)]
    );
    assert!(rows.windows(2).all(|w| w[0].date_added > w[1].date_added));
    assert_eq!(
        store.search_objects("scanning", 100).await.unwrap().len(),
        5
    );
    assert!(store
        .search_objects("scanning", 0)
        .await
        .unwrap()
        .is_empty());
}

async fn a_viewers_keys_narrow_the_search_before_the_limit(db: &TestDb) {
    let store = &db.store;
    // Ten newer AMBER matches of team B come after one of team A's.
    let mine = Item::new(
        ip_indicator(1, "192.0.2.1"),
        vigia_stix::Tlp::Amber,
        Some(TEAM_A),
    );
    store.insert_objects(&batch(&[mine])).await.unwrap();
    let theirs: Vec<Item> = (2..=11)
        .map(|n| {
            Item::new(
                ip_indicator(n, &format!("192.0.2.{n}")),
                vigia_stix::Tlp::Amber,
                Some(TEAM_B),
            )
        })
        .collect();
    store.insert_objects(&batch(&theirs)).await.unwrap();
    // Unfiltered, a limit of 5 holds only B's; with A's keys, A's own is
    // found whatever the limit.
    let all = store.search_objects("scanning", 5).await.unwrap();
    assert!(!ids(&all).contains(&indicator_id(1)));
    let keys = vec![format!("team:{TEAM_A}"), "public".to_owned()];
    let a = store
        .search_objects_for("scanning", &keys, 5)
        .await
        .unwrap();
    assert_eq!(ids(&a), [indicator_id(1)]);
    let none = store.search_objects_for("scanning", &[], 5).await.unwrap();
    assert!(none.is_empty(), "no keys, nothing");
}

async fn hostile_queries_are_plain_text(db: &TestDb) {
    let store = &db.store;
    let target = indicator(
        1,
        CREATED,
        "[domain-name:value = 'evil.example']",
        "Lateral movement near the café (ministère) — 東京 office",
    );
    store_all(store, vec![target]).await;

    let hostile = [
        "\"",
        "\"\"",
        "'",
        "*",
        "evil*",
        "-",
        "-evil",
        ":",
        "body:evil",
        "NEAR(",
        "NEAR(evil example)",
        "evil AND OR NOT",
        "(",
        ")",
        "^evil",
        "'); DROP TABLE objects; --",
        "\"); DROP TABLE object_search; --",
        "$1 $$ \\ % _ ; /* */",
        "!evil & | <-> <2>",
        "🛰 東京 ñandú ﷽ \u{200b} \u{feff}",
        "\0 \u{1} \u{7f}",
        "a\"b'c:d*e(f)g-h",
    ];
    for query in hostile {
        let rows = store
            .search_objects(query, 10)
            .await
            .unwrap_or_else(|e| panic!("query {query:?} failed: {e}"));
        assert!(rows.len() <= 1, "query {query:?}");
    }
    // Nothing was dropped, and operators are just words that must match.
    assert_eq!(store.count_objects().await.unwrap(), 1);
    assert!(found(store, "'); DROP TABLE objects; --").await.is_empty());
    assert!(found(store, "evil OR nothing").await.is_empty());
    // Punctuation around a word is not syntax: the word is still found.
    for query in [
        "\"lateral\"",
        "lateral*",
        "-lateral",
        ":lateral:",
        "(lateral",
        "(movement)",
        "'evil.example'",
        "café",
        "ministère",
        "東京",
    ] {
        assert_eq!(found(store, query).await, [indicator_id(1)], "{query:?}");
    }
}

async fn blank_and_oversized_queries(db: &TestDb) {
    let store = &db.store;
    store_all(store, vec![ip_indicator(1, "192.0.2.1")]).await;
    for query in ["", " ", "\t\n", "* - : \" '", "\0"] {
        assert!(
            store.search_objects(query, 10).await.unwrap().is_empty(),
            "{query:?}"
        );
    }
    // The limit counts characters, after surrounding white space.
    let at_limit = format!(
        "  scanning{}  ",
        " é".repeat((MAX_SEARCH_QUERY_CHARS - 8) / 2)
    );
    assert!(at_limit.trim().chars().count() <= MAX_SEARCH_QUERY_CHARS);
    assert!(store.search_objects(&at_limit, 10).await.is_ok());
    let over = "scanning ".repeat(MAX_SEARCH_QUERY_CHARS / 8);
    match store.search_objects(&over, 10).await {
        Err(StoreError::SearchQuery { reason }) => {
            assert!(reason.contains("200"), "{reason}")
        }
        other => panic!("expected a refused query, got {other:?}"),
    }
}

async fn deleted_versions_leave_the_index(db: &TestDb) {
    let store = &db.store;
    let v1 = indicator(1, CREATED, "[ipv4-addr:value = '198.51.100.1']", "old");
    let v2 = indicator(
        1,
        "2024-02-01T00:00:00.000Z",
        "[ipv4-addr:value = '198.51.100.2']",
        "new",
    );
    store_all(store, vec![v1, v2]).await;
    assert_eq!(found(store, "198.51.100.2").await, [indicator_id(1)]);

    let id = StixId::parse(&indicator_id(1)).unwrap();
    let versions = store.object_versions(&id).await.unwrap();
    let newest = versions.last().unwrap().date_added;
    assert_eq!(
        store.delete_object_versions(&id, &[newest]).await.unwrap(),
        1
    );

    // The deleted version is gone; the one left is latest and searched.
    assert!(found(store, "198.51.100.2").await.is_empty());
    assert_eq!(found(store, "198.51.100.1 old").await, [indicator_id(1)]);
}

async fn nul_escapes_in_objects_do_not_break_indexing(db: &TestDb) {
    let store = &db.store;
    // Valid JSON that PostgreSQL's text cannot hold once unescaped.
    let raw = json!({
        "type": "indicator",
        "spec_version": "2.1",
        "id": indicator_id(1),
        "created": CREATED,
        "modified": CREATED,
        "name": "nul\u{0}byte",
        "description": "payload with an embedded terminator",
        "pattern": "[ipv4-addr:value = '198.51.100.9']",
        "pattern_type": "stix",
        "valid_from": "2024-01-01T00:00:00Z",
    })
    .to_string();
    assert!(raw.contains("\\u0000"));
    store_all(store, vec![parse(&raw)]).await;
    assert_eq!(found(store, "terminator").await, [indicator_id(1)]);
    assert_eq!(found(store, "198.51.100.9").await, [indicator_id(1)]);
    assert_eq!(found(store, "nul").await, [indicator_id(1)]);
}

/// Objects stored before migration 0008 are indexed by it. The database
/// is put back as it was before 0008 (its index, view and record gone)
/// and opened again, which runs 0008 over the stored rows.
async fn migration_indexes_objects_stored_before_it(db: &TestDb) {
    let store = &db.store;
    let old = "2024-01-01T00:00:00.000Z";
    let new = "2024-02-01T00:00:00.000Z";
    store_all(
        store,
        vec![
            indicator(1, old, "[ipv4-addr:value = '198.51.100.1']", "retired"),
            indicator(1, new, "[ipv4-addr:value = '198.51.100.2']", "current"),
            ip_indicator(2, "198.51.100.3"),
            note(1, "Situation report", "Exfiltration over DNS tunnels."),
        ],
    )
    .await;
    // Before migration 0017 every object was indexed with its insert: let
    // the background indexer finish, as that migration then found it.
    store.finish_indexing().await.unwrap();

    let mut conn = db.raw().await;
    let undo = match store.backend() {
        Backend::Sqlite => {
            "DROP TABLE object_search; DROP VIEW object_search_source; \
             DELETE FROM _sqlx_migrations WHERE version = 8"
        }
        // 0018 replaced 0008's view and function with documents built by
        // the node: opening runs 0008 and then 0018 again, as on a node
        // upgraded from before 0008.
        Backend::Postgres => {
            "DROP TABLE object_search; \
             DELETE FROM _sqlx_migrations WHERE version IN (8, 18)"
        }
    };
    conn.execute(undo).await.unwrap();
    let _ = conn.close().await;
    assert!(
        store.search_objects("current", 10).await.is_err(),
        "the index is gone before the migration runs again"
    );

    let reopened = Store::connect(&db.url).await.unwrap();
    assert_eq!(found(&reopened, "198.51.100.2").await, [indicator_id(1)]);
    assert!(found(&reopened, "198.51.100.1").await.is_empty());
    assert!(found(&reopened, "retired").await.is_empty());
    assert_eq!(found(&reopened, "198.51.100.3").await, [indicator_id(2)]);
    assert_eq!(
        found(&reopened, "dns tunnels").await,
        [format!("note--{}", uuid(21, 1))]
    );
    // And what is stored afterwards is indexed as before.
    store_all(&reopened, vec![ip_indicator(3, "198.51.100.4")]).await;
    assert_eq!(
        found(&reopened, "scanning").await,
        [indicator_id(3), indicator_id(2)]
    );
}

/// Both back-ends split and fold words alike (PostgreSQL's documents are
/// built by the node in the words of SQLite's unicode61 tokenizer): the
/// same queries find the same objects.
async fn case_and_diacritics_are_folded_in_every_script(db: &TestDb) {
    let store = &db.store;
    let spanish = report(1, "Información sobre el ataque a Ñandú S.A.");
    let decomposed = report(2, "Notificacio\u{301}n de incidente");
    let others = note(1, "Москва 東京", "café—bar, naïve «coöperation»");
    let (spanish_id, decomposed_id, others_id) = (
        spanish.id().to_string(),
        decomposed.id().to_string(),
        others.id().to_string(),
    );
    store_all(store, vec![spanish, decomposed, others]).await;
    for query in [
        "informacion",
        "INFORMACIÓN",
        "información",
        "nandu s a",
        "ÑANDÚ",
    ] {
        assert_eq!(found(store, query).await, [spanish_id.as_str()], "{query}");
    }
    for query in ["notificacion", "notificación", "Notificacio\u{301}n"] {
        assert_eq!(
            found(store, query).await,
            [decomposed_id.as_str()],
            "{query}"
        );
    }
    for query in [
        "москва",
        "МОСКВА",
        "東京",
        "cafe",
        "bar",
        "café—bar",
        "naive",
        "cooperation",
    ] {
        assert_eq!(found(store, query).await, [others_id.as_str()], "{query}");
    }
    for query in ["informacio", "cafebar", "москв", "—"] {
        assert!(found(store, query).await.is_empty(), "{query}");
    }
}

/// SQLite indexes objects without an escaped U+0000 through
/// `object_search_source_plain` (migration 0014): for them it must read
/// exactly what `object_search_source` reads.
#[tokio::test]
async fn sqlite_plain_search_source_agrees_with_the_nul_safe_one() {
    let db = TestDb::sqlite().await;
    let long = "word ".repeat(25_000);
    let objects = [
        json!({"type": "indicator", "spec_version": "2.1", "id": indicator_id(1),
            "created": CREATED, "modified": CREATED, "name": "Émotet C2 — ñandú",
            "description": long, "pattern": "[ipv4-addr:value = '198.51.100.1']",
            "pattern_type": "stix", "valid_from": "2024-01-01T00:00:00Z"}),
        json!({"type": "file", "spec_version": "2.1", "id": format!("file--{}", uuid(40, 1)),
            "name": "dropper.exe", "hashes": {"SHA-256":
            "ef537f25c895bfa782526529a9b63d97aa631564d5d789c2b765448c8635fb6c", "MD5":
            "4d5f4c6e1b2a3c4d5e6f708192a3b4c5"}}),
        json!({"type": "note", "spec_version": "2.1", "id": format!("note--{}", uuid(40, 2)),
            "created": CREATED, "modified": CREATED, "abstract": "Triage",
            "content": "Seen at \"three\" sites\\nand a \\\\u0000 that is text",
            "object_refs": [indicator_id(1)]}),
        json!({"type": "report", "spec_version": "2.1", "id": format!("report--{}", uuid(40, 3)),
            "created": CREATED, "modified": CREATED, "name": "Weekly", "published": CREATED,
            "object_refs": [indicator_id(1)]}),
        json!({"type": "domain-name", "spec_version": "2.1",
            "id": format!("domain-name--{}", uuid(40, 4)), "value": "evil.example"}),
    ];
    let objects: Vec<StixObject> = objects.iter().map(|o| parse(&o.to_string())).collect();
    store_all(&db.store, objects).await;
    let mut conn = sqlx::AnyConnection::connect(&db.url).await.unwrap();
    let (rows, differing): (i64, i64) = sqlx::query_as(
        "SELECT COUNT(*), COALESCE(SUM(a.body IS NOT b.body), 0) FROM object_search_source a \
         JOIN object_search_source_plain b USING (date_added) \
         JOIN objects o USING (date_added) WHERE instr(o.raw, '\\u0000') = 0",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(
        (rows, differing),
        (4, 0),
        "the note's raw JSON holds the escape"
    );
    // The note went through the NUL-safe view, and is found.
    let found = db.store.search_objects("three sites", 10).await.unwrap();
    assert_eq!(found.len(), 1);
}
