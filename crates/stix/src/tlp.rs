//! FIRST Traffic Light Protocol 2.0 markings as STIX marking-definitions.
//!
//! The identifiers and object form are those published by OASIS in
//! cti-stix-common-objects (TLP 2.0 extension
//! `extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d`).
//! TLP 1.0 identifiers from the STIX 2.1 specification are accepted and
//! mapped (WHITE becomes CLEAR).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

pub const TLP2_EXTENSION_ID: &str = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d";

/// The five TLP 2.0 labels, ordered from least to most restrictive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Tlp {
    Clear,
    Green,
    Amber,
    #[serde(rename = "amber+strict")]
    AmberStrict,
    Red,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a TLP label; expected clear, green, amber, amber+strict or red")]
pub struct UnknownTlp(pub String);

impl Tlp {
    pub const ALL: [Tlp; 5] = [
        Tlp::Clear,
        Tlp::Green,
        Tlp::Amber,
        Tlp::AmberStrict,
        Tlp::Red,
    ];

    /// The official TLP 2.0 marking-definition id.
    pub fn marking_id(self) -> &'static str {
        match self {
            Tlp::Clear => "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
            Tlp::Green => "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
            Tlp::Amber => "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
            Tlp::AmberStrict => "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
            Tlp::Red => "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
        }
    }

    /// The label as written in the TLP 2.0 extension (`tlp_2_0`).
    pub fn as_str(self) -> &'static str {
        match self {
            Tlp::Clear => "clear",
            Tlp::Green => "green",
            Tlp::Amber => "amber",
            Tlp::AmberStrict => "amber+strict",
            Tlp::Red => "red",
        }
    }

    /// The label as people read it: `TLP:AMBER+STRICT`.
    pub fn label(self) -> &'static str {
        match self {
            Tlp::Clear => "TLP:CLEAR",
            Tlp::Green => "TLP:GREEN",
            Tlp::Amber => "TLP:AMBER",
            Tlp::AmberStrict => "TLP:AMBER+STRICT",
            Tlp::Red => "TLP:RED",
        }
    }

    /// Maps a marking-definition id, TLP 2.0 or TLP 1.0, to its TLP 2.0 label.
    pub fn from_marking_id(id: &str) -> Option<Tlp> {
        Some(match id {
            "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487" => Tlp::Clear,
            "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb" => Tlp::Green,
            "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421" => Tlp::Amber,
            "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003" => Tlp::AmberStrict,
            "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1" => Tlp::Red,
            // TLP 1.0, STIX 2.1 specification section 7.2.1.4.
            "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9" => Tlp::Clear,
            "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da" => Tlp::Green,
            "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82" => Tlp::Amber,
            "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed" => Tlp::Red,
            _ => return None,
        })
    }

    /// The most restrictive TLP among an object's marking refs, if any.
    /// Several TLP markings on one object are contradictory; taking the
    /// strictest is the only safe reading.
    pub fn strictest_of<'a>(refs: impl IntoIterator<Item = &'a str>) -> Option<Tlp> {
        refs.into_iter().filter_map(Tlp::from_marking_id).max()
    }

    /// The official marking-definition object, in the exact form OASIS
    /// publishes it.
    pub fn marking_definition(self) -> serde_json::Value {
        serde_json::json!({
            "type": "marking-definition",
            "spec_version": "2.1",
            "id": self.marking_id(),
            "created": "2022-10-01T00:00:00.000Z",
            "name": self.label(),
            "extensions": {
                TLP2_EXTENSION_ID: {
                    "extension_type": "property-extension",
                    "tlp_2_0": self.as_str()
                }
            }
        })
    }
}

impl fmt::Display for Tlp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Tlp {
    type Err = UnknownTlp;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.trim().to_ascii_lowercase();
        let bare = lower.strip_prefix("tlp:").unwrap_or(&lower);
        Ok(match bare {
            "clear" | "white" => Tlp::Clear,
            "green" => Tlp::Green,
            "amber" => Tlp::Amber,
            "amber+strict" | "amber_strict" | "amber-strict" => Tlp::AmberStrict,
            "red" => Tlp::Red,
            _ => return Err(UnknownTlp(s.to_owned())),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_label_round_trips_through_its_marking_id() {
        for tlp in Tlp::ALL {
            assert_eq!(Tlp::from_marking_id(tlp.marking_id()), Some(tlp));
            assert_eq!(tlp.as_str().parse::<Tlp>().unwrap(), tlp);
            assert_eq!(tlp.label().parse::<Tlp>().unwrap(), tlp);
        }
    }

    #[test]
    fn tlp1_white_maps_to_clear() {
        assert_eq!(
            Tlp::from_marking_id("marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"),
            Some(Tlp::Clear)
        );
        assert_eq!("TLP:WHITE".parse::<Tlp>().unwrap(), Tlp::Clear);
    }

    #[test]
    fn strictest_wins() {
        let refs = [
            Tlp::Green.marking_id(),
            Tlp::Red.marking_id(),
            "marking-definition--x",
        ];
        assert_eq!(Tlp::strictest_of(refs), Some(Tlp::Red));
        assert_eq!(Tlp::strictest_of(["marking-definition--x"]), None);
    }

    #[test]
    fn marking_definition_has_the_official_form() {
        let md = Tlp::AmberStrict.marking_definition();
        assert_eq!(md["name"], "TLP:AMBER+STRICT");
        assert_eq!(
            md["extensions"][TLP2_EXTENSION_ID]["tlp_2_0"],
            "amber+strict"
        );
        assert_eq!(md["created"], "2022-10-01T00:00:00.000Z");
    }
}
