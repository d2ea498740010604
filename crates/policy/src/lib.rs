//! Who may see what.
//!
//! The whole access rule is [`may_view`]: a pure function of the viewer,
//! the object's [`Audience`] and the [`Community`] (sharing groups and
//! client relations). Every path that returns objects — API, TAXII, web,
//! federation, feeds, exports — calls it; the store may pre-filter in SQL
//! but never decides alone.
//!
//! Layout:
//! - [`ids`]: team, user and sharing-group names, parsed on construction.
//! - [`role`]: the roles a user or token carries.
//! - [`audience`]: an object's TLP, originator and named recipients.
//! - [`access`]: [`Viewer`], [`Community`] and [`may_view`].
//! - [`federation`]: what may travel between nodes, and outbound policy.
//! - [`keys`]: access keys, the indexable over-approximation of the rule.
//!
//! Architecture invariant: this crate does no I/O, reads no clock and
//! knows no wire format.

pub mod access;
pub mod audience;
pub mod federation;
pub mod ids;
pub mod keys;
pub mod role;

pub use access::{may_view, Community, Viewer};
pub use audience::{Audience, AudienceError};
pub use federation::{
    covered_after, is_relayed, may_deliver, may_receive, may_send, OutboundPolicy,
};
pub use ids::{GroupName, NameError, TeamId, UserName, UserRef};
pub use keys::{collection_keys, object_keys, viewer_keys};
pub use role::Role;
pub use vigia_stix::Tlp;
