"""The server entry point: REST and Socket.IO in one process (README, "Server modes").

`python wsgi.py` serves on HOST:PORT in the mode SOCKETIO_ASYNC_MODE names:

- `eventlet` (the default): eventlet's WSGI server, the standard library monkey-patched;
- `gevent`: gevent's WSGI server, the standard library monkey-patched before the app is
  imported (Redis, the database driver and Socket.IO's message queue then cooperate);
- `threading`: gunicorn with one `gthread` worker of GUNICORN_THREADS threads, never
  Werkzeug's development server. `gunicorn -k gthread -w 1 --threads 50
  --no-control-socket --limit-request-line 8190 wsgi:app` is the same server started
  by hand.

Imported as a module (`gunicorn wsgi:app`, `flask --app wsgi`, a test) the mode is
`threading`: nothing is monkey-patched there.
"""

import json
import os
import re
import sys
from pathlib import Path

from dotenv import load_dotenv

MODES = ("eventlet", "gevent", "threading")
# The longest request line (method, URL, version) and header line eventlet reads:
# above what the nginx site forwards (8k over HTTP/1.1; over HTTP/2 a field of 8k as
# sent, Huffman-coded, up to ~13 KB), so behind nginx it is nginx that refuses a long
# URL or header, with a JSON body (deploy/nginx-reedsailing.conf). Served directly,
# eventlet answers a longer request line with the API's JSON 414 (set below).
EVENTLET_LINE_LIMIT = 16 * 1024
# gunicorn's (the threading mode) from 4094 to its maximum; gevent keeps its 8 KiB and
# answers the API's JSON 414 too. docs/api.md §1.5 lists what stays non-JSON.
GUNICORN_REQUEST_LINE_LIMIT = 8190

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

try:
    from reedsailing import create_app, warn_about_development_modes
except ValueError as error:  # config.SettingError: a bad value in the environment or .env
    if type(error).__name__ != "SettingError":
        raise
    sys.exit(str(error))
from reedsailing.core.errors import DEFAULT_DETAILS  # noqa: E402
from reedsailing.extensions import socketio  # noqa: E402

app = create_app()
if __name__ != "__main__" and "gunicorn" in sys.modules:  # `gunicorn wsgi:app` by hand
    warn_about_development_modes(app)


def json_refusal(status_line: str, detail: str) -> bytes:
    """A whole HTTP answer with the API's `{"detail": ...}` body, for what a WSGI server
    refuses itself before the app sees the request (a request line that is too long)."""
    body = json.dumps({"detail": detail}, ensure_ascii=False).encode()
    head = f"{status_line}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    return head.encode("ascii") + body


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
    # eventlet answers a request line above url_length_limit itself, with an empty body:
    # give it the API's JSON one; and read header lines as long as request lines (the
    # module reads both globals when it needs them).
    import eventlet.wsgi

    eventlet.wsgi.RESPONSE_414 = json_refusal("HTTP/1.0 414 Request URI Too Long", DEFAULT_DETAILS[414])
    eventlet.wsgi.MAX_HEADER_LINE = EVENTLET_LINE_LIMIT
elif __name__ == "__main__" and os.environ["SOCKETIO_ASYNC_MODE"] == "gevent":
    import gevent

    app.before_request(lambda: gevent.sleep(0))  # the same fairness yield under gevent
    # gevent refuses a request line of 8 KiB or more itself, with an empty body: give it
    # the API's JSON one (pywsgi reads the constant when it answers).
    from gevent import pywsgi

    pywsgi._REQUEST_TOO_LONG_RESPONSE = json_refusal(
        "HTTP/1.1 414 Request URI Too Long", DEFAULT_DETAILS[414]
    )


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
                # not gunicorn's 4094: URLs nginx lets through must reach the app
                "limit_request_line": GUNICORN_REQUEST_LINE_LIMIT,
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
        socketio.run(app, host=host, port=port, log_output=False, url_length_limit=EVENTLET_LINE_LIMIT)


if __name__ == "__main__":
    main()
