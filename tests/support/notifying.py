"""Start tests/support/notify_server.py (a real server with a test-only notifying route)."""

from tests.support.server import ROOT, ServerProcess


class NotifyingServerProcess(ServerProcess):
    """A real server whose app also has the test-only notifying route (tests/support/notify_server.py)."""

    script = ROOT / "tests" / "support" / "notify_server.py"
