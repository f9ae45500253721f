"""The server behind `python wsgi.py`: REST and Socket.IO in one process on HOST:PORT, in
the mode SOCKETIO_ASYNC_MODE names (README, "Server modes"):

- `eventlet` (the default): eventlet's WSGI server, the standard library monkey-patched;
- `gevent`: gevent's WSGI server, the standard library monkey-patched (Redis, the
  database driver and Socket.IO's message queue then cooperate), TCP_NODELAY on its
  listener;
- `threading`: gunicorn with one `gthread` worker of GUNICORN_THREADS threads, never
  Werkzeug's development server. `gunicorn -k gthread -w 1 --threads 50
  --no-control-socket --limit-request-line 8190 wsgi:app` is the same server started
  by hand.

The patching must come before anything imports the app, and importing `reedsailing.serve`
imports the `reedsailing` package first. So `python wsgi.py` runs this file as a script
(`runpy`), and its top level imports nothing but the standard library; `main()` patches,
then imports the app. `wsgi:app` (gunicorn, uwsgi, `flask --app wsgi`, a test) is
`wsgi_app()`: the threading mode, nothing monkey-patched.
"""

import json
import logging
import os
import re
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

log = logging.getLogger("reedsailing.serve")
# The longest request line (method, URL, version) and header line eventlet reads:
# above what the nginx site forwards (8k over HTTP/1.1; over HTTP/2 a field of 8k as
# sent, Huffman-coded, up to ~13 KB), so behind nginx it is nginx that refuses a long
# URL or header, with a JSON body (deploy/nginx-reedsailing.conf). Served directly,
# eventlet answers a longer request line with the API's JSON 414 (set below).
EVENTLET_LINE_LIMIT = 16 * 1024
# gunicorn's (the threading mode) from 4094 to its maximum; gevent keeps its 8 KiB and
# answers the API's JSON 414 too. docs/api.md §1.5 lists what stays non-JSON.
GUNICORN_REQUEST_LINE_LIMIT = 8190
# The API's 414 text (reedsailing.core.errors.DEFAULT_DETAILS[414]); the servers' own
# refusals are written before the app exists.
URL_TOO_LONG = "请求的地址过长。"


def json_refusal(status_line: str, detail: str) -> bytes:
    """A whole HTTP answer with the API's `{"detail": ...}` body, for what a WSGI server
    refuses itself before the app sees the request (a request line that is too long)."""
    body = json.dumps({"detail": detail}, ensure_ascii=False).encode()
    head = (
        f"{status_line}\r\nConnection: close\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("ascii") + body


def read_mode() -> str:
    """SOCKETIO_ASYNC_MODE as config.py reads it; `python wsgi.py` defaults to eventlet."""
    from config import Config, load_env_file  # the standard library and python-dotenv only

    load_env_file()
    os.environ.setdefault("SOCKETIO_ASYNC_MODE", "eventlet")
    return Config.SOCKETIO_ASYNC_MODE


def patch_standard_library(mode: str) -> None:
    """eventlet and gevent replace the blocking parts of the standard library, before the
    app (or anything it imports) is imported."""
    if mode != "threading" and "reedsailing" in sys.modules:
        raise RuntimeError(
            f"the {mode} mode patches before the app is imported: start it with `python wsgi.py`"
        )
    if mode == "eventlet":
        import eventlet

        eventlet.monkey_patch()
    elif mode == "gevent":
        from gevent import monkey

        monkey.patch_all()


def build_app() -> "Flask":
    """create_app(); a bad value in the environment or .env ends the process with the one
    line that names it (config.SettingError), not a traceback."""
    from config import SettingError
    from reedsailing import create_app

    try:
        return create_app()
    except SettingError as error:
        sys.exit(str(error))


def wsgi_app() -> "Flask":
    """`wsgi:app`, for a WSGI server that imports it: the threading mode."""
    os.environ["SOCKETIO_ASYNC_MODE"] = "threading"
    app = build_app()
    if "gunicorn" in sys.modules:  # `gunicorn wsgi:app` by hand
        warn_about_development_modes(app)
    return app


def warn_about_development_modes(app: "Flask") -> None:
    """The development-login banner: only a server prints it, not the CLI."""
    if not app.config.get("WECHAT_APPID") and not app.testing:
        log.warning(
            "WECHAT_APPID is not set: DEVELOPMENT LOGIN MODE, the login code itself is the "
            "openid. Never run a public server like this."
        )


def name_socketio_sessions(flask_app: "Flask", server: Any) -> None:
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


def tune_eventlet(app: "Flask") -> None:
    import socket

    import eventlet

    # Fairness: eventlet keeps serving a keep-alive connection whose next request is
    # already buffered, starving the others (bench: p99 1.4 s at 16 connections).
    # Yielding once per request brings p99 to ~40 ms at the same throughput. Before the
    # view, not at teardown: then the request holds no pooled database connection yet.
    app.before_request(lambda: eventlet.sleep(0))
    # No Nagle: eventlet writes the headers, then a body above its 16 KB write buffer in a
    # second send; Nagle held that body until the client's delayed ACK (~40 ms per request
    # on keep-alive connections, bench/RESULTS.md). Accepted sockets inherit the option.
    listen = eventlet.listen

    def listen_nodelay(*args: Any, **kwargs: Any) -> Any:
        listener = listen(*args, **kwargs)
        listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return listener

    eventlet.listen = listen_nodelay
    # eventlet answers a request line above url_length_limit itself, with an empty body:
    # give it the API's JSON one; and read header lines as long as request lines (the
    # module reads both globals when it needs them).
    import eventlet.wsgi

    eventlet.wsgi.RESPONSE_414 = json_refusal("HTTP/1.0 414 Request URI Too Long", URL_TOO_LONG)
    eventlet.wsgi.MAX_HEADER_LINE = EVENTLET_LINE_LIMIT


def serve_with_gunicorn(app: "Flask", host: str, port: int, threads: int) -> None:
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

        def load(self) -> "Flask":
            return app

    Server().run()


def serve_with_gevent(app: "Flask", host: str, port: int) -> None:
    """The gevent mode: gevent's WSGI server (WebSockets through simple-websocket) on a
    listener with TCP_NODELAY. Without it each answer, written in two parts, waits for
    the client's delayed ACK: a flat ~40 ms per request on keep-alive connections."""
    import socket

    import gevent
    from gevent import pywsgi
    from gevent import socket as gevent_socket

    app.before_request(lambda: gevent.sleep(0))  # the fairness yield of tune_eventlet
    # gevent refuses a request line of 8 KiB or more itself, with an empty body: give it
    # the API's JSON one (pywsgi reads the constant when it answers).
    pywsgi._REQUEST_TOO_LONG_RESPONSE = json_refusal("HTTP/1.1 414 Request URI Too Long", URL_TOO_LONG)
    listener = gevent_socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # inherited by accepted sockets
    listener.bind((host, port))
    listener.listen(1024)
    pywsgi.WSGIServer(listener, app, log=None).serve_forever()


def main() -> None:
    """`python wsgi.py`: read the mode, patch for it, build the app, serve."""
    from config import SettingError

    try:
        mode = read_mode()
    except SettingError as error:
        sys.exit(str(error))
    patch_standard_library(mode)
    app = build_app()

    from reedsailing.extensions import socketio

    name_socketio_sessions(app, socketio.server)
    if mode == "eventlet":
        tune_eventlet(app)
    host, port = app.config["HOST"], app.config["PORT"]
    print(
        f"ReedSailing API ({mode}) on http://{host}:{port}/api/  Swagger UI: http://{host}:{port}/apidocs/",
        flush=True,
    )
    warn_about_development_modes(app)
    if mode == "threading":
        serve_with_gunicorn(app, host, port, app.config["GUNICORN_THREADS"])
    elif mode == "gevent":
        serve_with_gevent(app, host, port)
    else:
        socketio.run(app, host=host, port=port, log_output=False, url_length_limit=EVENTLET_LINE_LIMIT)


if __name__ == "__main__":
    main()
