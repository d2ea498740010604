//! Teams and the node record.

use vigia_policy::TeamId;

use crate::audit::AuditEvent;
use crate::db::Store;
use crate::error::StoreError;
use crate::records::{NewTeam, NewUser, NodeRecord, TeamRecord};

impl Store {
    /// The node record, once `vigia init` has run.
    pub async fn node(&self) -> Result<Option<NodeRecord>, StoreError> {
        unimplemented!()
    }

    /// Creates the node record, its operating team and its first admin in
    /// one transaction, and audits it. Refuses if a node record exists.
    pub async fn initialise_node(
        &self,
        node: &NodeRecord,
        team: &NewTeam,
        admin: &NewUser,
        event: &AuditEvent,
    ) -> Result<(), StoreError> {
        let _ = (node, team, admin, event);
        unimplemented!()
    }

    pub async fn create_team(&self, team: &NewTeam) -> Result<TeamRecord, StoreError> {
        let _ = team;
        unimplemented!()
    }

    pub async fn team(&self, id: &TeamId) -> Result<Option<TeamRecord>, StoreError> {
        let _ = id;
        unimplemented!()
    }

    pub async fn list_teams(&self) -> Result<Vec<TeamRecord>, StoreError> {
        unimplemented!()
    }
}
