-- Correlation (issue 10). Keep logically identical to ../postgres.
--
-- observable_index: for each normalised observable value, by its 64-bit
-- key (vigia_correlate::value_key), the stored versions that name it.
-- Keys, not values: 8 bytes whatever the value's length. Rows are written
-- with their object, in its transaction; a lookup keeps latest versions.
CREATE TABLE observable_index (
    value_key   BIGINT NOT NULL,
    date_added  BIGINT NOT NULL,
    PRIMARY KEY (value_key, date_added)
) WITHOUT ROWID;

-- Networks (CIDR values shorter than an address) apart, since a lookup
-- asks for every network enclosing each address. IPv4 networks are keyed
-- (prefix << 32) | bits, so one query computes every enclosing network's
-- key from the address itself; IPv6 networks by their value key, probed
-- per prefix length present.
CREATE TABLE observable_v4_networks (
    value_key   BIGINT NOT NULL,
    date_added  BIGINT NOT NULL,
    PRIMARY KEY (value_key, date_added)
) WITHOUT ROWID;

CREATE TABLE observable_v6_networks (
    value_key   BIGINT NOT NULL,
    date_added  BIGINT NOT NULL,
    PRIMARY KEY (value_key, date_added)
) WITHOUT ROWID;

-- The network prefix lengths indexed, per family (4 or 6), so a lookup
-- probes only the enclosing networks that can exist.
CREATE TABLE observable_prefixes (
    family  INTEGER NOT NULL,
    prefix  INTEGER NOT NULL,
    PRIMARY KEY (family, prefix)
);

-- Values named by more objects than the node's correlation cap: one row
-- each instead of their remaining index rows.
CREATE TABLE observable_over_correlating (
    value_key   BIGINT PRIMARY KEY,
    flagged_at  BIGINT NOT NULL
);

-- What each stored version refers to (sighting_of_ref, object_refs,
-- source_ref and target_ref), so sightings, analysis claims, notes,
-- reports and relationships are found from the object they are about.
CREATE TABLE object_refs (
    ref         TEXT NOT NULL,
    date_added  BIGINT NOT NULL,
    PRIMARY KEY (ref, date_added)
) WITHOUT ROWID;
