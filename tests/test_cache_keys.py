"""What a cached answer is keyed by and how much the cache may hold (docs/caching.md):
no request can plant an answer under another request's key, junk never fills the store,
and a Redis that is full or gone costs speed only."""

import shutil
import socket
import subprocess
import time

import pytest
import redis

from reedsailing.core import cache
from reedsailing.models.blocks import CLUB
from tests.conftest import REQUIRE_SERVICES
from tests.factories import headers, make_activity, make_comment, make_org, make_user
from tests.support.silent_redis import silent_redis


@pytest.fixture
def campus():
    reader = make_user()
    org = make_org(block_id=CLUB)
    activities = [make_activity(org=org, name=f"讲座{number}") for number in range(6)]
    for number in range(3):
        make_comment(activities[0], make_user(name=f"评论者{number}"))
    return {"reader": reader, "org": org, "activities": activities}


@pytest.fixture(params=["local", "redis"])
def store(request, app, monkeypatch):
    """Each test runs against the in-process cache and against Redis."""
    cache.local.clear()
    if request.param == "redis":
        url = request.getfixturevalue("redis_url")
        client = redis.Redis.from_url(url)
        for key in client.scan_iter("rs:answer*"):
            client.delete(key)
        monkeypatch.setitem(app.config, "REDIS_URL", url)
        yield client
        for key in client.scan_iter("rs:answer*"):
            client.delete(key)
    else:
        yield None
    cache.local.clear()


def stored_answers(store):
    if store is None:
        return len(cache.local.entries)
    return sum(1 for _ in store.scan_iter(cache.PREFIX + "*"))


def list_paths(campus):
    org, first = campus["org"], campus["activities"][0]
    return [
        "/api/activities/",
        f"/api/blocks/activities/{CLUB}/",
        f"/api/blocks/activities/status/{CLUB}/",
        f"/api/organizations/activities/{org.id}/",
        f"/api/organizations/activities/status/{org.id}/",
        f"/api/activities/{first.id}/comments/",
    ]


def fresh(client, app, path, user):
    """The answer rendered now, with the cache out of the way."""
    app.config["CACHE_ENABLED"] = False
    try:
        return client.get(path, headers=headers(user)).json
    finally:
        app.config["CACHE_ENABLED"] = True


def test_a_get_body_never_changes_what_the_others_read(client, app, campus, store):
    """Audit item 1: a GET body `{"limit":1}` was read as the parameters but left out of
    the key, so one student's request was served to everyone."""
    reader = campus["reader"]
    for path in list_paths(campus):
        attacker = client.open(
            path, method="GET", json={"limit": 1, "offset": 1}, headers=headers(make_user())
        )
        assert attacker.status_code == 200
        whole = client.get(path, headers=headers(reader))
        assert whole.json == fresh(client, app, path, reader)
        assert whole.json != attacker.json, path
    assert stored_answers(store) == len(list_paths(campus))  # the GET bodies stored nothing


def test_a_get_body_is_answered_by_what_it_asks(client, campus, store):
    path = "/api/activities/"
    answer = client.open(path, method="GET", json={"limit": 2}, headers=headers(campus["reader"]))
    assert [item["name"] for item in answer.json] == ["讲座0", "讲座1"]


def test_junk_query_strings_are_rendered_not_stored(client, campus, store):
    """Audit item 2: every distinct `?junk=N` used to add an entry (760 KB each on the
    large campus) until Redis was full."""
    reader = campus["reader"]
    path = "/api/activities/"
    plain = client.get(path, headers=headers(reader)).json
    for number in range(40):
        response = client.get(f"{path}?junk={number}", headers=headers(reader))
        assert response.status_code == 200 and response.json == plain
    detail = f"/api/activities/{campus['activities'][0].id}/"
    for number in range(10):
        assert client.get(f"{detail}?x={number}", headers=headers(reader)).status_code == 200
    assert (
        client.post(
            "/api/activities/search/", json={"name": "讲座", "junk": 1}, headers=headers(reader)
        ).status_code
        == 200
    )
    assert stored_answers(store) == 1


def test_declared_parameters_are_keyed_by_their_loaded_values(client, campus, store):
    reader = campus["reader"]
    first = client.get("/api/activities/?limit=2", headers=headers(reader))
    again = client.get("/api/activities/?limit=02&offset=0", headers=headers(reader))
    assert again.json == first.json and again.headers["ETag"] == first.headers["ETag"]
    assert stored_answers(store) == 1
    assert client.get("/api/activities/?limit=x", headers=headers(reader)).status_code == 400
    assert (
        client.post("/api/activities/search/", json={"name": 7}, headers=headers(reader)).status_code == 400
    )
    assert stored_answers(store) == 1


def test_each_route_keeps_at_most_its_variants(client, app, campus, store, monkeypatch):
    """Distinct pages and search names are legitimate, but a route and its arguments keep
    at most CACHE_VARIANTS of them: the newest, each still right."""
    monkeypatch.setitem(app.config, "CACHE_VARIANTS", 4)
    reader = campus["reader"]
    for number in range(1, 11):
        answer = client.get(f"/api/activities/?limit={number}", headers=headers(reader)).json
        assert len(answer) == min(number, 6)
    for term in ("讲", "座", "讲座", "讲座1", "讲座2", "无"):
        client.post("/api/activities/search/", json={"name": term}, headers=headers(reader))
    assert stored_answers(store) == 8  # 4 pages of the list, 4 names of the search
    newest = client.get("/api/activities/?limit=10", headers=headers(reader))
    assert len(newest.json) == 6
    assert stored_answers(store) == 8


def test_an_answer_too_large_for_the_cache_is_rendered(client, app, campus, store, monkeypatch):
    monkeypatch.setitem(app.config, "CACHE_MAX_BYTES", 400)  # one answer at most 100 bytes
    reader = campus["reader"]
    response = client.get("/api/activities/", headers=headers(reader))
    assert response.status_code == 200 and len(response.json) == 6
    assert stored_answers(store) == 0


# ---- a Redis that refuses writes ----------------------------------------------------


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def full_redis():
    """A private Redis with a tiny `maxmemory` and `noeviction`, as an operator may run
    it: every write beyond the limit answers OOM."""
    binary = shutil.which("redis-server")
    if binary is None:
        if REQUIRE_SERVICES:
            pytest.fail("redis-server is required in this run")
        pytest.skip("needs redis-server on the PATH")
    port = free_port()
    process = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--maxmemory",
            "1mb",
            "--maxmemory-policy",
            "noeviction",
        ],
        stdout=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port)
    try:
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        filler = b"x" * 100_000
        number = 0
        while True:  # fill it up to the limit
            try:
                client.set(f"filler{number}", filler)
            except redis.ResponseError:
                break
            number += 1
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(10)


@pytest.mark.slow  # starts a redis-server
def test_a_full_redis_renders_every_read(client, app, campus, full_redis, monkeypatch):
    """Audit item 2: OOM from a full Redis was not caught and every miss answered 500."""
    monkeypatch.setitem(app.config, "REDIS_URL", full_redis)
    reader = campus["reader"]
    for path in list_paths(campus):
        for _ in range(2):
            response = client.get(path, headers=headers(reader))
            assert response.status_code == 200, path
    search = client.post("/api/activities/search/", json={"name": "讲座"}, headers=headers(reader))
    assert search.status_code == 200 and len(search.json) == 6


# ---- a Redis that never answers (audit item 8b) -------------------------------------


def test_a_hung_redis_costs_one_timeout_per_pause_not_two_per_request(client, app, campus, monkeypatch):
    """Every cached read waited for the lookup's timeout and then the store's (10 s with
    the default 5 s). After an error the cache leaves Redis alone for a pause, then one
    request tries it again."""
    monkeypatch.setitem(app.config, "REDIS_SOCKET_TIMEOUT_SECONDS", 0.3)
    monkeypatch.setattr(cache, "REDIS_PAUSE_SECONDS", 1.0, raising=False)
    reader = campus["reader"]
    paths = list_paths(campus)
    with silent_redis() as silent:
        monkeypatch.setitem(app.config, "REDIS_URL", silent.url)
        started = time.monotonic()
        for path in paths * 2:
            response = client.get(path, headers=headers(reader))
            assert response.status_code == 200 and response.json == fresh(client, app, path, reader), path
        elapsed = time.monotonic() - started
        assert silent.accepted == 1 and elapsed < 1.0 + 0.3, (silent.accepted, elapsed)  # one timeout in all
        time.sleep(1.0)  # the pause is over: the next read tries Redis once more, and pauses again
        for path in paths:
            assert client.get(path, headers=headers(reader)).status_code == 200
        assert silent.accepted == 2


@pytest.mark.slow  # starts a redis-server
def test_a_full_redis_is_not_paused(client, app, campus, full_redis, monkeypatch):
    """OOM is an answer, not an outage: reads keep asking Redis (and hit what it holds)."""
    monkeypatch.setitem(app.config, "REDIS_URL", full_redis)
    for _ in range(3):
        assert client.get("/api/activities/", headers=headers(campus["reader"])).status_code == 200
    assert full_redis not in cache.breaker.paused_until
