//! Routes, one module per resource.

pub(crate) mod ack;
pub(crate) mod admin;
pub(crate) mod directory;
pub(crate) mod objects;
pub(crate) mod ops;
pub(crate) mod session;
pub(crate) mod stream;
pub(crate) mod tokens;
pub(crate) mod watch;
