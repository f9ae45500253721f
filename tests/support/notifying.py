"""Start tests/support/notify_server.py (a real server with a test-only notifying route)."""

import subprocess
import sys
import time

import requests

from .server import ROOT, ServerProcess


class NotifyingServerProcess(ServerProcess):
    """A real server whose app also has the test-only notifying route (tests/support/notify_server.py)."""

    def start(self, timeout=30):
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "tests" / "support" / "notify_server.py")],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.process.stderr.read().decode()[-2000:]}")
            try:
                if requests.get(f"{self.url}/api/health/", timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("server did not become healthy in time")
