"""Second apps on the suite's database, for the rules that are settings of create_app()
(rate limits, proxies, start-up checks). Creating one rebinds the shared limiter and
Socket.IO server: take the `restore_extensions` fixture (tests/conftest.py) with it."""

from config import TestConfig
from reedsailing import create_app


def fresh_app(session_app, **settings):
    """A second app on the session's database with some settings changed."""
    attributes = {"SQLALCHEMY_DATABASE_URI": session_app.config["SQLALCHEMY_DATABASE_URI"], **settings}
    return create_app(type("FreshConfig", (TestConfig,), attributes))


def limited_app(session_app, **limits):
    """A second app with rate limits on (in memory) and `limits` set."""
    return fresh_app(session_app, RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://", **limits)
