//! vigia-csaf against the outside world: the official CSAF 2.0 JSON
//! schemas and examples (../shared/data/csaf, read from disk, never the
//! network), BSI's validator (`e2e/csaf-validate.mjs`, Node.js) and
//! Debian's GnuPG. `scripts/test` installs Node.js, the npm package and
//! GnuPG; without them these tests fail and say so, they are never skipped.

mod bsi;
mod examples;
mod gpg;
mod schema;
mod support;
