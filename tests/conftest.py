"""Shared fixtures. The suite runs on SQLite by default and on MariaDB when
TEST_DATABASE_URL names one (as .ci/run does); Redis tests run when REDIS_URL is set.
DATABASE_URL (the development or production database, often in .env) is never used:
the suite drops every table of the database it runs on."""

import os
import sys
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from config import TestConfig
from reedsailing import create_app
from reedsailing.extensions import db
from reedsailing.seed import seed
from tests.support.fake_wechat import FakeWeChat
from tests.support.smtp_sink import SmtpSink

DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
if DATABASE_URL and os.environ.get("DATABASE_URL") == DATABASE_URL:
    raise pytest.UsageError(
        "TEST_DATABASE_URL is the same as DATABASE_URL: the suite would drop that database's tables"
    )
REDIS_URL = os.environ.get("REDIS_URL")
IN_CI = os.environ.get("CI", "").lower() == "true"


# .ci/run sets this for its MariaDB + Redis pass: there, a missing service fails the
# run instead of skipping tests.
REQUIRE_SERVICES = os.environ.get("REEDSAILING_REQUIRE_SERVICES") == "1"


# `slow` marks every test that starts a process (docs/testing.md): `make test-fast`
# (-m "not slow") leaves them out. An audit hook notes the processes each test starts;
# the end of the run names the tests that started one without the mark.
PROCESS_EVENTS = frozenset(
    {"subprocess.Popen", "os.posix_spawn", "os.spawn", "os.exec", "os.fork", "os.forkpty"}
)
_running = {"test": None}
_unmarked_process_starts: dict[str, str] = {}


def _note_process_start(event, args):
    if event not in PROCESS_EVENTS:
        return
    test = _running["test"]
    if test is not None and test.get_closest_marker("slow") is None:
        program = args[0] if args else ""  # Popen: the executable; fork: nothing
        _unmarked_process_starts.setdefault(test.nodeid, f"{event} {program}".strip())


sys.addaudithook(_note_process_start)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    _running["test"] = item
    yield
    _running["test"] = None


def pytest_terminal_summary(terminalreporter):
    if _unmarked_process_starts:
        terminalreporter.section("tests that start a process but are not marked slow")
        for nodeid, start in sorted(_unmarked_process_starts.items()):
            terminalreporter.line(f"{nodeid}: {start}")
        terminalreporter.line("mark them @pytest.mark.slow (docs/testing.md)")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    if DATABASE_URL:
        return DATABASE_URL
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = database_url
        REDIS_URL = None  # tests that need Redis opt in with the `redis_url` fixture
        UPLOAD_FOLDER = str(tmp_path_factory.mktemp("uploads"))

    application = create_app(Config)
    with application.app_context():
        db.drop_all()
        db.create_all()
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


def wipe_database():
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    db.session.commit()


@pytest.fixture(autouse=True)
def app_context(app):
    """A clean, seeded database and a pushed app context for every test."""
    with app.app_context():
        wipe_database()
        seed()
        db.session.commit()
        yield
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def redis_url():
    if not REDIS_URL:
        if REQUIRE_SERVICES:
            pytest.fail("REDIS_URL is required in this run")
        pytest.skip("needs Redis: set REDIS_URL (e.g. redis://127.0.0.1:6379/15)")
    return REDIS_URL


@pytest.fixture
def clock(monkeypatch):
    """The app's time, standing still until the test moves it: `clock.advance(3.5)` where
    a test would sleep through an expiry (tests/support/clock.py, docs/testing.md). It
    replaces every reading of time an expiry depends on: timeutil.precise_now() (behind
    timeutil.now(): activity states, stored expiries; the answer cache's expiries to the
    millisecond) and the `time` of security/auth.py (token ages, admin sessions)."""
    from reedsailing.core import timeutil
    from reedsailing.security import auth
    from tests.support.clock import Clock

    frozen = Clock()
    monkeypatch.setattr(timeutil, "precise_now", frozen.precise_now)
    monkeypatch.setattr(auth, "time", frozen)
    return frozen


@pytest.fixture
def fake_wechat(app, monkeypatch):
    server = FakeWeChat().start()
    monkeypatch.setitem(app.config, "WECHAT_APPID", server.appid)
    monkeypatch.setitem(app.config, "WECHAT_SECRET", server.secret)
    monkeypatch.setitem(app.config, "WECHAT_API_BASE", server.base_url)
    yield server
    server.stop()


@pytest.fixture
def smtp_sink(app, monkeypatch):
    sink = SmtpSink().start()
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", sink.port)
    monkeypatch.setattr(app.extensions["mail"], "server", "127.0.0.1")
    monkeypatch.setattr(app.extensions["mail"], "port", sink.port)
    yield sink
    sink.stop()


class QueryCounter:
    def __init__(self):
        self.statements = []

    @property
    def count(self):
        return len(self.statements)

    def __call__(self, conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(("PRAGMA", "SAVEPOINT", "RELEASE")):
            self.statements.append(statement)


@pytest.fixture
def count_queries(app):
    """`with count_queries() as counter: ...` then `counter.count` SQL statements."""

    @contextmanager
    def counting():
        counter = QueryCounter()
        engine = db.engine
        event.listen(engine, "before_cursor_execute", counter)
        try:
            yield counter
        finally:
            event.remove(engine, "before_cursor_execute", counter)

    return counting


@pytest.fixture
def fake_bykc(app, monkeypatch):
    """A fake 博雅 course site (tests/support/fake_bykc.py); the BYKC_* settings point at it."""
    from tests.support.fake_bykc import FakeBykc

    site = FakeBykc().start()
    monkeypatch.setitem(app.config, "BYKC_BASE_URL", site.base_url)
    monkeypatch.setitem(app.config, "BYKC_SSO_URL", site.sso_url)
    monkeypatch.setitem(app.config, "BYKC_USERNAME", site.username)
    monkeypatch.setitem(app.config, "BYKC_PASSWORD", site.password)
    monkeypatch.setitem(app.config, "BYKC_RSA_PUBLIC_KEY", site.public_key_b64)
    monkeypatch.setitem(app.config, "BYKC_TIMEOUT_SECONDS", 2.0)
    monkeypatch.setitem(app.config, "BYKC_RETRY_BACKOFF_SECONDS", 0)
    yield site
    site.stop()


@pytest.fixture(scope="session")
def _suite_socketio_server(app):
    """The Socket.IO server bound to the suite's `app` (no message queue)."""
    from reedsailing.extensions import socketio

    return socketio.server


@pytest.fixture(autouse=True)
def _suite_socketio(_suite_socketio_server):
    """Every create_app() re-binds the one global `socketio` extension (a test building its
    own app, with REDIS_URL from the environment, would leave pushes going to Redis and
    break the Socket.IO test client); each test starts and ends with the suite app's server."""
    from reedsailing.extensions import socketio

    socketio.server = _suite_socketio_server
    yield
    socketio.server = _suite_socketio_server


@pytest.fixture(autouse=True)
def _suite_limiter(app):
    """Apps built by single tests (test_config, test_ratelimit) re-bind the one global
    limiter; every test starts with the suite app's setting (off)."""
    from reedsailing.security.ratelimit import limiter

    limiter.enabled = app.config["RATELIMIT_ENABLED"]
    yield
    limiter.enabled = app.config["RATELIMIT_ENABLED"]


@pytest.fixture
def restore_extensions(app):
    """Creating another app (tests/support/apps.py) rebinds the shared limiter and
    Socket.IO server: undo it."""
    from reedsailing.extensions import socketio
    from reedsailing.security.ratelimit import limiter

    server, options = socketio.server, dict(socketio.server_options)
    yield
    limiter.reset()
    limiter.init_app(app)
    socketio.server, socketio.server_options = server, options


@pytest.fixture
def server(app):
    """A real `python wsgi.py` (eventlet) on this test's database, without Redis: the
    load tests' server (tests/support/server.py). Tests that take it are `slow`."""
    from tests.support.server import ServerProcess

    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri in ("sqlite://", "sqlite:///:memory:"):
        pytest.skip("needs a database file or server shared with the server process")
    process = ServerProcess(
        {"DATABASE_URL": uri, "SECRET_KEY": app.config["SECRET_KEY"], "REDIS_URL": ""}
    ).start()
    try:
        yield process
    finally:
        process.stop()
