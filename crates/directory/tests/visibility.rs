//! Property tests of the field visibility rule: whatever overrides an entry
//! sets, every published field lands in exactly one tier, the tier its
//! visibility names; a reader holding only some tiers never gets a field of
//! another; and all tiers together give the entry back.

use proptest::prelude::*;
use vigia_directory::entry::{DirectoryEntry, Visibility, ALWAYS_PUBLIC};

fn sample() -> DirectoryEntry {
    let text = serde_json::json!({
        "team": "identity--11111111-1111-4111-8111-111111111111",
        "node": "identity--11111111-1111-4111-8111-111111111111",
        "kind": "national-csirt", "short_name": "CSIRT-X", "official_name": "CSIRT X",
        "country": "MX", "subregion": "North America", "parent_organisation": "Ministry",
        "postal_address": "Street 1", "constituency": {"description": "Everyone", "sectors": ["energy"]},
        "cert_types": ["national"], "established": "2010", "staff_size": 9,
        "hours": {"always": true, "time_zone": "America/Mexico_City"}, "languages": ["es"],
        "email": "a@b.example", "phone": "+1", "emergency": {"phone": "+2"},
        "pgp_fingerprints": ["0x1C2D3E4F5A6B7C8D9E0F1A2B3C4D5E6F7A8B9C0D"],
        "websites": ["https://x.example/"], "reporting": [{"channel": "email", "address": "r@b.example"}],
        "node_url": "https://node.example", "node_key": "key", "node_fingerprint": "fp",
        "services": ["incident-management/incident-coordination"],
        "critical_services": ["incident-management/incident-coordination"],
        "affiliations": [{"name": "FIRST"}], "certifications": [{"scheme": "FIRST", "date": "2020-01-01"}],
        "designation": {"kind": "national-csirt", "authority": "A", "instrument": "I", "date": "2010-01-01"},
        "maturity": {"stage": "operational"}, "last_resort": true,
        "funding": {"mechanism": "budget"}, "poc_capabilities": ["inform-authorities"],
        "law_enforcement": {"network_247_member": true}, "attestations": {"x": {"met": true}}
    });
    DirectoryEntry::from_json(text).expect("the sample parses")
}

fn overrides() -> impl Strategy<Value = Vec<(usize, Visibility)>> {
    let fields = DirectoryEntry::published_fields().len();
    prop::collection::vec(
        (
            0..fields,
            prop_oneof![
                Just(Visibility::Public),
                Just(Visibility::Network),
                Just(Visibility::Restricted)
            ],
        ),
        0..20,
    )
}

proptest! {
    #[test]
    fn every_field_lands_in_exactly_the_tier_its_visibility_names(chosen in overrides()) {
        let mut entry = sample();
        let fields = DirectoryEntry::published_fields();
        for (i, v) in chosen {
            let f = fields[i];
            if !ALWAYS_PUBLIC.contains(&f) {
                entry.visibility.insert(f.to_owned(), v);
            }
        }
        prop_assert!(entry.validate().is_ok());
        let tiers = entry.tiers();
        for field in &fields {
            let holders: Vec<Visibility> = Visibility::ALL
                .into_iter()
                .filter(|v| tiers.get(*v).contains_key(*field))
                .collect();
            prop_assert!(holders.len() <= 1, "{field} in {holders:?}");
            if let [tier] = holders.as_slice() {
                prop_assert_eq!(*tier, entry.visibility_of(field));
            }
        }
        // The public reader gets no field whose visibility is not public.
        let public = DirectoryEntry::assemble([&tiers.public]).expect("assembles");
        let public_json = serde_json::to_value(&public).expect("json");
        for field in &fields {
            if entry.visibility_of(field) != Visibility::Public {
                let empty = DirectoryEntry::default();
                let default_json = serde_json::to_value(&empty).expect("json");
                prop_assert_eq!(&public_json[*field], &default_json[*field], "{} leaked", field);
            }
        }
        // All tiers give the entry back (without its visibility settings).
        let whole = DirectoryEntry::assemble([&tiers.public, &tiers.network, &tiers.restricted])
            .expect("assembles");
        let mut expected = entry.clone();
        expected.visibility.clear();
        prop_assert_eq!(whole, expected);
    }
}
