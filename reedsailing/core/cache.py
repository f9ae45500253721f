"""Cached answers: rendered JSON bytes keyed by the data versions of the tables the
answer reads (core/versions.py), with an `ETag`; `If-None-Match` answers 304 before
anything is rendered (docs/caching.md).

Where the bytes live: Redis when `REDIS_URL` is set (shared by every server process,
each entry expiring after `CACHE_TTL` seconds), otherwise a per-process LRU bounded by
`CACHE_MAX_BYTES`. `CACHE_ENABLED=false` turns all of it off (every read renders).

The key is exactly what the view reads: the route, its arguments, the parameters it
declares (`query=` for the query string, `body=` for a POST body, each a schema) as that
schema loads them, and the versions. A request carrying anything else (an undeclared
parameter, a GET with a body, a value the schema refuses) is rendered live and never
stored, so no caller can plant an answer under another request's key or fill the store
with junk. Each route-and-arguments keeps at most `CACHE_VARIANTS` answers (the oldest
goes first), and no answer above a quarter of `CACHE_MAX_BYTES` is stored.

An answer is rendered from rows read after its versions (the session's objects are
expired first), never from an object loaded before them: the caller's row, loaded by the
authentication, may be older than a rename those versions include.

An answer that also depends on the clock (a status partition: an activity moves from
`unstart` to `cur` when it begins, with no write) calls `valid_until(moment)` while it
renders; its entry expires at the earliest such moment.
"""

import hashlib
import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from datetime import datetime
from functools import wraps
from typing import Any

from flask import Response, current_app, g, has_request_context, request
from marshmallow import Schema, ValidationError

from reedsailing.core import timeutil
from reedsailing.core.errors import ApiError
from reedsailing.core.http import json_body, query_params
from reedsailing.core.redis import redis_client as make_redis_client
from reedsailing.core.store import redis_client
from reedsailing.core.versions import read_versions
from reedsailing.extensions import db

PREFIX = "rs:answer:"
GROUP_PREFIX = "rs:answer-group:"  # a sorted set per route-and-arguments: its keys by age
log = logging.getLogger(__name__)


class LocalCache:
    """A thread-safe LRU of `key -> (etag, body, expires)` bounded by total body bytes,
    and by `variants` entries per group (a route with its arguments)."""

    def __init__(self) -> None:
        self.entries: OrderedDict[str, tuple[str, bytes, datetime | None, str]] = OrderedDict()
        self.groups: dict[str, OrderedDict[str, None]] = {}
        self.size = 0
        self.lock = threading.Lock()

    def get(self, key: str) -> tuple[str, bytes] | None:
        with self.lock:
            entry = self.entries.get(key)
            if entry is None:
                return None
            etag, body, expires, _ = entry
            if expires is not None and expires <= timeutil.precise_now():
                self._drop(key)
                return None
            self.entries.move_to_end(key)
            return etag, body

    def put(
        self,
        key: str,
        group: str,
        etag: str,
        body: bytes,
        expires: datetime | None,
        limit: int,
        variants: int,
    ) -> None:
        if len(body) > limit // 4:
            return  # one answer never takes more than a quarter of the cache
        with self.lock:
            if key in self.entries:
                self._drop(key)
            self.entries[key] = (etag, body, expires, group)
            members = self.groups.setdefault(group, OrderedDict())
            members[key] = None
            self.size += len(body)
            while len(members) > variants:
                self._drop(next(iter(members)))
            while self.size > limit and self.entries:
                self._drop(next(iter(self.entries)))

    def _drop(self, key: str) -> None:
        _, body, _, group = self.entries.pop(key)
        self.size -= len(body)
        members = self.groups.get(group)
        if members is not None:
            members.pop(key, None)
            if not members:
                del self.groups[group]

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()
            self.groups.clear()
            self.size = 0


local = LocalCache()

REDIS_PAUSE_SECONDS = 30.0  # after a Redis error, the answer cache leaves Redis alone this long


class RedisBreaker:
    """A circuit breaker per Redis URL: after an error the answer cache skips Redis (reads
    render live, nothing is stored) for `REDIS_PAUSE_SECONDS`; then one request tries it
    again while the others keep skipping, and its success ends the pause. A Redis that
    hangs thus costs one `REDIS_SOCKET_TIMEOUT_SECONDS` per process and pause, instead
    of a lookup's and a store's timeout on every cached read."""

    def __init__(self) -> None:
        self.paused_until: dict[str, float] = {}
        self.lock = threading.Lock()

    def allows(self, url: str) -> bool:
        with self.lock:
            until = self.paused_until.get(url)
            if until is None:
                return True
            moment = time.monotonic()
            if moment < until:
                return False
            self.paused_until[url] = moment + REDIS_PAUSE_SECONDS  # this caller probes
            return True

    def succeeded(self, url: str) -> None:
        if url in self.paused_until:
            with self.lock:
                self.paused_until.pop(url, None)

    def failed(self, url: str, error: Exception) -> None:
        with self.lock:
            self.paused_until[url] = time.monotonic() + REDIS_PAUSE_SECONDS
        log.warning("answer cache: Redis unavailable, not asked for %s s: %s", REDIS_PAUSE_SECONDS, error)


breaker = RedisBreaker()


def valid_until(moment: datetime | None) -> None:
    """The answer being rendered changes by itself at `moment` (None: never)."""
    if moment is None or not has_request_context():
        return
    earliest = g.get("cache_valid_until")
    if earliest is None or moment < earliest:
        g.cache_valid_until = moment


def _read_params(query: Schema | None, body: Schema | None) -> tuple[Any, Any] | None:
    """What the view will read, as its schemas load it; None when the request carries
    anything the view does not read (not cacheable)."""
    try:
        if request.method == "GET" and request.get_data(cache=True).strip():
            return None  # a GET body would be read as the parameters: never key by it
        args = query_params()
        if set(args) - (set(query.fields) if query is not None else set()):
            return None
        loaded_args = query.load(args) if query is not None else {}
        loaded_body: Any = {}
        if request.method == "POST":
            data = json_body()
            if body is None or set(data) - set(body.fields):
                return None
            loaded_body = body.load(data)
    except (ApiError, ValidationError):
        return None  # the view answers the 400 itself
    return loaded_args, loaded_body


def _request_keys(scopes: Iterable[str], query: Schema | None, body: Schema | None) -> tuple[str, str] | None:
    """(answer key, group key) of this request; None when it is rendered live."""
    params = _read_params(query, body)
    if params is None:
        return None
    versions = read_versions(db.session.connection(), scopes)
    if versions is None:
        return None
    route = "\x1f".join(
        [request.endpoint or "", repr(sorted(request.view_args.items()) if request.view_args else ())]
    )
    parts = [
        route,
        json.dumps(params, sort_keys=True, ensure_ascii=False, default=str),
        repr(sorted(versions.items())),
    ]
    key = PREFIX + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
    return key, GROUP_PREFIX + hashlib.sha256(route.encode()).hexdigest()


def _lookup(key: str) -> tuple[str, bytes] | None:
    client = redis_client()
    if client is None:
        return local.get(key)
    url = current_app.config["REDIS_URL"]
    if not breaker.allows(url):
        return None
    try:
        raw = _raw_redis().get(key)
    except _redis_errors() as error:  # any Redis error: render instead
        _failed(url, error)
        return None
    breaker.succeeded(url)
    if raw is None:
        return None
    etag, _, body = raw.partition(b"\n")
    return etag.decode(), body


def _store(key: str, group: str, etag: str, body: bytes, expires: datetime | None) -> None:
    config = current_app.config
    if len(body) > int(config["CACHE_MAX_BYTES"]) // 4:
        return  # too large to keep: rendered each time
    ttl_ms = int(config["CACHE_TTL"]) * 1000
    if expires is not None:
        # whole milliseconds, rounded down: the entry is gone before the moment it changes
        ttl_ms = min(ttl_ms, int((expires - timeutil.precise_now()).total_seconds() * 1000))
        if ttl_ms <= 0:
            return
    variants = int(config["CACHE_VARIANTS"])
    if redis_client() is None:
        local.put(key, group, etag, body, expires, int(config["CACHE_MAX_BYTES"]), variants)
        return
    url = config["REDIS_URL"]
    if not breaker.allows(url):
        return
    try:
        _redis_store(key, group, etag.encode() + b"\n" + body, ttl_ms, variants, int(config["CACHE_TTL"]))
    except _redis_errors() as error:  # full (OOM), down or slow: the answer was rendered anyway
        _failed(url, error)
        return
    breaker.succeeded(url)


def _redis_store(key: str, group: str, payload: bytes, ttl_ms: int, variants: int, ttl: int) -> None:
    """Store one answer and keep its group at `variants` entries: one round trip, and a
    second one only when older entries have to go."""
    client = _raw_redis()
    stamp = time.time()
    pipe = client.pipeline(transaction=False)
    pipe.set(key, payload, px=ttl_ms)
    pipe.zadd(group, {key: stamp})
    pipe.zremrangebyscore(group, "-inf", stamp - ttl)  # entries expired by now
    pipe.zrange(group, 0, -variants - 1)  # all but the newest `variants`
    pipe.expire(group, ttl)
    surplus = pipe.execute()[3]
    if surplus:
        pipe = client.pipeline(transaction=False)
        pipe.delete(*surplus)
        pipe.zrem(group, *surplus)
        pipe.execute()


def _raw_redis() -> Any:
    """A bytes client on the same Redis (the shared one decodes to str), from the one
    maker of Redis clients (core/redis.py)."""
    return make_redis_client(current_app.config, decode=False)


def _redis_errors() -> tuple[type[Exception], ...]:
    import redis

    return (redis.RedisError,)


def _failed(url: str, error: Exception) -> None:
    """Down, unreachable or hung: pause asking it. Any other error (OOM from a full Redis)
    is an answer: logged, and the next read asks again."""
    import redis

    if isinstance(error, redis.ConnectionError | redis.TimeoutError):
        breaker.failed(url, error)
    else:
        log.warning("answer cache unavailable: %s", error)


def _answer(etag: str, body: bytes) -> Response:
    if etag in request.if_none_match:
        response = Response(status=304)
    else:
        response = Response(body, mimetype="application/json")
    response.set_etag(etag)
    response.headers["Cache-Control"] = "no-cache"  # revalidate every time: answers change on writes
    return response


def cached(
    scopes: Iterable[str], *, query: Schema | None = None, body: Schema | None = None
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Serve the view's 200 JSON answer from the cache, keyed by the route, its
    arguments, the query parameters `query` declares, the POST body `body` declares (both
    as loaded) and the versions of `scopes` (the tables it reads)."""
    scope_list = sorted(set(scopes))

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_app.config["CACHE_ENABLED"]:
                return view(*args, **kwargs)
            keys = _request_keys(scope_list, query, body)
            if keys is None:
                return view(*args, **kwargs)
            key, group = keys
            hit = _lookup(key)
            if hit is not None:
                return _answer(*hit)
            # The answer is stored under the versions just read, so it renders from rows
            # read after them: an object loaded before (the caller, by the
            # authentication) may predate a write those versions already include.
            db.session.expire_all()
            g.cache_valid_until = None
            result = view(*args, **kwargs)
            if isinstance(result, Response | tuple):
                return result  # a status or headers of its own: not cached
            rendered = current_app.json.response(result).get_data()  # type: ignore[attr-defined]
            etag = hashlib.sha1(rendered).hexdigest()[:24]
            _store(key, group, etag, rendered, g.cache_valid_until)
            return _answer(etag, rendered)

        return wrapper

    return decorate
