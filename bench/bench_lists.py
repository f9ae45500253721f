"""Time the hot activity lists in-process (no server): a block's status partition and
a block search, on `demo-data --preset small` data in a temporary SQLite DB.

    python bench/bench_lists.py [--runs 200]
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select

from config import TestConfig
from reedsailing import create_app
from reedsailing.demo.campus import PRESETS, populate
from reedsailing.extensions import db
from reedsailing.models import Activity, User
from reedsailing.security import auth


def timed(client, method, path, headers, runs, body=None):
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.open(path, method=method, headers=headers, json=body)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.json
    timings.sort()
    return timings, response.json


def dump_only(block_id, runs):
    """The status partition's fetch and dump alone (no HTTP, no JSON encoding)."""
    from reedsailing.activities.answers import ActivityAnswers, activity_rows
    from reedsailing.activities.services.listing import fetch, partition

    statement = activity_rows().where(Activity.block_id == block_id).order_by(Activity.id)
    fetches, dumps = [], []
    for _ in range(runs):
        started = time.perf_counter()
        buckets = partition(fetch(statement))
        fetched = time.perf_counter()
        ActivityAnswers().grouped(buckets)
        fetches.append((fetched - started) * 1000)
        dumps.append((time.perf_counter() - fetched) * 1000)
    return fetches, dumps


def summary(timings):
    timings = sorted(timings)
    p95 = timings[int(0.95 * len(timings)) - 1]
    return f"p50 {statistics.median(timings):.2f} ms, p95 {p95:.2f} ms, min {timings[0]:.2f} ms"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:

        class Config(TestConfig):
            SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp}/bench.db"
            REDIS_URL = None

        app = create_app(Config)
        with app.app_context():
            db.create_all()
            populate(PRESETS["small"])
            db.session.commit()
            block_id, count = db.session.execute(
                select(Activity.block_id, func.count())
                .group_by(Activity.block_id)
                .order_by(func.count().desc())
            ).first()
            user = db.session.scalars(select(User).where(User.is_system.is_(False)).order_by(User.id)).first()
            headers = {"Authorization": f"Bearer {auth.issue_user_token(user)}"}
        client = app.test_client()
        checks = [
            ("GET", f"/api/blocks/activities/status/{block_id}/", None),
            ("POST", f"/api/blocks/activities/search/{block_id}/", {"name": "讲"}),
            ("GET", "/api/activities/?limit=250", None),
        ]
        print(f"block {block_id}: {count} activities; {args.runs} runs each")
        for method, path, body in checks:
            timed(client, method, path, headers, 5, body)  # warm up
            timings, answer = timed(client, method, path, headers, args.runs, body)
            size = sum(len(v) for v in answer.values()) if isinstance(answer, dict) else len(answer)
            print(f"{method} {path}: {size} activities, {summary(timings)}")
        with app.app_context():
            fetches, dumps = dump_only(block_id, args.runs)
        print(
            f"status partition of block {block_id} in-process: fetch {summary(fetches)}; dump {summary(dumps)}"
        )


if __name__ == "__main__":
    main()
