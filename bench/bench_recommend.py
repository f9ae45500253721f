"""Time `GET /api/recommended/<uid>/` with 10,000 activities in a temporary SQLite DB.

    python bench/bench_recommend.py [--activities 10000] [--runs 50]

Prints the query count of one call and p50/p95 latency over the runs (in-process
test client, so it measures the application and the database, not the network).
"""

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import event, insert, select

from config import TestConfig
from reedsailing import create_app
from reedsailing.core.timeutil import now
from reedsailing.extensions import db
from reedsailing.models import (
    Activity,
    Address,
    Category,
    Comment,
    Follow,
    Organization,
    OrgManager,
    Participation,
    User,
)
from reedsailing.security import auth
from reedsailing.seed import seed

WORDS = [
    "羽毛球",
    "篮球",
    "足球",
    "讲座",
    "编程",
    "摄影",
    "合唱",
    "话剧",
    "志愿",
    "支教",
    "读书",
    "电影",
    "徒步",
    "桌游",
    "辩论",
    "数学",
    "物理",
    "机器人",
    "创业",
    "音乐",
]


def build(activities, users=2000, orgs=100, rng=random.Random(7)):
    db.session.execute(
        insert(User),
        [{"openid": f"bench-{i}", "name": f"u{i}", "email": f"b{i}@buaa.edu.cn"} for i in range(users)],
    )
    user_ids = list(db.session.scalars(select(User.id).where(User.openid.like("bench-%"))))
    categories = list(db.session.scalars(select(Category.id)))
    db.session.add(Address(name="新主楼", longitude=116.347256, latitude=39.981891))
    db.session.flush()
    address_id = db.session.scalar(select(Address.id))
    db.session.execute(
        insert(Organization),
        [
            {"name": f"组织{i}", "owner_id": user_ids[i], "block_id": rng.choice((1, 3, 4))}
            for i in range(orgs)
        ],
    )
    org_rows = db.session.execute(select(Organization.id, Organization.block_id, Organization.owner_id)).all()
    db.session.execute(insert(OrgManager), [{"org_id": o, "user_id": owner} for o, _, owner in org_rows])
    moment = now()
    rows = []
    for i in range(activities):
        begin = moment + timedelta(hours=rng.randint(-24 * 60, 24 * 60))
        org = rng.choice(org_rows) if rng.random() < 0.6 else None
        rows.append(
            {
                "name": f"活动{i} " + rng.choice(WORDS),
                "begin_time": begin,
                "end_time": begin + timedelta(hours=rng.randint(1, 5)),
                "pub_time": begin - timedelta(days=rng.randint(1, 30)),
                "contain": 100,
                "joined_count": 0,
                "description": " ".join(rng.sample(WORDS, 4)),
                "keywords": " ".join(rng.sample(WORDS, 3)),
                "review": False,
                "owner_id": org[2] if org else rng.choice(user_ids),
                "category_id": rng.choice(categories),
                "org_id": org[0] if org else None,
                "address_id": address_id,
                "block_id": org[1] if org else 5,
            }
        )
    db.session.execute(insert(Activity), rows)
    act_ids = list(db.session.scalars(select(Activity.id)))
    pairs = {(rng.choice(act_ids), rng.choice(user_ids)) for _ in range(30000)}
    db.session.execute(insert(Participation), [{"act_id": a, "user_id": u} for a, u in pairs])
    counts = {}
    for a, _ in pairs:
        counts[a] = counts.get(a, 0) + 1
    db.session.execute(
        Activity.__table__.update()
        .where(Activity.id == db.bindparam("aid"))
        .values(joined_count=db.bindparam("n")),
        [{"aid": a, "n": n} for a, n in counts.items()],
    )
    db.session.execute(
        insert(Comment),
        [
            {"act_id": a, "user_id": u, "content": "不错", "score": rng.choice((0, 3, 4, 4.5, 5))}
            for a, u in list(pairs)[:8000]
        ],
    )
    follows = {(o, rng.choice(user_ids)) for o, _, _ in org_rows for _ in range(20)}
    db.session.execute(insert(Follow), [{"org_id": o, "user_id": u} for o, u in follows])
    db.session.commit()
    # the benchmarked user: the one with the most joins
    return max(user_ids, key=lambda uid: sum(1 for _, u in pairs if u == uid))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--activities", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:

        class Config(TestConfig):
            SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp}/bench.db"
            REDIS_URL = None

        app = create_app(Config)
        with app.app_context():
            db.create_all()
            seed()
            started = time.perf_counter()
            user_id = build(args.activities)
            print(f"built {args.activities} activities in {time.perf_counter() - started:.1f}s")
            token = auth.issue_user_token(db.session.get(User, user_id))
        client = app.test_client()
        path, hdrs = f"/api/recommended/{user_id}/", {"Authorization": f"Bearer {token}"}
        with app.app_context():
            statements = []
            listener = lambda *a: statements.append(a[2])  # noqa: E731
            event.listen(db.engine, "before_cursor_execute", listener)
            response = client.get(path, headers=hdrs)
            event.remove(db.engine, "before_cursor_execute", listener)
        assert response.status_code == 200, response.json
        print(
            f"queries per call: {len([s for s in statements if not s.startswith('PRAGMA')])}; "
            f"acts={len(response.json['acts'])} orgs={len(response.json['orgs'])}"
        )
        timings = []
        for _ in range(args.runs):
            started = time.perf_counter()
            assert client.get(path, headers=hdrs).status_code == 200
            timings.append((time.perf_counter() - started) * 1000)
        timings.sort()
        p95 = timings[max(0, int(round(0.95 * len(timings))) - 1)]
        print(
            f"GET /api/recommended/<uid>/ over {args.runs} runs: p50 {statistics.median(timings):.1f} ms, "
            f"p95 {p95:.1f} ms"
        )


if __name__ == "__main__":
    main()
