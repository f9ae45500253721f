"""Every Redis client comes from reedsailing/core/redis.py and carries
REDIS_SOCKET_TIMEOUT_SECONDS as its connect and read timeout."""

import ast
import socket
from pathlib import Path

import pytest
from flask import Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from reedsailing import message_queue
from reedsailing.core import cache, store
from reedsailing.core.redis import redis_client, redis_options
from reedsailing.messages.legacy import Hub
from reedsailing.ops.services import FAILED, run_checks
from reedsailing.security import ratelimit

ROOT = Path(__file__).resolve().parents[1]
FACTORY = ROOT / "reedsailing" / "core" / "redis.py"
CONSTRUCTORS = {"Redis", "StrictRedis", "from_url", "ConnectionPool"}
UNREACHABLE = "redis://127.0.0.1:1/0"  # clients connect lazily: nothing is ever sent here


def dotted(node):
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{dotted(node.value)}.{node.attr}"
    return ""


def redis_constructions(path):
    """Calls that make a Redis client: `redis.Redis(...)`, `Redis.from_url(...)`,
    `redis.from_url(...)`, `StrictRedis(...)`, a connection pool."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        name = dotted(node.func)
        parts = name.split(".")
        if parts[-1] in CONSTRUCTORS and (
            parts[-1] in {"Redis", "StrictRedis"} or any("redis" in part.lower() for part in parts[:-1])
        ):
            found.append(f"{path.relative_to(ROOT)}:{node.lineno} {name}(...)")
    return found


def test_only_the_factory_makes_redis_clients():
    found = [
        call
        for path in sorted((ROOT / "reedsailing").rglob("*.py"))
        if path != FACTORY
        for call in redis_constructions(path)
    ]
    assert not found, f"use reedsailing.core.redis.redis_client() instead: {found}"
    assert redis_constructions(FACTORY)  # the check itself sees the one place that does


def timeouts(client):
    kwargs = client.connection_pool.connection_kwargs
    return kwargs["socket_timeout"], kwargs["socket_connect_timeout"], kwargs.get("decode_responses", False)


@pytest.fixture
def configured(app, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", UNREACHABLE)
    monkeypatch.setitem(app.config, "REDIS_SOCKET_TIMEOUT_SECONDS", 1.25)
    return app


def test_every_redis_client_carries_the_configured_timeout(configured):
    assert timeouts(store.redis_client()) == (1.25, 1.25, True)  # shared values, locks, health
    assert timeouts(cache._raw_redis()) == (1.25, 1.25, False)  # the answer cache's bytes
    assert timeouts(Hub(configured)._redis()) == (1.25, 1.25, False)  # the legacy bridge
    assert store.redis_client() is redis_client(configured.config)  # one client per process
    # Socket.IO's message queue and the limiter build their own clients, with our options
    manager = message_queue(configured)["client_manager"]
    assert manager.redis_options == redis_options(configured.config)
    assert manager.redis_options["socket_timeout"] == manager.redis_options["socket_connect_timeout"] == 1.25


def test_the_rate_limit_storage_carries_the_configured_timeout(monkeypatch):
    separate = Limiter(key_func=get_remote_address)  # not the app's shared limiter
    monkeypatch.setattr(ratelimit, "limiter", separate)
    bare = Flask(__name__)
    bare.config.update(REDIS_URL=UNREACHABLE, REDIS_SOCKET_TIMEOUT_SECONDS=1.25)
    ratelimit.init_app(bare)
    assert timeouts(separate.storage.get_connection())[:2] == (1.25, 1.25)


def test_no_redis_url_no_client(app):
    assert app.config["REDIS_URL"] is None
    assert store.redis_client() is None and redis_client(app.config, decode=False) is None


def test_doctor_gives_up_on_a_silent_redis_after_the_configured_timeout(configured, monkeypatch):
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # connections complete in the backlog; nothing is ever answered
    try:
        monkeypatch.setitem(configured.config, "REDIS_URL", f"redis://127.0.0.1:{silent.getsockname()[1]}/0")
        monkeypatch.setitem(configured.config, "REDIS_SOCKET_TIMEOUT_SECONDS", 0.3)
        (check,) = [check for check in run_checks(configured.config) if check.name == "redis"]
    finally:
        silent.close()
    assert check.status == FAILED and "Timeout" in check.detail
    assert check.ms < 3000  # 0.3 s per attempt, not the 5 s doctor used to wait
