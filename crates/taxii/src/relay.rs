//! vigia's one custom property on the envelope a node pushes to a peer:
//! `x_vigia_covered`, which names, for each object, the nodes it is
//! already on its way to. A relaying node skips those peers, so a GREEN
//! alert crosses each link about once instead of flooding every link.
//!
//! ```json
//! {"objects": [{…}, {…}, {…}],
//!  "x_vigia_covered": {"sets": [["identity--…", "identity--…"]],
//!                      "objects": [0, 0, null]}}
//! ```
//!
//! `objects[i]` indexes into `sets` for the envelope's i-th object, or is
//! `null` when nothing is known. Objects queued together mostly share one
//! set, so each set is written once.
//!
//! A hint can only make a node send less, never more: a node it names
//! wrongly still gets the object by its own pull. TAXII 2.1 servers that
//! do not know the property ignore it.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// The envelope property.
pub const COVERED_PROPERTY: &str = "x_vigia_covered";

/// Sets and nodes per envelope a receiver accepts.
pub const MAX_COVERED_SETS: usize = 1_000;
pub const MAX_COVERED_NODES: usize = 1_000;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoveredHint {
    pub sets: Vec<Vec<String>>,
    pub objects: Vec<Option<usize>>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{COVERED_PROPERTY}: {0}")]
pub struct CoveredHintError(String);

impl CoveredHint {
    /// The hint for objects whose covered sets are given, each as the JSON
    /// array text a node stored when it queued the object. `None` when no
    /// object has one.
    pub fn for_objects<'a>(
        per_object: impl IntoIterator<Item = Option<&'a str>>,
    ) -> Result<Option<Self>, CoveredHintError> {
        let mut texts: Vec<&str> = Vec::new();
        let mut objects = Vec::new();
        for covered in per_object {
            objects.push(covered.map(|text| {
                texts.iter().position(|t| *t == text).unwrap_or_else(|| {
                    texts.push(text);
                    texts.len() - 1
                })
            }));
        }
        if texts.is_empty() {
            return Ok(None);
        }
        let sets = texts
            .into_iter()
            .map(|t| {
                serde_json::from_str(t).map_err(|e| {
                    CoveredHintError(format!("a stored set is not a JSON array of strings: {e}"))
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Some(Self { sets, objects }))
    }

    /// The hint of an envelope, if it has one, checked for size and shape.
    pub fn of_body(body: &str) -> Result<Option<Self>, CoveredHintError> {
        #[derive(Deserialize)]
        struct Envelope<'a> {
            #[serde(rename = "x_vigia_covered", borrow, default)]
            covered: Option<&'a RawValue>,
        }
        let Ok(envelope) = serde_json::from_str::<Envelope<'_>>(body) else {
            // Not an envelope at all: the object splitter says what is wrong.
            return Ok(None);
        };
        let Some(raw) = envelope.covered else {
            return Ok(None);
        };
        let hint: Self =
            serde_json::from_str(raw.get()).map_err(|e| CoveredHintError(e.to_string()))?;
        hint.check()?;
        Ok(Some(hint))
    }

    fn check(&self) -> Result<(), CoveredHintError> {
        if self.sets.len() > MAX_COVERED_SETS {
            return Err(CoveredHintError(format!(
                "{} sets, at most {MAX_COVERED_SETS} are accepted",
                self.sets.len()
            )));
        }
        if let Some(big) = self.sets.iter().find(|s| s.len() > MAX_COVERED_NODES) {
            return Err(CoveredHintError(format!(
                "a set names {} nodes, at most {MAX_COVERED_NODES} are accepted",
                big.len()
            )));
        }
        if let Some(i) = self
            .objects
            .iter()
            .flatten()
            .find(|&&i| i >= self.sets.len())
        {
            return Err(CoveredHintError(format!(
                "an object points at set {i}, but there are {} sets",
                self.sets.len()
            )));
        }
        Ok(())
    }

    /// The nodes named for each of `object_count` objects.
    pub fn per_object(&self, object_count: usize) -> Result<Vec<&[String]>, CoveredHintError> {
        if self.objects.len() != object_count {
            return Err(CoveredHintError(format!(
                "names sets for {} objects, but the envelope holds {object_count}",
                self.objects.len()
            )));
        }
        Ok(self
            .objects
            .iter()
            .map(|i| i.map_or(&[][..], |i| self.sets[i].as_slice()))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_sharing_a_set_point_at_one_copy() {
        let a = r#"["identity--a","identity--b"]"#;
        let b = r#"["identity--c"]"#;
        let hint = CoveredHint::for_objects([Some(a), None, Some(b), Some(a)])
            .unwrap()
            .unwrap();
        assert_eq!(hint.sets.len(), 2);
        assert_eq!(hint.objects, vec![Some(0), None, Some(1), Some(0)]);
        let per = hint.per_object(4).unwrap();
        assert_eq!(per[0], ["identity--a", "identity--b"]);
        assert!(per[1].is_empty());
        assert_eq!(per[2], ["identity--c"]);
    }

    #[test]
    fn no_known_set_gives_no_hint() {
        assert_eq!(CoveredHint::for_objects([None, None]).unwrap(), None);
        assert!(CoveredHint::for_objects([Some("not json")]).is_err());
    }

    #[test]
    fn round_trips_through_an_envelope() {
        let hint = CoveredHint::for_objects([Some(r#"["identity--a"]"#)])
            .unwrap()
            .unwrap();
        let body = format!(
            r#"{{"objects":[{{"type":"x"}}],"{COVERED_PROPERTY}":{}}}"#,
            serde_json::to_string(&hint).unwrap()
        );
        assert_eq!(CoveredHint::of_body(&body).unwrap(), Some(hint));
        assert_eq!(CoveredHint::of_body(r#"{"objects":[]}"#).unwrap(), None);
        assert_eq!(CoveredHint::of_body("not json").unwrap(), None);
    }

    #[test]
    fn refuses_a_malformed_hint_and_says_why() {
        let bad = |hint: &str| {
            let body = format!(r#"{{"objects":[],"x_vigia_covered":{hint}}}"#);
            CoveredHint::of_body(&body).unwrap_err().to_string()
        };
        assert!(bad(r#"{"sets":[],"objects":[0]}"#).contains("points at set 0"));
        assert!(bad(r#"{"sets":[["a"]],"objects":[0],"more":1}"#).contains("unknown field"));
        assert!(bad(r#"[1]"#).starts_with("x_vigia_covered: "));
        let many = vec!["identity--a"; MAX_COVERED_NODES + 1];
        let hint = serde_json::json!({"sets": [many], "objects": [0]});
        assert!(bad(&hint.to_string()).contains("at most"));
        let ok = CoveredHint {
            sets: vec![vec!["a".into()]],
            objects: vec![Some(0)],
        };
        assert!(ok
            .per_object(2)
            .unwrap_err()
            .to_string()
            .contains("holds 2"));
    }
}
