"""Small shared values with an expiry, readable by every process: Redis when
`REDIS_URL` is set, otherwise the `key_values` table. Holds the WeChat access token
and the scheduler's job locks."""

import os
import socket
import uuid
from datetime import timedelta
from typing import TYPE_CHECKING, Any, cast

from flask import current_app
from sqlalchemy import CursorResult, delete, insert, update
from sqlalchemy.exc import IntegrityError

from reedsailing.core.db import separate_transaction
from reedsailing.core.redis import redis_client as shared_redis_client
from reedsailing.core.timeutil import now
from reedsailing.extensions import db
from reedsailing.models import KeyValue

if TYPE_CHECKING:
    import redis


def redis_client() -> "redis.Redis | None":
    """The shared (str) Redis client of the app's REDIS_URL, or None when it is not set."""
    return shared_redis_client(current_app.config)


def get_value(key: str) -> str | None:
    client = redis_client()
    if client is not None:
        return cast(str | None, client.get(key))  # decode_responses: str
    row = db.session.get(KeyValue, key)
    if row is None or (row.expires_at is not None and row.expires_at <= now()):
        return None
    return row.value


def set_value(key: str, value: str, ttl_seconds: int | None = None) -> None:
    client = redis_client()
    if client is not None:
        client.set(key, value, ex=ttl_seconds)
        return
    expires = now() + timedelta(seconds=ttl_seconds) if ttl_seconds else None
    row = db.session.get(KeyValue, key)
    if row is None:
        db.session.add(KeyValue(key=key, value=value, expires_at=expires))
    else:
        row.value, row.expires_at = value, expires
    db.session.flush()  # the caller's boundary commits it


def lock_owner() -> str:
    """A name for a lock holder, unique to this process and call: host:pid:random."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def acquire_lock(name: str, owner: str, ttl_seconds: int) -> bool:
    """Take (or renew, for the same owner) the lock `name` for `ttl_seconds`.

    True when `owner` holds it afterwards. Two processes racing get one winner: Redis
    `SET NX`, or the table's primary key plus a conditional UPDATE of an expired row.
    """
    key = f"lock:{name}"
    client = redis_client()
    if client is not None:
        if client.set(key, owner, nx=True, ex=ttl_seconds):
            return True
        if client.get(key) == owner:
            client.expire(key, ttl_seconds)
            return True
        return False
    expires = now() + timedelta(seconds=ttl_seconds)
    renewal = (
        update(KeyValue)
        .where(KeyValue.key == key)
        .where((KeyValue.value == owner) | (KeyValue.expires_at <= now()))
        .values(value=owner, expires_at=expires)
    )
    # A lease must be seen by the other processes at once, whatever the job then does.
    with separate_transaction() as connection:
        if cast(CursorResult[Any], connection.execute(renewal)).rowcount:
            return True
    try:
        with separate_transaction() as connection:
            connection.execute(insert(KeyValue).values(key=key, value=owner, expires_at=expires))
        return True
    except IntegrityError:
        return False


def release_lock(name: str, owner: str) -> None:
    key = f"lock:{name}"
    client = redis_client()
    if client is not None:
        if client.get(key) == owner:
            client.delete(key)
        return
    with separate_transaction() as connection:
        connection.execute(delete(KeyValue).where(KeyValue.key == key, KeyValue.value == owner))
