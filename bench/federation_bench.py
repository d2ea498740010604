#!/usr/bin/env python3
"""Client side of bench/federation.sh: starts vigia nodes as separate
`vigia serve` processes on loopback, peers them, publishes and measures.
Python 3.11 standard library only.

Subcommands (each prints a Markdown section on stdout):
  latency   --nodes N --alerts N [--interval-ms MS] [--origin CC]
            N nodes (one per member state, in the CSV's order) in a partial
            mesh; N alerts published at one node through its HTTP API;
            per-(object, node) propagation latency from the nodes' SQLite
            date_added; resident memory of all nodes before and after.
  catchup   --objects N [--chunk N]
            Nodes A and B peered; B stopped; N indicators published at A
            with `vigia publish`; B started; time until B holds all N.

Topology of the latency benchmark (fixed for a given --seed):
  - ring: node i peers with node i+1 (CSV order, wrapping around);
  - chord: each node peers with one more node drawn at random (seeded) among
    those it is not yet peered with;
  - subregion hubs: in each subregion of the CSV, the first member (CSV
    order) is the hub, and every other member of that subregion peers with it.
Every peering is set up on both sides (`vigia peer add` run on each node).
The origin is by default a peripheral node: of the nodes of maximal
eccentricity, the one of lowest degree.

Besides latency and memory, the report gives the CPU the nodes used while
idle and while the alerts spread (from /proc), the CPU used by anything else
on the machine (it may be shared), and how many copies the outboxes pushed.

Latency of an object at node N is date_added at N minus date_added at the
origin: all nodes run on this machine, so they share one clock.
"""

import argparse
import concurrent.futures
import csv
import http.client
import json
import os
import random
import resource
import re
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections import deque
from datetime import datetime, timezone

GREEN = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
DISTRIBUTION = "extension-definition--467f6ffe-97d3-48af-8a90-53a64eebf6b7"
STIX21 = "application/stix+json;version=2.1"

os.environ["NO_PROXY"] = "127.0.0.1,localhost"
os.environ["no_proxy"] = "127.0.0.1,localhost"
NO_PROXY_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def stix_ts(dt=None):
    dt = dt or datetime.now(timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def percentile(sorted_values, p):
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return float("nan")
    k = max(1, -(-len(sorted_values) * p // 100))  # ceil(n * p / 100)
    return sorted_values[int(min(k, len(sorted_values))) - 1]


def fmt_int(n):
    return f"{n:,}"


# ------------------------------------------------------------------ nodes


class Node:
    def __init__(self, bench, index, cc, name, subregion, port):
        self.bench = bench
        self.index = index
        self.cc = cc
        self.name = name
        self.subregion = subregion
        self.port = port
        self.dir = os.path.join(bench.work, f"node-{index:02d}-{cc}")
        self.url = f"http://127.0.0.1:{port}"
        self.proc = None
        self.info = None
        self.out_path = os.path.join(bench.work, f"node-{index:02d}-{cc}.stdout")
        self.err_path = os.path.join(bench.work, f"node-{index:02d}-{cc}.stderr")
        self.starts = 0

    @property
    def db_path(self):
        return os.path.join(self.dir, "vigia.db")

    def init(self, federation):
        r = self.bench.vigia(
            "init", "--data-dir", self.dir, "--country", self.cc,
            "--name", f"CSIRT {self.name}", "--listen", f"127.0.0.1:{self.port}",
        )
        if "Admin password (shown once" not in r.stdout:
            raise RuntimeError(f"vigia init for {self.cc} printed no admin password:\n{r.stdout}")
        cfg = os.path.join(self.dir, "vigia.toml")
        with open(cfg) as f:
            text = f.read()
        # Short shutdown grace so stopping a node does not take 30 s.
        text = re.sub(r"(?m)^shutdown_grace_secs = \d+$", "shutdown_grace_secs = 5", text)
        text += "\n[federation]\n" + "".join(f"{k} = {v}\n" for k, v in federation.items())
        with open(cfg, "w") as f:
            f.write(text)
        self.info = json.loads(self.bench.vigia("node", "info", "--data-dir", self.dir, "--json").stdout)

    def start(self):
        self.starts += 1
        env = dict(os.environ)
        env["VIGIA_LOG"] = self.bench.log_level
        out = open(self.out_path, "a")
        err = open(self.err_path, "a")
        err.write(f"--- start #{self.starts} at {time.time():.3f}\n")
        err.flush()
        self.proc = subprocess.Popen(
            [self.bench.bin, "serve", "--data-dir", self.dir],
            stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env,
        )
        out.close()
        err.close()
        self.bench.track(self)
        return self.proc

    def wait_ready(self, timeout=60):
        deadline = time.monotonic() + timeout
        seen = False
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"node {self.cc} exited with {self.proc.returncode}; see {self.err_path}:\n"
                                   + tail(self.err_path))
            if not seen:
                with open(self.out_path) as f:
                    seen = "vigia listening on" in f.read()
            if seen:
                try:
                    with NO_PROXY_OPENER.open(self.url + "/healthz", timeout=2) as resp:
                        if resp.status == 200:
                            return
                except (urllib.error.URLError, OSError):
                    pass
            time.sleep(0.05)
        raise RuntimeError(f"node {self.cc} not ready within {timeout} s; see {self.err_path}")

    def stop(self, timeout=15):
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            log(f"node {self.cc} ignored SIGTERM for {timeout} s; killing it")
            self.proc.kill()
            self.proc.wait()
        self.bench.track(None)

    def rss_kb(self):
        try:
            with open(f"/proc/{self.proc.pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1])
        except OSError:
            pass
        return 0

    def db(self):
        con = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True, timeout=10)
        con.execute("PRAGMA busy_timeout = 10000")
        return con


def tail(path, lines=20):
    try:
        with open(path, errors="replace") as f:
            return "".join(deque(f, lines))
    except OSError:
        return ""


class Bench:
    def __init__(self, args):
        self.bin = args.bin
        self.work = args.work
        self.log_level = os.environ.get("VIGIA_LOG", "error")
        self.nodes = []
        self.pidfile = os.path.join(self.work, "pids")
        os.makedirs(self.work, exist_ok=True)

    def vigia(self, *argv, check=True, stdout=None):
        r = subprocess.run(
            [self.bin, *argv], text=True, stdin=subprocess.DEVNULL,
            stdout=stdout if stdout is not None else subprocess.PIPE,
            stderr=subprocess.PIPE, env={**os.environ, "VIGIA_LOG": self.log_level},
        )
        if check and r.returncode != 0:
            raise RuntimeError(f"vigia {' '.join(argv)} exited {r.returncode}:\n{r.stdout or ''}{r.stderr}")
        return r

    def track(self, _node):
        """Keeps the pid file (read by the shell's exit trap) current."""
        live = [str(n.proc.pid) for n in self.nodes if n.proc is not None and n.proc.poll() is None]
        with open(self.pidfile + ".tmp", "w") as f:
            f.write("\n".join(live) + ("\n" if live else ""))
        os.replace(self.pidfile + ".tmp", self.pidfile)

    def stop_all(self):
        running = [n for n in self.nodes if n.proc is not None and n.proc.poll() is None]
        for n in running:
            n.proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for n in running:
            try:
                n.proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                n.proc.kill()
                n.proc.wait()
        self.track(None)

    def make_nodes(self, states, federation):
        ports = free_ports(len(states))
        self.nodes = [Node(self, i, s["iso2"], s["name"], s["subregion"], ports[i]) for i, s in enumerate(states)]
        t = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
            list(pool.map(lambda n: n.init(federation), self.nodes))
        t_init = time.monotonic() - t
        t = time.monotonic()
        for n in self.nodes:
            n.start()
        for n in self.nodes:
            n.wait_ready()
        t_start = time.monotonic() - t
        log(f"{len(self.nodes)} nodes initialised in {t_init:.1f} s, serving after {t_start:.1f} s")
        return t_init, t_start

    def peer(self, a, b):
        self.vigia("peer", "add", "--data-dir", a.dir, b.url, "--key", b.info["key_fingerprint"])
        self.vigia("peer", "add", "--data-dir", b.dir, a.url, "--key", a.info["key_fingerprint"])

    def peer_report(self):
        """Peer failure counters and last errors of every node, from its DB."""
        rows = []
        for n in self.nodes:
            try:
                con = n.db()
                for name, failures, err in con.execute(
                        "SELECT name, failures, last_error FROM peers WHERE failures > 0 OR last_error IS NOT NULL"):
                    rows.append((n.cc, name, failures, err))
                con.close()
            except sqlite3.Error as e:
                rows.append((n.cc, "?", "?", f"cannot read DB: {e}"))
        return rows


def free_ports(n):
    socks, ports = [], []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
            ports.append(s.getsockname()[1])
    finally:
        for s in socks:
            s.close()
    return ports


def read_states(path, n):
    with open(path, newline="") as f:
        rows = [r for r in csv.DictReader(f) if r.get("iso2")]
    if n > len(rows):
        raise SystemExit(f"--nodes {n}: the CSV has only {len(rows)} member states")
    return rows[:n]


CLK_TCK = os.sysconf("SC_CLK_TCK")


def machine_cpu():
    """(busy, total) jiffies of the whole machine, from /proc/stat."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:9]]
    idle = v[3] + v[4]
    return sum(v) - idle, sum(v)


def self_cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def busy_secs(before, after):
    return (after[0] - before[0]) / CLK_TCK


def busy_percent(before, after):
    db, dt = after[0] - before[0], after[1] - before[1]
    return 100.0 * db / dt if dt > 0 else float("nan")


def proc_cpu_secs(pid):
    """user + system CPU seconds of a live process."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK
    except (OSError, IndexError, ValueError):
        return 0.0


def wait_idle(max_wait, threshold=25.0, window=3.0):
    """Waits (up to max_wait s) until the machine is under threshold % busy
    over a window; returns a sentence for the report."""
    if max_wait <= 0:
        return ""
    t0 = time.monotonic()
    while True:
        before = machine_cpu()
        time.sleep(window)
        busy = busy_percent(before, machine_cpu())
        waited = time.monotonic() - t0
        if busy < threshold:
            return f"waited {waited:.0f} s for the machine to be under {threshold:g} % busy ({busy:.0f} % over {window:g} s)"
        if waited >= max_wait:
            return f"machine still {busy:.0f} % busy after waiting {waited:.0f} s for it to go under {threshold:g} %"
        log(f"machine {busy:.0f} % busy; waiting for it to quieten ({waited:.0f}/{max_wait:g} s)")


def nodes_cpu(nodes):
    return [proc_cpu_secs(n.proc.pid) for n in nodes]


def rss_total(nodes):
    kb = [n.rss_kb() for n in nodes]
    return sum(kb), max(kb), statistics.mean(kb)


def fmt_rss(total_kb, max_kb, mean_kb):
    return (f"{total_kb / 1024:,.1f} MiB total ({total_kb * 1024 / 1e6:,.1f} MB); "
            f"mean {mean_kb / 1024:.1f} MiB, max {max_kb / 1024:.1f} MiB per node")


# ------------------------------------------------------------------ topology


def build_topology(states, seed):
    n = len(states)
    edges = set()
    kinds = {}

    def add(a, b, kind):
        if a == b:
            return False
        e = (min(a, b), max(a, b))
        if e in edges:
            return False
        edges.add(e)
        kinds[e] = kind
        return True

    if n == 2:
        add(0, 1, "ring")
    elif n > 2:
        for i in range(n):
            add(i, (i + 1) % n, "ring")
    rng = random.Random(seed)
    for i in range(n):
        adjacent = {b if a == i else a for a, b in edges if i in (a, b)}
        choices = [j for j in range(n) if j != i and j not in adjacent]
        if choices:
            add(i, rng.choice(choices), "chord")
    hubs = {}
    for i, s in enumerate(states):
        hub = hubs.setdefault(s["subregion"], i)
        if hub != i:
            add(i, hub, "hub")
    return sorted(edges), kinds, hubs


def adjacency(n, edges):
    adj = [set() for _ in range(n)]
    for a, b in edges:
        adj[a].add(b)
        adj[b].add(a)
    return adj


def bfs(adj, src):
    dist = [-1] * len(adj)
    dist[src] = 0
    q = deque([src])
    while q:
        u = q.popleft()
        for v in adj[u]:
            if dist[v] < 0:
                dist[v] = dist[u] + 1
                q.append(v)
    return dist


# ------------------------------------------------------------------ latency


def alert(i, origin_team, run):
    now = stix_ts()
    return {
        "type": "report",
        "spec_version": "2.1",
        "id": f"report--{uuid.uuid4()}",
        "created": now,
        "modified": now,
        "name": f"Federation benchmark alert {i + 1} (run {run})",
        "description": "Active exploitation of an edge VPN appliance observed; patch and hunt.",
        "published": now,
        "report_types": ["alert"],
        "object_refs": [origin_team],
        "labels": ["benchmark"],
        "object_marking_refs": [GREEN],
        "extensions": {DISTRIBUTION: {"extension_type": "property-extension"}},
    }


class Poster:
    """POSTs to one node over a kept-alive HTTP/1.1 connection."""

    def __init__(self, port, token):
        self.port = port
        self.token = token
        self.conn = None

    def post(self, path, body):
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            try:
                self.conn.request("POST", path, body=body, headers={
                    "Authorization": f"Bearer {self.token}",
                    "Content-Type": STIX21,
                    "Accept": "application/json",
                })
                resp = self.conn.getresponse()
                data = resp.read()
                return resp.status, data
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")


def cmd_latency(args):
    bench = Bench(args)
    states = read_states(args.states, args.nodes)
    n = len(states)
    edges, kinds, hubs = build_topology(states, args.seed)
    adj = adjacency(n, edges)
    dists = [bfs(adj, i) for i in range(n)]
    if any(d < 0 for row in dists for d in row):
        raise SystemExit("topology is not connected")
    ecc = [max(row) for row in dists]
    diameter = max(ecc)
    degrees = [len(a) for a in adj]
    if args.origin:
        origin = next((i for i, s in enumerate(states) if s["iso2"] == args.origin.upper()), None)
        if origin is None:
            raise SystemExit(f"--origin {args.origin}: not among the first {n} member states")
    else:
        # A peripheral node: of maximal eccentricity, the one of lowest
        # degree (first in CSV order on a tie), so hubs do not flatter it.
        origin = min((i for i in range(n) if ecc[i] == diameter), key=lambda i: (degrees[i], i))
    federation = {
        "pull_interval_secs": args.pull_interval,
        "retry_base_ms": args.retry_base_ms,
        "retry_max_secs": args.retry_max_secs,
        "push_batch": args.push_batch,
    }
    out = []
    idle_note = wait_idle(args.wait_idle)
    try:
        t_init, t_start = bench.make_nodes(states, federation)
        t = time.monotonic()
        for a, b in edges:
            bench.peer(bench.nodes[a], bench.nodes[b])
        t_peer = time.monotonic() - t
        log(f"{len(edges)} peerings set up (both sides) in {t_peer:.1f} s")
        o = bench.nodes[origin]
        token = bench.vigia("token", "create", "--data-dir", o.dir, "--role", "analyst",
                            "--user", "admin", "--label", "federation-bench").stdout.strip().splitlines()[-1]
        # Let first pulls and gauges settle before the idle readings, then
        # measure the CPU the idle mesh uses (pulls, outbox polling, gauges).
        time.sleep(3)
        icpu0, imcpu0 = nodes_cpu(bench.nodes), machine_cpu()
        time.sleep(args.settle)
        icpu1, imcpu1 = nodes_cpu(bench.nodes), machine_cpu()
        idle_cpu = sum(icpu1) - sum(icpu0)
        rss_idle = rss_total(bench.nodes)
        load_start = loadavg()
        log(f"idle RSS: {fmt_rss(*rss_idle)}; load {load_start}; publishing {args.alerts} alerts at {o.cc}")

        cpu0, mcpu0, self0 = nodes_cpu(bench.nodes), machine_cpu(), self_cpu()
        poster = Poster(o.port, token)
        run = uuid.uuid4().hex[:8]
        ids, post_ms, statuses = [], [], {}
        interval = args.interval_ms / 1000
        t_pub0 = time.monotonic()
        wall_pub0 = time.time()
        for i in range(args.alerts):
            target = t_pub0 + i * interval
            delay = target - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            obj = alert(i, o.info["team_id"], run)
            t0 = time.perf_counter()
            status, data = poster.post("/api/objects", json.dumps(obj))
            post_ms.append((time.perf_counter() - t0) * 1000)
            statuses[status] = statuses.get(status, 0) + 1
            if status != 200:
                log(f"POST alert {i} -> HTTP {status}: {data[:500]!r}")
                continue
            report = json.loads(data)
            stored = [s.get("id") for s in report.get("stored", [])]
            if obj["id"] not in stored:
                log(f"alert {i} not stored: {data[:500]!r}")
                continue
            ids.append(obj["id"])
        t_pub = time.monotonic() - t_pub0
        log(f"published {len(ids)}/{args.alerts} in {t_pub:.2f} s; waiting for {n} nodes")

        # Wait until every node holds every alert.
        want = set(ids)
        cons = [nd.db() for nd in bench.nodes]
        deadline = time.monotonic() + args.timeout
        counts = [0] * n
        last_log = 0
        while True:
            counts = []
            for con in cons:
                rows = con.execute("SELECT id FROM objects WHERE type = 'report'").fetchall()
                counts.append(len(want.intersection(r[0] for r in rows)))
            done = all(c == len(want) for c in counts)
            if done or time.monotonic() > deadline:
                break
            if time.monotonic() - last_log > 5:
                log(f"  nodes complete: {sum(c == len(want) for c in counts)}/{n}, "
                    f"objects held: {sum(counts)}/{len(want) * n}")
                last_log = time.monotonic()
            time.sleep(0.25)
        t_all = time.monotonic() - t_pub0
        cpu1, mcpu1, self1 = nodes_cpu(bench.nodes), machine_cpu(), self_cpu()
        load_end = loadavg()
        time.sleep(1)
        rss_after = rss_total(bench.nodes)

        # Latencies from the DBs.
        at = []  # per node: {id: date_added}
        for con in cons:
            at.append({i: d for i, d in con.execute(
                "SELECT id, MIN(date_added) FROM objects WHERE type = 'report' GROUP BY id") if i in want})
        origin_at = at[origin]
        lat = []
        by_hop = {}
        per_obj_full = []
        for oid in ids:
            base = origin_at.get(oid)
            worst = 0
            for j in range(n):
                if j == origin or oid not in at[j] or base is None:
                    continue
                ms = (at[j][oid] - base) / 1000
                lat.append(ms)
                by_hop.setdefault(dists[origin][j], []).append(ms)
                worst = max(worst, ms)
            if all(oid in at[j] for j in range(n)):
                per_obj_full.append(worst)
        lat.sort()
        # How each node received the alerts: pushed (the signed POST) or pulled.
        via = {"push": 0, "pull": 0}
        pushes = duplicates = 0
        for j, con in enumerate(cons):
            if j == origin:
                continue
            for (detail,) in con.execute("SELECT detail FROM audit_log WHERE action = 'federation.receive'"):
                d = json.loads(detail)
                k = sum(1 for s in d.get("stored", []) if s in want)
                if d.get("via") == "pull":
                    via["pull"] += k
                else:
                    via["push"] += k
                    pushes += 1
                    duplicates += d.get("duplicates", 0)
        outbox = {}
        for con in cons:
            for state, c in con.execute("SELECT state, count(*) FROM outbox GROUP BY state"):
                outbox[state] = outbox.get(state, 0) + c
        for con in cons:
            con.close()
        problems = bench.peer_report()
        missing = [(bench.nodes[j].cc, len(want) - counts[j]) for j in range(n) if counts[j] < len(want)]
    finally:
        bench.stop_all()

    # ---------------------------------------------------------------- report
    expected = len(ids) * (n - 1)
    deg_sorted = sorted(degrees)
    kind_count = {k: sum(1 for e in edges if kinds[e] == k) for k in ("ring", "chord", "hub")}
    hub_names = ", ".join(f"{sub}: {states[i]['iso2']} (degree {degrees[i]})" for sub, i in hubs.items())
    pub_rate = len(ids) / t_pub if t_pub > 0 else float("nan")
    post_sorted = sorted(post_ms)
    out.append(f"### Latency: {n} nodes, {args.alerts} GREEN alerts\n")
    out.append(f"- **Topology** (seed {args.seed}): {len(edges)} peerings = {kind_count['ring']} ring "
               f"(CSV order) + {kind_count['chord']} random chords (one drawn per node, duplicates dropped) + "
               f"{kind_count['hub']} subregion-hub links; hubs (first member of each subregion in CSV order): "
               f"{hub_names}.")
    out.append(f"- **Degree**: min {deg_sorted[0]}, median {statistics.median(deg_sorted):g}, "
               f"mean {statistics.mean(deg_sorted):.2f}, max {deg_sorted[-1]}; **diameter** {diameter} hops; "
               f"full mesh would be {n - 1} per node.")
    hop_hist = {}
    for j in range(n):
        if j != origin:
            hop_hist[dists[origin][j]] = hop_hist.get(dists[origin][j], 0) + 1
    out.append(f"- **Origin**: {o.cc} ({states[origin]['name']}, degree {degrees[origin]}, eccentricity "
               f"{ecc[origin]}); nodes at 1/2/3... hops: "
               + ", ".join(f"{h} hop{'s' if h > 1 else ''}: {c}" for h, c in sorted(hop_hist.items())) + ".")
    out.append(f"- **Federation settings** (every node): pull_interval_secs = {args.pull_interval}, "
               f"retry_base_ms = {args.retry_base_ms}, retry_max_secs = {args.retry_max_secs}, "
               f"push_batch = {args.push_batch}; VIGIA_LOG={bench.log_level}.")
    out.append(f"- **Publishing**: STIX 2.1 `report` objects (report_types alert, TLP:GREEN, distribution "
               f"extension without recipients) POSTed one by one to {o.cc}'s `/api/objects` with an analyst "
               f"token over one kept-alive connection, scheduled every {args.interval_ms:g} ms: "
               f"{len(ids)}/{args.alerts} stored (HTTP statuses {statuses}) in {t_pub:.2f} s = "
               f"{pub_rate:.1f} alerts/s; POST round trip p50 {percentile(post_sorted, 50):.1f} ms, "
               f"p99 {percentile(post_sorted, 99):.1f} ms, max {post_sorted[-1]:.1f} ms.")
    out.append(f"- **Setup**: init {t_init:.1f} s (4 in parallel), start {t_start:.1f} s, peering "
               f"{t_peer:.1f} s ({2 * len(edges)} `vigia peer add` runs), then 3 s + {args.settle:g} s idle.")
    out.append(f"- **Idle mesh CPU** (no publishing, {args.settle:g} s after a 3 s settle): the {n} nodes used "
               f"{idle_cpu:.1f} CPU s = {idle_cpu / args.settle:.2f} CPUs; the machine was "
               f"{busy_percent(imcpu0, imcpu1):.0f} % busy (of {os.cpu_count()} CPUs).")
    out.append(f"- **Load average** (1/5/15 min): {load_start} before publishing, {load_end} after the last "
               f"node was complete{'; before setup: ' + idle_note if idle_note else ''}.\n")
    got = len(lat)
    complete = "all" if got == expected else f"**{got} of {expected}**"
    out.append(f"Delivered: {complete} (object, node) pairs; every node complete "
               f"{t_all:.2f} s after the first POST." if not missing else
               f"Delivered: {complete} (object, node) pairs; **not complete after {args.timeout:g} s**: "
               + ", ".join(f"{cc} missing {m}" for cc, m in missing))
    sent = outbox.get("delivered", 0)
    out.append(f"First copies stored from a push: {fmt_int(via['push'])}, from a pull: {fmt_int(via['pull'])} "
               f"(the nodes' audit logs). Copies pushed: outbox rows of all nodes when the last node was "
               f"complete, by state: " + ", ".join(f"{k} {fmt_int(v)}" for k, v in sorted(outbox.items()))
               + f"; {sent / max(1, expected):.1f} pushed copies per (object, node) pair (a node relays "
               f"each new alert to its peers but the sender and the nodes the sender's relay hint names; "
               f"builds before the hint flooded all peers but the sender). Push requests recorded in the receivers' "
               f"audit logs: {fmt_int(pushes)}, with {fmt_int(duplicates)} repeats (builds from 0ceb384 on "
               f"do not audit a push that carried nothing new).")
    node_cpu = sum(cpu1) - sum(cpu0)
    out.append(f"CPU from the first POST until every node was complete ({t_all:.1f} s): machine "
               f"{busy_percent(mcpu0, mcpu1):.0f} % busy (of {os.cpu_count()} CPUs); the {n} nodes used "
               f"{node_cpu:.1f} CPU s ({node_cpu / t_all:.2f} CPUs on average), the origin {cpu1[origin] - cpu0[origin]:.1f} s, "
               f"the busiest node {max(b - a for a, b in zip(cpu0, cpu1)):.1f} s; this script (POSTs and "
               f"polling) {self1 - self0:.1f} s; anything else on the machine "
               f"{max(0.0, busy_secs(mcpu0, mcpu1) - node_cpu - (self1 - self0)):.1f} CPU s.\n")
    out.append("| latency (ms, excluding origin) | pairs | p50 | p90 | p99 | max | mean |")
    out.append("|---|---:|---:|---:|---:|---:|---:|")

    def row(label, values):
        v = sorted(values)
        if not v:
            return f"| {label} | 0 | | | | | |"
        return (f"| {label} | {fmt_int(len(v))} | {percentile(v, 50):.1f} | {percentile(v, 90):.1f} | "
                f"{percentile(v, 99):.1f} | {v[-1]:.1f} | {statistics.mean(v):.1f} |")

    out.append(row("all nodes", lat))
    for h in sorted(by_hop):
        out.append(row(f"nodes {h} hop{'s' if h > 1 else ''} away", by_hop[h]))
    out.append(row("whole network (per object: slowest node)", per_obj_full))
    p50, p99 = percentile(lat, 50), percentile(lat, 99)
    ok50 = "met" if got and p50 < 300 else "**not met**"
    ok99 = "met" if got == expected and p99 < 1000 else "**not met**"
    out.append(f"\nGoals: p50 < 300 ms: {ok50} ({p50:.1f} ms); p99 < 1 s: {ok99} ({p99:.1f} ms).\n")
    out.append(f"Resident memory (sum of VmRSS of the {n} `vigia serve` processes): idle before publishing "
               f"{fmt_rss(*rss_idle)}; after {fmt_rss(*rss_after)}.")
    if problems:
        out.append(f"\nPeers with failures or a last error ({len(problems)}):\n")
        for cc, name, failures, err in problems[:20]:
            out.append(f"- {cc} → {name}: failures {failures}, last error: {str(err)[:300]}")
    print("\n".join(out), flush=True)
    return 0 if got == expected else 1


# ------------------------------------------------------------------ catch-up


def indicator(i, rng):
    ip = f"{10 + (i >> 24) % 200}.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}"
    now = stix_ts()
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--{uuid.UUID(int=rng.getrandbits(128), version=4)}",
        "created": now,
        "modified": now,
        "name": f"C2 address {ip}",
        "indicator_types": ["malicious-activity"],
        "pattern": f"[ipv4-addr:value = '{ip}']",
        "pattern_type": "stix",
        "valid_from": now,
    }


def count_indicators(node):
    try:
        con = node.db()
        try:
            return con.execute("SELECT count(*) FROM objects WHERE type = 'indicator'").fetchone()[0]
        finally:
            con.close()
    except sqlite3.Error:
        return 0


def cmd_catchup(args):
    bench = Bench(args)
    states = read_states(args.states, 35)
    a_state = next(s for s in states if s["iso2"] == "CR")
    b_state = next(s for s in states if s["iso2"] == "UY")
    federation = {
        "pull_interval_secs": args.pull_interval,
        "retry_base_ms": args.retry_base_ms,
        "retry_max_secs": args.retry_max_secs,
        "push_batch": args.push_batch,
    }
    rng = random.Random(args.seed)
    out = []
    idle_note = wait_idle(args.wait_idle)
    try:
        bench.make_nodes([a_state, b_state], federation)
        a, b = bench.nodes
        bench.peer(a, b)
        time.sleep(1)
        b.stop()
        log(f"B ({b.cc}) stopped; generating {args.objects} indicators in chunks of {args.chunk}")

        files = []
        t = time.monotonic()
        for start in range(0, args.objects, args.chunk):
            count = min(args.chunk, args.objects - start)
            bundle = {"type": "bundle", "id": f"bundle--{uuid.uuid4()}",
                      "objects": [indicator(start + k, rng) for k in range(count)]}
            path = os.path.join(bench.work, f"chunk-{start // args.chunk:04d}.json")
            with open(path, "w") as f:
                json.dump(bundle, f, separators=(",", ":"))
            files.append((path, count))
        t_gen = time.monotonic() - t
        total_bytes = sum(os.path.getsize(p) for p, _ in files)

        load_pub0 = loadavg()
        pub_times = []
        t = time.monotonic()
        for k, (path, count) in enumerate(files):
            t0 = time.monotonic()
            with open(os.path.join(bench.work, f"publish-{k:04d}.out"), "w") as f:
                r = bench.vigia("publish", "--data-dir", a.dir, path, "--tlp", "green", stdout=f, check=False)
            dt = time.monotonic() - t0
            pub_times.append(dt)
            if r.returncode != 0:
                raise RuntimeError(f"vigia publish {path} exited {r.returncode}: {r.stderr[-2000:]}")
            log(f"  published chunk {k + 1}/{len(files)} ({count}) in {dt:.2f} s")
        t_pub = time.monotonic() - t
        load_pub1 = loadavg()
        held_a = count_indicators(a)
        if held_a != args.objects:
            raise RuntimeError(f"A holds {held_a} indicators after publishing, expected {args.objects}")
        con = a.db()
        pending_before = con.execute("SELECT state, count(*), max(attempts) FROM outbox GROUP BY state").fetchall()
        con.close()
        rss_a_before = a.rss_kb()

        log(f"starting B ({b.cc}); waiting for {args.objects} indicators")
        load_c0 = loadavg()
        cpu_a0, mcpu0, self0 = proc_cpu_secs(a.proc.pid), machine_cpu(), self_cpu()
        t_spawn = time.monotonic()
        wall_spawn = time.time()
        b.start()
        b.wait_ready()
        t_ready = time.monotonic() - t_spawn
        samples = [(0.0, count_indicators(b))]
        deadline = t_spawn + args.timeout
        last_log = 0
        while True:
            c = count_indicators(b)
            now = time.monotonic()
            samples.append((now - t_spawn, c))
            if c >= args.objects or now > deadline:
                break
            if now - last_log > 5:
                log(f"  B holds {c}/{args.objects} at {now - t_spawn:.1f} s")
                last_log = now
            time.sleep(0.5)
        t_done = samples[-1][0]
        held_b = samples[-1][1]
        load_c1 = loadavg()
        cpu_a1, cpu_b1, mcpu1 = proc_cpu_secs(a.proc.pid), proc_cpu_secs(b.proc.pid), machine_cpu()
        self1 = self_cpu()
        rss_b = b.rss_kb()
        rss_a = a.rss_kb()

        via = {"push": 0, "pull": 0}
        first = {"push": None, "pull": None}
        con = b.db()
        first_at, last_at = con.execute(
            "SELECT min(date_added), max(date_added) FROM objects WHERE type = 'indicator'").fetchone()
        first_s = (first_at or 0) / 1e6 - wall_spawn
        last_s = (last_at or 0) / 1e6 - wall_spawn
        for at_micros, detail in con.execute(
                "SELECT at_micros, detail FROM audit_log WHERE action = 'federation.receive' ORDER BY seq"):
            d = json.loads(detail)
            k = "pull" if d.get("via") == "pull" else "push"
            via[k] += len(d.get("stored", []))
            if first[k] is None and d.get("stored"):
                first[k] = at_micros
        con.close()
        con = a.db()
        outbox_after = con.execute("SELECT state, count(*), max(attempts) FROM outbox GROUP BY state").fetchall()
        con.close()
        problems = bench.peer_report()
    finally:
        bench.stop_all()

    def at_fraction(frac):
        goal = args.objects * frac
        for s, c in samples:
            if c >= goal:
                return f"{s:.1f} s"
        return "not reached"

    # From B's own date_added (same clock): not bound to the 0.5 s polling.
    rate_spawn = held_b / last_s if last_s > 0 else float("nan")
    rate_ready = held_b / (last_s - t_ready) if last_s > t_ready else float("nan")
    rate_polled = held_b / t_done if t_done > 0 else float("nan")
    out.append(f"### Catch-up: {fmt_int(args.objects)} GREEN indicators, node B down while A published\n")
    out.append(f"- **Nodes**: A = {a.cc} ({a.name}), B = {b.cc} ({b.name}), peered both ways, on SQLite; "
               f"federation settings on both: pull_interval_secs = {args.pull_interval}, push_batch = "
               f"{args.push_batch}, retry_base_ms = {args.retry_base_ms}, retry_max_secs = "
               f"{args.retry_max_secs}; VIGIA_LOG={bench.log_level}.")
    out.append(f"- **Data**: {fmt_int(args.objects)} `indicator` objects (ipv4 pattern), {len(files)} bundle "
               f"file(s) of up to {fmt_int(args.chunk)}, {total_bytes / 1e6:.1f} MB in all "
               f"({total_bytes / max(1, args.objects):.0f} bytes/object before sealing); generated in {t_gen:.1f} s.")
    out.append(f"- **Publish at A** (`vigia publish --tlp green`, one run per file, A running, B stopped): "
               f"{t_pub:.1f} s = {args.objects / t_pub:,.0f} objects/s; per file p50 "
               f"{statistics.median(pub_times):.2f} s, max {max(pub_times):.2f} s; load {load_pub0} → {load_pub1}.")
    if idle_note:
        out.append(f"- Before setup: {idle_note}.")
    out.append(f"- A's outbox for B before B restarted (state, rows, max attempts): {pending_before}.")
    out.append(f"- **Catch-up**: B started at t = 0; serving (healthz 200) at {t_ready:.2f} s; held "
               f"{fmt_int(held_b)}/{fmt_int(args.objects)} at {t_done:.1f} s "
               f"(25 %: {at_fraction(0.25)}, 50 %: {at_fraction(0.5)}, 90 %: {at_fraction(0.9)}, "
               f"100 %: {at_fraction(1.0)}; counted every 0.5 s); load {load_c0} → {load_c1}.")
    out.append(f"- From B's `date_added`: first indicator stored at {first_s:.2f} s, last at {last_s:.2f} s "
               f"after B's start; by the 0.5 s polling: {rate_polled:,.0f} objects/s.")
    out.append(f"- Received by B: by A's push {fmt_int(via['push'])}, by B's pull {fmt_int(via['pull'])} "
               f"(B's audit log; the rest were duplicates). A's outbox afterwards: {outbox_after}.")
    out.append(f"- CPU from B's start until it held all (polled, {t_done:.1f} s): machine "
               f"{busy_percent(mcpu0, mcpu1):.0f} % busy (of {os.cpu_count()} CPUs); A {cpu_a1 - cpu_a0:.1f} s, "
               f"B {cpu_b1:.1f} s (B's start-up included); this script's polling {self1 - self0:.1f} s; "
               f"anything else on the machine "
               f"{max(0.0, busy_secs(mcpu0, mcpu1) - (cpu_a1 - cpu_a0) - cpu_b1 - (self1 - self0)):.1f} CPU s.")
    out.append(f"- RSS after catch-up: A {a_rss_mib(rss_a)}, B {a_rss_mib(rss_b)} (A before: {a_rss_mib(rss_a_before)}).\n")
    ok = held_b >= args.objects and rate_spawn >= 10000
    out.append(f"**Catch-up rate: {rate_spawn:,.0f} objects/s** from B's start to its last indicator "
               f"stored ({rate_ready:,.0f} objects/s from B serving). Goal ≥ 10,000 objects/s: "
               f"{'met' if ok else '**not met**'}.")
    if problems:
        out.append(f"\nPeers with failures or a last error:\n")
        for cc, name, failures, err in problems:
            out.append(f"- {cc} → {name}: failures {failures}, last error: {str(err)[:300]}")
    print("\n".join(out), flush=True)
    return 0 if held_b >= args.objects else 1


def a_rss_mib(kb):
    return f"{kb / 1024:.1f} MiB"


# ------------------------------------------------------------------ main


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("command", choices=["latency", "catchup"])
    p.add_argument("--bin", required=True)
    p.add_argument("--work", required=True, help="directory for the nodes' data and logs")
    p.add_argument("--states", default="/work/shared/data/oas/member-states.csv")
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--nodes", type=int, default=35)
    p.add_argument("--alerts", type=int, default=200)
    p.add_argument("--interval-ms", type=float, default=50)
    p.add_argument("--origin", help="country code of the publishing node (default: of maximal eccentricity, the lowest degree)")
    p.add_argument("--objects", type=int, default=100_000)
    p.add_argument("--chunk", type=int, default=10_000)
    p.add_argument("--pull-interval", type=int, default=5)
    p.add_argument("--retry-base-ms", type=int, default=200)
    p.add_argument("--retry-max-secs", type=int, default=5)
    p.add_argument("--push-batch", type=int, default=500)
    p.add_argument("--wait-idle", type=float, default=0,
                   help="before each benchmark, wait up to this many seconds for the machine to be < 25 %% busy")
    p.add_argument("--settle", type=float, default=10,
                   help="seconds of idle CPU measurement before publishing (after a fixed 3 s settle)")
    p.add_argument("--timeout", type=float, default=None,
                   help="seconds to wait for delivery (default 120 latency, 900 catch-up)")
    args = p.parse_args()
    if args.timeout is None:
        args.timeout = 120 if args.command == "latency" else 900

    def on_term(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_term)
    return cmd_latency(args) if args.command == "latency" else cmd_catchup(args)


if __name__ == "__main__":
    sys.exit(main())
