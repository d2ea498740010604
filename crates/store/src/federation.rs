//! Federation state: peers, trusted node keys, the outbox of deliveries,
//! request nonces, sharing groups learned from other nodes, and settings.

use std::collections::BTreeMap;

use serde::Serialize;
use sqlx::any::AnyRow;
use vigia_policy::{GroupName, TeamId};
use vigia_stix::Timestamp;

use crate::db::Store;
use crate::error::StoreError;
use crate::objects::{stored_object, StoredObject, COLUMNS};
use crate::sql::{col, constraint, corrupt, now, opt_stamp, stamp, Stmt};

/// A peer as an operator sets it up.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NewPeer {
    pub team_id: TeamId,
    pub name: String,
    /// The peer's base URL (`https://node.example`).
    pub url: String,
    pub fingerprint: String,
    /// Base64 Ed25519 public key whose fingerprint is `fingerprint`.
    pub public_key: String,
    pub node_id: String,
    pub country: String,
}

/// A peer with its synchronisation state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PeerRecord {
    #[serde(flatten)]
    pub peer: NewPeer,
    pub added_at: Timestamp,
    /// The peer's `date_added` of the last object pulled from it.
    pub pull_cursor: Option<String>,
    pub last_pull_at: Option<Timestamp>,
    pub last_success_at: Option<Timestamp>,
    pub last_failure_at: Option<Timestamp>,
    pub last_error: Option<String>,
    /// Consecutive failures since the last success.
    pub failures: i64,
    /// Deliveries waiting in the outbox.
    pub backlog: i64,
    /// When the oldest waiting delivery was queued.
    pub oldest_pending: Option<Timestamp>,
}

impl PeerRecord {
    /// Reachable when the last contact succeeded.
    pub fn reachable(&self) -> Option<bool> {
        match (self.last_success_at, self.last_failure_at) {
            (None, None) => None,
            (Some(_), None) => Some(true),
            (None, Some(_)) => Some(false),
            (Some(ok), Some(failed)) => Some(ok > failed),
        }
    }
}

/// Whether a seal's key was already trusted for its node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyTrust {
    Known,
    /// First seen now; pinned from here on.
    Learned,
}

/// One delivery of one object version to one peer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Delivery {
    pub peer: String,
    pub peer_name: Option<String>,
    pub date_added: Timestamp,
    /// `pending`, `delivered`, `refused` (by the peer) or `withheld` (by
    /// this node's outbound policy since it was queued).
    pub state: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub delivered_at: Option<Timestamp>,
}

/// Deliveries due now, for one peer, with the objects to send.
#[derive(Clone, Debug)]
pub struct DueBatch {
    pub peer: TeamId,
    pub attempts: i64,
    pub objects: Vec<Queued>,
}

/// An object queued for a peer.
#[derive(Clone, Debug)]
pub struct Queued {
    pub object: StoredObject,
    /// The nodes announced with it as already on its way (a JSON array of
    /// team ids), when any: see `vigia_taxii::relay`.
    pub covered: Option<String>,
}

/// How a delivery attempt ended, per object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeliveryOutcome {
    Delivered,
    Refused(String),
    Withheld(String),
}

const PEER_COLUMNS: &str = "p.team_id, p.name, p.url, p.fingerprint, p.public_key, p.node_id, \
     p.country, p.added_at, p.pull_cursor, p.last_pull_at, p.last_success_at, \
     p.last_failure_at, p.last_error, p.failures, \
     (SELECT COUNT(*) FROM outbox b WHERE b.peer = p.team_id AND b.state = 'pending') AS backlog, \
     (SELECT MIN(b.date_added) FROM outbox b WHERE b.peer = p.team_id AND b.state = 'pending') AS oldest";

fn peer_record(row: &AnyRow) -> Result<PeerRecord, StoreError> {
    let team: String = col(row, "team_id", &|| "peer row".to_owned())?;
    let what = || format!("peer {team}");
    Ok(PeerRecord {
        peer: NewPeer {
            team_id: TeamId::parse(&team).map_err(|e| corrupt(what(), e))?,
            name: col(row, "name", &what)?,
            url: col(row, "url", &what)?,
            fingerprint: col(row, "fingerprint", &what)?,
            public_key: col(row, "public_key", &what)?,
            node_id: col(row, "node_id", &what)?,
            country: col(row, "country", &what)?,
        },
        added_at: stamp(col(row, "added_at", &what)?, &what)?,
        pull_cursor: col(row, "pull_cursor", &what)?,
        last_pull_at: opt_stamp(col(row, "last_pull_at", &what)?, &what)?,
        last_success_at: opt_stamp(col(row, "last_success_at", &what)?, &what)?,
        last_failure_at: opt_stamp(col(row, "last_failure_at", &what)?, &what)?,
        last_error: col(row, "last_error", &what)?,
        failures: col(row, "failures", &what)?,
        backlog: col(row, "backlog", &what)?,
        oldest_pending: opt_stamp(col(row, "oldest", &what)?, &what)?,
    })
}

impl Store {
    /// Adds a peer, its team and its pinned key, in one transaction. A key
    /// already pinned for that team must be the same key.
    #[tracing::instrument(skip_all, fields(peer = %peer.team_id))]
    pub async fn add_peer(&self, peer: &NewPeer) -> Result<(), StoreError> {
        let at = now().unix_micros();
        let mut tx = self.begin_write().await?;
        let pinned = sqlx::query("SELECT public_key FROM node_keys WHERE team_id = $1")
            .bind(peer.team_id.as_str())
            .fetch_optional(&mut *tx)
            .await?;
        if let Some(row) = pinned {
            let key: String = col(&row, "public_key", &|| "node key".to_owned())?;
            if key != peer.public_key {
                return Err(StoreError::Conflict {
                    what: format!(
                        "a different key for team {} (already trusted; remove it first)",
                        peer.team_id
                    ),
                });
            }
        } else {
            sqlx::query(
                "INSERT INTO node_keys (team_id, public_key, fingerprint, source, learned_at) \
                 VALUES ($1, $2, $3, 'peer', $4)",
            )
            .bind(peer.team_id.as_str())
            .bind(&peer.public_key)
            .bind(&peer.fingerprint)
            .bind(at)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query(
            "INSERT INTO teams (id, name, country, kind, client_of, created_at) \
             VALUES ($1, $2, $3, 'national-csirt', NULL, $4) ON CONFLICT (id) DO NOTHING",
        )
        .bind(peer.team_id.as_str())
        .bind(&peer.name)
        .bind(&peer.country)
        .bind(at)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO peers (team_id, name, url, fingerprint, public_key, node_id, country, added_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(peer.team_id.as_str())
        .bind(&peer.name)
        .bind(&peer.url)
        .bind(&peer.fingerprint)
        .bind(&peer.public_key)
        .bind(&peer.node_id)
        .bind(&peer.country)
        .bind(at)
        .execute(&mut *tx)
        .await
        .map_err(|e| constraint(e, || format!("peer {} ({})", peer.name, peer.fingerprint), String::new))?;
        tx.commit().await?;
        Ok(())
    }

    /// Removes a peer and drops what was still queued for it. Its key stays
    /// trusted for seals on objects it originated.
    #[tracing::instrument(skip_all, fields(peer = %team))]
    pub async fn remove_peer(&self, team: &TeamId) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let removed = sqlx::query("DELETE FROM peers WHERE team_id = $1")
            .bind(team.as_str())
            .execute(&mut *tx)
            .await?
            .rows_affected();
        sqlx::query("DELETE FROM outbox WHERE peer = $1 AND state = 'pending'")
            .bind(team.as_str())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(removed > 0)
    }

    /// Every peer with its state, ordered by name.
    #[tracing::instrument(skip_all)]
    pub async fn peers(&self) -> Result<Vec<PeerRecord>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {PEER_COLUMNS} FROM peers p ORDER BY p.name"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(peer_record).collect()
    }

    /// The team of the peer whose key has this fingerprint: one indexed
    /// lookup, as every signed request needs it.
    #[tracing::instrument(skip_all)]
    pub async fn peer_by_fingerprint(
        &self,
        fingerprint: &str,
    ) -> Result<Option<TeamId>, StoreError> {
        let row = sqlx::query("SELECT team_id FROM peers WHERE fingerprint = $1")
            .bind(fingerprint)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            let team: String = col(&r, "team_id", &|| "peer".to_owned())?;
            TeamId::parse(&team).map_err(|e| corrupt("peer", e))
        })
        .transpose()
    }

    /// Every peer's address and key, without its synchronisation state.
    #[tracing::instrument(skip_all)]
    pub async fn peer_links(&self) -> Result<Vec<NewPeer>, StoreError> {
        let rows = sqlx::query(
            "SELECT team_id, name, url, fingerprint, public_key, node_id, country \
             FROM peers ORDER BY name",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let team: String = col(r, "team_id", &|| "peer row".to_owned())?;
                let what = || format!("peer {team}");
                Ok(NewPeer {
                    team_id: TeamId::parse(&team).map_err(|e| corrupt(what(), e))?,
                    name: col(r, "name", &what)?,
                    url: col(r, "url", &what)?,
                    fingerprint: col(r, "fingerprint", &what)?,
                    public_key: col(r, "public_key", &what)?,
                    node_id: col(r, "node_id", &what)?,
                    country: col(r, "country", &what)?,
                })
            })
            .collect()
    }

    /// Records the outcome of a contact with a peer.
    pub async fn record_peer_contact(
        &self,
        team: &TeamId,
        outcome: Result<(), &str>,
    ) -> Result<(), StoreError> {
        let at = now().unix_micros();
        let query = match outcome {
            Ok(()) => sqlx::query(
                "UPDATE peers SET last_success_at = $1, failures = 0 WHERE team_id = $2",
            )
            .bind(at)
            .bind(team.as_str()),
            Err(error) => sqlx::query(
                "UPDATE peers SET last_failure_at = $1, failures = failures + 1, last_error = $3 \
                 WHERE team_id = $2",
            )
            .bind(at)
            .bind(team.as_str())
            .bind(error.chars().take(500).collect::<String>()),
        };
        query.execute(&self.writer).await?;
        Ok(())
    }

    /// Moves the pull cursor for a peer forward.
    pub async fn set_pull_cursor(
        &self,
        team: &TeamId,
        cursor: Option<&str>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE peers SET pull_cursor = COALESCE($1, pull_cursor), last_pull_at = $2 WHERE team_id = $3",
        )
        .bind(cursor)
        .bind(now().unix_micros())
        .bind(team.as_str())
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// Trusted node keys: team → base64 public key.
    #[tracing::instrument(skip_all)]
    pub async fn node_keys(&self) -> Result<BTreeMap<String, String>, StoreError> {
        let rows = sqlx::query("SELECT team_id, public_key FROM node_keys")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                let what = || "node key".to_owned();
                Ok((col(r, "team_id", &what)?, col(r, "public_key", &what)?))
            })
            .collect()
    }

    /// Trusts `key` for `team` unless another key is already trusted for it.
    pub async fn learn_node_key(
        &self,
        team: &TeamId,
        key: &str,
        fingerprint: &str,
        source: &str,
    ) -> Result<KeyTrust, StoreError> {
        let inserted = sqlx::query(
            "INSERT INTO node_keys (team_id, public_key, fingerprint, source, learned_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (team_id) DO NOTHING",
        )
        .bind(team.as_str())
        .bind(key)
        .bind(fingerprint)
        .bind(source)
        .bind(now().unix_micros())
        .execute(&self.writer)
        .await?
        .rows_affected();
        if inserted == 1 {
            return Ok(KeyTrust::Learned);
        }
        let keys = self.node_keys().await?;
        if keys.get(team.as_str()).map(String::as_str) == Some(key) {
            Ok(KeyTrust::Known)
        } else {
            Err(StoreError::Conflict {
                what: format!("a different key for node {team}"),
            })
        }
    }

    /// Remembers a request nonce; `false` when it was already seen (replay).
    pub async fn remember_nonce(
        &self,
        fingerprint: &str,
        nonce: &str,
        expires_at: Timestamp,
    ) -> Result<bool, StoreError> {
        let inserted = sqlx::query(
            "INSERT INTO request_nonces (fingerprint, nonce, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (fingerprint, nonce) DO NOTHING",
        )
        .bind(fingerprint)
        .bind(nonce)
        .bind(expires_at.unix_micros())
        .execute(&self.writer)
        .await?
        .rows_affected();
        Ok(inserted == 1)
    }

    /// Forgets nonces whose signatures can no longer be accepted anyway.
    pub async fn purge_nonces(&self) -> Result<u64, StoreError> {
        Ok(
            sqlx::query("DELETE FROM request_nonces WHERE expires_at < $1")
                .bind(now().unix_micros())
                .execute(&self.writer)
                .await?
                .rows_affected(),
        )
    }

    /// Deliveries due now, grouped by peer, oldest first, at most
    /// `per_peer` objects per peer: one query for all peers.
    #[tracing::instrument(skip_all)]
    pub async fn due_deliveries(&self, per_peer: i64) -> Result<Vec<DueBatch>, StoreError> {
        let mut stmt = Stmt::new(
            self.backend,
            &format!(
                "SELECT {COLUMNS}, d.peer AS peer, d.attempts AS attempts, d.covered AS relay_covered \
                 FROM (SELECT b.peer, b.date_added, b.attempts, b.covered, \
                       ROW_NUMBER() OVER (PARTITION BY b.peer ORDER BY b.date_added) AS n \
                       FROM outbox b WHERE b.state = 'pending' AND b.next_attempt <= "
            ),
        );
        stmt.bind(now().unix_micros())
            .sql(") d JOIN objects o ON o.date_added = d.date_added WHERE d.n <= ")
            .bind(per_peer)
            .sql(" ORDER BY d.peer, d.date_added");
        let rows = stmt.query()?.fetch_all(&self.pool).await?;
        let mut batches: Vec<DueBatch> = Vec::new();
        for row in &rows {
            let what = || "outbox row".to_owned();
            let peer: String = col(row, "peer", &what)?;
            let attempts: i64 = col(row, "attempts", &what)?;
            let queued = Queued {
                object: stored_object(row)?,
                covered: col(row, "relay_covered", &what)?,
            };
            match batches.last_mut() {
                Some(batch) if batch.peer.as_str() == peer => {
                    batch.attempts = batch.attempts.max(attempts);
                    batch.objects.push(queued);
                }
                _ => batches.push(DueBatch {
                    peer: TeamId::parse(&peer).map_err(|e| corrupt(what(), e))?,
                    attempts,
                    objects: vec![queued],
                }),
            }
        }
        Ok(batches)
    }

    /// Records how each object of a delivery attempt ended, and, when the
    /// peer `answered`, the successful contact (in the same transaction:
    /// one commit per delivery).
    pub async fn finish_deliveries(
        &self,
        peer: &TeamId,
        outcomes: &[(Timestamp, DeliveryOutcome)],
        answered: bool,
    ) -> Result<(), StoreError> {
        let at = now().unix_micros();
        let mut tx = self.begin_write().await?;
        if answered {
            sqlx::query("UPDATE peers SET last_success_at = $1, failures = 0 WHERE team_id = $2")
                .bind(at)
                .bind(peer.as_str())
                .execute(&mut *tx)
                .await?;
        }
        for (date_added, outcome) in outcomes {
            let (state, error) = match outcome {
                DeliveryOutcome::Delivered => ("delivered", None),
                DeliveryOutcome::Refused(e) => ("refused", Some(e.as_str())),
                DeliveryOutcome::Withheld(e) => ("withheld", Some(e.as_str())),
            };
            sqlx::query(
                "UPDATE outbox SET state = $1, last_error = $2, delivered_at = $3, \
                 attempts = attempts + 1 WHERE peer = $4 AND date_added = $5",
            )
            .bind(state)
            .bind(error)
            .bind(at)
            .bind(peer.as_str())
            .bind(date_added.unix_micros())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Marks queued deliveries to `peer` as done because the peer already
    /// holds those objects (it sent them to us). Returns how many.
    pub async fn held_by_peer(
        &self,
        peer: &TeamId,
        date_added: &[Timestamp],
    ) -> Result<u64, StoreError> {
        let mut done = 0;
        for chunk in date_added.chunks(1_000) {
            let mut stmt = Stmt::new(
                self.backend,
                "UPDATE outbox SET state = 'delivered', last_error = 'held by the peer already', delivered_at = ",
            );
            stmt.bind(now().unix_micros())
                .sql(" WHERE state = 'pending' AND peer = ")
                .bind(peer.as_str().to_owned())
                .sql(" AND date_added IN (")
                .bind_list(chunk.iter().map(|t| t.unix_micros()))
                .sql(")");
            done += stmt.query()?.execute(&self.writer).await?.rows_affected();
        }
        Ok(done)
    }

    /// A peer that pulls with `added_after = t` has stored everything it was
    /// entitled to up to `t`: its pull cursor acknowledges those deliveries.
    pub async fn acknowledged_by_pull(
        &self,
        peer: &TeamId,
        up_to: Timestamp,
    ) -> Result<u64, StoreError> {
        Ok(sqlx::query(
            "UPDATE outbox SET state = 'delivered', last_error = 'acknowledged by the peer''s pull', \
             delivered_at = $1 WHERE peer = $2 AND state = 'pending' AND date_added <= $3",
        )
        .bind(now().unix_micros())
        .bind(peer.as_str())
        .bind(up_to.unix_micros())
        .execute(&self.writer)
        .await?
        .rows_affected())
    }

    /// Puts deliveries back for another attempt at `next_attempt`.
    pub async fn retry_deliveries(
        &self,
        peer: &TeamId,
        date_added: &[Timestamp],
        error: &str,
        next_attempt: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        for chunk in date_added.chunks(1_000) {
            let mut stmt = Stmt::new(
                self.backend,
                "UPDATE outbox SET attempts = attempts + 1, last_error = ",
            );
            stmt.bind(error.chars().take(500).collect::<String>())
                .sql(", next_attempt = ")
                .bind(next_attempt.unix_micros())
                .sql(" WHERE peer = ")
                .bind(peer.as_str().to_owned())
                .sql(" AND date_added IN (")
                .bind_list(chunk.iter().map(|t| t.unix_micros()))
                .sql(")");
            stmt.query()?.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Delivery state of every version of object `id`, per peer.
    #[tracing::instrument(skip_all)]
    pub async fn deliveries(&self, id: &str) -> Result<Vec<Delivery>, StoreError> {
        let rows = sqlx::query(
            "SELECT b.peer, p.name, b.date_added, b.state, b.attempts, b.last_error, b.delivered_at \
             FROM outbox b JOIN objects o ON o.date_added = b.date_added \
             LEFT JOIN peers p ON p.team_id = b.peer \
             WHERE o.id = $1 ORDER BY b.date_added, b.peer",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let what = || format!("delivery of {id}");
                Ok(Delivery {
                    peer: col(r, "peer", &what)?,
                    peer_name: col(r, "name", &what)?,
                    date_added: stamp(col(r, "date_added", &what)?, &what)?,
                    state: col(r, "state", &what)?,
                    attempts: col(r, "attempts", &what)?,
                    last_error: col(r, "last_error", &what)?,
                    delivered_at: opt_stamp(col(r, "delivered_at", &what)?, &what)?,
                })
            })
            .collect()
    }

    pub async fn setting(&self, name: &str) -> Result<Option<String>, StoreError> {
        let row = sqlx::query("SELECT value FROM settings WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| col(&r, "value", &|| format!("setting {name}")))
            .transpose()
    }

    pub async fn put_setting(&self, name: &str, value: &str) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO settings (name, value) VALUES ($1, $2) \
             ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        )
        .bind(name)
        .bind(value)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// Stores `value` under `name` unless a value is there already, and
    /// returns the one stored: replicas racing to create a key agree on
    /// the first.
    pub async fn setting_or_insert(&self, name: &str, value: &str) -> Result<String, StoreError> {
        sqlx::query(
            "INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(value)
        .execute(&self.writer)
        .await?;
        self.setting(name)
            .await?
            .ok_or_else(|| StoreError::Corrupt {
                what: format!("setting {name}"),
                reason: "missing right after it was stored".into(),
            })
    }

    /// Stores a sharing group another node defined, as it signed it. A name
    /// already used by a group of another owner is a conflict.
    pub async fn put_foreign_group(
        &self,
        name: &GroupName,
        owner: &TeamId,
        members: &[TeamId],
        definition: &str,
    ) -> Result<(), StoreError> {
        let existing = sqlx::query("SELECT owner, definition FROM sharing_groups WHERE name = $1")
            .bind(name.as_str())
            .fetch_optional(&self.pool)
            .await?;
        if let Some(row) = existing {
            let what = || format!("sharing group {name}");
            let stored_owner: String = col(&row, "owner", &what)?;
            let stored: Option<String> = col(&row, "definition", &what)?;
            if stored_owner != owner.as_str() {
                return Err(StoreError::Conflict {
                    what: format!("sharing group {name} of another team ({stored_owner})"),
                });
            }
            if stored.as_deref() == Some(definition) {
                return Ok(());
            }
        }
        self.put_sharing_group(name, owner, members).await?;
        sqlx::query("UPDATE sharing_groups SET definition = $1 WHERE name = $2")
            .bind(definition)
            .bind(name.as_str())
            .execute(&self.writer)
            .await?;
        Ok(())
    }
}

impl Store {
    /// Which of these (id, version key) pairs are already stored, with
    /// their `date_added`: lets a receiver answer a repeated delivery
    /// without validating it again.
    pub async fn stored_versions(
        &self,
        pairs: &[(String, String)],
    ) -> Result<std::collections::HashMap<(String, String), Timestamp>, StoreError> {
        let wanted: std::collections::HashSet<&(String, String)> = pairs.iter().collect();
        let mut ids: Vec<&str> = pairs.iter().map(|(id, _)| id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        let mut found = std::collections::HashMap::new();
        for chunk in ids.chunks(1_000) {
            let mut stmt = Stmt::new(
                self.backend,
                "SELECT id, version, date_added FROM objects WHERE id IN (",
            );
            stmt.bind_list(chunk.iter().copied()).sql(")");
            for row in stmt.query()?.fetch_all(&self.pool).await? {
                let what = || "stored version".to_owned();
                let key: (String, String) = (col(&row, "id", &what)?, col(&row, "version", &what)?);
                if wanted.contains(&key) {
                    let at = stamp(col(&row, "date_added", &what)?, &what)?;
                    found.insert(key, at);
                }
            }
        }
        Ok(found)
    }
}
