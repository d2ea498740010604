//! The IPv4 network keys indexed, held in memory: a lookup asks the
//! database only for the enclosing networks that exist, instead of
//! probing every prefix length for every address (17 probes an address
//! at 10 million values, nearly all misses).
//!
//! The set only ever narrows probes, so it may hold too much, never too
//! little. It is brought up to date before each use with the rows added
//! since it was last read (`date_added` above the highest seen, by the
//! `observable_v4_networks_added` index). That misses nothing, on one node or on
//! replicas sharing PostgreSQL: the correlation indexer's passes run one
//! at a time, each over objects above the last one's, so rows become
//! visible in `date_added` order (`crate::derived`). A key whose rows are deleted with their object
//! stays in the set until the process restarts, which costs a probe that
//! finds nothing.

use std::collections::HashSet;

use sqlx::AnyPool;

use crate::db::Backend;
use crate::error::StoreError;
use crate::sql::{col, corrupt};

/// Rows read per refresh query.
const ROWS_PER_READ: i64 = 100_000;

#[derive(Debug, Default)]
pub(crate) struct V4Networks {
    keys: HashSet<i64>,
    /// Bit `p` is set when some network of prefix length `p` is indexed.
    lengths: u64,
    /// The highest `date_added` read.
    through: i64,
}

impl V4Networks {
    /// Reads the rows added since the last refresh.
    pub(crate) async fn refresh(
        &mut self,
        pool: &AnyPool,
        backend: Backend,
    ) -> Result<(), StoreError> {
        self.refresh_in_parts(pool, backend, ROWS_PER_READ).await
    }

    /// Reads the rows added since the last refresh, `part` rows at a time,
    /// each part as one row (a JSON array of keys, the first and last
    /// `date_added`): the first read of a large index is 100,000s of rows.
    /// One object's networks share a `date_added`, so a full part may end
    /// inside them: the next part starts again at that `date_added`.
    async fn refresh_in_parts(
        &mut self,
        pool: &AnyPool,
        backend: Backend,
        part: i64,
    ) -> Result<(), StoreError> {
        let keys = match backend {
            Backend::Sqlite => "json_group_array(value_key)",
            Backend::Postgres => "CAST(json_agg(value_key) AS TEXT)",
        };
        let next_part = format!(
            "SELECT {keys} AS keys, MIN(date_added) AS first, MAX(date_added) AS last, \
             COUNT(*) AS n FROM (SELECT value_key, date_added FROM observable_v4_networks \
             WHERE date_added > $1 ORDER BY date_added LIMIT $2) AS added"
        );
        let one_object =
            format!("SELECT {keys} AS keys FROM observable_v4_networks WHERE date_added = $1");
        let what = || "IPv4 network index".to_owned();
        loop {
            let row = sqlx::query(&next_part)
                .bind(self.through)
                .bind(part)
                .fetch_one(pool)
                .await?;
            let n: i64 = col(&row, "n", &what)?;
            if n == 0 {
                return Ok(());
            }
            self.note_all(&col::<String>(&row, "keys", &what)?)?;
            let (first, last): (i64, i64) = (col(&row, "first", &what)?, col(&row, "last", &what)?);
            if n < part {
                self.through = last;
                return Ok(());
            }
            if first == last {
                // One object's networks fill the part: read them whole.
                let row = sqlx::query(&one_object).bind(last).fetch_one(pool).await?;
                self.note_all(&col::<String>(&row, "keys", &what)?)?;
                self.through = last;
            } else {
                // The rows at `last` may go on: read them again next part.
                self.through = last - 1;
            }
        }
    }

    fn note_all(&mut self, keys: &str) -> Result<(), StoreError> {
        let keys: Vec<i64> =
            serde_json::from_str(keys).map_err(|e| corrupt("IPv4 network index", e))?;
        keys.into_iter().for_each(|k| self.note(k));
        Ok(())
    }

    fn note(&mut self, key: i64) {
        if let Ok(prefix) = u8::try_from(key >> 32) {
            if prefix <= 32 {
                self.lengths |= 1 << prefix;
                self.keys.insert(key);
            }
        }
    }

    /// The indexed networks holding any of `targets` (as
    /// `v4_network_key`, an address with prefix 32), sorted, each once.
    pub(crate) fn enclosing(&self, targets: &[i64]) -> Vec<i64> {
        let lengths: Vec<u8> = (0..=32).filter(|p| self.lengths & (1 << p) != 0).collect();
        let mut out: Vec<i64> = targets
            .iter()
            .flat_map(|&t| vigia_correlate::v4_enclosing_keys(t, &lengths))
            .filter(|k| self.keys.contains(k))
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Objects 1, 2 and 3 index 2, 5 and 1 networks; parts of 3 rows end
    /// inside object 2's, and a part of object 2's alone is full.
    #[tokio::test]
    async fn parts_never_cut_an_objects_networks() {
        let store = crate::Store::connect("sqlite::memory:").await.unwrap();
        let add = |rows: Vec<(i64, i64)>| {
            let pool = store.pool.clone();
            async move {
                for (n, at) in rows {
                    sqlx::query(
                        "INSERT INTO observable_v4_networks (value_key, date_added) VALUES ($1, $2)",
                    )
                    .bind((24 << 32) | (n << 8))
                    .bind(at)
                    .execute(&pool)
                    .await
                    .unwrap();
                }
            }
        };
        add(vec![
            (1, 1),
            (2, 1),
            (3, 2),
            (4, 2),
            (5, 2),
            (6, 2),
            (7, 2),
            (8, 3),
        ])
        .await;
        for part in [1, 2, 3, 5, 100] {
            let mut set = V4Networks::default();
            set.refresh_in_parts(&store.pool, store.backend, part)
                .await
                .unwrap();
            assert_eq!((set.keys.len(), set.through), (8, 3), "parts of {part}");
        }
        let mut set = V4Networks::default();
        set.refresh_in_parts(&store.pool, store.backend, 3)
            .await
            .unwrap();
        add(vec![(9, 4), (10, 4)]).await;
        set.refresh_in_parts(&store.pool, store.backend, 3)
            .await
            .unwrap();
        assert_eq!(
            (set.keys.len(), set.through),
            (10, 4),
            "only what was added"
        );
        assert_eq!(set.lengths, 1 << 24);
    }

    #[test]
    fn only_indexed_networks_are_probed() {
        let mut set = V4Networks::default();
        let slash24 = (24 << 32) | 0xC633_6400; // 198.51.100.0/24
        let slash8 = (8 << 32) | 0x0A00_0000; // 10.0.0.0/8
        set.note(slash24);
        set.note(slash8);
        let inside = (32 << 32) | 0xC633_6407;
        let outside = (32 << 32) | 0xC633_6507;
        let in_ten = (32 << 32) | 0x0A01_0203;
        assert_eq!(set.enclosing(&[inside, outside]), [slash24]);
        assert_eq!(set.enclosing(&[in_ten, inside, in_ten]), [slash8, slash24]);
        assert_eq!(set.enclosing(&[slash24]), [slash24]);
        assert!(set.enclosing(&[outside]).is_empty());
    }
}
