//! Bytes that can be trusted: RFC 8785 canonical JSON, SHA-256 hash chains
//! and Ed25519 signatures.
//!
//! Layout:
//! - [`canonical`]: canonical JSON bytes of a value.
//! - [`chain`]: the hash chain behind the tamper-evident audit log.
//! - [`keys`]: node key pairs, fingerprints, sign and verify over bytes.
//! - [`message`]: HTTP Message Signatures (RFC 9421) between nodes.
//!
//! Architecture invariant: this crate knows nothing of STIX and does no
//! I/O. Callers verify the bytes they received, never a re-serialised struct.

pub mod canonical;
pub mod chain;
pub mod keys;
pub mod message;
pub mod secret_box;
pub mod webhook;

pub use canonical::canonical_json;
pub use chain::{link_hash, verify_chain, ChainBreak, ChainLink, GENESIS_HASH};
pub use keys::{KeyError, NodeKey, PublicKey};
pub use secret_box::SecretBox;
