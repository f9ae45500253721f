"""The server entry point: REST and Socket.IO in one process.

`python wsgi.py` serves on HOST:PORT. Only this file imports eventlet, and only when
SOCKETIO_ASYNC_MODE is `eventlet` (the default here); set it to `threading` (or
`gevent`, after installing it) to switch without touching the code.
"""

import os
import re
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


def name_socketio_sessions(flask_app, server):
    """Start every Engine.IO session id with this process's name, "<node>.<random id>".

    Long-polling clients send `?sid=` with every request after the handshake; the nginx
    site routes on that prefix to the process that holds the session (no cookie, no
    client address: it holds behind a campus NAT). SOCKETIO_NODE, else the port.
    """
    node = flask_app.config.get("SOCKETIO_NODE") or str(flask_app.config["PORT"])
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,32}", node):
        raise ValueError(f"SOCKETIO_NODE must be 1-32 letters, digits, '-' or '_', not {node!r}")
    engine = server.eio
    random_id = engine.generate_id
    engine.generate_id = lambda: f"{node}.{random_id()}"


if __name__ == "__main__":
    name_socketio_sessions(app, socketio.server)

if __name__ == "__main__" and os.environ["SOCKETIO_ASYNC_MODE"] == "eventlet":
    # Fairness: eventlet keeps serving a keep-alive connection whose next request is
    # already buffered, starving the others (bench: p99 1.4 s at 16 connections).
    # Yielding once per request brings p99 to ~40 ms at the same throughput. Before the
    # view, not at teardown: then the request holds no pooled database connection yet.
    app.before_request(lambda: eventlet.sleep(0))

    # No Nagle: eventlet writes the headers, then a body above its 16 KB write buffer in a
    # second send; Nagle held that body until the client's delayed ACK (~40 ms per request
    # on keep-alive connections, bench/RESULTS.md). Accepted sockets inherit the option.
    _listen = eventlet.listen

    def _listen_nodelay(*args, **kwargs):
        import socket

        listener = _listen(*args, **kwargs)
        listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return listener

    eventlet.listen = _listen_nodelay


def main():
    host, port = app.config["HOST"], app.config["PORT"]
    print(f"ReedSailing API on http://{host}:{port}/api/  Swagger UI: http://{host}:{port}/apidocs/")
    socketio.run(app, host=host, port=port, allow_unsafe_werkzeug=True, log_output=False)


if __name__ == "__main__":
    main()
