"""`python wsgi.py` as bench/realtime.py runs it, with two differences:

- the Socket.IO Redis channel is `BENCH_SOCKETIO_CHANNEL`, so a benchmark never pushes
  into other servers that share the same Redis (pub/sub ignores the database number);
- when no Socket.IO `connect` handler is registered yet (the messages feature is not
  merged), a STAND-IN one authenticates the token and joins `user:<id>`, as
  shared/docs/realtime.md specifies; it says so on stderr. Once the real handler exists
  it is used untouched.
"""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ["SOCKETIO_ASYNC_MODE"] = "eventlet"

import eventlet  # noqa: E402

eventlet.monkey_patch()

from flask import request  # noqa: E402
from flask_socketio import join_room  # noqa: E402

from reedsailing import auth, create_app  # noqa: E402
from reedsailing.extensions import db, socketio  # noqa: E402

app = create_app()
app.before_request(lambda: eventlet.sleep(0))  # as wsgi.py does (fairness)
socketio.server.manager.channel = os.environ.get("BENCH_SOCKETIO_CHANNEL", "flask-socketio")

if "connect" not in socketio.server.handlers.get("/", {}):
    print("realtime_server: no Socket.IO connect handler yet: using the bench STAND-IN", file=sys.stderr)

    @socketio.on("connect")
    def stand_in_connect(data=None):
        token = (data or {}).get("token") or request.args.get("token")
        user = auth.user_from_token(token)
        db.session.remove()
        if user is None:
            return False
        join_room(f"user:{user.id}")
        return True


if __name__ == "__main__":
    socketio.run(app, host=app.config["HOST"], port=app.config["PORT"], allow_unsafe_werkzeug=True, log_output=False)
