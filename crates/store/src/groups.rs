//! Sharing groups and the community view the access rule reads.

use std::collections::BTreeMap;

use vigia_policy::{Community, GroupName, TeamId};

use crate::db::Store;
use crate::error::StoreError;
use crate::sql::{col, corrupt, Stmt};

/// A sharing group: its name, owner and members (ordered by team id).
pub type SharingGroupRow = (GroupName, TeamId, Vec<TeamId>);

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
    /// (as [`Store::community`]), from one consistent read: the access
    /// rule is consulted on every delivery, so this is one statement.
    #[tracing::instrument(skip_all)]
    pub async fn groups_and_community(
        &self,
    ) -> Result<(Vec<SharingGroupRow>, Community), StoreError> {
        let rows = sqlx::query(
            "SELECT 'group' AS kind, name AS a, owner AS b FROM sharing_groups \
             UNION ALL SELECT 'member', name, team FROM sharing_group_members \
             UNION ALL SELECT 'client', id, client_of FROM teams WHERE client_of IS NOT NULL \
             ORDER BY 1, 2, 3",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut groups: BTreeMap<GroupName, (TeamId, Vec<TeamId>)> = BTreeMap::new();
        let mut members: Vec<(GroupName, TeamId)> = Vec::new();
        let mut clients: Vec<(TeamId, TeamId)> = Vec::new();
        for row in &rows {
            let what = || "sharing group, member or client row".to_owned();
            let kind: String = col(row, "kind", &what)?;
            let a: String = col(row, "a", &what)?;
            let b: String = col(row, "b", &what)?;
            let what = || format!("{a} / {b}");
            let team = TeamId::parse(&b).map_err(|e| corrupt(what(), e))?;
            match kind.as_str() {
                "group" => {
                    let name = GroupName::parse(&a).map_err(|e| corrupt(what(), e))?;
                    groups.insert(name, (team, Vec::new()));
                }
                "member" => {
                    members.push((GroupName::parse(&a).map_err(|e| corrupt(what(), e))?, team))
                }
                _ => clients.push((TeamId::parse(&a).map_err(|e| corrupt(what(), e))?, team)),
            }
        }
        for (name, team) in members {
            if let Some((_, list)) = groups.get_mut(&name) {
                list.push(team);
            }
        }
        let groups: Vec<SharingGroupRow> = groups
            .into_iter()
            .map(|(name, (owner, members))| (name, owner, members))
            .collect();
        let mut community = Community::new();
        for (name, _, members) in &groups {
            community = community.with_group(name.clone(), members.iter().cloned());
        }
        for (client, of) in clients {
            community = community.with_client(client, of);
        }
        Ok((groups, community))
    }
}
