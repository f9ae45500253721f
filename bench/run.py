"""Load benchmark: `make bench` (never part of `make test`). See bench/RESULTS.md.

For each data set (`small`, optionally `large`) and database (a temp SQLite file,
optionally MariaDB) it builds the demo campus, starts one real server process
(`python wsgi.py`, eventlet, production settings), logs demo students in, and loads
each endpoint with 16 connections: warm-up, then 30 s. It reports requests/s,
p50/p95/p99 latency, the ratio to the bare ceiling route (`GET /api/bench/ping/`, same
server), SQL statements per request (the `X-Query-Count` header) and the server's
resident memory after the run, prints a table and writes bench/out/.

Load generator: `wrk` (Debian: `apt-get install -y wrk`); without it a Python
generator (threads + requests) runs instead, which competes with the server for CPU
and so reads lower: compare ratios, not absolute figures, across the two.

    python bench/run.py                                  # small, SQLite
    python bench/run.py --sets small,large --db sqlite,mariadb \\
        --mariadb-url 'mysql+pymysql://root@127.0.0.1:3306/rs_bench?charset=utf8mb4'
    python bench/run.py --duration 5 --warmup 1 --only ping,detail   # quick look

Through nginx (`--nginx 1,2`): the shipped nginx site (deploy/nginx-reedsailing.conf,
rendered as .ci/deploy-test renders it: TLS with a throw-away certificate, local ports)
in front of N server processes, for each N listed (0 = one process, no nginx). The load
then comes from bench/loadgen.py, whose connections come from many client addresses
(127.0.<i>.1, one per connection) or all from one (127.0.0.1), per `--addresses`; each
row also reports the CPU share each server process, nginx and the generator used.

    python bench/run.py --nginx 1,2,2:ip_hash --addresses many,one --only user,activity,org
"""

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

import requests
from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent))
import loadgen
from common import ROOT, Server, base_env, login, prepare_database

OUT = ROOT / "bench" / "out"
CONNECTIONS = 16


# ---- what to load --------------------------------------------------------------------
def pick_targets(database_url):
    """Ids worth loading, read straight from the demo database."""
    engine = create_engine(database_url)
    with engine.connect() as conn:
        one = lambda sql, **kw: conn.execute(text(sql), kw).first()  # noqa: E731
        users = dict(conn.execute(text("SELECT openid, id FROM users WHERE openid LIKE 'demo-%'")).all())
        detail = one(
            "SELECT id FROM activities WHERE block_id = 1 AND org_id IS NOT NULL ORDER BY id LIMIT 1"
        )
        org = one(
            "SELECT org_id, COUNT(*) n FROM activities WHERE org_id IS NOT NULL GROUP BY org_id "
            "ORDER BY n DESC, org_id LIMIT 1"
        )
        commented = one(
            "SELECT act_id, COUNT(*) n FROM comments GROUP BY act_id ORDER BY n DESC, act_id LIMIT 1"
        )
        now = datetime.now().strftime("%Y-%m-%d %H:%M:%S")  # the bench machine runs on local time
        joinable = one(
            "SELECT id FROM activities WHERE block_id <> 2 AND begin_time > :now "
            "AND contain - joined_count >= :room ORDER BY id LIMIT 1",
            now=now,
            room=4 * CONNECTIONS,
        )
        joinable = joinable or (None,)
        joined = {
            row[0]
            for row in conn.execute(
                text("SELECT user_id FROM participations WHERE act_id = :a"), {"a": joinable[0]}
            )
        }
        readers = conn.execute(
            text(
                "SELECT user_id, COUNT(*) n FROM deliveries GROUP BY user_id ORDER BY n DESC, user_id LIMIT :k"
            ),
            {"k": CONNECTIONS},
        ).all()
        notices = {}
        for user_id, _ in readers:
            notices[user_id] = [
                row[0]
                for row in conn.execute(
                    text("SELECT notice_id FROM deliveries WHERE user_id = :u ORDER BY notice_id LIMIT 10"),
                    {"u": user_id},
                )
            ]
    engine.dispose()
    by_id = {uid: int(openid.split("-")[1]) for openid, uid in users.items()}
    demo_numbers = sorted(by_id.values())
    return {
        "detail_act": detail[0],
        "org": org[0],
        "org_activities": org[1],
        "comments_act": commented[0],
        "comments": commented[1],
        "join_act": joinable[0],
        "joiners": [n for n in demo_numbers if users[f"demo-{n}"] not in joined][:CONNECTIONS],
        "readers": {by_id[uid]: ids for uid, ids in notices.items()},
    }


def endpoints(targets, tokens):
    """name -> (spec path for the route check, [per-connection {token, steps}])."""
    plain = list(tokens.items())[:CONNECTIONS]  # [(n, (uid, token))]

    def each(steps_for, who=plain):
        return [{"token": token, "steps": steps_for(uid)} for _, (uid, token) in who]

    act, org = targets["detail_act"], targets["org"]
    join_who = [(n, tokens[n]) for n in targets["joiners"]]
    read_who = [(n, tokens[n]) for n in targets["readers"]]
    read_ids = {tokens[n][0]: ids for n, ids in targets["readers"].items()}
    search = json.dumps({"name": "讲座"}, ensure_ascii=False)
    return {
        "ping": ("/api/bench/ping/", [{"token": None, "steps": [("GET", "/api/bench/ping/", None)]}]),
        "user profile": ("/api/users/{}/", each(lambda uid: [("GET", f"/api/users/{uid}/", None)])),
        "activity detail": (
            "/api/activities/{}/",
            each(lambda uid: [("GET", f"/api/activities/{act}/", None)]),
        ),
        "block 1 status": (
            "/api/blocks/activities/status/{}/",
            each(lambda uid: [("GET", "/api/blocks/activities/status/1/", None)]),
        ),
        "org status": (
            "/api/organizations/activities/status/{}/",
            each(lambda uid: [("GET", f"/api/organizations/activities/status/{org}/", None)]),
        ),
        "search 讲座": (
            "/api/activities/search/",
            each(lambda uid: [("POST", "/api/activities/search/", search)]),
        ),
        "recommendations": (
            "/api/recommended/{}/",
            each(lambda uid: [("GET", f"/api/recommended/{uid}/", None)]),
        ),
        "comments": (
            "/api/activities/{}/comments/",
            each(lambda uid: [("GET", f"/api/activities/{targets['comments_act']}/comments/", None)]),
        ),
        "join+leave": (
            "/api/activities/participants/",
            each(
                lambda uid: [
                    (
                        "POST",
                        "/api/activities/participants/",
                        json.dumps({"person": uid, "act": str(targets["join_act"])}),
                    ),
                    (
                        "DELETE",
                        f"/api/activities/participants/?person={uid}&act={targets['join_act']}&operator={uid}",
                        None,
                    ),
                ],
                join_who,
            ),
        ),
        "notification read": (
            "/api/notifications/read/{}/",
            each(
                lambda uid: [
                    ("PUT", f"/api/notifications/read/{uid}/", json.dumps({"notifications": read_ids[uid]})),
                ],
                read_who,
            ),
        ),
    }


def route_exists(spec_paths, template):
    shape = lambda path: re.sub(r"\{[^}]*\}", "{}", path.rstrip("/"))  # noqa: E731
    return shape(template) in {shape(path) for path in spec_paths}


def headers_for(token):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return headers


def probe(base_url, conns):
    """Run each step of the first connection once: [(status, X-Query-Count)]."""
    results = []
    for method, path, body in conns[0]["steps"]:
        response = requests.request(
            method,
            base_url + path,
            data=body and body.encode(),
            headers=headers_for(conns[0]["token"]),
            timeout=30,
        )
        results.append((response.status_code, response.headers.get("X-Query-Count")))
    return results


def reset(base_url, name, conns):
    """wrk stops a run mid-cycle: a join+leave connection may end joined, and its first
    POST of the next run would be a (counted) 400. Leave first, ignoring the answer."""
    if name != "join+leave":
        return
    for conn in conns:
        method, path, body = conn["steps"][-1]
        requests.request(
            method,
            base_url + path,
            data=body and body.encode(),
            headers=headers_for(conn["token"]),
            timeout=30,
        )


# ---- load generators -----------------------------------------------------------------
LUA = """
local specs = %s
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("idx", counter)
end
function init(args)
  spec = specs[((idx - 1) %% #specs) + 1]
  step = 0
  headers = {["Content-Type"] = "application/json"}
  if spec.token then headers["Authorization"] = "Bearer " .. spec.token end
end
function request()
  step = step %% #spec.steps + 1
  local s = spec.steps[step]
  return wrk.format(s[1], s[2], headers, s[3])
end
function done(summary, latency, requests)
  io.write(string.format('WRKJSON {"requests": %%d, "duration_us": %%d, "errors": %%d, "p50": %%d, "p95": %%d, "p99": %%d}\\n',
    summary.requests, summary.duration,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""


def lua_string(value):
    return "nil" if value is None else json.dumps(value, ensure_ascii=False)


def lua_specs(conns):
    items = []
    for conn in conns:
        steps = ", ".join(
            f"{{{lua_string(m)}, {lua_string(p)}, {lua_string(b)}}}" for m, p, b in conn["steps"]
        )
        items.append("{{token = {}, steps = {{{}}}}}".format(lua_string(conn["token"]), steps))
    return "{" + ",\n".join(items) + "}"


def run_wrk(base_url, conns, seconds, workdir):
    script = Path(workdir) / "load.lua"
    script.write_text(LUA % lua_specs(conns), encoding="utf-8")
    # One connection per wrk thread: each connection then has its own Lua state (its
    # own user for join+leave and notification read, strictly alternating steps).
    command = [
        "wrk",
        f"-t{CONNECTIONS}",
        f"-c{CONNECTIONS}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        base_url + "/",
    ]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    data = json.loads(output.split("WRKJSON", 1)[1].strip().splitlines()[0])
    return {
        "rps": data["requests"] / (data["duration_us"] / 1e6),
        "p50_ms": data["p50"] / 1000,
        "p95_ms": data["p95"] / 1000,
        "p99_ms": data["p99"] / 1000,
        "errors": data["errors"],
        "requests": data["requests"],
    }


def run_python(base_url, conns, seconds, workdir=None):
    latencies, errors, lock = [], [0], threading.Lock()
    deadline = time.monotonic() + seconds

    def worker(conn):
        session, mine, bad, step = requests.Session(), [], 0, 0
        headers = headers_for(conn["token"])
        while time.monotonic() < deadline:
            method, path, body = conn["steps"][step % len(conn["steps"])]
            step += 1
            began = time.perf_counter()
            try:
                response = session.request(
                    method, base_url + path, data=body and body.encode(), headers=headers, timeout=10
                )
                bad += response.status_code >= 400
            except requests.RequestException:
                bad += 1
            mine.append(time.perf_counter() - began)
        with lock:
            latencies.extend(mine)
            errors[0] += bad

    started = time.monotonic()
    threads = [threading.Thread(target=worker, args=(conns[i % len(conns)],)) for i in range(CONNECTIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    cuts = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0] * 99
    return {
        "rps": len(latencies) / elapsed,
        "p50_ms": cuts[49] * 1000,
        "p95_ms": cuts[94] * 1000,
        "p99_ms": cuts[98] * 1000,
        "errors": errors[0],
        "requests": len(latencies),
    }


# ---- one run -------------------------------------------------------------------------
def bench_one(preset, backend, database_url, args, generator, mode="eventlet"):
    print(f"\n== {preset} on {backend}, {mode} server: building the demo campus ...", flush=True)
    counts, build_seconds = prepare_database(database_url, preset)
    print(f"   {counts} in {build_seconds:.1f} s", flush=True)
    server = Server(base_env(database_url, BENCH_ROUTES="1", QUERY_COUNT_HEADER="1"), mode=mode).start()
    backend = backend if mode == "eventlet" else f"{backend} ({mode})"
    rows = []
    try:
        targets = pick_targets(database_url)
        wanted = set(range(1, CONNECTIONS + 1)) | set(targets["joiners"]) | set(targets["readers"])
        tokens = {n: login(server.url, n) for n in sorted(wanted)}
        spec_paths = requests.get(server.url + "/apispec_1.json", timeout=30).json()["paths"]
        ceiling = None
        with tempfile.TemporaryDirectory() as workdir:
            for name, (template, conns) in endpoints(targets, tokens).items():
                if args.only and name.split()[0] not in args.only:
                    continue
                row = {"endpoint": name, "set": preset, "db": backend}
                if not route_exists(spec_paths, template):
                    rows.append({**row, "note": "route not on this branch yet"})
                    print(f"   {name:18} route not on this branch yet", flush=True)
                    continue
                try:
                    checks = probe(server.url, conns)
                    row["status"] = "/".join(str(status) for status, _ in checks)
                    row["queries"] = "+".join(str(q) for _, q in checks)
                    reset(server.url, name, conns)
                    generator(server.url, conns, args.warmup, workdir)
                    reset(server.url, name, conns)
                    cpu_before = server.cpu_seconds()
                    row.update(generator(server.url, conns, args.duration, workdir))
                    cpu = server.cpu_seconds() - cpu_before
                    row["cpu_ms"] = 1000 * cpu / row["requests"] if row["requests"] else None
                    row["load"] = os.getloadavg()[0]
                except (requests.RequestException, subprocess.CalledProcessError, ValueError) as error:
                    # A wedged server must not lose the figures measured so far.
                    rows.append({**row, "note": f"failed: {type(error).__name__}"})
                    print(f"   {name:18} FAILED: {error}", flush=True)
                    continue
                if name == "ping":
                    ceiling = row["rps"]
                row["ratio"] = row["rps"] / ceiling if ceiling else None
                rows.append(row)
                print(
                    f"   {name:18} {row['rps']:8.0f} req/s  p50 {row['p50_ms']:6.1f} ms  "
                    f"p99 {row['p99_ms']:6.1f} ms  cpu {row['cpu_ms'] or 0:6.2f} ms/req  queries {row['queries']:>5}  status {row['status']}  "
                    f"errors {row['errors']}",
                    flush=True,
                )
        rss = server.rss_mb()
    finally:
        server.stop()
    print(f"   server resident memory after the run: {rss:.0f} MB", flush=True)
    return {
        "set": preset,
        "db": backend,
        "counts": counts,
        "build_seconds": build_seconds,
        "rss_mb": rss,
        "targets": {k: v for k, v in targets.items() if k not in ("readers", "joiners")},
        "rows": rows,
    }


# ---- through nginx, N processes --------------------------------------------------------
def cpu_seconds(pid):
    """utime + stime of a process, in seconds (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def nginx_pids(master):
    try:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    except OSError:
        children = []
    return [master, *map(int, children)]


def start_nginx(ports, workdir, balance, cert, key):
    from tests.deploy.site import Nginx, render_site
    from tests.support.smtp_sink import free_port

    (Path(workdir) / "uploads").mkdir()
    (Path(workdir) / "console").mkdir()
    https_port = free_port()
    site = render_site(
        ports=ports,
        http_port=free_port(),
        https_port=https_port,
        cert=cert,
        key=key,
        uploads=Path(workdir) / "uploads",
        console=Path(workdir) / "console",
        balance=None if balance == "least_conn" else balance,
    )
    nginx = Nginx(workdir, site, access_log=False, machine=True)  # the deployment's nginx.conf
    return nginx.start(), f"https://localhost:{https_port}"


def parse_setups(text):
    """ "0,1,2,2:ip_hash" -> [(0, None), (1, "least_conn"), (2, "least_conn"), (2, "ip_hash")]."""
    setups = []
    for item in text.split(","):
        count, _, balance = item.partition(":")
        setups.append((int(count), None if int(count) == 0 else (balance or "least_conn")))
    return setups


def measure(setup, conns, seconds, mode):
    """One load run against one setup: loadgen's figures plus each watched process's CPU share."""
    watched = {f"server {i + 1}": [s.process.pid] for i, s in enumerate(setup["servers"])}
    if setup["nginx"]:
        watched["nginx"] = nginx_pids(setup["nginx"].process.pid)
    before = {k: sum(map(cpu_seconds, v)) for k, v in watched.items()}
    began = time.monotonic()
    result = loadgen.run(
        setup["base"], conns, seconds, loadgen.source_addresses(mode, CONNECTIONS), setup["cafile"]
    )
    elapsed = time.monotonic() - began
    result["cpu"] = {k: (sum(map(cpu_seconds, watched[k])) - before[k]) / elapsed for k in watched}
    return result


def bench_nginx(preset, backend, database_url, args):
    """Every setup runs at the same time (idle ones cost nothing); each endpoint is loaded
    on setup after setup, address mode after address mode, `--rounds` times over, so that
    noise from other work on the machine hits all of them alike; rows are the medians."""
    from tests.deploy.site import make_certificate

    print(f"\n== {preset} on {backend}, through nginx: building the demo campus ...", flush=True)
    counts, build_seconds = prepare_database(database_url, preset)
    shared_redis = (
        {"REDIS_URL": args.redis_url, "SOCKETIO_CHANNEL": f"reedsailing-bench-{os.getpid()}"}
        if args.redis_url
        else {}
    )  # the documented production shape: the processes share Redis (answer cache, Socket.IO)
    env = base_env(database_url, BENCH_ROUTES="1", QUERY_COUNT_HEADER="1", **shared_redis)
    rows, setups = [], []
    saved_ca = os.environ.get("REQUESTS_CA_BUNDLE")
    with tempfile.TemporaryDirectory() as shared:
        os.chmod(shared, 0o755)
        cert, key = make_certificate(shared)
        os.environ["REQUESTS_CA_BUNDLE"] = str(cert)  # probe/login/reset through nginx
        try:
            for number, (processes, balance) in enumerate(parse_setups(args.nginx)):
                label = (
                    "direct, 1 process"
                    if processes == 0
                    else f"nginx {balance}, {processes} process" + ("es" if processes > 1 else "")
                )
                setup = {"label": label, "processes": processes, "servers": [], "nginx": None, "cafile": None}
                setups.append(setup)
                setup["servers"] = [Server(env).start() for _ in range(max(processes, 1))]
                if processes == 0:
                    setup["base"] = setup["servers"][0].url
                else:
                    workdir = Path(shared) / f"nginx-{number}"
                    workdir.mkdir(mode=0o755)
                    setup["nginx"], setup["base"] = start_nginx(
                        [s.port for s in setup["servers"]], workdir, balance, cert, key
                    )
                    setup["cafile"] = str(cert)
                print(f"   {label}: {setup['base']}", flush=True)
            targets = pick_targets(database_url)
            wanted = set(range(1, CONNECTIONS + 1)) | set(targets["joiners"]) | set(targets["readers"])
            tokens = {n: login(setups[0]["base"], n) for n in sorted(wanted)}
            for name, (_, conns) in endpoints(targets, tokens).items():
                if args.only and name.split()[0] not in args.only:
                    continue
                status = {}
                for setup in setups:
                    status[setup["label"]] = "/".join(str(c) for c, _ in probe(setup["base"], conns))
                    reset(setup["base"], name, conns)
                    loadgen.run(
                        setup["base"],
                        conns,
                        args.warmup,
                        loadgen.source_addresses("many", CONNECTIONS),
                        setup["cafile"],
                    )
                samples = {}
                for _ in range(args.rounds):
                    for setup in setups:
                        for mode in args.addresses:
                            reset(setup["base"], name, conns)
                            result = measure(setup, conns, args.duration, mode)
                            samples.setdefault((setup["label"], mode), (setup, []))[1].append(result)
                            shares = " ".join(f"{k} {v:.0%}" for k, v in result["cpu"].items())
                            print(
                                f"   {setup['label']:28} {mode:4} {name:16} {result['rps']:7.0f} req/s  "
                                f"p50 {result['p50_ms']:6.1f}  p99 {result['p99_ms']:6.1f} ms  errors "
                                f"{result['errors']} {result['error_kinds'] or ''}  CPU: {shares}, "
                                f"loadgen {result['loadgen_cpu']:.0%}",
                                flush=True,
                            )
                for (label, mode), (setup, results) in samples.items():
                    median = lambda key: statistics.median(r[key] for r in results)  # noqa: E731, B023 - used within this iteration
                    cpu = {k: statistics.mean(r["cpu"][k] for r in results) for k in results[0]["cpu"]}
                    rows.append(
                        {
                            "setup": label,
                            "processes": setup["processes"],
                            "addresses": mode,
                            "endpoint": name,
                            "set": preset,
                            "db": backend,
                            "status": status[label],
                            "rps": median("rps"),
                            "rps_runs": [round(r["rps"]) for r in results],
                            "p50_ms": median("p50_ms"),
                            "p95_ms": median("p95_ms"),
                            "p99_ms": median("p99_ms"),
                            "errors": sum(r["errors"] for r in results),
                            "loadgen_cpu": median("loadgen_cpu"),
                            "cpu": cpu,
                        }
                    )
        finally:
            if saved_ca is None:
                os.environ.pop("REQUESTS_CA_BUNDLE", None)
            else:
                os.environ["REQUESTS_CA_BUNDLE"] = saved_ca
            for setup in setups:
                if setup["nginx"]:
                    setup["nginx"].stop()
                for server in setup["servers"]:
                    server.stop()
    return {
        "set": preset,
        "db": backend,
        "counts": counts,
        "build_seconds": build_seconds,
        "rows": rows,
        "nginx": True,
    }


def nginx_table(runs):
    lines = [
        "| set | db | setup | client addresses | endpoint | req/s | vs 1 process | p50 ms | p99 ms | errors | "
        "CPU per server process | nginx CPU | loadgen CPU | req/s of each round |",
        "|---|---|---|---|---|---:|---:|---:|---:|---:|---|---:|---:|---|",
    ]
    for run in runs:
        one = {
            (r["endpoint"], r["addresses"]): r["rps"]
            for r in run["rows"]
            if r["setup"] == "nginx least_conn, 1 process"
        }
        for r in run["rows"]:
            base = one.get((r["endpoint"], r["addresses"]))
            ratio = f"{r['rps'] / base:.2f}x" if base else "–"
            servers = " / ".join(f"{v:.0%}" for k, v in r["cpu"].items() if k.startswith("server"))
            lines.append(
                f"| {run['set']} | {run['db']} | {r['setup']} | {r['addresses']} | {r['endpoint']} | "
                f"{r['rps']:.0f} | {ratio} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {r['errors']} | "
                f"{servers} | {r['cpu'].get('nginx', 0):.0%} | {r['loadgen_cpu']:.0%} | "
                f"{', '.join(map(str, r['rps_runs']))} |"
            )
    return "\n".join(lines)


def table(runs):
    lines = [
        "| set | db | endpoint | req/s | p50 ms | p95 ms | p99 ms | ratio to ping | server CPU ms/req | "
        "queries/req | status | errors |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---|---|---:|",
    ]
    for run in runs:
        for row in run["rows"]:
            if "rps" not in row:
                lines.append(
                    f"| {run['set']} | {run['db']} | {row['endpoint']} | – | – | – | – | – | – | – | "
                    f"{row['note']} | – |"
                )
                continue
            ratio = f"{row['ratio']:.0%}" if row["ratio"] else "–"
            lines.append(
                f"| {run['set']} | {run['db']} | {row['endpoint']} | {row['rps']:.0f} | {row['p50_ms']:.1f} | "
                f"{row['p95_ms']:.1f} | {row['p99_ms']:.1f} | {ratio} | {row.get('cpu_ms') or 0:.2f} | {row['queries']} | {row['status']} | "
                f"{row['errors']} |"
            )
        lines.append(
            f"| {run['set']} | {run['db']} | *server RSS after the run* | {run['rss_mb']:.0f} MB | | | | | | | | |"
        )
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sets", default="small", help="comma-separated: small,large")
    parser.add_argument("--db", default="sqlite", help="comma-separated: sqlite,mariadb")
    parser.add_argument(
        "--mariadb-url", help="an existing utf8mb4 database; its tables are DROPPED and rebuilt"
    )
    parser.add_argument("--duration", type=int, default=30, help="seconds per endpoint (default 30)")
    parser.add_argument("--warmup", type=int, default=5, help="warm-up seconds per endpoint (default 5)")
    parser.add_argument(
        "--only",
        type=lambda s: {x.strip() for x in s.split(",")},
        default=None,
        help="first words of endpoint names, e.g. ping,activity,search",
    )
    parser.add_argument(
        "--python-load", action="store_true", help="use the Python generator even if wrk exists"
    )
    parser.add_argument(
        "--nginx",
        default=None,
        help="through nginx: setups N or N:balancing, comma-separated (0 = one process, no nginx), "
        "e.g. 1,2,2:ip_hash",
    )
    parser.add_argument(
        "--rounds", type=int, default=3, help="with --nginx: measured rounds per setup (median)"
    )
    parser.add_argument(
        "--addresses",
        type=lambda s: s.split(","),
        default=["many", "one"],
        help="with --nginx: client addresses of the connections, many and/or one",
    )
    parser.add_argument(
        "--mode",
        default="eventlet",
        help="comma-separated server modes: eventlet,gevent,threading (README, Server modes)",
    )
    parser.add_argument(
        "--redis-url", default=None, help="with --nginx: REDIS_URL of every server process (shared)"
    )
    args = parser.parse_args()

    if shutil.which("wrk") and not args.python_load:
        generator, generator_name = run_wrk, "wrk"
    else:
        print(
            "wrk not found (Debian: apt-get install -y wrk): using the slower Python load generator",
            flush=True,
        )
        generator, generator_name = run_python, "python"
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        for preset in args.sets.split(","):
            for backend in args.db.split(","):
                if backend == "mariadb":
                    if not args.mariadb_url:
                        parser.error("--db mariadb needs --mariadb-url")
                    url = args.mariadb_url
                else:
                    url = f"sqlite:///{tmp}/bench-{preset}.db"
                if args.nginx is not None:
                    runs.append(bench_nginx(preset, backend, url, args))
                else:
                    for mode in args.mode.split(","):
                        runs.append(bench_one(preset, backend, url, args, generator, mode))
    OUT.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    if args.nginx is not None:
        generator_name = "bench/loadgen.py (asyncio, chosen source addresses)"
    meta = {
        "generator": generator_name,
        "connections": CONNECTIONS,
        "duration": args.duration,
        "warmup": args.warmup,
        "argv": sys.argv[1:],
        "nproc": subprocess.getoutput("nproc"),
        "free": subprocess.getoutput("free -h"),
    }
    (OUT / f"results-{stamp}.json").write_text(
        json.dumps({"meta": meta, "runs": runs}, indent=2, default=str)
    )
    report = nginx_table(runs) if args.nginx is not None else table(runs)
    (OUT / f"results-{stamp}.md").write_text(report + "\n")
    print("\n" + report)
    print(f"\nload generator: {generator_name}; written to {OUT}/results-{stamp}.{{json,md}}")


if __name__ == "__main__":
    main()
