//! Correlation as data: which observables an object names, the one normal
//! form of each value, the index keys that find them (networks included)
//! and the warninglists of well-known benign values. No I/O: the store
//! keeps the index, the web layer answers lookups within entitlement.
//!
//! - [`observable`]: kinds, normal forms, untyped values recognised.
//! - [`extract`]: observables of indicators (STIX patterns), SCOs and
//!   observed-data; a pattern's parse error.
//! - [`key`]: 64-bit value keys and the probes for enclosing networks.
//! - [`warninglist`]: MISP warninglists.
//! - [`work`]: sightings and analysis claims as STIX objects, summed.

pub mod extract;
pub mod key;
pub mod observable;
pub mod warninglist;
pub mod work;

pub use extract::{observables, pattern_error};
pub use key::{
    probes, v4_enclosing_keys, v4_network_key, value_key, KeyTable, LookupKeys, Prefixes, Probe,
};
pub use observable::{Kind, Network, Observable, ValueError};
pub use warninglist::{Exclusions, WarningList, WarningListError};
pub use work::{Claim, ClaimDraft, ClaimState, Sighting, SightingDraft, SightingSummary};
