#!/usr/bin/env python3
"""vigia's TAXII 2.1 server, checked with the OASIS tools.

Talks to a running vigia node with the OASIS TAXII 2.1 client
(``taxii2client.v21``) and validates every STIX object the server returned
with the OASIS STIX validator (``stix2validator``, default options).

Started by ``crates/vigia/tests/it/taxii_interop.rs``, which starts the node
(with ``VIGIA_TAXII_PUBLIC=true``) and passes, in the environment:

  VIGIA_URL             the node's base URL (loopback)
  VIGIA_TOKEN_A         an analyst token of the node's own team (team A)
  VIGIA_TOKEN_B         an analyst token of a second team (team B)
  VIGIA_TOKEN_READER    a read-only token of team A
  VIGIA_ADMIN_USER      the admin's sign-in name (team A)
  VIGIA_ADMIN_PASSWORD  the admin's password
  VIGIA_REPO            the repository root; the OASIS examples are read
                        from VIGIA_REPO/../shared/data/stix-2.1/examples

Prints one line per check and ends with "ALL CHECKS PASSED"; exits 1 at
the first failed check, naming it.
"""

import json
import os
import shutil
import sys
import tempfile
import time
import traceback
import uuid
from datetime import datetime, timezone
from pathlib import Path

# Loopback only: never let a proxy from the environment see these requests.
os.environ["NO_PROXY"] = "127.0.0.1,localhost"
os.environ["no_proxy"] = "127.0.0.1,localhost"

import requests  # noqa: E402
from taxii2client.exceptions import AccessError  # noqa: E402
from taxii2client.v21 import ApiRoot, Collection, Server, as_pages  # noqa: E402

TAXII = "application/taxii+json;version=2.1"
STIX21 = "application/stix+json;version=2.1"
TLP = {
    "clear": "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    "green": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    "amber": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
}
GENERATED = 2500
PER_REQUEST = 100
POST_CHUNK = 500
STATUS_POLL_LIMIT = 100  # polls of 0.1 s: 10 s at most per status


class CheckFailed(Exception):
    pass


def check(condition, what):
    """Records one assertion; raises with `what` when it does not hold."""
    if not condition:
        raise CheckFailed(what)


def ok(what):
    print(f"ok   {what}", flush=True)


def env(name):
    value = os.environ.get(name)
    if not value:
        raise CheckFailed(f"environment variable {name} is not set")
    return value


class Bearer(requests.auth.AuthBase):
    """RFC 6750 bearer tokens (taxii2client's own TokenAuth sends `Token`)."""

    def __init__(self, token):
        self.token = token

    def __call__(self, r):
        r.headers["Authorization"] = f"Bearer {self.token}"
        return r


def parse_ts(text):
    """A STIX/TAXII timestamp (any sub-second precision) as an aware datetime."""
    check(text.endswith("Z"), f"timestamp {text!r} ends with Z")
    body = text[:-1]
    if "." in body:
        head, frac = body.split(".", 1)
        frac = (frac + "000000")[:6]
        body = f"{head}.{frac}"
        fmt = "%Y-%m-%dT%H:%M:%S.%f"
    else:
        fmt = "%Y-%m-%dT%H:%M:%S"
    return datetime.strptime(body, fmt).replace(tzinfo=timezone.utc)


# ---------------------------------------------------------------- data


def generated_indicator(i, tlp):
    """A realistic, valid STIX 2.1 indicator with a TLP 2.0 marking."""
    ip = f"198.18.{i // 250}.{i % 250 + 1}"
    ts = "2026-01-02T03:04:05.000Z"
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--{uuid.uuid4()}",
        "created": ts,
        "modified": ts,
        "name": f"C2 server {ip}",
        "description": f"Command and control address seen in campaign #{i % 17}.",
        "indicator_types": ["malicious-activity"],
        "pattern": f"[ipv4-addr:value = '{ip}']",
        "pattern_type": "stix",
        "pattern_version": "2.1",
        "valid_from": "2026-01-02T03:04:05Z",
        "object_marking_refs": [TLP[tlp]],
    }


def tlp_of(i):
    """A quarter CLEAR, a quarter GREEN, half AMBER (no recipients)."""
    return ("clear", "green", "amber", "amber")[i % 4]


def example_bundles(repo):
    examples = (repo / ".." / "shared" / "data" / "stix-2.1" / "examples").resolve()
    check(examples.is_dir(), f"OASIS examples at {examples}")
    files = sorted(examples.glob("*.json")) + [examples / "threat-reports" / "poisonivy.json"]
    out = []
    for f in files:
        data = json.loads(f.read_text(encoding="utf-8"))
        objects = data["objects"] if data.get("type") == "bundle" else [data]
        out.append((f.relative_to(examples), objects))
    return out


# ---------------------------------------------------------------- helpers


class Served:
    """Every object the server returned in this run, for the validator."""

    def __init__(self):
        self.objects = {}

    def add(self, envelope):
        for o in envelope.get("objects", []):
            self.objects[json.dumps(o, sort_keys=True)] = o
        return envelope


def collections_by_alias(api_root):
    return {c.alias: c for c in api_root.collections}


def page_all(func, served, **kwargs):
    """Every page of a paged endpoint through taxii2client's as_pages; the
    STIX objects of envelopes (not manifest records) go to `served`."""
    pages = []
    for envelope in as_pages(func, per_request=PER_REQUEST, **kwargs):
        if served is not None:
            served.add(envelope)
        pages.append(envelope)
        check(len(pages) <= 10_000, "paging ends")
    check(pages[-1].get("more") is False, "the last page says more=false")
    return pages


def objects_of(pages):
    return [o for p in pages for o in p.get("objects", [])]


def add_and_wait(collection, api_root, objects):
    """Posts an envelope, polls its status to completion, re-reads it."""
    status = collection.add_objects(
        {"objects": objects}, wait_for_completion=True, poll_interval=0.1, timeout=10
    )
    polls = 0
    while status.status != "complete":
        check(polls < STATUS_POLL_LIMIT, f"status {status.id} completes within 10 s")
        time.sleep(0.1)
        status.refresh()
        polls += 1
    status.refresh()  # GET {api-root}/status/{id}/ through the client
    again = api_root.get_status(status.id)
    check(again.status == "complete", "the status resource re-reads as complete")
    check(
        (again.total_count, again.success_count, again.failure_count)
        == (status.total_count, status.success_count, status.failure_count),
        "the status resource re-reads with the same counts",
    )
    check(len(status.successes) == status.success_count, "one status detail per success")
    for detail in status.successes:
        version = detail.get("version") or ""
        check(detail.get("id") and version[:1].isdigit(),
              f"status detail {detail} names the object and its version (a timestamp)")
        parse_ts(version)
    return status


def stix_ids(objects):
    return [o["id"] for o in objects]


# ---------------------------------------------------------------- checks


def check_discovery(url, token_a, token_reader):
    server = Server(f"{url}/taxii2/", auth=Bearer(token_a))
    check(server.title.startswith("vigia node of"), f"discovery title: {server.title!r}")
    roots = [r.url for r in server.api_roots]
    check(f"{url}/taxii2/api/" in roots, f"api root listed: {roots}")
    check(f"{url}/taxii2/public/" in roots, f"public root listed: {roots}")
    check(server.default is not None and server.default.url == f"{url}/taxii2/api/",
          "default api root is /taxii2/api/")
    ok(f"discovery: {server.title!r}, api roots {roots}")

    root = ApiRoot(f"{url}/taxii2/api/", auth=Bearer(token_a))
    check(root.versions == [TAXII], f"api root versions: {root.versions}")
    check(root.max_content_length > 0, "api root max_content_length > 0")
    check(bool(root.title), "api root has a title")
    ok(f"api root: {root.title!r}, versions {root.versions}, "
       f"max_content_length {root.max_content_length}")

    cs = collections_by_alias(root)
    expected = {
        "alerts": "Alerts and warnings",
        "advisories": "Advisories and vulnerability notices",
        "indicators": "Indicators and observables",
        "incidents": "Incidents",
        "knowledge": "Knowledge",
        "directory": "Directory",
    }
    for alias, title in expected.items():
        check(alias in cs, f"collection {alias} listed: {sorted(cs)}")
        c = cs[alias]
        check(c.title == title, f"collection {alias} title {c.title!r} == {title!r}")
        check(c.can_read and c.can_write, f"analyst may read and write {alias}")
        check(c.media_types == [STIX21], f"{alias} media types {c.media_types}")
        # The same collection fetched on its own ("Get a Collection").
        alone = Collection(c.url, auth=Bearer(token_a))
        check((alone.id, alone.title, alone.can_write) == (c.id, c.title, c.can_write),
              f"GET collection {alias} agrees with the list")
    ok(f"collections: {len(cs)} with titles, can_read/can_write true for an analyst")

    reader_root = ApiRoot(f"{url}/taxii2/api/", auth=Bearer(token_reader))
    rcs = collections_by_alias(reader_root)
    check(all(c.can_read and not c.can_write for c in rcs.values()),
          "read-only token: can_read true, can_write false everywhere")
    try:
        rcs["indicators"].add_objects({"objects": [generated_indicator(0, "clear")]})
        raise CheckFailed("taxii2client refuses to write a can_write=false collection")
    except AccessError:
        pass
    r = requests.post(
        rcs["indicators"].objects_url,
        headers={"Accept": TAXII, "Content-Type": TAXII,
                 "Authorization": f"Bearer {token_reader}"},
        data=json.dumps({"objects": [generated_indicator(0, "clear")]}),
        timeout=30,
    )
    check(r.status_code == 403, f"read-only POST answers 403, got {r.status_code}")
    ok("read-only token: can_write false on every collection; POST refused (403)")
    return root


def check_examples(root, repo, served):
    knowledge = collections_by_alias(root)["knowledge"]
    posted = {}
    for name, objects in example_bundles(repo):
        status = add_and_wait(knowledge, root, objects)
        check(status.total_count == len(objects),
              f"{name}: total_count {status.total_count} == {len(objects)}")
        failures = [(f.get("id"), f.get("message")) for f in (status.failures or [])]
        check(status.failure_count == 0 and not failures,
              f"{name}: no failures, got {failures}")
        check(status.success_count == len(objects),
              f"{name}: success_count {status.success_count} == {len(objects)}")
        check(status.pending_count == 0, f"{name}: pending_count 0")
        for o in objects:
            posted[o["id"]] = o
        ok(f"add_objects {name}: {len(objects)} objects, status complete, "
           f"success_count {status.success_count}, failure_count 0")

    pages = page_all(knowledge.get_objects, served)
    got = objects_of(pages)
    ids = stix_ids(got)
    check(len(ids) == len(set(ids)), "knowledge: no object returned twice")
    check(set(ids) == set(posted), f"knowledge: {len(set(ids))} ids back == {len(posted)} posted")
    for o in got:
        check(o == posted[o["id"]], f"{o['id']} comes back exactly as posted")
    ok(f"get_objects knowledge: {len(ids)} example objects back as posted, "
       f"{len(pages)} pages of <= {PER_REQUEST}")
    return knowledge, posted


def check_paging(root, root_b, served):
    indicators = collections_by_alias(root)["indicators"]
    objects = [generated_indicator(i, tlp_of(i)) for i in range(GENERATED)]
    for start in range(0, GENERATED, POST_CHUNK):
        chunk = objects[start:start + POST_CHUNK]
        status = add_and_wait(indicators, root, chunk)
        check((status.success_count, status.failure_count) == (len(chunk), 0),
              f"generated chunk {start}: {status.success_count} stored, "
              f"{status.failure_count} failed")
    ok(f"add_objects: {GENERATED} generated indicators in envelopes of {POST_CHUNK}")
    by_id = {o["id"]: o for o in objects}

    pages = page_all(indicators.get_objects, served)
    got = objects_of(pages)
    ids = stix_ids(got)
    check(len(pages) >= GENERATED // PER_REQUEST,
          f"paging really exercised: {len(pages)} pages")
    check(all(len(p.get("objects", [])) <= PER_REQUEST for p in pages),
          f"no page holds more than limit={PER_REQUEST}")
    check(len(ids) == len(set(ids)), "get_objects: no duplicates across pages")
    check(len(ids) == GENERATED, f"get_objects: exact total {len(ids)} == {GENERATED}")
    check(set(ids) == set(by_id), "get_objects: exactly the posted ids")
    check(all(o == by_id[o["id"]] for o in got), "objects come back exactly as posted")
    ok(f"get_objects as_pages(per_request={PER_REQUEST}): {len(pages)} pages, "
       f"{len(ids)} objects, no duplicates, exact total")

    mpages = page_all(indicators.get_manifest, None)
    records = objects_of(mpages)
    mids = [r["id"] for r in records]
    check(len(mids) == len(set(mids)) == GENERATED,
          f"get_manifest: {len(mids)} records, {len(set(mids))} distinct, want {GENERATED}")
    check(set(mids) == set(by_id), "get_manifest: exactly the posted ids")
    added = [parse_ts(r["date_added"]) for r in records]
    check(all(a < b for a, b in zip(added, added[1:])),
          "get_manifest: date_added strictly increasing across pages")
    for r in records:
        check(r["media_type"] == STIX21, f"manifest media_type {r['media_type']}")
        check(parse_ts(r["version"]) == parse_ts(by_id[r["id"]]["modified"]),
              f"manifest version of {r['id']} is its modified")
    ok(f"get_manifest as_pages(per_request={PER_REQUEST}): {len(mpages)} pages, "
       f"{len(mids)} records, no duplicates, date_added increasing")

    # added_after: everything strictly after the 1,000th record.
    cut = records[999]["date_added"]
    after = objects_of(page_all(indicators.get_objects, served, added_after=cut))
    after_ids = stix_ids(after)
    check(len(after_ids) == len(set(after_ids)) == GENERATED - 1000,
          f"added_after: {len(after_ids)} objects, want {GENERATED - 1000}")
    check(set(after_ids) == set(mids[1000:]), "added_after: exactly the later records")
    ok(f"get_objects added_after={cut}: {len(after_ids)} objects, exact")

    # Markings: team B sees the CLEAR and GREEN ones only.
    visible = {o["id"] for i, o in enumerate(objects) if tlp_of(i) in ("clear", "green")}
    indicators_b = collections_by_alias(root_b)["indicators"]
    got_b = objects_of(page_all(indicators_b.get_objects, served))
    ids_b = stix_ids(got_b)
    check(len(ids_b) == len(set(ids_b)), "team B: no duplicates")
    check(set(ids_b) == visible,
          f"team B sees exactly the CLEAR and GREEN objects: {len(set(ids_b))} "
          f"(want {len(visible)}, {len(set(ids_b) - visible)} unexpected)")
    check(len(ids_b) < len(ids), "team B sees fewer objects than team A")
    mids_b = {r["id"] for r in objects_of(page_all(indicators_b.get_manifest, None))}
    check(mids_b == visible, "team B's manifest lists only the CLEAR and GREEN objects")
    amber = next(o["id"] for i, o in enumerate(objects) if tlp_of(i) == "amber")
    green = next(o["id"] for i, o in enumerate(objects) if tlp_of(i) == "green")
    try:
        indicators_b.get_object(amber)
        raise CheckFailed("team B's get_object of a TLP:AMBER object is refused")
    except requests.HTTPError as e:
        check(e.response.status_code == 404,
              f"hidden object answers 404, got {e.response.status_code}")
    env_green = served.add(indicators_b.get_object(green))
    check(stix_ids(env_green["objects"]) == [green], "team B reads a TLP:GREEN object")
    ok(f"markings: team A sees {len(ids)}, team B sees {len(ids_b)} "
       f"(CLEAR+GREEN only); AMBER get_object answers 404 to team B")
    return indicators, objects


def check_versions(root, served):
    advisories = collections_by_alias(root)["advisories"]
    vid = f"vulnerability--{uuid.uuid4()}"
    t1, t2 = "2026-02-01T00:00:00.000Z", "2026-02-15T12:30:00.000Z"
    v1 = {
        "type": "vulnerability",
        "spec_version": "2.1",
        "id": vid,
        "created": t1,
        "modified": t1,
        "name": "CVE-2026-12345",
        "description": "Remote code execution in a widely deployed VPN gateway.",
        "external_references": [{"source_name": "cve", "external_id": "CVE-2026-12345"}],
        "object_marking_refs": [TLP["green"]],
    }
    v2 = dict(v1, modified=t2,
              description=v1["description"] + " Exploited in the wild since 2026-02-10.")
    for v in (v1, v2):
        status = add_and_wait(advisories, root, [v])
        check((status.success_count, status.failure_count) == (1, 0), "version stored")

    versions = advisories.object_versions(vid)
    got = [parse_ts(v) for v in versions.get("versions", [])]
    check(sorted(got) == [parse_ts(t1), parse_ts(t2)],
          f"get_object_versions lists both versions: {versions}")
    check(versions.get("more") is False, "versions: more=false")
    ok(f"get_object_versions: {versions['versions']}")

    def modified_of(**kwargs):
        env_ = served.add(advisories.get_object(vid, **kwargs))
        return sorted(parse_ts(o["modified"]) for o in env_.get("objects", []))

    check(modified_of() == [parse_ts(t2)], "get_object: the last version by default")
    check(modified_of(version="last") == [parse_ts(t2)], "match[version]=last")
    check(modified_of(version="first") == [parse_ts(t1)], "match[version]=first")
    check(modified_of(version="all") == [parse_ts(t1), parse_ts(t2)], "match[version]=all")
    check(modified_of(version=t1) == [parse_ts(t1)], "match[version]=<timestamp>")
    check(modified_of(version=["first", "last"]) == [parse_ts(t1), parse_ts(t2)],
          "match[version]=first,last")
    ok("get_object with match[version] default/last/first/all/<timestamp>/first,last")


def check_basic_and_public(url, user, password, generated, served):
    server = Server(f"{url}/taxii2/", user=user, password=password)
    root = next(r for r in server.api_roots if r.url == f"{url}/taxii2/api/")
    check(root.title and root.versions == [TAXII], "Basic: api root information")
    indicators = collections_by_alias(root)["indicators"]
    ids = stix_ids(objects_of(page_all(indicators.get_objects, served)))
    check(len(ids) == len(set(ids)) == GENERATED,
          f"Basic: the admin (team A) pages all {GENERATED} indicators, got {len(ids)}")
    bad = ApiRoot(f"{url}/taxii2/api/", user=user, password=password + "x")
    try:
        bad.refresh_information()
        raise CheckFailed("a wrong Basic password is refused")
    except requests.HTTPError as e:
        check(e.response.status_code == 401, f"wrong password: 401, got {e.response.status_code}")
    ok(f"HTTP Basic ({user}): discovery, api root, {len(ids)} objects paged; "
       "wrong password 401")

    public = ApiRoot(f"{url}/taxii2/public/")
    check(public.title == "Public (TLP:CLEAR)", f"public root title {public.title!r}")
    pcs = collections_by_alias(public)
    check(all(c.can_read and not c.can_write for c in pcs.values()),
          "public root: read-only collections")
    pids = stix_ids(objects_of(page_all(pcs["indicators"].get_objects, served)))
    clear = {o["id"] for i, o in enumerate(generated) if tlp_of(i) == "clear"}
    check(set(pids) == clear and len(pids) == len(clear),
          f"public root serves the {len(clear)} TLP:CLEAR indicators only, got {len(pids)}")
    ok(f"public root, anonymous: {len(pids)} TLP:CLEAR objects only")


def validator_schemas(repo):
    """stix2-validator reads its STIX 2.1 schemas from the directory beside its
    module. When a build of the package ships without them, point it at the
    same OASIS schema repository (cti-stix2-json-schemas) in shared data.
    Returns a temporary directory to remove afterwards, or None."""
    import stix2validator.validator as validator

    bundled = Path(validator.__file__).parent / "schemas-2.1" / "schemas" / "common" / "core.json"
    if bundled.exists():
        return None
    shared = (repo / ".." / "shared" / "data" / "stix-2.1").resolve()
    check((shared / "schemas" / "common" / "core.json").exists(),
          f"stix2-validator has no bundled schemas and none at {shared}/schemas")
    tmp = Path(tempfile.mkdtemp(prefix="vigia-stix2-validator-"))
    (tmp / "schemas-2.1").symlink_to(shared, target_is_directory=True)
    validator.__file__ = str(tmp / "validator.py")
    print(f"note stix2-validator was installed without its schemas; validating against "
          f"the OASIS schemas in {shared}/schemas", flush=True)
    return tmp


def check_validator(repo, served):
    from stix2validator import validate_instance

    tmp = validator_schemas(repo)
    try:
        objects = list(served.objects.values())
        check(len(objects) > GENERATED, f"objects to validate: {len(objects)}")
        errors, warnings = [], 0
        for o in objects:
            result = validate_instance(o)
            warnings += len(result.warnings)
            if not result.is_valid:
                errors.extend(f"{o['id']}: {e.message}" for e in result.errors)
        for e in errors:
            print(f"     stix2-validator error: {e}", flush=True)
        check(not errors, f"stix2-validator: {len(errors)} errors")
        ok(f"stix2-validator: {len(objects)} distinct objects served in this run, "
           f"0 errors ({warnings} warnings)")
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


def main():
    url = env("VIGIA_URL").rstrip("/")
    token_a, token_b = env("VIGIA_TOKEN_A"), env("VIGIA_TOKEN_B")
    token_reader = env("VIGIA_TOKEN_READER")
    user, password = env("VIGIA_ADMIN_USER"), env("VIGIA_ADMIN_PASSWORD")
    repo = Path(env("VIGIA_REPO"))
    served = Served()
    root = check_discovery(url, token_a, token_reader)
    root_b = ApiRoot(f"{url}/taxii2/api/", auth=Bearer(token_b))
    check_examples(root, repo, served)
    _, generated = check_paging(root, root_b, served)
    check_versions(root, served)
    check_basic_and_public(url, user, password, generated, served)
    check_validator(repo, served)
    print("ALL CHECKS PASSED", flush=True)


if __name__ == "__main__":
    try:
        main()
    except CheckFailed as e:
        print(f"FAIL {e}", flush=True)
        sys.exit(1)
    except Exception:  # an unexpected error is a failure too, with its trace
        traceback.print_exc()
        print("FAIL unexpected error (trace above)", flush=True)
        sys.exit(1)
