//! Sharing groups and the community view the access rule reads.

use vigia_policy::{Community, GroupName, TeamId};

use crate::db::Store;
use crate::error::StoreError;

impl Store {
    /// Creates or replaces a sharing group's membership.
    pub async fn put_sharing_group(
        &self,
        name: &GroupName,
        owner: &TeamId,
        members: &[TeamId],
    ) -> Result<(), StoreError> {
        let _ = (name, owner, members);
        unimplemented!()
    }

    /// Every group with its owner and members, ordered by name.
    pub async fn list_sharing_groups(&self) -> Result<Vec<(GroupName, TeamId, Vec<TeamId>)>, StoreError> {
        unimplemented!()
    }

    /// Sharing groups and client relations (from teams' `client_of`).
    pub async fn community(&self) -> Result<Community, StoreError> {
        unimplemented!()
    }
}
