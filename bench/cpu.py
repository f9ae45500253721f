"""CPU time per request of the main reads, measured in-process (no server, no network).

Why next to `bench/run.py`: load figures move with whatever else the machine runs;
the process CPU time one request costs hardly does. This compares two commits (or two
settings) fairly on a busy machine, e.g. before and after a refactor:

    python bench/cpu.py --preset small --requests 200
    git worktree add /tmp/old <commit> && cp bench/cpu.py /tmp/old/bench/ \\
        && (cd /tmp/old && ../path/.venv/bin/python bench/cpu.py)

It builds the demo campus in a temporary SQLite file, logs demo students in through
the development login, and for each endpoint runs `--requests` requests after a
warm-up, reporting the median and the mean CPU milliseconds per request.
"""

import argparse
import json
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from config import Config  # noqa: E402
from reedsailing import create_app  # noqa: E402
from reedsailing.extensions import db  # noqa: E402

try:  # the layout since the redesign
    from reedsailing.demo.campus import populate
    from reedsailing.demo.sizes import PRESETS
except ImportError:  # older commits, for comparisons
    from reedsailing.demo import PRESETS, populate  # type: ignore[no-redef]


def build_app(database_path: Path):
    class BenchConfig(Config):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{database_path}"
        SECRET_KEY = "bench-cpu-not-secret"
        WECHAT_APPID = ""
        REDIS_URL = None
        RATELIMIT_ENABLED = False
        MAIL_SERVER = ""
        LOG_LEVEL = "WARNING"

    return create_app(BenchConfig)


def pick(database_path: Path):
    """The ids worth reading, picked as bench/run.py picks them."""
    from run import pick_targets  # bench/run.py

    targets = pick_targets(f"sqlite:///{database_path}")
    return targets["detail_act"], targets["org"], targets["comments_act"]


def endpoints(detail, org, commented, uid):
    search = json.dumps({"name": "讲座"}, ensure_ascii=False)
    return {
        "user profile": ("GET", f"/api/users/{uid}/", None),
        "activity detail": ("GET", f"/api/activities/{detail}/", None),
        "block 1 status": ("GET", "/api/blocks/activities/status/1/", None),
        "org status": ("GET", f"/api/organizations/activities/status/{org}/", None),
        "search 讲座": ("POST", "/api/activities/search/", search),
        "recommendations": ("GET", f"/api/recommended/{uid}/", None),
        "comments": ("GET", f"/api/activities/{commented}/comments/", None),
    }


def measure(client, headers, method, path, body, requests, warmup):
    for _ in range(warmup):
        response = client.open(path, method=method, data=body, headers=headers)
        assert response.status_code == 200, (path, response.status_code, response.get_data()[:200])
    samples = []
    for _ in range(requests):
        started = time.process_time()
        client.open(path, method=method, data=body, headers=headers)
        samples.append((time.process_time() - started) * 1000)
    return statistics.median(samples), statistics.fmean(samples)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="small", choices=sorted(PRESETS))
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--only", default="", help="comma-separated endpoint names")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        database = Path(folder) / "bench.db"
        app = build_app(database)
        with app.app_context():
            db.create_all()
            populate(replace(PRESETS[args.preset]))
            db.session.commit()
        detail, org, commented = pick(database)
        client = app.test_client()
        login = client.post("/api/userLogin/", json={"code": "demo-1"}).get_json()
        headers = {"Authorization": f"Bearer {login['token']}", "Content-Type": "application/json"}
        wanted = {name.strip() for name in args.only.split(",") if name.strip()}
        print(f"{'endpoint':<18} {'median ms':>10} {'mean ms':>9}   (CPU per request, preset {args.preset})")
        for name, (method, path, body) in endpoints(detail, org, commented, login["id"]).items():
            if wanted and name not in wanted:
                continue
            median, mean = measure(client, headers, method, path, body, args.requests, args.warmup)
            print(f"{name:<18} {median:>10.2f} {mean:>9.2f}")


if __name__ == "__main__":
    main()
