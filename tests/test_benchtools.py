"""The benchmark aids stay off unless switched on (reedsailing/benchtools.py)."""

import pytest

from config import TestConfig
from reedsailing import create_app
from reedsailing.extensions import db
from tests.factories import headers, make_user


def test_off_by_default(client):
    assert client.get("/api/bench/ping/").status_code == 404
    response = client.get("/api/show/")
    assert "X-Query-Count" not in response.headers


@pytest.fixture
def bench_app(tmp_path, monkeypatch):
    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'bench.db'}"
        REDIS_URL = None
        BENCH_ROUTES = True
        QUERY_COUNT_HEADER = True

    application = create_app(Config)
    with application.app_context():
        db.create_all()
        yield application
        db.session.remove()
        db.engine.dispose()


def test_ping_and_query_count_when_switched_on(bench_app):
    client = bench_app.test_client()
    response = client.get("/api/bench/ping/")
    assert response.status_code == 200
    assert response.json == {"pong": True}
    assert response.headers["X-Query-Count"] == "0"
    user = make_user()
    auth_headers = headers(user)
    db.session.remove()  # the user is not in the identity map: the request has to query
    response = client.get(f"/api/users/{user.id}/", headers=auth_headers)
    assert response.status_code == 200
    assert int(response.headers["X-Query-Count"]) >= 1
    assert "/api/bench/ping/" in client.get("/apispec_1.json").json["paths"]
