//! Teams and the node record.

use sqlx::any::AnyRow;
use sqlx::AnyConnection;
use vigia_policy::TeamId;

use crate::audit::{append_in, AuditEvent};
use crate::db::Store;
use crate::error::StoreError;
use crate::records::{NewTeam, NewUser, NodeRecord, TeamKind, TeamRecord};
use crate::sql::{col, constraint, corrupt, now, stamp};
use crate::users::insert_user;

const TEAM_COLUMNS: &str = "id, name, country, kind, client_of, created_at";

impl Store {
    /// The node record, once `vigia init` has run.
    #[tracing::instrument(skip_all)]
    pub async fn node(&self) -> Result<Option<NodeRecord>, StoreError> {
        let row = sqlx::query(
            "SELECT node_id, team_id, country, public_key, created_at FROM node WHERE id = 1",
        )
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(node_record).transpose()
    }

    /// Creates the node record, its operating team and its first admin in
    /// one transaction, and audits it. Refuses if a node record exists.
    #[tracing::instrument(skip_all, fields(node = %node.node_id))]
    pub async fn initialise_node(
        &self,
        node: &NodeRecord,
        team: &NewTeam,
        admin: &NewUser,
        event: &AuditEvent,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        let existing = sqlx::query(
            "SELECT node_id, team_id, country, public_key, created_at FROM node WHERE id = 1",
        )
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(row) = existing {
            let existing = node_record(&row)?;
            return Err(StoreError::AlreadyInitialised {
                node_id: existing.node_id,
            });
        }
        let inserted = sqlx::query(
            "INSERT INTO node (id, node_id, team_id, country, public_key, created_at) \
             VALUES (1, $1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING",
        )
        .bind(node.node_id.as_str())
        .bind(node.team_id.as_str())
        .bind(node.country.as_str())
        .bind(node.public_key.as_str())
        .bind(node.created_at.unix_micros())
        .execute(&mut *tx)
        .await?;
        if inserted.rows_affected() == 0 {
            // Another process initialised it between our read and write.
            return Err(StoreError::AlreadyInitialised {
                node_id: "(initialised concurrently)".to_owned(),
            });
        }
        insert_team(&mut tx, team).await?;
        insert_user(&mut tx, admin).await?;
        append_in(&mut tx, self.backend, std::slice::from_ref(event)).await?;
        tx.commit().await?;
        Ok(())
    }

    #[tracing::instrument(skip_all, fields(team = %team.id))]
    pub async fn create_team(&self, team: &NewTeam) -> Result<TeamRecord, StoreError> {
        let mut conn = self.writer.acquire().await?;
        insert_team(&mut conn, team).await
    }

    #[tracing::instrument(skip_all)]
    pub async fn team(&self, id: &TeamId) -> Result<Option<TeamRecord>, StoreError> {
        let row = sqlx::query(&format!("SELECT {TEAM_COLUMNS} FROM teams WHERE id = $1"))
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(team_record).transpose()
    }

    #[tracing::instrument(skip_all)]
    pub async fn list_teams(&self) -> Result<Vec<TeamRecord>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {TEAM_COLUMNS} FROM teams ORDER BY name, id"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(team_record).collect()
    }
}

async fn insert_team(conn: &mut AnyConnection, team: &NewTeam) -> Result<TeamRecord, StoreError> {
    let created_at = now();
    sqlx::query(&format!(
        "INSERT INTO teams ({TEAM_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)"
    ))
    .bind(team.id.as_str())
    .bind(team.name.as_str())
    .bind(team.country.as_str())
    .bind(team.kind.as_str())
    .bind(team.client_of.as_ref().map(TeamId::as_str))
    .bind(created_at.unix_micros())
    .execute(&mut *conn)
    .await
    .map_err(|e| {
        constraint(
            e,
            || format!("team {}", team.id),
            || {
                format!(
                    "team {} (named as client_of)",
                    team.client_of.as_ref().map_or("", TeamId::as_str)
                )
            },
        )
    })?;
    Ok(TeamRecord {
        id: team.id.clone(),
        name: team.name.clone(),
        country: team.country.clone(),
        kind: team.kind,
        client_of: team.client_of.clone(),
        created_at,
    })
}

fn node_record(row: &AnyRow) -> Result<NodeRecord, StoreError> {
    let what = || "node record".to_owned();
    let team: String = col(row, "team_id", &what)?;
    Ok(NodeRecord {
        node_id: col(row, "node_id", &what)?,
        team_id: TeamId::parse(&team).map_err(|e| corrupt(what(), e))?,
        country: col(row, "country", &what)?,
        public_key: col(row, "public_key", &what)?,
        created_at: stamp(col(row, "created_at", &what)?, &what)?,
    })
}

fn team_record(row: &AnyRow) -> Result<TeamRecord, StoreError> {
    let id: String = col(row, "id", &|| "team row".to_owned())?;
    let what = || format!("team {id}");
    let kind: String = col(row, "kind", &what)?;
    let client_of: Option<String> = col(row, "client_of", &what)?;
    Ok(TeamRecord {
        id: TeamId::parse(&id).map_err(|e| corrupt(what(), e))?,
        name: col(row, "name", &what)?,
        country: col(row, "country", &what)?,
        kind: TeamKind::parse(&kind)
            .ok_or_else(|| corrupt(what(), format!("unknown team kind {kind:?}")))?,
        client_of: client_of
            .map(|c| TeamId::parse(&c))
            .transpose()
            .map_err(|e| corrupt(what(), e))?,
        created_at: stamp(col(row, "created_at", &what)?, &what)?,
    })
}
