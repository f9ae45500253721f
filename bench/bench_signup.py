"""Throughput of joining, the waiting list and check-in (issue 15, docs/signup.md).

Starts one real server (`python wsgi.py`, eventlet, production settings, rate limits
off) on a fresh database, and drives each scenario with 16 client threads, every
student once:

- `join+leave (today)`: the first version's pair, join then leave, per student;
- `join (free place)`: a plain join;
- `join -> waiting list`: `waitlist: true` on a full activity (202 + position);
- `leave with promotion`: a participant of a full activity leaves, the first in line
  is admitted in the same transaction (notice 12 stored and pushed);
- `check-in`: a participant checks in with the open code.

It prints requests/s and the server's CPU time per request (user + system from
/proc, so a loaded machine shows in the wall figures but much less in the CPU ones).

    python bench/bench_signup.py                      # SQLite in a temp dir, 400 students
    python bench/bench_signup.py --students 800 \\
        --mariadb-url 'mysql+pymysql://root@127.0.0.1:3306/rs_bench?charset=utf8mb4'
"""

import argparse
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import BENCH_SECRET, ROOT, Server, base_env

sys.path.insert(0, str(ROOT))
THREADS = 16
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def build(database_url, students):
    """Tables, students, and one activity per scenario; returns ids and tokens."""
    os.environ.update(base_env(database_url))
    from sqlalchemy import insert, select

    from reedsailing import create_app
    from reedsailing.core.timeutil import now
    from reedsailing.extensions import db
    from reedsailing.models import Activity, Address, CheckIn, JoinRequest, Participation, User
    from reedsailing.security import auth
    from reedsailing.seed import seed

    app = create_app()
    with app.app_context():
        db.drop_all()
        db.create_all()
        seed()
        db.session.execute(
            insert(User),
            [
                {"openid": f"bench-{i}", "name": f"压测{i}", "email": f"bench{i}@buaa.edu.cn"}
                for i in range(4 * students)
            ],
        )
        address = Address(name="新主楼", longitude=116.34, latitude=39.98)
        db.session.add(address)
        db.session.commit()
        users = db.session.scalars(select(User).where(User.openid.like("bench-%")).order_by(User.id)).all()
        owner = users[0]

        def activity(name, contain, joined=(), waiting=(), running=False):
            begin = now() - timedelta(minutes=5) if running else now() + timedelta(days=1)
            act = Activity(
                name=name,
                begin_time=begin,
                end_time=begin + timedelta(hours=3),
                contain=contain,
                joined_count=len(joined),
                owner_id=owner.id,
                address_id=address.id,
                block_id=5,
            )
            db.session.add(act)
            db.session.flush()
            if joined:
                db.session.execute(
                    insert(Participation), [{"act_id": act.id, "user_id": u.id} for u in joined]
                )
            if waiting:
                db.session.execute(
                    insert(JoinRequest),
                    [{"act_id": act.id, "user_id": u.id, "state": "waiting"} for u in waiting],
                )
            return act.id

        a, b, c, d = (users[i * students : (i + 1) * students] for i in range(4))
        ids = {
            "pair": activity("来回", students),
            "join": activity("加入", students),
            "queue": activity("候补", 1, joined=[owner]),
            "promote": activity("递补", students, joined=b, waiting=c),
            "checkin": activity("签到", students, joined=d, running=True),
        }
        db.session.add(CheckIn(act_id=ids["checkin"], code="123456", expires_at=now() + timedelta(hours=1)))
        db.session.commit()
        tokens = {
            name: [(u.id, auth.issue_user_token(u)) for u in group]
            for name, group in (("a", a), ("b", b), ("c", c), ("d", d))
        }
        db.engine.dispose()
    return ids, tokens


def scenarios(ids, tokens):
    """name -> (students, steps(uid) -> [(method, path, json)])."""
    join = "/api/activities/participants/"
    return {
        "join+leave (today)": (
            tokens["a"],
            lambda uid: [
                ("POST", join, {"person": uid, "act": ids["pair"]}),
                ("DELETE", f"{join}?person={uid}&act={ids['pair']}", None),
            ],
        ),
        "join (free place)": (tokens["a"], lambda uid: [("POST", join, {"person": uid, "act": ids["join"]})]),
        "join -> waiting list": (
            tokens["c"][: len(tokens["c"])],
            lambda uid: [("POST", join, {"person": uid, "act": ids["queue"], "waitlist": True})],
        ),
        "leave with promotion": (
            tokens["b"],
            lambda uid: [("DELETE", f"{join}?person={uid}&act={ids['promote']}", None)],
        ),
        "check-in": (
            tokens["d"],
            lambda uid: [("POST", f"/api/activities/{ids['checkin']}/checkin/", {"code": "123456"})],
        ),
    }


def run(server, students, steps):
    def one(job):
        uid, token = job
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {token}"
        statuses = []
        for method, path, body in steps(uid):
            statuses.append(session.request(method, server.url + path, json=body, timeout=60).status_code)
        return statuses

    cpu_before, started = cpu_seconds(server.process.pid), time.monotonic()
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        statuses = [status for result in pool.map(one, students) for status in result]
    wall = time.monotonic() - started
    cpu = cpu_seconds(server.process.pid) - cpu_before
    bad = [status for status in statuses if status >= 300 and status != 202]
    return len(statuses), wall, cpu, bad


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=400)
    parser.add_argument("--mariadb-url")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.mariadb_url or f"sqlite:///{tmp}/bench.db"
        ids, tokens = build(url, args.students)
        server = Server({**base_env(url), "SECRET_KEY": BENCH_SECRET, "REDIS_URL": ""}).start()
        try:
            load = os.getloadavg()[0]
            print(
                f"database {url.split(':')[0]}, {args.students} students per scenario, {THREADS} threads, load {load:.1f}"
            )
            print(f"{'scenario':24} {'requests':>8} {'req/s':>8} {'ms CPU/req':>11}  errors")
            for name, (students, steps) in scenarios(ids, tokens).items():
                count, wall, cpu, bad = run(server, students, steps)
                print(f"{name:24} {count:8d} {count / wall:8.1f} {1000 * cpu / count:11.2f}  {len(bad)}")
        finally:
            server.stop()


if __name__ == "__main__":
    main()
