"""Start real server processes (`python wsgi.py`) for tests that need more than the
in-process test client: concurrency, several processes sharing Redis."""

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from tests.support.smtp_sink import free_port

ROOT = Path(__file__).resolve().parents[2]


class ServerProcess:
    script = ROOT / "wsgi.py"  # what `python <script>` serves

    def __init__(self, env_overrides, async_mode="eventlet", log=None):
        self.port = free_port()
        self.env = {
            **os.environ,
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
            "SOCKETIO_ASYNC_MODE": async_mode,
            "LOG_LEVEL": "WARNING",
            "RATELIMIT_ENABLED": "false",
            # Development login on MariaDB (the CI pass) must be allowed explicitly.
            "ALLOW_DEV_LOGIN": "true",
            **env_overrides,
        }
        self.process = None
        self.log = log or tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the server

    def log_tail(self, size=2000):
        """The end of what the server wrote to stderr."""
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-size:]

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout=30):
        self.process = subprocess.Popen(
            [sys.executable, str(self.script)],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            # A file, not a pipe: nobody reads a pipe while the server runs, and once its
            # buffer is full every log write blocks, and with it whatever the writer holds
            # (a database row lock included).
            stderr=self.log,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.log_tail()}")
            try:
                if requests.get(f"{self.url}/api/health/", timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("server did not become healthy in time")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
