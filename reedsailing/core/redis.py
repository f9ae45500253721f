"""The one maker of Redis clients: every client of ours comes from `redis_client()`, and
the clients libraries build themselves from a URL (Socket.IO's message queue,
Flask-Limiter's storage) get `redis_options()`. So each has REDIS_SOCKET_TIMEOUT_SECONDS
as its connect and read timeout: a Redis that drops packets costs a request a few
seconds and an error instead of hanging it (and every request that sends a notice with
it). Blocking pub/sub reads are exempt: redis-py waits on them without the timeout.

No other module calls `redis.Redis(...)` or `from_url` (tests/test_redis.py checks).
"""

from collections.abc import Mapping
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import redis


def redis_options(config: Mapping[str, Any]) -> dict[str, Any]:
    """The socket options of every Redis client, from the app's settings."""
    seconds = float(config["REDIS_SOCKET_TIMEOUT_SECONDS"])
    return {"socket_timeout": seconds, "socket_connect_timeout": seconds, "socket_keepalive": True}


def redis_client(config: Mapping[str, Any], *, decode: bool = True) -> "redis.Redis | None":
    """The process's client of REDIS_URL (None when it is not set), shared by its callers.

    `decode=True` answers `str` (shared values, locks, `doctor`); `decode=False` answers
    `bytes` (the answer cache's rendered bodies, the legacy bridge's frames).
    """
    url = config.get("REDIS_URL")
    if not url:
        return None
    return _client(url, float(config["REDIS_SOCKET_TIMEOUT_SECONDS"]), decode)


@lru_cache(maxsize=16)
def _client(url: str, timeout: float, decode: bool) -> "redis.Redis":
    import redis

    options = redis_options({"REDIS_SOCKET_TIMEOUT_SECONDS": timeout})
    return redis.Redis.from_url(url, decode_responses=decode, **options)
