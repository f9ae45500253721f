"""A real ReedSailing server (like `python wsgi.py`; eventlet unless SOCKETIO_ASYNC_MODE
says otherwise) plus ONE test-only route,
`POST /api/test-only/notify/ {"users": [ids], "act": id}`, that tells those users
something the way a feature route does (notify + commit, answering `__receivers__`).

Used by the multi-process tests only; the route exists nowhere else. Started by
`NotifyingServerProcess`, which runs this file instead of wsgi.py.
"""

import os
import sys
from pathlib import Path

os.environ.setdefault("SOCKETIO_ASYNC_MODE", "eventlet")
if os.environ["SOCKETIO_ASYNC_MODE"] == "eventlet":
    import eventlet

    eventlet.monkey_patch()
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from reedsailing import create_app
from reedsailing.core.http import json_body
from reedsailing.extensions import db, socketio
from reedsailing.messages import texts
from reedsailing.messages.services import notify
from reedsailing.models import Activity

app = create_app()


@app.post("/api/test-only/notify/")
def test_only_notify():
    data = json_body()
    activity = db.session.get(Activity, int(data["act"]))
    notify(texts.ACT_CONTENT, data["users"], activity=activity)
    db.session.commit()
    return {"__receivers__": data["users"]}


if __name__ == "__main__":
    socketio.run(
        app, host=app.config["HOST"], port=app.config["PORT"], allow_unsafe_werkzeug=True, log_output=False
    )
