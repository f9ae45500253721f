"""`python wsgi.py` as bench/realtime.py runs it, with one difference: the Socket.IO
Redis channel is `BENCH_SOCKETIO_CHANNEL`, so a benchmark never pushes into other
servers that share the same Redis (pub/sub ignores the database number). The Socket.IO
`connect` handler is the real one (reedsailing/messages/events.py); the stand-in this
file had before the messages feature was merged is gone.
"""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ["SOCKETIO_ASYNC_MODE"] = "eventlet"

import eventlet  # noqa: E402

eventlet.monkey_patch()

from reedsailing import create_app  # noqa: E402
from reedsailing.extensions import socketio  # noqa: E402

app = create_app()
app.before_request(lambda: eventlet.sleep(0))  # as reedsailing/serve.py does (fairness)
socketio.server.manager.channel = os.environ.get("BENCH_SOCKETIO_CHANNEL", "flask-socketio")
assert "connect" in socketio.server.handlers.get("/", {}), "the messages feature's connect handler is missing"

if __name__ == "__main__":
    socketio.run(
        app, host=app.config["HOST"], port=app.config["PORT"], allow_unsafe_werkzeug=True, log_output=False
    )
