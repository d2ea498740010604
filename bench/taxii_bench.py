#!/usr/bin/env python3
"""Client side of bench/taxii_vs_medallion.sh: generates the STIX data,
writes medallion's configuration, and measures both TAXII 2.1 servers with
the same client code (requests + time.perf_counter), on loopback only.

Subcommands:
  generate   --count N --out FILE            N valid STIX 2.1 objects (JSON array)
  medallion  --objects FILE --preload K --port P --dir DIR
                                             medallion config + data file holding
                                             the first K objects in one collection
  measure    --objects FILE --name NAME --url URL (--token T | --user U --password P)
             --collection PATH --skip K [--read-timeout S] --out FILE
                                             POST the objects after the first K in
                                             1,000-object envelopes, then read the
                                             whole collection by paging
  million    --count N --url URL --token T --collection PATH --requests R --out FILE
                                             load N objects into vigia, then time R
                                             added_after pages of 1,000
  report     RESULT.json...                  the Markdown table
"""

import argparse
import json
import math
import os
import random
import statistics
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

os.environ["NO_PROXY"] = "127.0.0.1,localhost"
os.environ["no_proxy"] = "127.0.0.1,localhost"

import requests  # noqa: E402

TAXII = "application/taxii+json;version=2.1"
STIX21 = "application/stix+json;version=2.1"
ENVELOPE = 1000
PAGE = 1000
MAX_PAGES = 100_000  # bounds every paging loop
TLP = {
    "clear": "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    "green": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    "amber": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
}
SCO_NAMESPACE = uuid.UUID("00abedb4-aa42-466c-9c01-fed23315a9b7")
BASE_TIME = datetime(2026, 1, 1, tzinfo=timezone.utc)


def ts(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


# ------------------------------------------------------------------ data


class Generator:
    """A deterministic, realistic mix of valid STIX 2.1 objects:
    indicators, SCOs, vulnerabilities, malware, relationships, reports."""

    MIX = (
        ["indicator"] * 35 + ["sco"] * 20 + ["vulnerability"] * 10 + ["malware"] * 5
        + ["relationship"] * 25 + ["report"] * 5
    )

    def __init__(self, seed=2026):
        self.rng = random.Random(seed)
        self.sdos = []  # ids that relationships and reports may point at

    def uuid4(self):
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def marking(self):
        r = self.rng.random()
        return TLP["clear"] if r < 0.4 else TLP["green"] if r < 0.8 else TLP["amber"]

    def common(self, kind, i):
        t = ts(BASE_TIME + timedelta(seconds=i, milliseconds=self.rng.randrange(1000)))
        return {
            "type": kind,
            "spec_version": "2.1",
            "id": f"{kind}--{self.uuid4()}",
            "created": t,
            "modified": t,
            "object_marking_refs": [self.marking()],
        }

    def sco(self, i):
        n = i % 4
        if n == 0:
            kind, body = "ipv4-addr", {"value": f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}"}
        elif n == 1:
            kind, body = "domain-name", {"value": f"c2-{i}.example-{i % 97}.net"}
        elif n == 2:
            kind, body = "url", {"value": f"https://dl-{i}.example.org/payload/{i:08x}.bin"}
        else:
            sha = f"{i:064x}"
            kind, body = "file", {"name": f"invoice_{i}.pdf.exe", "size": 1000 + i,
                                  "hashes": {"SHA-256": sha}}
        key = json.dumps(body, sort_keys=True)
        obj = {"type": kind, "spec_version": "2.1",
               "id": f"{kind}--{uuid.uuid5(SCO_NAMESPACE, key)}"}
        obj.update(body)
        obj["object_marking_refs"] = [self.marking()]
        return obj

    def make(self, i):
        kind = self.MIX[self.rng.randrange(len(self.MIX))]
        if kind in ("relationship", "report") and len(self.sdos) < 20:
            kind = "indicator"
        if kind == "sco":
            return self.sco(i)
        o = self.common(kind, i)
        if kind == "indicator":
            ip = f"198.{18 + (i >> 16 & 1)}.{i >> 8 & 255}.{i & 255}"
            o.update({
                "name": f"C2 server {ip}",
                "description": f"Command and control server observed by CSIRT #{i % 35}.",
                "indicator_types": ["malicious-activity"],
                "pattern": f"[ipv4-addr:value = '{ip}'] OR [domain-name:value = 'c2-{i}.example.net']",
                "pattern_type": "stix",
                "pattern_version": "2.1",
                "valid_from": o["created"],
                "kill_chain_phases": [{"kill_chain_name": "lockheed-martin-cyber-kill-chain",
                                       "phase_name": "command-and-control"}],
            })
        elif kind == "vulnerability":
            cve = f"CVE-{2020 + i % 7}-{10000 + i}"
            o.update({
                "name": cve,
                "description": f"Remote code execution in product {i % 311} before 4.{i % 9}.",
                "external_references": [{"source_name": "cve", "external_id": cve}],
            })
        elif kind == "malware":
            o.update({
                "name": f"Family-{i % 503}",
                "description": "Loader distributed through phishing attachments.",
                "malware_types": ["trojan", "remote-access-trojan"],
                "is_family": True,
            })
        elif kind == "relationship":
            a, b = self.rng.sample(self.sdos, 2)
            o.update({"relationship_type": "related-to", "source_ref": a, "target_ref": b})
        elif kind == "report":
            refs = self.rng.sample(self.sdos, self.rng.randrange(3, 15))
            o.update({
                "name": f"Weekly threat summary {i}",
                "description": "Indicators and vulnerabilities shared this week.",
                "report_types": ["threat-report"],
                "published": o["created"],
                "object_refs": refs,
            })
        if kind in ("indicator", "vulnerability", "malware"):
            self.sdos.append(o["id"])
            if len(self.sdos) > 5000:
                self.sdos = self.sdos[-2500:]
        return o


def generate(count, seed=2026):
    g = Generator(seed)
    for i in range(count):
        yield g.make(i)


def cmd_generate(a):
    objs = list(generate(a.count))
    ids = [o["id"] for o in objs]
    assert len(set(ids)) == len(ids), "generated ids are unique"
    Path(a.out).write_text(json.dumps(objs), encoding="utf-8")
    kinds = {}
    for o in objs:
        kinds[o["type"]] = kinds.get(o["type"], 0) + 1
    print(f"generated {len(objs)} objects: {dict(sorted(kinds.items()))}", file=sys.stderr)


# ------------------------------------------------------------- medallion


def cmd_medallion(a):
    """medallion 3.0.0 configuration: memory back-end, one API root, one
    collection holding the first K objects with their manifest entries."""
    objs = json.loads(Path(a.objects).read_text(encoding="utf-8"))[: a.preload]
    base = f"http://127.0.0.1:{a.port}"
    start = datetime.now(timezone.utc) - timedelta(days=1)
    manifest = []
    for i, o in enumerate(objs):
        added = (start + timedelta(microseconds=i)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        version = o.get("modified", o.get("created"))
        if version is None:  # an SCO: medallion versions it by date_added
            version = added
            o["_date_added"] = added
        manifest.append({"id": o["id"], "date_added": added, "version": version,
                         "media_type": STIX21})
    data = {
        "/discovery": {
            "title": "medallion (benchmark)",
            "description": "medallion 3.0.0, memory back-end",
            "default": f"{base}/bench/",
            "api_roots": [f"{base}/bench/"],
        },
        "bench": {
            "information": {
                "title": "bench",
                "description": "benchmark API root",
                "versions": [TAXII],
                "max_content_length": 256 * 1024 * 1024,
            },
            "status": [],
            "collections": [{
                "id": a.collection_id,
                "title": "Indicators",
                "description": "benchmark collection",
                "can_read": True,
                "can_write": True,
                "media_types": [STIX21],
                "objects": objs,
                "manifest": manifest,
            }],
        },
    }
    d = Path(a.dir)
    (d / "medallion-data.json").write_text(json.dumps(data), encoding="utf-8")
    config = {
        "backend": {
            "module": "medallion.backends.memory_backend",
            "module_class": "MemoryBackend",
            "filename": str(d / "medallion-data.json"),
            # paging sessions ('next') live this long; a slow full read needs it
            "session_timeout": 7200,
        },
        "users": {a.user: a.password},
        "taxii": {"max_page_size": PAGE},
    }
    (d / "medallion-config.json").write_text(json.dumps(config), encoding="utf-8")


# --------------------------------------------------------------- client


def session_for(a):
    s = requests.Session()
    s.trust_env = False
    if getattr(a, "token", None):
        s.headers["Authorization"] = f"Bearer {a.token}"
    else:
        s.auth = (a.user, a.password)
    s.headers["Accept"] = TAXII
    return s


def pct(values, p):
    """Nearest-rank percentile."""
    v = sorted(values)
    if not v:
        return None
    return v[max(0, min(len(v) - 1, math.ceil(p / 100 * len(v)) - 1))]


def post_all(s, objects_url, objects, status_base, timeout):
    """POSTs 1,000-object envelopes; waits for each status to be complete."""
    stored = 0
    cursors = []
    # Envelopes are serialised before the clock starts: the client's own
    # JSON encoding (about 3 ms per 1,000 objects) is not the server's time.
    bodies = [json.dumps({"objects": objects[start:start + ENVELOPE]})
              for start in range(0, len(objects), ENVELOPE)]
    t0 = time.perf_counter()
    for body in bodies:
        r = s.post(objects_url, data=body, headers={"Content-Type": TAXII}, timeout=timeout)
        if r.status_code != 202:
            raise SystemExit(f"POST {objects_url}: {r.status_code} {r.text[:500]}")
        st = r.json()
        for _ in range(600):
            if st["status"] == "complete":
                break
            time.sleep(0.1)
            st = s.get(f"{status_base}{st['id']}/", timeout=timeout).json()
        if st["status"] != "complete":
            raise SystemExit(f"status {st['id']} not complete after 60 s")
        if st["failure_count"]:
            raise SystemExit(f"{st['failure_count']} failures: {json.dumps(st.get('failures'))[:1000]}")
        stored += st["success_count"]
        cursors.append(st.get("request_timestamp"))
    return stored, time.perf_counter() - t0, cursors


def read_all(s, objects_url, timeout, deadline):
    """Pages the whole collection with limit=1000 following `next`.
    Returns (ids, wall seconds, per-page latencies) or None past `deadline`."""
    ids = []
    lat = []
    nxt = None
    t0 = time.perf_counter()
    for _ in range(MAX_PAGES):
        params = {"limit": PAGE}
        if nxt:
            params["next"] = nxt
        remaining = deadline - time.perf_counter()
        if remaining <= 0:
            return None
        t = time.perf_counter()
        try:
            r = s.get(objects_url, params=params, timeout=min(timeout, remaining))
            body = r.content
        except requests.exceptions.Timeout:
            return None
        lat.append(time.perf_counter() - t)
        if r.status_code != 200:
            raise SystemExit(f"GET {objects_url}: {r.status_code} {body[:500]}")
        env = json.loads(body)
        ids.extend(o["id"] for o in env.get("objects", []))
        if not env.get("more"):
            return ids, time.perf_counter() - t0, lat
        nxt = env.get("next")
        if not nxt:
            raise SystemExit("more=true without next")
    raise SystemExit("paging did not end")


def cmd_measure(a):
    objs = json.loads(Path(a.objects).read_text(encoding="utf-8"))
    s = session_for(a)
    objects_url = f"{a.url}{a.collection}objects/"
    status_base = f"{a.url}{a.collection.split('/collections/')[0]}/status/"
    result = {"name": a.name, "size": len(objs), "preloaded": a.skip}
    todo = objs[a.skip:]
    stored, secs, _ = post_all(s, objects_url, todo, status_base, a.read_timeout)
    if stored != len(todo):
        raise SystemExit(f"{a.name}: {stored} stored of {len(todo)} posted")
    result.update(post_objects=len(todo), post_seconds=secs, post_rate=len(todo) / secs)
    print(f"{a.name} N={len(objs)}: POST {len(todo)} objects in {secs:.2f} s "
          f"({len(todo) / secs:,.0f}/s)", file=sys.stderr, flush=True)

    deadline = time.perf_counter() + a.read_timeout
    got = read_all(s, objects_url, a.read_timeout, deadline)
    if got is None:
        result.update(read_timeout=a.read_timeout)
        print(f"{a.name} N={len(objs)}: full read did not finish within {a.read_timeout} s",
              file=sys.stderr, flush=True)
    else:
        ids, secs, lat = got
        if len(ids) != len(objs) or len(set(ids)) != len(objs):
            raise SystemExit(f"{a.name}: read {len(ids)} ids, {len(set(ids))} distinct, "
                             f"want {len(objs)}")
        if set(ids) != {o["id"] for o in objs}:
            raise SystemExit(f"{a.name}: the ids read are not the ids posted")
        result.update(read_seconds=secs, read_rate=len(ids) / secs, pages=len(lat),
                      page_p50=pct(lat, 50), page_p99=pct(lat, 99), page_max=max(lat))
        print(f"{a.name} N={len(objs)}: read {len(ids)} in {secs:.2f} s "
              f"({len(ids) / secs:,.0f}/s), {len(lat)} pages, p50 {pct(lat, 50) * 1000:.1f} ms, "
              f"p99 {pct(lat, 99) * 1000:.1f} ms", file=sys.stderr, flush=True)
    Path(a.out).write_text(json.dumps(result, indent=1), encoding="utf-8")


def cmd_million(a):
    s = session_for(a)
    objects_url = f"{a.url}{a.collection}objects/"
    status_base = f"{a.url}{a.collection.split('/collections/')[0]}/status/"
    gen = generate(a.count, seed=1_000_000)
    cursors = []
    stored = 0
    t0 = time.perf_counter()
    batch = []
    for o in gen:
        batch.append(o)
        if len(batch) == ENVELOPE:
            n, _, cur = post_all(s, objects_url, batch, status_base, 600)
            stored += n
            cursors.extend(cur)
            batch = []
            if len(cursors) % 100 == 0:
                el = time.perf_counter() - t0
                print(f"  loaded {stored:,} in {el:.0f} s ({stored / el:,.0f}/s)",
                      file=sys.stderr, flush=True)
    if batch:
        n, _, cur = post_all(s, objects_url, batch, status_base, 600)
        stored += n
    load_secs = time.perf_counter() - t0
    if stored != a.count:
        raise SystemExit(f"stored {stored} of {a.count}")
    # Cursors spread over the collection: the request time of envelopes
    # chosen evenly among those with at least 1,000 objects after them.
    usable = cursors[: len(cursors) - 1]
    rng = random.Random(7)
    picks = [usable[int(k * (len(usable) - 1) / max(1, a.requests - 1))] for k in range(a.requests)]
    rng.shuffle(picks)
    lat = []
    for c in picks:
        t = time.perf_counter()
        r = s.get(objects_url, params={"added_after": c, "limit": PAGE}, timeout=60)
        body = r.content
        lat.append(time.perf_counter() - t)
        if r.status_code != 200:
            raise SystemExit(f"GET added_after={c}: {r.status_code} {body[:300]}")
        n = len(json.loads(body).get("objects", []))
        if n != PAGE:
            raise SystemExit(f"added_after={c}: {n} objects, want {PAGE}")
    result = {"name": "vigia-added-after", "size": a.count, "load_seconds": load_secs,
              "load_rate": a.count / load_secs, "requests": len(lat),
              "p50": pct(lat, 50), "p99": pct(lat, 99), "max": max(lat)}
    print(f"{a.count:,} objects: loaded in {load_secs:.0f} s ({a.count / load_secs:,.0f}/s); added_after page "
          f"p50 {result['p50'] * 1000:.1f} ms p99 {result['p99'] * 1000:.1f} ms",
          file=sys.stderr, flush=True)
    Path(a.out).write_text(json.dumps(result, indent=1), encoding="utf-8")


# --------------------------------------------------------------- report


def fmt_rate(v):
    return f"{v:,.0f}" if v is not None else "—"


def fmt_ms(v):
    return f"{v * 1000:,.1f}" if v is not None else "—"


def cmd_report(a):
    results = [json.loads(Path(p).read_text(encoding="utf-8")) for p in a.results]
    sizes = sorted({r["size"] for r in results if r["name"] in ("vigia", "medallion")})
    rows = ["| objects | metric | vigia | medallion | vigia's advantage |",
            "|---:|---|---:|---:|---:|"]
    notes = []
    for n in sizes:
        v = next(r for r in results if r["name"] == "vigia" and r["size"] == n)
        m = next(r for r in results if r["name"] == "medallion" and r["size"] == n)
        post_label = "POST ingest, objects/s"
        if m.get("preloaded"):
            notes.append(f"At {n:,} objects medallion was preloaded with {m['preloaded']:,} "
                         f"objects from its data file and its POST rate measured on the "
                         f"remaining {m['post_objects']:,} (into the {m['preloaded']:,}-object "
                         f"collection); vigia's on all {v['post_objects']:,}.")
        rows.append(f"| {n:,} | {post_label} | {fmt_rate(v['post_rate'])} | "
                    f"{fmt_rate(m['post_rate'])} | {v['post_rate'] / m['post_rate']:,.1f}× |")
        if "read_rate" in m:
            ratio = f"{v['read_rate'] / m['read_rate']:,.1f}×"
            p50r = f"{m['page_p50'] / v['page_p50']:,.1f}×"
            p99r = f"{m['page_p99'] / v['page_p99']:,.1f}×"
            mr, m50, m99 = fmt_rate(m["read_rate"]), fmt_ms(m["page_p50"]), fmt_ms(m["page_p99"])
        else:
            t = m["read_timeout"]
            bound = n / t
            ratio = f"> {v['read_rate'] / bound:,.0f}×"
            mr = f"< {bound:,.0f} (first page unanswered after {t:,} s)"
            m50 = m99 = "n/a"
            p50r = p99r = "n/a"
            notes.append(f"At {n:,} objects medallion had not answered the first page "
                         f"(limit=1000) after {t:,} s, so its read rate is a bound and its page "
                         f"latencies are unknown beyond the first page's > {t * 1000:,} ms.")
        rows.append(f"| {n:,} | paged read (limit 1000), objects/s | {fmt_rate(v['read_rate'])} "
                    f"| {mr} | {ratio} |")
        rows.append(f"| {n:,} | one page, p50 ms | {fmt_ms(v['page_p50'])} | {m50} | {p50r} |")
        rows.append(f"| {n:,} | one page, p99 ms | {fmt_ms(v['page_p99'])} | {m99} | {p99r} |")
    out = "\n".join(rows)
    out += ("\n\nvigia's advantage is vigia ÷ medallion for rates and medallion ÷ vigia for "
            "latencies: above 1× vigia is better.")
    for r in results:
        if r["name"] == "vigia-added-after":
            out += (f"\n\nvigia alone, {r['size']:,} objects in one collection on SQLite "
                    f"(loaded over TAXII POST at {r['load_rate']:,.0f} objects/s): "
                    f"{r['requests']} `added_after` pages of 1,000 objects at cursors spread "
                    f"over the collection: p50 {fmt_ms(r['p50'])} ms, p99 {fmt_ms(r['p99'])} ms, "
                    f"max {fmt_ms(r['max'])} ms.")
    if notes:
        out += "\n\n" + "\n".join(f"- {x}" for x in notes)
    print(out)


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("generate")
    g.add_argument("--count", type=int, required=True)
    g.add_argument("--out", required=True)
    m = sub.add_parser("medallion")
    m.add_argument("--objects", required=True)
    m.add_argument("--preload", type=int, required=True)
    m.add_argument("--port", type=int, required=True)
    m.add_argument("--dir", required=True)
    m.add_argument("--collection-id", required=True)
    m.add_argument("--user", required=True)
    m.add_argument("--password", required=True)
    for name in ("measure", "million"):
        x = sub.add_parser(name)
        x.add_argument("--url", required=True)
        x.add_argument("--token")
        x.add_argument("--user")
        x.add_argument("--password")
        x.add_argument("--collection", required=True, help="path of the collection, /…/collections/ID/")
        x.add_argument("--out", required=True)
    ms = sub.choices["measure"]
    ms.add_argument("--objects", required=True)
    ms.add_argument("--name", required=True)
    ms.add_argument("--skip", type=int, default=0)
    ms.add_argument("--read-timeout", type=int, default=900)
    mi = sub.choices["million"]
    mi.add_argument("--count", type=int, default=1_000_000)
    mi.add_argument("--requests", type=int, default=200)
    r = sub.add_parser("report")
    r.add_argument("results", nargs="+")
    a = p.parse_args()
    {"generate": cmd_generate, "medallion": cmd_medallion, "measure": cmd_measure,
     "million": cmd_million, "report": cmd_report}[a.cmd](a)


if __name__ == "__main__":
    main()
