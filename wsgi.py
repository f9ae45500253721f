"""The server entry point: REST and Socket.IO in one process (README, "Server modes").

`python wsgi.py` serves on HOST:PORT in the mode SOCKETIO_ASYNC_MODE names:

- `eventlet` (the default): eventlet's WSGI server, the standard library monkey-patched;
- `gevent`: gevent's WSGI server, the standard library monkey-patched before the app is
  imported (Redis, the database driver and Socket.IO's message queue then cooperate);
- `threading`: gunicorn with one `gthread` worker of GUNICORN_THREADS threads, never
  Werkzeug's development server. `gunicorn -k gthread -w 1 --threads 50
  --no-control-socket wsgi:app` is the same server started by hand.

Imported as a module (`gunicorn wsgi:app`, `flask --app wsgi`, a test) the mode is
`threading`: nothing is monkey-patched there.
"""

import os
import re
import sys
from pathlib import Path

from dotenv import load_dotenv

MODES = ("eventlet", "gevent", "threading")

load_dotenv(Path(__file__).resolve().parent / ".env")
if __name__ == "__main__":
    os.environ.setdefault("SOCKETIO_ASYNC_MODE", "eventlet")
    if os.environ["SOCKETIO_ASYNC_MODE"] not in MODES:
        sys.exit(
            f"setting SOCKETIO_ASYNC_MODE={os.environ['SOCKETIO_ASYNC_MODE']!r} is not one of {', '.join(MODES)}"
        )
    if os.environ["SOCKETIO_ASYNC_MODE"] == "eventlet":
        import eventlet

        eventlet.monkey_patch()
    elif os.environ["SOCKETIO_ASYNC_MODE"] == "gevent":
        from gevent import monkey

        monkey.patch_all()
else:
    os.environ["SOCKETIO_ASYNC_MODE"] = "threading"

from config import SettingError  # noqa: E402
from reedsailing import create_app, warn_about_development_modes  # noqa: E402
from reedsailing.extensions import socketio  # noqa: E402

try:
    app = create_app()
except SettingError as error:  # a bad value in the environment or .env: its one line
    sys.exit(str(error))
if __name__ != "__main__" and "gunicorn" in sys.modules:  # `gunicorn wsgi:app` by hand
    warn_about_development_modes(app)


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
elif __name__ == "__main__" and os.environ["SOCKETIO_ASYNC_MODE"] == "gevent":
    import gevent

    app.before_request(lambda: gevent.sleep(0))  # the same fairness yield under gevent


def serve_with_gunicorn(host: str, port: int, threads: int) -> None:
    """The threading mode: gunicorn's gthread worker, one process (Socket.IO's long-polling
    needs every request of a session in the same process)."""
    from gunicorn.app.base import BaseApplication

    class Server(BaseApplication):
        def load_config(self) -> None:
            for key, value in {
                "bind": f"{host}:{port}",
                "worker_class": "gthread",
                "workers": 1,
                "threads": threads,
                "timeout": 120,
                "graceful_timeout": 10,
                "keepalive": 5,
                "accesslog": None,  # our own access log line (reedsailing.ops.observability)
                # gunicorn 27's control socket sits at one fixed path per user: two
                # instances (reedsailing-web@8001, @8002) would fight over it.
                "control_socket_disable": True,
            }.items():
                self.cfg.set(key, value)

        def load(self):
            return app

    Server().run()


def serve_with_gevent(host: str, port: int) -> None:
    """The gevent mode: gevent's WSGI server (WebSockets through simple-websocket) on a
    listener with TCP_NODELAY. Without it each answer, written in two parts, waits for
    the client's delayed ACK: a flat ~40 ms per request on keep-alive connections."""
    import socket

    from gevent import pywsgi
    from gevent import socket as gevent_socket

    listener = gevent_socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # inherited by accepted sockets
    listener.bind((host, port))
    listener.listen(1024)
    pywsgi.WSGIServer(listener, app, log=None).serve_forever()


def main() -> None:
    host, port = app.config["HOST"], app.config["PORT"]
    mode = os.environ["SOCKETIO_ASYNC_MODE"]
    print(
        f"ReedSailing API ({mode}) on http://{host}:{port}/api/  Swagger UI: http://{host}:{port}/apidocs/",
        flush=True,
    )
    warn_about_development_modes(app)
    if mode == "threading":
        serve_with_gunicorn(host, port, app.config["GUNICORN_THREADS"])
    elif mode == "gevent":
        serve_with_gevent(host, port)
    else:
        socketio.run(app, host=host, port=port, log_output=False)


if __name__ == "__main__":
    main()
