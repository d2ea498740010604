//! Users of the node's teams.

use vigia_policy::{TeamId, UserName};

use crate::db::Store;
use crate::error::StoreError;
use crate::records::{NewUser, UserRecord};

impl Store {
    /// Fails with `Conflict` if the team already has a user of that name.
    pub async fn create_user(&self, user: &NewUser) -> Result<UserRecord, StoreError> {
        let _ = user;
        unimplemented!()
    }

    /// Looks a user up by name across teams (names are unique per node).
    pub async fn user_by_name(&self, name: &UserName) -> Result<Option<UserRecord>, StoreError> {
        let _ = name;
        unimplemented!()
    }

    /// All users, or those of one team, ordered by team then name.
    pub async fn list_users(&self, team: Option<&TeamId>) -> Result<Vec<UserRecord>, StoreError> {
        let _ = team;
        unimplemented!()
    }

    /// Returns false if no such user exists.
    pub async fn set_user_disabled(&self, name: &UserName, disabled: bool) -> Result<bool, StoreError> {
        let _ = (name, disabled);
        unimplemented!()
    }

    pub async fn set_user_password(&self, name: &UserName, password_hash: &str) -> Result<bool, StoreError> {
        let _ = (name, password_hash);
        unimplemented!()
    }
}
