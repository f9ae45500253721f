"""Time `python manage.py import-v1` on a first-version database the size of the demo
campus (bench/RESULTS.md, "The switch-over import").

    python bench/import_v1.py [--preset large] [--mariadb-url mysql+pymysql://root@127.0.0.1:3306/?charset=utf8mb4]
                              [--no-sqlite]

1. builds the demo campus (`demo-data` code) in a temporary SQLite file;
2. copies it into the first version's shape (tests/support/v1_schema.py): ids kept,
   the demo's system account as old user 1 (the first version's 博雅 owner), one admin
   with a Django hash, and the defects of a live database: 1 % of the joins, follows and
   manager rows twice, 1 % of the comments written twice, 1 % of the activities without
   keywords (extracted with jieba by the import), some scores out of range;
3. per database (SQLite files, and MariaDB databases `rs_import_bench_old` /
   `rs_import_bench_new` on the given server, dropped and created): a fresh, migrated
   and seeded target, then the command as an operator runs it (a subprocess:
   app start-up included), timed; then the same command again (nothing to do).
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, make_url, select, text  # noqa: E402

from bench.common import OUT, PYTHON, base_env  # noqa: E402
from reedsailing.extensions import db  # noqa: E402
from reedsailing.models import User  # noqa: E402, F401  (every model on db.metadata)
from tests.support import v1_schema as v1  # noqa: E402

STAGE = """
import json, sys
from reedsailing import create_app
from reedsailing.demo.campus import populate
from reedsailing.demo.sizes import PRESETS
from reedsailing.extensions import db
app = create_app()
with app.app_context():
    db.create_all()
    print(json.dumps(populate(PRESETS[sys.argv[1]])))
    db.session.commit()
"""
TARGET = """
from reedsailing import create_app
from reedsailing.extensions import db
from reedsailing.seed import seed
app = create_app()
with app.app_context():
    db.drop_all()
    db.create_all()
    seed()
    db.session.commit()
"""
CHUNK = 5000


def stage(preset, path):
    """The demo campus in a SQLite file; returns (seconds, counts)."""
    started = time.monotonic()
    result = subprocess.run(
        [PYTHON, "-c", STAGE, preset],
        cwd=ROOT,
        env=base_env(f"sqlite:///{path}"),
        stdout=subprocess.PIPE,
        text=True,
        check=True,
    )
    return time.monotonic() - started, json.loads(result.stdout.strip().splitlines()[-1])


def old_rows(staging_url):
    """The demo campus as rows of the first version's tables."""
    engine = create_engine(staging_url)
    with engine.connect() as connection:

        def rows(name):
            table = db.metadata.tables[name]  # typed columns: datetimes and decimals come back as such
            return [dict(row) for row in connection.execute(select(table).order_by(table.c.id)).mappings()]

        users, acts = rows("users"), rows("activities")
        out = {
            v1.wxuser: [
                {
                    "id": u["id"],
                    "openid": "oBoyaOwner0000000000000001" if u["is_system"] else f"oDemo{u['openid']}",
                    "name": "一苇管理员" if u["is_system"] else u["name"],
                    "avatar": None,
                    "email": u["email"],
                    "sign": u["sign"],
                    "contact": u["contact"],
                    "follow_boya": bool(u["follow_boya"]),
                    "user_portrait": None,
                }
                for u in users
            ],
            v1.block: rows("blocks"),
            v1.category: rows("categories"),
            v1.address: [
                {**a, "longitude": Decimal(str(a["longitude"])), "latitude": Decimal(str(a["latitude"]))}
                for a in rows("addresses")
            ],
            v1.organization: [
                {
                    k: o[k]
                    for k in ("id", "name", "description", "create_time", "avatar", "block_id", "owner_id")
                }
                for o in rows("organizations")
            ],
            v1.activity: [
                {
                    "id": a["id"],
                    "name": a["name"],
                    "begin_time": a["begin_time"],
                    "end_time": a["end_time"],
                    "pub_time": a["pub_time"],
                    "contain": a["contain"],
                    "description": a["description"],
                    "review": bool(a["review"]),
                    "avatar": None,
                    "keywords": None if a["id"] % 100 == 0 else a["keywords"],
                    "block_id": a["block_id"],
                    "location_id": a["address_id"],
                    "org_id": a["org_id"],
                    "owner_id": a["owner_id"],
                    "type_id": a["category_id"],
                }
                for a in acts
            ],
            v1.notification: [
                {k: n[k] for k in ("id", "type", "time", "content", "act_id", "org_id")}
                for n in rows("notices")
            ],
            v1.userfeedback: [],
        }
        pairs = {
            v1.orgmanager: [("org_id", "person_id", r["org_id"], r["user_id"]) for r in rows("org_managers")],
            v1.followedorg: [("org_id", "person_id", r["org_id"], r["user_id"]) for r in rows("follows")],
            v1.joinedact: [
                ("act_id", "person_id", r["act_id"], r["user_id"]) for r in rows("participations")
            ],
        }
        for table, links in pairs.items():
            listed = links + links[::100]  # 1 % twice: the first version's races
            out[table] = [
                {"id": i, left: a, right: b} for i, (left, right, a, b) in enumerate(listed, start=1)
            ]
        comments = rows("comments")
        comments += [{**c, "pub_time": c["pub_time"] - timedelta(days=1)} for c in comments[::100]]
        out[v1.comment] = [
            {
                "id": i,
                "content": c["content"],
                "pub_time": c["pub_time"],
                "score": Decimal("-1.0") if i % 500 == 0 else Decimal(str(c["score"])),
                "act_id": c["act_id"],
                "user_id": c["user_id"],
            }
            for i, c in enumerate(comments, start=1)
        ]
        out[v1.sentnotif] = [
            {
                "id": d["id"],
                "already_read": bool(d["read"]),
                "notif_id": d["notice_id"],
                "person_id": d["user_id"],
            }
            for d in rows("deliveries")
        ]
        out[v1.auth_user] = [
            {
                "id": 1,
                "password": v1.django_hash("bench-admin-password"),
                "last_login": None,
                "is_superuser": True,
                "username": "admin",
                "first_name": "",
                "last_name": "",
                "email": "admin@example.com",
                "is_staff": True,
                "is_active": True,
                "date_joined": acts[0]["pub_time"],
            }
        ]
        out[v1.superadmin] = [{"user_ptr_id": 1, "avatar": None}]
    engine.dispose()
    return out


def fill_old(old, rows):
    started = time.monotonic()
    for table in v1.metadata.sorted_tables:
        part = rows.get(table, [])
        for start in range(0, len(part), CHUNK):
            old.insert(table, part[start : start + CHUNK])
    return time.monotonic() - started


def target(url):
    subprocess.run([PYTHON, "-c", TARGET], cwd=ROOT, env=base_env(url), check=True)


def timed_import(source, url, report):
    started = time.monotonic()
    result = subprocess.run(
        [PYTHON, "manage.py", "import-v1", "--from", source, "--no-progress", "--report", str(report)],
        cwd=ROOT,
        env=base_env(url),
        stdout=subprocess.PIPE,
        text=True,
    )
    seconds = time.monotonic() - started
    body = json.loads(report.read_text())
    if result.returncode not in (0, 1):
        print(result.stdout)
        raise SystemExit(f"import-v1 failed with {result.returncode}")
    return seconds, body


def summary(body):
    tables = body["tables"].values()
    return {key: sum(t[key] for t in tables) for key in ("read", "imported", "merged", "existing", "skipped")}


def count(url, table):
    engine = create_engine(url)
    with engine.connect() as connection:
        value = connection.execute(select(text("count(*)")).select_from(text(table))).scalar()
    engine.dispose()
    return value


def run_backend(name, old, new_url, rows):
    print(f"[{name}] copying the campus into the first version's shape ...", flush=True)
    copy_seconds = fill_old(old, rows)
    target(new_url)
    OUT.mkdir(parents=True, exist_ok=True)
    first, body = timed_import(old.url, new_url, OUT / f"import-v1-{name}-1.json")
    second, again = timed_import(old.url, new_url, OUT / f"import-v1-{name}-2.json")
    figures = {
        "backend": name,
        "copy_seconds": round(copy_seconds, 1),
        "import_seconds": round(first, 1),
        "import_inside_seconds": round(body["seconds"], 1),
        "of_which_reading_seconds": round(body["read_seconds"], 1),
        "rerun_seconds": round(second, 1),
        "first": summary(body),
        "rerun": summary(again),
        "participations": count(new_url, "participations"),
    }
    print(json.dumps(figures), flush=True)
    return figures


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--preset", default="large")
    parser.add_argument(
        "--mariadb-url", help="server URL; databases rs_import_bench_old/_new are (re)created"
    )
    parser.add_argument("--no-sqlite", action="store_true")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="rs-import-bench-"))
    try:
        run_all(args, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run_all(args, folder):
    seconds, counts = stage(args.preset, folder / "demo.db")
    print(f"demo campus ({args.preset}) built in {seconds:.0f} s: {counts}", flush=True)
    rows = old_rows(f"sqlite:///{folder / 'demo.db'}")
    print("old rows: " + ", ".join(f"{t.name} {len(r)}" for t, r in rows.items()), flush=True)
    results = []
    if not args.no_sqlite:
        old = v1.OldDatabase(None, sqlite_path=str(folder / "buaa.db"))
        results.append(run_backend("sqlite", old, f"sqlite:///{folder / 'new.db'}", rows))
        old.drop()
    if args.mariadb_url:
        server = make_url(args.mariadb_url)
        old = v1.OldDatabase(args.mariadb_url, name="rs_import_bench_old")
        admin = create_engine(server.set(database=""))
        with admin.begin() as connection:
            connection.execute(text("DROP DATABASE IF EXISTS rs_import_bench_new"))
            connection.execute(
                text("CREATE DATABASE rs_import_bench_new CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
            )
        new_url = server.set(database="rs_import_bench_new").render_as_string(hide_password=False)
        try:
            results.append(run_backend("mariadb", old, new_url, rows))
        finally:
            old.drop()
            with admin.begin() as connection:
                connection.execute(text("DROP DATABASE IF EXISTS rs_import_bench_new"))
            admin.dispose()
    print(json.dumps(results, indent=2))
    load = os.getloadavg()
    print(f"load average at the end: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")


if __name__ == "__main__":
    main()
