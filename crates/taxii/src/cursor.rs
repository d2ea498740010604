//! The `next` token: the paging position, encoded so any replica can
//! continue a page after a restart. It holds the `date_added` (in
//! microseconds) of the last row the previous page scanned.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cursor {
    pub after_micros: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("next token {0:?} was not issued by this server")]
pub struct CursorError(pub String);

const PREFIX: &str = "v1:";

impl Cursor {
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!("{PREFIX}{}", self.after_micros))
    }

    pub fn decode(token: &str) -> Result<Self, CursorError> {
        let err = || CursorError(token.to_owned());
        let bytes = URL_SAFE_NO_PAD.decode(token).map_err(|_| err())?;
        let text = String::from_utf8(bytes).map_err(|_| err())?;
        let micros = text
            .strip_prefix(PREFIX)
            .ok_or_else(err)?
            .parse()
            .map_err(|_| err())?;
        Ok(Self {
            after_micros: micros,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn round_trips(micros in any::<i64>()) {
            let c = Cursor { after_micros: micros };
            prop_assert_eq!(Cursor::decode(&c.encode()), Ok(c));
        }

        #[test]
        fn garbage_is_refused_not_panicked(token in ".{0,40}") {
            if let Ok(c) = Cursor::decode(&token) {
                prop_assert_eq!(Cursor::decode(&c.encode()), Ok(c));
            }
        }
    }
}
