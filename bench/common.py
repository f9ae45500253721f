"""Shared by bench/run.py and bench/realtime.py: prepare a demo database, run and stop
real server processes (`python wsgi.py`, eventlet), log demo students in."""

import os
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.support.server import ServerProcess  # noqa: E402  (one launcher for tests and bench)

OUT = ROOT / "bench" / "out"
PYTHON = sys.executable
BENCH_SECRET = "bench-secret-key-not-for-production"

PREPARE = """
import sys
from config import Config
from reedsailing import create_app
from reedsailing.demo.campus import populate
from reedsailing.demo.sizes import PRESETS
from reedsailing.extensions import db
from dataclasses import replace
import json

preset, overrides = sys.argv[1], json.loads(sys.argv[2])
app = create_app()
with app.app_context():
    db.drop_all()
    db.create_all()
    counts = populate(replace(PRESETS[preset], **overrides), show_progress=True)
    db.session.commit()
    print(json.dumps(counts))
"""


def base_env(database_url, **extra):
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": BENCH_SECRET,
        "RATELIMIT_ENABLED": "false",
        "LOG_LEVEL": "WARNING",
        "WECHAT_APPID": "",  # development login mode: the code is the openid (demo-<n>)
        "ALLOW_DEV_LOGIN": "true",  # ... which a MariaDB server refuses unless told
        "MAIL_SERVER": "",
        **extra,
    }
    if "REDIS_URL" not in extra:  # REST needs no Redis; a stray one from the shell would be used
        env.pop("REDIS_URL", None)
    return env


def prepare_database(database_url, preset="small", overrides=None):
    """Drop and recreate every table of `database_url`, then fill it with demo data."""
    import json

    started = time.monotonic()
    result = subprocess.run(
        [PYTHON, "-c", PREPARE, preset, json.dumps(overrides or {})],
        cwd=ROOT,
        env=base_env(database_url),
        stdout=subprocess.PIPE,
        text=True,
        check=True,
    )
    counts = json.loads(result.stdout.strip().splitlines()[-1])
    return counts, time.monotonic() - started


class Server(ServerProcess):
    """One `python wsgi.py` process on a free loopback port, logging to bench/out/."""

    def __init__(self, env, script="wsgi.py", mode="eventlet"):
        OUT.mkdir(parents=True, exist_ok=True)
        self.log_path = OUT / f"server-{time.time_ns()}.log"
        super().__init__(env, log=open(self.log_path, "w+b"))  # noqa: SIM115 - closed with the process
        # The server mode (README "Server modes"): eventlet, gevent or threading (gunicorn gthread)
        self.env = {**env, "HOST": "127.0.0.1", "PORT": str(self.port), "SOCKETIO_ASYNC_MODE": mode}
        self.script = ROOT / script

    def cpu_seconds(self):
        """User + system CPU time the server process has used so far (/proc/<pid>/stat)."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_mb(self):
        """Resident memory of the server process (VmRSS), in MB."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return None


def login(base_url, n):
    """Log demo student n in (development login mode): (user id, token)."""
    response = requests.post(f"{base_url}/api/userLogin/", json={"code": f"demo-{n}"}, timeout=10)
    response.raise_for_status()
    body = response.json()
    return body["id"], body["token"]
