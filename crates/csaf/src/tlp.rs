//! TLP labels as CSAF 2.0 writes them (`/document/distribution/tlp`).
//!
//! CSAF 2.0 (section 3.2.1.5.2) still uses the four TLP 1.0 labels; vigia
//! marks with TLP 2.0. CLEAR is TLP 1.0's WHITE, GREEN, AMBER and RED keep
//! their names. TLP 2.0's AMBER+STRICT has no CSAF 2.0 label: writing it as
//! AMBER would widen its audience to the recipients' clients, so it has no
//! mapping at all and an export of it is refused.

use std::fmt;

use vigia_stix::Tlp;

/// The URL CSAF documents give for the TLP definition (the default of
/// `/document/distribution/tlp/url`).
pub const TLP_URL: &str = "https://www.first.org/tlp/";

/// A CSAF 2.0 TLP label.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CsafTlp {
    White,
    Green,
    Amber,
    Red,
}

/// AMBER+STRICT has no CSAF 2.0 label.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("TLP:AMBER+STRICT has no CSAF 2.0 label (CSAF 2.0 knows WHITE, GREEN, AMBER and RED); it is never exported as AMBER")]
pub struct AmberStrictHasNoLabel;

impl CsafTlp {
    pub const ALL: [CsafTlp; 4] = [CsafTlp::White, CsafTlp::Green, CsafTlp::Amber, CsafTlp::Red];

    /// The label as the schema's enum spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            CsafTlp::White => "WHITE",
            CsafTlp::Green => "GREEN",
            CsafTlp::Amber => "AMBER",
            CsafTlp::Red => "RED",
        }
    }

    /// Lower case, for paths and feed names (`white/…`,
    /// `csaf-feed-tlp-white.json`).
    pub fn as_lower(self) -> &'static str {
        match self {
            CsafTlp::White => "white",
            CsafTlp::Green => "green",
            CsafTlp::Amber => "amber",
            CsafTlp::Red => "red",
        }
    }

    /// Reads a label as written in a CSAF document (exact, upper case).
    pub fn parse(label: &str) -> Option<CsafTlp> {
        CsafTlp::ALL.into_iter().find(|t| t.as_str() == label)
    }

    /// The TLP 2.0 marking this label stands for: WHITE is CLEAR.
    pub fn to_tlp(self) -> Tlp {
        match self {
            CsafTlp::White => Tlp::Clear,
            CsafTlp::Green => Tlp::Green,
            CsafTlp::Amber => Tlp::Amber,
            CsafTlp::Red => Tlp::Red,
        }
    }
}

impl TryFrom<Tlp> for CsafTlp {
    type Error = AmberStrictHasNoLabel;

    fn try_from(tlp: Tlp) -> Result<Self, Self::Error> {
        match tlp {
            Tlp::Clear => Ok(CsafTlp::White),
            Tlp::Green => Ok(CsafTlp::Green),
            Tlp::Amber => Ok(CsafTlp::Amber),
            Tlp::Red => Ok(CsafTlp::Red),
            Tlp::AmberStrict => Err(AmberStrictHasNoLabel),
        }
    }
}

impl fmt::Display for CsafTlp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_tlp_2_0_label_maps_as_the_spec_says() {
        let mapped: Vec<_> = Tlp::ALL
            .into_iter()
            .map(|t| (t, CsafTlp::try_from(t)))
            .collect();
        assert_eq!(
            mapped,
            vec![
                (Tlp::Clear, Ok(CsafTlp::White)),
                (Tlp::Green, Ok(CsafTlp::Green)),
                (Tlp::Amber, Ok(CsafTlp::Amber)),
                (Tlp::AmberStrict, Err(AmberStrictHasNoLabel)),
                (Tlp::Red, Ok(CsafTlp::Red)),
            ]
        );
    }

    #[test]
    fn amber_strict_is_never_amber() {
        assert_ne!(CsafTlp::try_from(Tlp::AmberStrict), Ok(CsafTlp::Amber));
        assert!(AmberStrictHasNoLabel.to_string().contains("never exported"));
    }

    #[test]
    fn labels_map_back_with_white_as_clear() {
        for label in CsafTlp::ALL {
            assert_eq!(CsafTlp::parse(label.as_str()), Some(label));
            assert_eq!(CsafTlp::try_from(label.to_tlp()), Ok(label));
        }
        assert_eq!(CsafTlp::White.to_tlp(), Tlp::Clear);
        assert_eq!(
            CsafTlp::parse("white"),
            None,
            "the schema's enum is upper case"
        );
        assert_eq!(
            CsafTlp::parse("CLEAR"),
            None,
            "CLEAR is not a CSAF 2.0 label"
        );
    }
}
