//! Users of the node's teams.

use sqlx::any::AnyRow;
use sqlx::AnyConnection;
use vigia_policy::{Role, TeamId, UserName};
use vigia_stix::Timestamp;

use crate::db::Store;
use crate::error::StoreError;
use crate::records::{NewUser, UserRecord};
use crate::sql::{col, constraint, corrupt, flag, now, stamp, Stmt};

const USER_COLUMNS: &str = "id, team, name, display_name, email, role, password_hash, disabled, \
     created_at, totp_secret, failed_logins, locked_until";

impl Store {
    /// Fails with `Conflict` if a user of that name exists (names are
    /// unique per node), and `NotFound` if the team does not exist.
    #[tracing::instrument(skip_all, fields(user = %user.name))]
    pub async fn create_user(&self, user: &NewUser) -> Result<UserRecord, StoreError> {
        let mut conn = self.writer.acquire().await?;
        insert_user(&mut conn, user).await
    }

    /// Looks a user up by name across teams (names are unique per node).
    #[tracing::instrument(skip_all)]
    pub async fn user_by_name(&self, name: &UserName) -> Result<Option<UserRecord>, StoreError> {
        let row = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users WHERE name = $1"))
            .bind(name.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(user_record).transpose()
    }

    /// All users, or those of one team, ordered by team then name.
    #[tracing::instrument(skip_all)]
    pub async fn list_users(&self, team: Option<&TeamId>) -> Result<Vec<UserRecord>, StoreError> {
        let mut stmt = Stmt::new(self.backend, &format!("SELECT {USER_COLUMNS} FROM users"));
        if let Some(team) = team {
            stmt.sql(" WHERE team = ").bind(team.as_str());
        }
        stmt.sql(" ORDER BY team, name");
        let rows = stmt.query()?.fetch_all(&self.pool).await?;
        rows.iter().map(user_record).collect()
    }

    /// Returns false if no such user exists.
    #[tracing::instrument(skip_all)]
    pub async fn set_user_disabled(
        &self,
        name: &UserName,
        disabled: bool,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query("UPDATE users SET disabled = $1 WHERE name = $2")
            .bind(flag(disabled))
            .bind(name.as_str())
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    #[tracing::instrument(skip_all)]
    pub async fn set_user_password(
        &self,
        name: &UserName,
        password_hash: &str,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query("UPDATE users SET password_hash = $1 WHERE name = $2")
            .bind(password_hash)
            .bind(name.as_str())
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Sets (sealed) or clears a user's TOTP secret; false if no such user.
    #[tracing::instrument(skip_all)]
    pub async fn set_user_totp(
        &self,
        name: &UserName,
        sealed_secret: Option<&str>,
    ) -> Result<bool, StoreError> {
        let done =
            sqlx::query("UPDATE users SET totp_secret = $1, totp_last_step = NULL WHERE name = $2")
                .bind(sealed_secret)
                .bind(name.as_str())
                .execute(&self.writer)
                .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Spends the TOTP time step a sign-in's code belongs to. False when
    /// that step, or a later one, was already used: the code is a replay.
    /// One statement, so two replicas cannot both accept one code.
    #[tracing::instrument(skip_all)]
    pub async fn claim_totp_step(&self, name: &UserName, step: i64) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE users SET totp_last_step = $1 WHERE name = $2 \
             AND (totp_last_step IS NULL OR totp_last_step < $1)",
        )
        .bind(step)
        .bind(name.as_str())
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Changes a user's role. Returns false if no such user exists.
    #[tracing::instrument(skip_all)]
    pub async fn set_user_role(&self, name: &UserName, role: Role) -> Result<bool, StoreError> {
        let done = sqlx::query("UPDATE users SET role = $1 WHERE name = $2")
            .bind(role.as_str())
            .bind(name.as_str())
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Counts one failed sign-in; the `max_failures`-th in a row locks the
    /// account until `lock_until`. Returns the lock, if one now holds.
    #[tracing::instrument(skip_all)]
    pub async fn record_login_failure(
        &self,
        name: &UserName,
        max_failures: i64,
        lock_until: Timestamp,
    ) -> Result<Option<Timestamp>, StoreError> {
        // One statement, so that concurrent failures on several replicas
        // all count.
        let row = sqlx::query(
            "UPDATE users SET failed_logins = failed_logins + 1, \
             locked_until = CASE WHEN failed_logins + 1 >= $1 THEN $2 ELSE locked_until END \
             WHERE name = $3 RETURNING locked_until",
        )
        .bind(max_failures)
        .bind(lock_until.unix_micros())
        .bind(name.as_str())
        .fetch_optional(&self.writer)
        .await?;
        let what = || format!("user {name}");
        match row {
            None => Ok(None),
            Some(row) => col::<Option<i64>>(&row, "locked_until", &what)?
                .map(|m| stamp(m, &what))
                .transpose(),
        }
    }

    /// After a successful sign-in, or when an administrator unlocks the
    /// account: the failure count and any lock are cleared.
    #[tracing::instrument(skip_all)]
    pub async fn clear_login_failures(&self, name: &UserName) -> Result<bool, StoreError> {
        let done =
            sqlx::query("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE name = $1")
                .bind(name.as_str())
                .execute(&self.writer)
                .await?;
        Ok(done.rows_affected() > 0)
    }
}

pub(crate) async fn insert_user(
    conn: &mut AnyConnection,
    user: &NewUser,
) -> Result<UserRecord, StoreError> {
    let created_at = now();
    let row = sqlx::query(
        "INSERT INTO users (team, name, display_name, email, role, password_hash, disabled, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 0, $7) RETURNING id",
    )
    .bind(user.team.as_str())
    .bind(user.name.as_str())
    .bind(user.display_name.as_str())
    .bind(user.email.as_deref())
    .bind(user.role.as_str())
    .bind(user.password_hash.as_str())
    .bind(created_at.unix_micros())
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| constraint(e, || format!("user {}", user.name), || format!("team {}", user.team)))?;
    Ok(UserRecord {
        id: col(&row, "id", &|| format!("user {}", user.name))?,
        team: user.team.clone(),
        name: user.name.clone(),
        display_name: user.display_name.clone(),
        email: user.email.clone(),
        role: user.role,
        password_hash: user.password_hash.clone(),
        disabled: false,
        created_at,
        totp_secret: None,
        failed_logins: 0,
        locked_until: None,
    })
}

fn user_record(row: &AnyRow) -> Result<UserRecord, StoreError> {
    let name: String = col(row, "name", &|| "user row".to_owned())?;
    let what = || format!("user {name}");
    let team: String = col(row, "team", &what)?;
    let role: String = col(row, "role", &what)?;
    Ok(UserRecord {
        id: col(row, "id", &what)?,
        team: TeamId::parse(&team).map_err(|e| corrupt(what(), e))?,
        name: UserName::parse(&name).map_err(|e| corrupt(what(), e))?,
        display_name: col(row, "display_name", &what)?,
        email: col(row, "email", &what)?,
        role: role.parse::<Role>().map_err(|e| corrupt(what(), e))?,
        password_hash: col(row, "password_hash", &what)?,
        disabled: col::<i64>(row, "disabled", &what)? != 0,
        created_at: stamp(col(row, "created_at", &what)?, &what)?,
        totp_secret: col(row, "totp_secret", &what)?,
        failed_logins: col(row, "failed_logins", &what)?,
        locked_until: col::<Option<i64>>(row, "locked_until", &what)?
            .map(|m| stamp(m, &what))
            .transpose()?,
    })
}
