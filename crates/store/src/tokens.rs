//! API tokens, stored only as SHA-256 hashes of their secrets.

use crate::db::Store;
use crate::error::StoreError;
use crate::records::{NewToken, TokenRecord};

impl Store {
    pub async fn create_token(&self, token: &NewToken) -> Result<TokenRecord, StoreError> {
        let _ = token;
        unimplemented!()
    }

    /// The live (not revoked, not expired) token with this secret hash.
    /// Also records `last_used_at`, at most once a minute per token.
    pub async fn token_by_secret_hash(&self, hash: &[u8; 32]) -> Result<Option<TokenRecord>, StoreError> {
        let _ = hash;
        unimplemented!()
    }

    pub async fn list_tokens(&self) -> Result<Vec<TokenRecord>, StoreError> {
        unimplemented!()
    }

    /// Returns false if no live token has this id.
    pub async fn revoke_token(&self, id: &str) -> Result<bool, StoreError> {
        let _ = id;
        unimplemented!()
    }
}
