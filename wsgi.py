"""The server entry point: REST and Socket.IO in one process.

`python wsgi.py` serves on HOST:PORT. Only this file imports eventlet, and only when
SOCKETIO_ASYNC_MODE is `eventlet` (the default here); set it to `threading` (or
`gevent`, after installing it) to switch without touching the code.
"""

import os
from pathlib import Path

from dotenv import load_dotenv

load_dotenv(Path(__file__).resolve().parent / ".env")
if __name__ == "__main__":
    os.environ.setdefault("SOCKETIO_ASYNC_MODE", "eventlet")
    if os.environ["SOCKETIO_ASYNC_MODE"] == "eventlet":
        import eventlet

        eventlet.monkey_patch()
else:
    # Imported by `flask --app wsgi` or a test: nothing is monkey-patched there.
    os.environ["SOCKETIO_ASYNC_MODE"] = "threading"

from reedsailing import create_app  # noqa: E402
from reedsailing.extensions import socketio  # noqa: E402

app = create_app()

if __name__ == "__main__" and os.environ["SOCKETIO_ASYNC_MODE"] == "eventlet":
    # Fairness: eventlet keeps serving a keep-alive connection whose next request is
    # already buffered, starving the others (bench: p99 1.4 s at 16 connections).
    # Yielding once per request brings p99 to ~40 ms at the same throughput. Before the
    # view, not at teardown: then the request holds no pooled database connection yet.
    app.before_request(lambda: eventlet.sleep(0))


def main():
    host, port = app.config["HOST"], app.config["PORT"]
    print(f"ReedSailing API on http://{host}:{port}/api/  Swagger UI: http://{host}:{port}/apidocs/")
    socketio.run(app, host=host, port=port, allow_unsafe_werkzeug=True, log_output=False)


if __name__ == "__main__":
    main()
