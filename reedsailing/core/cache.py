"""Cached answers: rendered JSON bytes keyed by the data versions of the tables the
answer reads (core/versions.py), with an `ETag`; `If-None-Match` answers 304 before
anything is rendered (docs/caching.md).

Where the bytes live: Redis when `REDIS_URL` is set (shared by every server process,
each entry expiring after `CACHE_TTL` seconds), otherwise a per-process LRU bounded by
`CACHE_MAX_BYTES`. `CACHE_ENABLED=false` turns all of it off (every read renders).

An answer that also depends on the clock (a status partition: an activity moves from
`unstart` to `cur` when it begins, with no write) calls `valid_until(moment)` while it
renders; its entry expires at the earliest such moment.
"""

import hashlib
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from datetime import datetime
from functools import wraps
from typing import Any

from flask import Response, current_app, g, has_request_context, request

from reedsailing.core.store import redis_client
from reedsailing.core.timeutil import now
from reedsailing.core.versions import read_versions
from reedsailing.extensions import db

PREFIX = "rs:answer:"
log = logging.getLogger(__name__)


class LocalCache:
    """A thread-safe LRU of `key -> (etag, body, expires)` bounded by total body bytes."""

    def __init__(self) -> None:
        self.entries: OrderedDict[str, tuple[str, bytes, datetime | None]] = OrderedDict()
        self.size = 0
        self.lock = threading.Lock()

    def get(self, key: str) -> tuple[str, bytes] | None:
        with self.lock:
            entry = self.entries.get(key)
            if entry is None:
                return None
            etag, body, expires = entry
            if expires is not None and expires <= now():
                self._drop(key)
                return None
            self.entries.move_to_end(key)
            return etag, body

    def put(self, key: str, etag: str, body: bytes, expires: datetime | None, limit: int) -> None:
        if len(body) > limit // 4:
            return  # one answer never takes more than a quarter of the cache
        with self.lock:
            if key in self.entries:
                self._drop(key)
            self.entries[key] = (etag, body, expires)
            self.size += len(body)
            while self.size > limit and self.entries:
                self._drop(next(iter(self.entries)))

    def _drop(self, key: str) -> None:
        _, body, _ = self.entries.pop(key)
        self.size -= len(body)

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()
            self.size = 0


local = LocalCache()


def valid_until(moment: datetime | None) -> None:
    """The answer being rendered changes by itself at `moment` (None: never)."""
    if moment is None or not has_request_context():
        return
    earliest = g.get("cache_valid_until")
    if earliest is None or moment < earliest:
        g.cache_valid_until = moment


def _request_key(scopes: Iterable[str]) -> str | None:
    versions = read_versions(db.session.connection(), scopes)
    if versions is None:
        return None
    parts = [
        request.endpoint or "",
        repr(sorted(request.view_args.items()) if request.view_args else ()),
        request.query_string.decode("latin-1"),
        request.get_data(as_text=False).decode("utf-8", "replace") if request.method == "POST" else "",
        repr(sorted(versions.items())),
    ]
    return PREFIX + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _lookup(key: str) -> tuple[str, bytes] | None:
    client = redis_client()
    if client is None:
        return local.get(key)
    try:
        raw = _raw_redis().get(key)
    except _redis_errors() as error:  # Redis unreachable: render instead
        log.warning("answer cache unavailable: %s", error)
        return None
    if raw is None:
        return None
    etag, _, body = raw.partition(b"\n")
    return etag.decode(), body


def _store(key: str, etag: str, body: bytes, expires: datetime | None) -> None:
    ttl = int(current_app.config["CACHE_TTL"])
    if expires is not None:
        ttl = min(ttl, int((expires - now()).total_seconds()))
        if ttl <= 0:
            return
    if redis_client() is None:
        local.put(key, etag, body, expires, int(current_app.config["CACHE_MAX_BYTES"]))
        return
    try:
        _raw_redis().set(key, etag.encode() + b"\n" + body, ex=ttl)
    except _redis_errors() as error:
        log.warning("answer cache unavailable: %s", error)


def _raw_redis() -> Any:
    """A bytes client on the same Redis (the shared one decodes to str)."""
    import redis

    url = current_app.config["REDIS_URL"]
    client = _RAW.get(url)
    if client is None:
        client = _RAW[url] = redis.Redis.from_url(url, socket_timeout=5)
    return client


_RAW: dict[str, Any] = {}


def _redis_errors() -> tuple[type[Exception], ...]:
    import redis

    return (redis.ConnectionError, redis.TimeoutError)


def _answer(etag: str, body: bytes) -> Response:
    if etag in request.if_none_match:
        response = Response(status=304)
    else:
        response = Response(body, mimetype="application/json")
    response.set_etag(etag)
    response.headers["Cache-Control"] = "no-cache"  # revalidate every time: answers change on writes
    return response


def cached(scopes: Iterable[str]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Serve the view's 200 JSON answer from the cache, keyed by the route, its
    arguments, query string, body and the versions of `scopes` (the tables it reads)."""
    scope_list = sorted(set(scopes))

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_app.config["CACHE_ENABLED"]:
                return view(*args, **kwargs)
            key = _request_key(scope_list)
            if key is None:
                return view(*args, **kwargs)
            hit = _lookup(key)
            if hit is not None:
                return _answer(*hit)
            g.cache_valid_until = None
            result = view(*args, **kwargs)
            if isinstance(result, Response | tuple):
                return result  # a status or headers of its own: not cached
            body = current_app.json.response(result).get_data()  # type: ignore[attr-defined]
            etag = hashlib.sha1(body).hexdigest()[:24]
            _store(key, etag, body, g.cache_valid_until)
            return _answer(etag, body)

        return wrapper

    return decorate
