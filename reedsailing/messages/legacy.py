"""The first mini-program's plain WebSocket at `/ws/link/<uid>/` (docs/realtime.md).

A migration aid, off unless LEGACY_WS_ENABLED: the app already in students' hands
keeps its red dot. Its protocol authenticates NOBODY: whoever opens
`/ws/link/5/` receives user 5's unread notices. That is the protocol of the released
app, which sends no token; the Socket.IO endpoint is the secure one.

Every frame we send is a JSON array of ALL the user's unread notices (the app replaces
its list with it): on connect, after every notice committed for that user, and when a
client relays a JSON array of user ids (the app's `__receivers__`). Non-JSON text (the
app's greeting) and anything else is ignored.

The socket is served by a small WSGI middleware around the app with simple-websocket,
which takes the raw socket from Werkzeug (threading mode, tests) or eventlet
(production, `python wsgi.py`). With REDIS_URL the pushes travel over the Redis
channel `<SOCKETIO_CHANNEL>:legacy`, so any process (server, scheduler, CLI) reaches
legacy sockets held by any server process; without it, only the local process.
"""

import contextlib
import json
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, current_app
from simple_websocket import ConnectionClosed, Server
from sqlalchemy import select

from reedsailing.core.fields import MAX_ID
from reedsailing.core.redis import redis_client
from reedsailing.core.schemas import notice_schema
from reedsailing.extensions import db, socketio
from reedsailing.models import Delivery, Notice

log = logging.getLogger(__name__)
PATH = re.compile(r"^/ws/link/(\d{1,10})/?$")
EXTENSION_KEY = "reedsailing.legacy_ws"
MAX_RELAY_IDS = 100
MAX_FRAME_BYTES = 64 * 1024
PING_SECONDS = 25


def init_app(app: Flask) -> None:
    """Install the bridge when LEGACY_WS_ENABLED (call after socketio.init_app)."""
    if not app.config.get("LEGACY_WS_ENABLED"):
        return
    hub = Hub(app)
    app.extensions[EXTENSION_KEY] = hub
    app.wsgi_app = LegacyWebSocketMiddleware(app.wsgi_app, hub)  # type: ignore[method-assign]
    log.warning(
        "LEGACY_WS_ENABLED: /ws/link/<uid>/ is open WITHOUT authentication (anyone can read "
        "any user's unread notices). Turn it off once the old mini-program is retired."
    )


def announce(user_ids: Iterable[int]) -> None:
    """After a commit: tell the legacy sockets of `user_ids` (in any process) to refresh."""
    hub = current_app.extensions.get(EXTENSION_KEY)
    if hub is None:
        return
    hub.announce(user_ids)


def unread_lists(user_ids: Iterable[int]) -> dict[int, list[dict[str, Any]]]:
    """{user_id: [unread notices, newest first]} for several users in one query."""
    lists: dict[int, list[dict[str, Any]]] = {uid: [] for uid in user_ids}
    if not lists:
        return lists
    rows = db.session.execute(
        select(Delivery.user_id, Notice)
        .join(Notice, Notice.id == Delivery.notice_id)
        .where(Delivery.user_id.in_(sorted(lists)), Delivery.read.is_(False))
        .order_by(Notice.id.desc())
    )
    for user_id, notice in rows:
        lists[user_id].append(notice_schema.dump(notice))
    return lists


class Connection:
    """One legacy socket; sends are serialized (pushes come from several threads)."""

    def __init__(self, ws: Server) -> None:
        self.ws = ws
        self.lock = threading.Lock()

    def send(self, text: str) -> None:
        with self.lock:
            try:
                self.ws.send(text)
            except ConnectionClosed:
                pass
            except Exception:  # a dying socket must not stop the pushes to others
                log.exception("legacy websocket send failed")


class Hub:
    """The legacy sockets of this process, by user id, and the Redis fan-in."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.lock = threading.Lock()
        self.sockets: dict[int, set[Connection]] = {}
        self.listening = False
        self.redis_url = app.config.get("REDIS_URL")
        self.channel = f"{app.config['SOCKETIO_CHANNEL']}:legacy"

    def add(self, user_id: int, connection: Connection) -> None:
        with self.lock:
            self.sockets.setdefault(user_id, set()).add(connection)
        if self.redis_url:
            self._listen_once()

    def remove(self, user_id: int, connection: Connection) -> None:
        with self.lock:
            connections = self.sockets.get(user_id)
            if connections is not None:
                connections.discard(connection)
                if not connections:
                    del self.sockets[user_id]

    def announce(self, user_ids: Iterable[int]) -> None:
        ids = sorted({int(uid) for uid in user_ids})
        if not ids:
            return
        if not self.redis_url:
            self.push_local(ids)
            return
        try:
            self._redis().publish(self.channel, json.dumps(ids))
        except Exception:  # the notices are stored; the app gets them on its next connect
            log.exception("legacy websocket announce for %d users failed", len(ids))

    def push_local(self, user_ids: Iterable[int]) -> None:
        """Send the full unread list to each of `user_ids` connected to this process."""
        with self.lock:
            targets = {uid: list(self.sockets[uid]) for uid in set(user_ids) if uid in self.sockets}
        if not targets:
            return
        try:
            with self.app.app_context():
                lists = unread_lists(list(targets))
        except Exception:
            log.exception("legacy websocket push to users %s failed", sorted(targets))
            return
        for uid, connections in targets.items():
            text = json.dumps(lists[uid], ensure_ascii=False)
            for connection in connections:
                connection.send(text)

    def _listen_once(self) -> None:
        """Subscribe to the Redis channel (once per process), then listen in the background.

        The subscription is made before the first socket gets its initial list, so no
        announce falls between the two.
        """
        with self.lock:
            if self.listening:
                return
            self.listening = True
        try:
            pubsub = self._subscribe()
        except Exception:
            log.exception("legacy websocket: cannot subscribe to Redis; local pushes only for now")
            with self.lock:
                self.listening = False
            return
        socketio.start_background_task(self._listen, pubsub)

    def _redis(self) -> Any:
        """The process's bytes client of REDIS_URL (core/redis.py), shared by its hubs."""
        client = redis_client(self.app.config, decode=False)
        if client is None:
            raise RuntimeError("REDIS_URL is not set")
        return client

    def _subscribe(self) -> Any:
        pubsub = self._redis().pubsub(ignore_subscribe_messages=True)
        pubsub.subscribe(self.channel)
        return pubsub

    def _listen(self, pubsub: Any) -> None:
        while True:
            try:
                for message in pubsub.listen():
                    try:
                        ids = [int(uid) for uid in json.loads(message["data"])]
                    except (ValueError, TypeError):
                        continue
                    self.push_local(ids)
            except Exception:
                log.exception("legacy websocket Redis listener failed; resubscribing")
                time.sleep(1)
                try:
                    pubsub = self._subscribe()
                except Exception:
                    log.exception("legacy websocket: Redis resubscribe failed")

    def serve(self, ws: Server, user_id: int) -> None:
        """The life of one legacy socket: full list on connect, then relay frames."""
        connection = Connection(ws)
        self.add(user_id, connection)
        try:
            self.push_local([user_id])
            while True:
                text = ws.receive()
                if text is not None:
                    self._relay(text)
        except ConnectionClosed:
            pass
        finally:
            self.remove(user_id, connection)

    def _relay(self, text: str) -> None:
        """A JSON array of user ids from the app: refresh those users. Anything else: ignore."""
        try:
            ids = json.loads(text)
        except (ValueError, TypeError):
            log.debug("legacy websocket: ignoring a non-JSON frame")
            return
        if not isinstance(ids, list) or not all(type(i) is int and 1 <= i <= MAX_ID for i in ids):
            log.info("legacy websocket: ignoring a frame that is not a list of user ids")
            return
        self.announce(ids[:MAX_RELAY_IDS])


class LegacyWebSocketMiddleware:
    """Serves `/ws/link/<uid>/` WebSocket upgrades; everything else goes to the app."""

    def __init__(self, wsgi_app: Callable[..., Any], hub: Hub) -> None:
        self.wsgi_app = wsgi_app
        self.hub = hub

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        match = PATH.match(environ.get("PATH_INFO", ""))
        if match is None:
            return self.wsgi_app(environ, start_response)
        user_id = int(match.group(1))
        if environ.get("HTTP_UPGRADE", "").lower() != "websocket" or not 1 <= user_id <= MAX_ID:
            start_response("400 Bad Request", [("Content-Type", "application/json")])
            return [json.dumps({"detail": "需要 WebSocket 连接。"}, ensure_ascii=False).encode()]
        try:
            ws = Server(environ, ping_interval=PING_SECONDS, max_message_size=MAX_FRAME_BYTES)
        except Exception:
            log.exception("legacy websocket handshake failed")
            start_response("400 Bad Request", [("Content-Type", "application/json")])
            return [json.dumps({"detail": "WebSocket 握手失败。"}, ensure_ascii=False).encode()]
        try:
            self.hub.serve(ws, user_id)
        finally:
            with contextlib.suppress(Exception):
                ws.close()
        return _finished(ws.mode)


def _finished(mode: str) -> list[bytes]:
    """End the WSGI call without writing an HTTP response on the socket we took over."""
    if mode == "eventlet":
        from eventlet.wsgi import WSGI_LOCAL

        WSGI_LOCAL.already_handled = True
        return []
    if mode == "werkzeug":
        # Werkzeug treats a ConnectionError as "client went away" and writes nothing.
        raise ConnectionError("legacy websocket closed")
    return []
