-- Each node keeps the set of IPv4 network keys in memory (correlation/
-- v4_networks.rs) and reads only the rows added since it last looked.
-- Keep logically identical to ../postgres.
CREATE INDEX observable_v4_networks_added ON observable_v4_networks (date_added);
