//! API tokens, stored only as SHA-256 hashes of their secrets.

use sqlx::any::AnyRow;
use vigia_policy::{Role, TeamId, UserName};
use vigia_stix::Timestamp;

use crate::db::Store;
use crate::error::StoreError;
use crate::records::{NewToken, TokenRecord};
use crate::sql::{col, constraint, corrupt, now, opt_stamp, stamp};

const TOKEN_COLUMNS: &str =
    "id, team, user_name, role, scope, label, created_at, expires_at, revoked_at, last_used_at";

/// `last_used_at` is written at most this often per token, so that
/// authenticating is not a write on every request.
const LAST_USED_RESOLUTION_MICROS: i64 = 60_000_000;

impl Store {
    #[tracing::instrument(skip_all, fields(token = %token.id))]
    pub async fn create_token(&self, token: &NewToken) -> Result<TokenRecord, StoreError> {
        let created_at = now();
        sqlx::query(
            "INSERT INTO tokens (id, secret_hash, team, user_name, role, scope, label, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(token.id.as_str())
        .bind(hex(&token.secret_hash))
        .bind(token.team.as_str())
        .bind(token.user.as_ref().map(UserName::as_str))
        .bind(token.role.as_str())
        .bind(token.scope.as_str())
        .bind(token.label.as_str())
        .bind(created_at.unix_micros())
        .bind(token.expires_at.map(|t| t.unix_micros()))
        .execute(&self.writer)
        .await
        .map_err(|e| {
            constraint(
                e,
                || format!("token {}", token.id),
                || match &token.user {
                    Some(user) => format!("team {} or user {user}", token.team),
                    None => format!("team {}", token.team),
                },
            )
        })?;
        Ok(TokenRecord {
            id: token.id.clone(),
            team: token.team.clone(),
            user: token.user.clone(),
            role: token.role,
            scope: token.scope.clone(),
            label: token.label.clone(),
            created_at,
            expires_at: token.expires_at,
            revoked_at: None,
            last_used_at: None,
        })
    }

    /// The live (not revoked, not expired) token with this secret hash.
    /// Also records `last_used_at`, at most once a minute per token.
    #[tracing::instrument(skip_all)]
    pub async fn token_by_secret_hash(
        &self,
        hash: &[u8; 32],
    ) -> Result<Option<TokenRecord>, StoreError> {
        let at = now();
        let row = sqlx::query(&format!(
            "SELECT {TOKEN_COLUMNS} FROM tokens WHERE secret_hash = $1 \
             AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)"
        ))
        .bind(hex(hash))
        .bind(at.unix_micros())
        .fetch_optional(&self.pool)
        .await?;
        let Some(mut token) = row.as_ref().map(token_record).transpose()? else {
            return Ok(None);
        };
        let stale = token
            .last_used_at
            .is_none_or(|t| at.unix_micros() - t.unix_micros() >= LAST_USED_RESOLUTION_MICROS);
        if stale {
            self.touch_token(&token.id, at).await?;
            token.last_used_at = Some(at);
        }
        Ok(Some(token))
    }

    #[tracing::instrument(skip_all)]
    pub async fn list_tokens(&self) -> Result<Vec<TokenRecord>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {TOKEN_COLUMNS} FROM tokens ORDER BY created_at, id"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(token_record).collect()
    }

    /// Returns false if no live token has this id.
    #[tracing::instrument(skip_all)]
    pub async fn revoke_token(&self, id: &str) -> Result<bool, StoreError> {
        let at = now().unix_micros();
        let done = sqlx::query(
            "UPDATE tokens SET revoked_at = $1 WHERE id = $2 \
             AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $1)",
        )
        .bind(at)
        .bind(id)
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Records a use; the condition keeps concurrent requests from
    /// rewriting it within the resolution.
    async fn touch_token(&self, id: &str, at: Timestamp) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE tokens SET last_used_at = $1 WHERE id = $2 \
             AND (last_used_at IS NULL OR last_used_at <= $3)",
        )
        .bind(at.unix_micros())
        .bind(id)
        .bind(at.unix_micros() - LAST_USED_RESOLUTION_MICROS)
        .execute(&self.writer)
        .await?;
        Ok(())
    }
}

/// Lower-case hex, the stored form of a secret hash.
fn hex(bytes: &[u8; 32]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn token_record(row: &AnyRow) -> Result<TokenRecord, StoreError> {
    let id: String = col(row, "id", &|| "token row".to_owned())?;
    let what = || format!("token {id}");
    let team: String = col(row, "team", &what)?;
    let user: Option<String> = col(row, "user_name", &what)?;
    let role: String = col(row, "role", &what)?;
    Ok(TokenRecord {
        team: TeamId::parse(&team).map_err(|e| corrupt(what(), e))?,
        user: user
            .map(|u| UserName::parse(&u))
            .transpose()
            .map_err(|e| corrupt(what(), e))?,
        role: role.parse::<Role>().map_err(|e| corrupt(what(), e))?,
        scope: col(row, "scope", &what)?,
        label: col(row, "label", &what)?,
        created_at: stamp(col(row, "created_at", &what)?, &what)?,
        expires_at: opt_stamp(col(row, "expires_at", &what)?, &what)?,
        revoked_at: opt_stamp(col(row, "revoked_at", &what)?, &what)?,
        last_used_at: opt_stamp(col(row, "last_used_at", &what)?, &what)?,
        id,
    })
}
