"""Socket.IO handlers (docs/realtime.md).

A client connects with `auth={"token": ...}` (or `?token=`), joins the room
`user:<id>` and nothing else, and receives `notifications` (its whole unread list).
Live pushes (`notification`) come from `services.push()` after a commit, from any
process when Redis is the message queue.

`before_request` hooks and Flask's request teardown do not run for socket events, so
every handler runs inside its own app context (`_own_context`): its database session
is a fresh one and is removed when the event ends, whatever happens.
"""

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import current_app, request, session
from flask_socketio import ConnectionRefusedError, emit, join_room

from reedsailing.core.db import unit_of_work
from reedsailing.core.fields import MAX_ID
from reedsailing.extensions import socketio
from reedsailing.messages.schemas import MAX_READ_IDS
from reedsailing.messages.services import mark_read, room_of, unread_notices
from reedsailing.ops.observability import SOCKETIO_CONNECTIONS, SOCKETIO_CONNECTS
from reedsailing.security.auth import user_from_token

log = logging.getLogger(__name__)
SESSION_KEY = "reedsailing.socket_user"


def _own_context(handler: Callable[..., Any]) -> Callable[..., Any]:
    """Each event in an app context of its own, as one unit of work (like a request)."""

    @wraps(handler)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with current_app.app_context(), unit_of_work():
            return handler(*args, **kwargs)

    return wrapper


def _token_from(auth: Any) -> str | None:
    token = auth.get("token") if isinstance(auth, dict) else None
    if token is None:
        token = request.args.get("token")
    return token if isinstance(token, str) and token else None


@socketio.on("connect")
@_own_context
def on_connect(auth: Any = None) -> None:
    token = _token_from(auth)
    if token is None:
        raise ConnectionRefusedError("缺少token。")
    user = user_from_token(token)  # None for forged, expired or deleted
    if user is None:
        raise ConnectionRefusedError("非法token")
    session[SESSION_KEY] = user.id
    join_room(room_of(user.id))
    SOCKETIO_CONNECTS.inc()
    SOCKETIO_CONNECTIONS.inc()
    emit("notifications", unread_notices(user.id))


@socketio.on("disconnect")
def on_disconnect(*_: Any) -> None:
    if session.get(SESSION_KEY) is not None:  # only the accepted ones were counted
        SOCKETIO_CONNECTIONS.dec()


def _caller_id() -> int | None:
    return session.get(SESSION_KEY)


def _valid_ids(data: Any) -> list[int] | str:
    """The notice ids of a `read` payload, or an error text for the ack."""
    if not isinstance(data, dict):
        return '参数必须是 JSON 对象，如 {"ids": [1, 2]}。'
    ids = data.get("ids")
    if not isinstance(ids, list):
        return "ids 必须是整数列表。"
    if len(ids) > MAX_READ_IDS:
        return f"ids 最多 {MAX_READ_IDS} 个。"
    if not all(type(i) is int and 1 <= i <= MAX_ID for i in ids):
        return "ids 必须是整数列表。"
    return ids


@socketio.on("read")
@_own_context
def on_read(data: Any = None) -> dict[str, Any] | None:
    user_id = _caller_id()
    if user_id is None:  # not reachable through a refused connect; defensive
        return {"error": "未认证。"}
    ids = _valid_ids(data)
    if isinstance(ids, str):
        return {"error": ids}
    return {"read": mark_read(user_id, ids)}


@socketio.on("sync")
@_own_context
def on_sync(*_: Any) -> None:
    user_id = _caller_id()
    if user_id is None:
        return
    emit("notifications", unread_notices(user_id))


@socketio.on_error_default
def on_error(error: Exception) -> dict[str, str]:
    """Log any handler failure; the client's ack (if it asked for one) gets an error."""
    event = getattr(request, "event", None) or {}
    log.exception("socket event %r of sid %s failed", event.get("message"), getattr(request, "sid", None))
    return {"error": "服务器内部错误。"}
