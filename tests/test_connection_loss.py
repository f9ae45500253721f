"""A database connection lost under a request (audit item 7): `KILL <id>` on MariaDB,
a server restart, a dropped network. The answer is a 503 with `detail`, never a 500; a
GET runs once more on a fresh connection. The data-version listeners never raise on the
invalidated connection."""

import time

import pymysql
import pytest
from sqlalchemy import event, make_url, update

from reedsailing.core import versions
from reedsailing.extensions import db
from reedsailing.models import Category
from tests.factories import headers, make_user


def test_the_version_listeners_never_raise_on_an_invalidated_connection(app):
    """`_forget` read `conn.info` while the rollback of a lost connection ran:
    PendingRollbackError, and the request answered 500 instead of 503."""
    with db.engine.connect() as connection:
        transaction = connection.begin()
        connection.execute(update(Category).where(Category.id == -1).values(name="x"))
        assert connection.info[versions._PENDING] == {"categories"}
        connection.invalidate()
        assert connection.invalidated
        transaction.rollback()  # the "rollback" listener runs: no error
    with db.engine.connect() as connection:  # the pool's record reconnects, nothing pending
        assert versions._PENDING not in connection.info


# ---- through the app: the connection dies just before a statement of the request ------


def _is_mariadb():
    return db.engine.dialect.name in ("mysql", "mariadb")


def _kill(dbapi_connection):
    """End `dbapi_connection` from outside it: MariaDB `KILL` from another connection
    (then wait until the server dropped it), SQLite by closing it."""
    if not _is_mariadb():
        dbapi_connection.close()
        return
    victim = dbapi_connection.thread_id()
    url = make_url(str(db.engine.url))
    killer = pymysql.connect(
        host=url.host, port=url.port or 3306, user=url.username, password=url.password or ""
    )
    try:
        with killer.cursor() as cursor:
            cursor.execute(f"KILL {int(victim)}")
            for _ in range(100):
                cursor.execute("SELECT COUNT(*) FROM information_schema.processlist WHERE id = %s", (victim,))
                if cursor.fetchone()[0] == 0:
                    break
                time.sleep(0.02)
    finally:
        killer.close()


class Killer:
    """Kills the request's connection before the statements that contain `marker`,
    `times` times (before the commit when `marker` is "COMMIT")."""

    def __init__(self, marker, times=1):
        self.marker, self.left, self.killed = marker, times, 0

    def _strike(self, dbapi_connection):
        if self.left > 0:
            self.left -= 1
            self.killed += 1
            _kill(dbapi_connection)

    def before_statement(self, conn, cursor, statement, parameters, context, executemany):
        if self.marker in statement:
            self._strike(conn.connection.dbapi_connection)

    def before_commit(self, conn):
        if self.marker == "COMMIT":
            self._strike(conn.connection.dbapi_connection)


@pytest.fixture
def killer(app):
    installed = []

    def install(marker, times=1):
        db.session.remove()  # the request loads what it reads, as in a server process
        kill = Killer(marker, times)
        event.listen(db.engine, "before_cursor_execute", kill.before_statement)
        event.listen(db.engine, "commit", kill.before_commit, insert=True)  # before the version bump
        installed.append(kill)
        return kill

    yield install
    for kill in installed:
        event.remove(db.engine, "before_cursor_execute", kill.before_statement)
        event.remove(db.engine, "commit", kill.before_commit)
    db.session.remove()
    db.engine.dispose()  # no dead connection stays in the pool for the next test


def _unavailable(response):
    assert response.status_code == 503, response.get_data(as_text=True)
    assert response.json["detail"] and response.json["request_id"]


def test_a_read_whose_connection_dies_runs_once_more(client, killer):
    user = make_user(name="读者")
    path, auth = f"/api/users/{user.id}/", headers(user)
    kill = killer("FROM users", times=1)
    response = client.get(path, headers=auth)
    assert kill.killed == 1
    assert response.status_code == 200 and response.json["name"] == "读者"


def test_a_read_whose_connection_dies_twice_is_503(client, killer):
    user = make_user()
    path, auth = f"/api/users/{user.id}/", headers(user)
    kill = killer("FROM users", times=2)
    _unavailable(client.get(path, headers=auth))
    assert kill.killed == 2


def test_a_write_whose_connection_dies_is_503_and_runs_once(client, killer):
    user = make_user(name="旧名")
    path, auth = f"/api/users/{user.id}/", headers(user)
    kill = killer("UPDATE users", times=1)
    _unavailable(client.put(path, json={"name": "新名"}, headers=auth))
    assert kill.killed == 1  # a write is never repeated
    kill.left = 0
    assert client.get(path, headers=auth).json["name"] == "旧名"


def test_a_write_whose_connection_dies_at_the_commit_is_503(client, killer):
    user = make_user(name="旧名")
    path, auth = f"/api/users/{user.id}/", headers(user)
    kill = killer("COMMIT", times=1)
    _unavailable(client.put(path, json={"name": "新名"}, headers=auth))
    assert kill.killed == 1
    kill.left = 0
    assert client.get(path, headers=auth).json["name"] == "旧名"


@pytest.mark.mariadb
def test_kill_on_mariadb_never_answers_500(client, killer):
    """The audit's setting: repeated `KILL`s of the request's connection on MariaDB."""
    if not _is_mariadb():
        pytest.skip("needs MariaDB: TEST_DATABASE_URL=mysql+pymysql://...")
    user = make_user(name="学生")
    path, auth = f"/api/users/{user.id}/", headers(user)
    for marker in ("FROM users", "data_versions", "UPDATE users", "COMMIT"):
        for times in (1, 2):
            kill = killer(marker, times=times)
            read = client.get("/api/activities/", headers=auth)
            write = client.put(path, json={"sign": marker}, headers=auth)
            for response in (read, write):
                assert response.status_code in (200, 503), (marker, times, response.get_data(as_text=True))
                if response.status_code == 503:
                    assert response.json["detail"]
            if kill.killed == 1 and marker in ("FROM users", "data_versions"):
                assert read.status_code == 200  # killed once: the retry answered
            kill.left = 0
