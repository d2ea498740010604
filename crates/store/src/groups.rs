//! Sharing groups and the community view the access rule reads.

use std::collections::BTreeMap;

use vigia_policy::{Community, GroupName, TeamId};

use crate::db::Store;
use crate::error::StoreError;
use crate::sql::{col, corrupt, Stmt};

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
    pub async fn list_sharing_groups(
        &self,
    ) -> Result<Vec<(GroupName, TeamId, Vec<TeamId>)>, StoreError> {
        let groups = sqlx::query("SELECT name, owner FROM sharing_groups ORDER BY name")
            .fetch_all(&self.pool)
            .await?;
        let mut members = self.group_members().await?;
        groups
            .iter()
            .map(|row| {
                let name: String = col(row, "name", &|| "sharing group row".to_owned())?;
                let what = || format!("sharing group {name}");
                let owner: String = col(row, "owner", &what)?;
                let group = GroupName::parse(&name).map_err(|e| corrupt(what(), e))?;
                let owner = TeamId::parse(&owner).map_err(|e| corrupt(what(), e))?;
                let teams = members.remove(&group).unwrap_or_default();
                Ok((group, owner, teams))
            })
            .collect()
    }

    /// Sharing groups and client relations (from teams' `client_of`).
    #[tracing::instrument(skip_all)]
    pub async fn community(&self) -> Result<Community, StoreError> {
        let groups = self.list_sharing_groups().await?;
        self.community_of(&groups).await
    }

    /// The community from groups already read with
    /// [`Store::list_sharing_groups`], plus the client relations.
    #[tracing::instrument(skip_all)]
    pub async fn community_of(
        &self,
        groups: &[(GroupName, TeamId, Vec<TeamId>)],
    ) -> Result<Community, StoreError> {
        let mut community = Community::new();
        for (name, _, members) in groups {
            community = community.with_group(name.clone(), members.iter().cloned());
        }
        let clients = sqlx::query("SELECT id, client_of FROM teams WHERE client_of IS NOT NULL")
            .fetch_all(&self.pool)
            .await?;
        for row in &clients {
            let id: String = col(row, "id", &|| "team row".to_owned())?;
            let what = || format!("team {id}");
            let of: String = col(row, "client_of", &what)?;
            community = community.with_client(
                TeamId::parse(&id).map_err(|e| corrupt(what(), e))?,
                TeamId::parse(&of).map_err(|e| corrupt(what(), e))?,
            );
        }
        Ok(community)
    }

    /// Members of every group, each list ordered by team id.
    async fn group_members(&self) -> Result<BTreeMap<GroupName, Vec<TeamId>>, StoreError> {
        let rows = sqlx::query("SELECT name, team FROM sharing_group_members ORDER BY name, team")
            .fetch_all(&self.pool)
            .await?;
        let mut members: BTreeMap<GroupName, Vec<TeamId>> = BTreeMap::new();
        for row in &rows {
            let name: String = col(row, "name", &|| "sharing group member row".to_owned())?;
            let what = || format!("member of sharing group {name}");
            let team: String = col(row, "team", &what)?;
            members
                .entry(GroupName::parse(&name).map_err(|e| corrupt(what(), e))?)
                .or_default()
                .push(TeamId::parse(&team).map_err(|e| corrupt(what(), e))?);
        }
        Ok(members)
    }
}
