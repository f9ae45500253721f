"""Realtime benchmark: 1,000 followers of 博雅, 200 of them connected (python-socketio,
WebSocket) and spread over two server processes that share Redis; one new course is
imported by a separate process as the scheduler would. Measures the time from the
import's commit until the last connected client has its notice, checks none is
missing or doubled and that every follower has it unread. See bench/RESULTS.md.

    REDIS_URL=redis://127.0.0.1:6379/5 python bench/realtime.py [--rounds 3]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

import socketio
from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import PYTHON, ROOT, Server, base_env, login

OUT = ROOT / "bench" / "out"

PREPARE = """
import sys
from sqlalchemy import insert
from reedsailing import create_app
from reedsailing.extensions import db
from reedsailing.models import Address, User
from reedsailing.seed import seed

followers = int(sys.argv[1])
app = create_app()
with app.app_context():
    db.drop_all()
    db.create_all()
    seed()
    db.session.execute(insert(Address.__table__), [{"name": "如心楼", "longitude": 116.3452, "latitude": 39.9794}])
    db.session.execute(insert(User.__table__), [
        {"openid": f"demo-{n}", "name": f"同学{n}", "follow_boya": True, "is_system": False}
        for n in range(1, followers + 1)
    ])
    db.session.commit()
"""


class Listener:
    """One connected student: remembers when each notice arrived."""

    def __init__(self, url, token):
        self.client = socketio.Client(reconnection=False)
        self.received = {}
        self.client.on("notification", self.on_notification)
        self.client.connect(url, auth={"token": token}, transports=["websocket"], wait_timeout=10)

    def on_notification(self, payload):
        notice = payload.get("id")
        self.received.setdefault(notice, []).append(time.time())


def run_round(env, listeners, database_url):
    result = subprocess.run(
        [PYTHON, str(ROOT / "bench" / "realtime_notify.py")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if result.returncode:
        raise RuntimeError(f"the import process failed: {result.stderr[-3000:]}")
    info = json.loads(result.stdout.strip().splitlines()[-1])
    if os.environ.get("BENCH_DEBUG"):
        print(info, result.stderr[-2000:])
    notice = info["notice"]
    deadline = time.time() + 10
    while time.time() < deadline and not all(notice in listener.received for listener in listeners):
        time.sleep(0.01)
    arrivals = [
        listener.received[notice][0] - info["commit_at"]
        for listener in listeners
        if notice in listener.received
    ]
    engine = create_engine(database_url)
    with engine.connect() as conn:
        unread = conn.execute(
            text("SELECT COUNT(*) FROM deliveries WHERE notice_id = :n AND read = :f"),
            {"n": notice, "f": False},
        ).scalar()
    engine.dispose()
    return {
        "notice": notice,
        "followers": info["followers"],
        "unread_deliveries": unread,
        "connected": len(listeners),
        "received": len(arrivals),
        "missing": len(listeners) - len(arrivals),
        "doubled": sum(len(listener.received.get(notice, [])) > 1 for listener in listeners),
        "commit_to_push_done_ms": (info["pushed_at"] - info["commit_at"]) * 1000,
        "first_ms": min(arrivals) * 1000 if arrivals else None,
        "median_ms": statistics.median(arrivals) * 1000 if arrivals else None,
        "last_ms": max(arrivals) * 1000 if arrivals else None,
    }


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL"))
    parser.add_argument(
        "--database-url", help="default: a temp SQLite file (its tables are DROPPED and rebuilt)"
    )
    parser.add_argument("--followers", type=int, default=1000)
    parser.add_argument("--connected", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if not args.redis_url:
        parser.error("needs Redis: --redis-url or REDIS_URL (e.g. redis://127.0.0.1:6379/5)")

    with tempfile.TemporaryDirectory() as tmp:
        database_url = args.database_url or f"sqlite:///{tmp}/realtime.db"
        env = base_env(
            database_url, REDIS_URL=args.redis_url, BENCH_SOCKETIO_CHANNEL=f"reedsailing-bench-{os.getpid()}"
        )
        subprocess.run(
            [PYTHON, "-c", PREPARE, str(args.followers)],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        servers = [Server(env, script="bench/realtime_server.py").start() for _ in range(2)]
        listeners = []
        try:
            tokens = [login(servers[0].url, n)[1] for n in range(1, args.connected + 1)]
            with ThreadPoolExecutor(16) as pool:
                listeners = list(
                    pool.map(lambda i: Listener(servers[i % 2].url, tokens[i]), range(args.connected))
                )
            print(
                f"{len(listeners)} clients connected over 2 server processes; {args.followers} followers",
                flush=True,
            )
            rounds = []
            for n in range(args.rounds):
                outcome = run_round(env, listeners, database_url)
                rounds.append(outcome)
                print(
                    f"round {n + 1}: last client after {outcome['last_ms']:.0f} ms (median {outcome['median_ms']:.0f},"
                    f" first {outcome['first_ms']:.0f}); missing {outcome['missing']}, doubled {outcome['doubled']};"
                    f" unread deliveries {outcome['unread_deliveries']}/{outcome['followers']}",
                    flush=True,
                )
            rss = [round(server.rss_mb()) for server in servers]
        finally:
            for listener in listeners:
                threading.Thread(target=listener.client.disconnect, daemon=True).start()
            for server in servers:
                server.stop()
    OUT.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    report = {
        "args": vars(args) | {"redis_url": "(given)"},
        "rounds": rounds,
        "server_rss_mb": rss,
        "nproc": subprocess.getoutput("nproc"),
    }
    (OUT / f"realtime-{stamp}.json").write_text(json.dumps(report, indent=2))
    print(f"server RSS after the run: {rss} MB; written to {OUT}/realtime-{stamp}.json")
    bad = any(r["missing"] or r["doubled"] or r["unread_deliveries"] != r["followers"] for r in rounds)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
