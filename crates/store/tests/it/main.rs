//! The store's tests, each run against SQLite and PostgreSQL.
//!
//! PostgreSQL comes from `VIGIA_TEST_DATABASE_URL` (default
//! `postgres://root@127.0.0.1:5432/test`); every test gets a database of
//! its own. An unreachable server fails the postgres tests.

mod correlation;
mod derived;
mod directory;
mod public;
mod support;
mod watch;

mod accounts;
mod audit;
mod objects;
mod outbox;
mod search;
mod store;
