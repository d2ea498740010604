//! Sharing groups and the community view the access rule reads.

use std::collections::BTreeMap;

use vigia_policy::{Community, GroupName, TeamId};

use crate::db::Store;
use crate::error::StoreError;
use crate::sql::{col, corrupt, Stmt};

/// A sharing group: its name, owner and members (ordered by team id).
pub type SharingGroupRow = (GroupName, TeamId, Vec<TeamId>);

/// The configuration the rules of travel read, as of one moment.
#[derive(Default)]
pub struct FederationSnapshot {
    /// Every sharing group, ordered by name.
    pub groups: Vec<SharingGroupRow>,
    pub community: Community,
    /// Signed definitions of groups learned from other nodes, by name.
    pub foreign_groups: BTreeMap<String, String>,
    /// Team ids of the peers, ordered.
    pub peers: Vec<TeamId>,
    /// Trusted node keys (base64) by team id.
    pub node_keys: BTreeMap<String, String>,
    /// The value of the setting asked for, if stored.
    pub setting: Option<String>,
}

impl Store {
    /// Creates or replaces a sharing group's membership.
    #[tracing::instrument(skip_all, fields(group = %name))]
    pub async fn put_sharing_group(
        &self,
        name: &GroupName,
        owner: &TeamId,
        members: &[TeamId],
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO sharing_groups (name, owner) VALUES ($1, $2) \
             ON CONFLICT (name) DO UPDATE SET owner = excluded.owner",
        )
        .bind(name.as_str())
        .bind(owner.as_str())
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM sharing_group_members WHERE name = $1")
            .bind(name.as_str())
            .execute(&mut *tx)
            .await?;
        let mut members: Vec<&str> = members.iter().map(TeamId::as_str).collect();
        members.sort_unstable();
        members.dedup();
        for chunk in members.chunks(1_000) {
            let mut stmt = Stmt::new(
                self.backend,
                "INSERT INTO sharing_group_members (name, team) VALUES ",
            );
            for (k, team) in chunk.iter().enumerate() {
                stmt.sql(if k == 0 { "(" } else { ", (" });
                stmt.bind(name.as_str()).sql(", ").bind(*team).sql(")");
            }
            stmt.query()?.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Every group with its owner and members, ordered by name.
    #[tracing::instrument(skip_all)]
    pub async fn list_sharing_groups(&self) -> Result<Vec<SharingGroupRow>, StoreError> {
        Ok(self.groups_and_community().await?.0)
    }

    /// Sharing groups and client relations (from teams' `client_of`).
    #[tracing::instrument(skip_all)]
    pub async fn community(&self) -> Result<Community, StoreError> {
        Ok(self.groups_and_community().await?.1)
    }

    /// Every group (as [`Store::list_sharing_groups`]) and the community
    /// (as [`Store::community`]), from one consistent read.
    pub async fn groups_and_community(
        &self,
    ) -> Result<(Vec<SharingGroupRow>, Community), StoreError> {
        let snapshot = self.federation_snapshot(None).await?;
        Ok((snapshot.groups, snapshot.community))
    }

    /// What every delivery consults, in one statement: the access rule is
    /// applied on each push and pull, and these small tables were read
    /// table by table each time.
    #[tracing::instrument(skip_all)]
    pub async fn federation_snapshot(
        &self,
        setting: Option<&str>,
    ) -> Result<FederationSnapshot, StoreError> {
        let rows = sqlx::query(
            "SELECT 'group' AS kind, name AS a, owner AS b, definition AS c FROM sharing_groups \
             UNION ALL SELECT 'member', name, team, NULL FROM sharing_group_members \
             UNION ALL SELECT 'client', id, client_of, NULL FROM teams WHERE client_of IS NOT NULL \
             UNION ALL SELECT 'peer', team_id, NULL, NULL FROM peers \
             UNION ALL SELECT 'key', team_id, public_key, NULL FROM node_keys \
             UNION ALL SELECT 'setting', name, value, NULL FROM settings WHERE name = $1 \
             ORDER BY 1, 2, 3",
        )
        .bind(setting.unwrap_or(""))
        .fetch_all(&self.pool)
        .await?;
        let mut snapshot = FederationSnapshot::default();
        let mut groups: BTreeMap<GroupName, (TeamId, Vec<TeamId>)> = BTreeMap::new();
        let mut members: Vec<(GroupName, TeamId)> = Vec::new();
        let mut clients: Vec<(TeamId, TeamId)> = Vec::new();
        for row in &rows {
            let what = || "federation configuration row".to_owned();
            let kind: String = col(row, "kind", &what)?;
            let a: String = col(row, "a", &what)?;
            let b: Option<String> = col(row, "b", &what)?;
            let what = || format!("{kind} {a}");
            let team =
                || TeamId::parse(b.as_deref().unwrap_or_default()).map_err(|e| corrupt(what(), e));
            let group = || GroupName::parse(&a).map_err(|e| corrupt(what(), e));
            match kind.as_str() {
                "group" => {
                    if let Some(definition) = col::<Option<String>>(row, "c", &what)? {
                        snapshot.foreign_groups.insert(a.clone(), definition);
                    }
                    groups.insert(group()?, (team()?, Vec::new()));
                }
                "member" => members.push((group()?, team()?)),
                "client" => {
                    clients.push((TeamId::parse(&a).map_err(|e| corrupt(what(), e))?, team()?))
                }
                "peer" => snapshot
                    .peers
                    .push(TeamId::parse(&a).map_err(|e| corrupt(what(), e))?),
                "key" => {
                    snapshot.node_keys.insert(a, b.unwrap_or_default());
                }
                _ => snapshot.setting = b,
            }
        }
        for (name, team) in members {
            if let Some((_, list)) = groups.get_mut(&name) {
                list.push(team);
            }
        }
        snapshot.groups = groups
            .into_iter()
            .map(|(name, (owner, members))| (name, owner, members))
            .collect();
        for (name, _, members) in &snapshot.groups {
            snapshot.community = std::mem::take(&mut snapshot.community)
                .with_group(name.clone(), members.iter().cloned());
        }
        for (client, of) in clients {
            snapshot.community = std::mem::take(&mut snapshot.community).with_client(client, of);
        }
        Ok(snapshot)
    }
}
