//! RFC 8785 JSON Canonicalization Scheme.

use serde::Serialize;

#[derive(Debug, thiserror::Error)]
#[error("value cannot be canonicalised: {0}")]
pub struct CanonicalError(String);

/// The RFC 8785 bytes of `value`: sorted keys, no white space, ECMAScript
/// number formatting. Equal values give equal bytes.
pub fn canonical_json<T: Serialize>(value: &T) -> Result<Vec<u8>, CanonicalError> {
    serde_json_canonicalizer::to_vec(value).map_err(|e| CanonicalError(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc8785_orders_keys_and_strips_space() {
        let v: serde_json::Value =
            serde_json::from_str(r#"{ "b": 1.0, "a": [true, null, "é"] }"#).unwrap();
        assert_eq!(
            canonical_json(&v).unwrap(),
            "{\"a\":[true,null,\"é\"],\"b\":1}".as_bytes().to_vec()
        );
    }
}
