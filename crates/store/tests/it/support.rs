//! A fresh database per test, on each back-end, removed afterwards.

use std::path::PathBuf;
use std::sync::OnceLock;

use sqlx::{AnyConnection, Connection, Executor};
use vigia_policy::{object_keys, Audience, TeamId};
use vigia_stix::{SchemaSet, StixObject, Tlp};
use vigia_store::{NewObject, Store};

const DEFAULT_POSTGRES_URL: &str = "postgres://root@127.0.0.1:5432/test";

/// Instantiates each `async fn name(db: &TestDb)` once per back-end, as
/// `name::sqlite` and `name::postgres`.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let db = $crate::support::TestDb::sqlite().await;
                super::$name(&db).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let db = $crate::support::TestDb::postgres().await;
                super::$name(&db).await;
            }
        }
    )*};
}
pub(crate) use on_both_backends;

/// A store on a database of its own, dropped with it.
pub(crate) struct TestDb {
    pub(crate) store: Store,
    pub(crate) url: String,
    _cleanup: Cleanup,
}

enum Cleanup {
    Directory(PathBuf),
    Database { admin_url: String, name: String },
}

impl TestDb {
    pub(crate) async fn sqlite() -> Self {
        let dir = std::env::temp_dir().join(format!(
            "vigia-store-test-{}",
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::create_dir_all(&dir).expect("create a temporary directory");
        let cleanup = Cleanup::Directory(dir.clone());
        let url = format!("sqlite://{}", dir.join("vigia.db").display());
        let store = Store::connect(&url).await.expect("open a SQLite store");
        Self {
            store,
            url,
            _cleanup: cleanup,
        }
    }

    /// Creates `vigia_test_<random>` next to the database named by
    /// `VIGIA_TEST_DATABASE_URL`. An unreachable server fails the test.
    pub(crate) async fn postgres() -> Self {
        sqlx::any::install_default_drivers();
        let admin_url = std::env::var("VIGIA_TEST_DATABASE_URL")
            .unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_owned());
        let name = format!("vigia_test_{}", uuid::Uuid::new_v4().simple());
        let mut admin = AnyConnection::connect(&admin_url).await.unwrap_or_else(|e| {
            panic!(
                "PostgreSQL is required for the postgres tests and is unreachable at {admin_url}: {e}. \
                 Start it or set VIGIA_TEST_DATABASE_URL."
            )
        });
        admin
            .execute(format!("CREATE DATABASE {name}").as_str())
            .await
            .expect("create a test database");
        let _ = admin.close().await;
        let cleanup = Cleanup::Database {
            admin_url: admin_url.clone(),
            name: name.clone(),
        };
        let url = with_database(&admin_url, &name);
        let store = Store::connect(&url).await.expect("open a PostgreSQL store");
        Self {
            store,
            url,
            _cleanup: cleanup,
        }
    }

    /// A plain connection to the same database, for SQL the store does not
    /// offer (tampering with the audit log).
    pub(crate) async fn raw(&self) -> AnyConnection {
        sqlx::any::install_default_drivers();
        AnyConnection::connect(&self.url)
            .await
            .expect("raw connection")
    }

    pub(crate) async fn raw_execute(&self, sql: &str) -> u64 {
        let mut conn = self.raw().await;
        let done = conn.execute(sql).await.expect(sql);
        let _ = conn.close().await;
        done.rows_affected()
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        match self {
            Cleanup::Directory(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Cleanup::Database { admin_url, name } => {
                // Drop runs inside the test's runtime: drop the database from
                // a thread with a runtime of its own.
                let (admin_url, sql) = (
                    admin_url.clone(),
                    format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
                );
                let dropped = std::thread::spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()?;
                    rt.block_on(async {
                        let mut admin = AnyConnection::connect(&admin_url).await?;
                        admin.execute(sql.as_str()).await?;
                        admin.close().await
                    })
                    .map_err(std::io::Error::other)
                })
                .join();
                if !matches!(dropped, Ok(Ok(()))) {
                    eprintln!("could not drop test database {name}: {dropped:?}");
                }
            }
        }
    }
}

/// `url` with its database name replaced.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    let mut out = format!("{}/{name}", &base[..host_end]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

pub(crate) fn schemas() -> &'static SchemaSet {
    static SCHEMAS: OnceLock<SchemaSet> = OnceLock::new();
    SCHEMAS.get_or_init(|| SchemaSet::new().expect("schemas compile"))
}

pub(crate) fn parse(raw: &str) -> StixObject {
    StixObject::parse(raw, schemas())
        .unwrap_or_else(|e| panic!("test object does not parse: {e}\n{raw}"))
}

pub(crate) const TEAM_A: &str = "identity--a0000000-0000-4000-8000-00000000000a";
pub(crate) const TEAM_B: &str = "identity--b0000000-0000-4000-8000-00000000000b";
pub(crate) const TEAM_C: &str = "identity--c0000000-0000-4000-8000-00000000000c";

pub(crate) fn team(id: &str) -> TeamId {
    TeamId::parse(id).expect("team id")
}

/// A deterministic UUID: `series` tells test object families apart.
pub(crate) fn uuid(series: u32, n: u64) -> String {
    format!("{series:08x}-0000-4000-8000-{n:012x}")
}

pub(crate) fn indicator_raw(n: u64, modified: &str) -> String {
    format!(
        r#"{{"type":"indicator","spec_version":"2.1","id":"indicator--{}","created":"2024-01-01T00:00:00.000Z","modified":"{modified}","name":"test indicator {n}","pattern":"[ipv4-addr:value = '198.51.100.{}']","pattern_type":"stix","valid_from":"2024-01-01T00:00:00Z"}}"#,
        uuid(1, n),
        n % 256
    )
}

pub(crate) fn indicator(n: u64, modified: &str) -> StixObject {
    parse(&indicator_raw(n, modified))
}

/// An object with the audience and access keys a caller would compute.
pub(crate) struct Item {
    pub(crate) object: StixObject,
    pub(crate) audience: Audience,
    pub(crate) keys: Vec<String>,
}

impl Item {
    pub(crate) fn new(object: StixObject, tlp: Tlp, originator: Option<&str>) -> Self {
        Self::with_audience(object, Audience::new(tlp, originator.map(team)))
    }

    pub(crate) fn with_audience(object: StixObject, audience: Audience) -> Self {
        let keys = object_keys(&audience);
        Self {
            object,
            audience,
            keys,
        }
    }

    pub(crate) fn green(object: StixObject) -> Self {
        Self::new(object, Tlp::Green, Some(TEAM_A))
    }

    pub(crate) fn as_new(&self) -> NewObject<'_> {
        NewObject {
            object: &self.object,
            audience: &self.audience,
            access_keys: &self.keys,
            deliver_to: &[],
            covered: None,
        }
    }
}

pub(crate) fn batch(items: &[Item]) -> Vec<NewObject<'_>> {
    items.iter().map(Item::as_new).collect()
}

#[test]
fn database_name_is_replaced() {
    assert_eq!(
        with_database("postgres://root@127.0.0.1:5432/test", "x"),
        "postgres://root@127.0.0.1:5432/x"
    );
    assert_eq!(
        with_database("postgres://h/db?sslmode=disable", "x"),
        "postgres://h/x?sslmode=disable"
    );
    assert_eq!(with_database("postgres://h", "x"), "postgres://h/x");
}
