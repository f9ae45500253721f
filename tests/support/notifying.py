"""Start tests/support/notify_server.py (a real server with a test-only notifying route);
notify from a process that is no server; wait for what a python-socketio client receives."""

import threading

from tests.support.server import ROOT, ServerProcess


class NotifyingServerProcess(ServerProcess):
    """A real server whose app also has the test-only notifying route (tests/support/notify_server.py)."""

    script = ROOT / "tests" / "support" / "notify_server.py"


WAIT_SECONDS = 10

# What the scheduler does: its own app (REDIS_URL from the environment), notify, commit.
NON_SERVER_SCRIPT = """
import sys
from reedsailing import create_app
from reedsailing.extensions import db
from reedsailing.messages import texts
from reedsailing.messages.services import notify
from reedsailing.models import Activity

app = create_app()
with app.app_context():
    assert app.config["REDIS_URL"]
    notify(texts.ACT_STARTING, [int(sys.argv[1])], activity=db.session.get(Activity, int(sys.argv[2])))
    db.session.commit()
"""


class Inbox:
    """What one python-socketio client received, with a bounded wait."""

    def __init__(self):
        self.events = []
        self.changed = threading.Condition()

    def add(self, name, payload):
        with self.changed:
            self.events.append((name, payload))
            self.changed.notify_all()

    def wait_for(self, predicate, timeout=WAIT_SECONDS):
        with self.changed:
            self.changed.wait_for(lambda: any(predicate(n, p) for n, p in self.events), timeout=timeout)
            return [(n, p) for n, p in self.events if predicate(n, p)]
