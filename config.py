"""Settings, read from environment variables (and an optional `.env` file).

The classes below declare the settings; nothing is read when this module is imported.
`create_app` reads them (`load_settings`), so a value that cannot be read stops the app
there with one line naming the variable (`SettingError`), and this module imports
whatever the environment holds. A test or a script changes a setting by subclassing
(`class Config(TestConfig): REDIS_URL = None`); reading `Config.PORT` reads PORT now.

Every variable is listed with its default and meaning in README.md ("Configuration").
"""

import os
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path
from typing import Any, Generic, TypeVar

from dotenv import load_dotenv

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"

T = TypeVar("T")


class SettingError(ValueError):
    """A setting whose value cannot be read; the message names the variable."""


@cache
def load_env_file() -> None:
    """Put the repository's `.env` into the environment, once (a set variable wins)."""
    load_dotenv(BASE_DIR / ".env")


class Setting(Generic[T]):
    """One environment variable: read (and checked) each time the class attribute is read.

    Unset or blank means `default`; anything else goes through `parse`, which raises
    SettingError for a value it cannot read.
    """

    def __init__(self, name: str, default: T, parse: Callable[[str, str], T]) -> None:
        self.name, self.default, self.parse = name, default, parse

    def value(self) -> T:
        load_env_file()
        raw = os.environ.get(self.name)
        if raw is None or raw.strip() == "":
            return self.default
        return self.parse(self.name, raw)

    def __get__(self, instance: object, owner: type | None = None) -> T:
        return self.value()


def _text(name: str, raw: str) -> str:
    return raw


def env(name: str, default: Any = None, *, rstrip: str = "") -> Setting[Any]:
    """A text setting; `rstrip` characters are cut from its end (URLs: `rstrip="/"`)."""
    if not rstrip:
        return Setting(name, default, _text)
    return Setting(name, default.rstrip(rstrip), lambda _name, raw: raw.rstrip(rstrip))


TRUE = frozenset({"1", "true", "t", "yes", "y", "on"})
FALSE = frozenset({"0", "false", "f", "no", "n", "off"})


def _bool(name: str, raw: str) -> bool:
    word = raw.strip().lower()
    if word in TRUE:
        return True
    if word in FALSE:
        return False
    raise SettingError(
        f"setting {name}={raw!r} is not true or false (true/false, 1/0, yes/no, on/off; see README, Configuration)"
    )


def env_bool(name: str, default: bool = False) -> Setting[bool]:
    return Setting(name, default, _bool)


def _int(name: str, raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise SettingError(
            f"setting {name}={raw!r} is not a whole number (see README, Configuration)"
        ) from None


def env_int(name: str, default: int) -> Setting[int]:
    return Setting(name, default, _int)


def _float(name: str, raw: str) -> float:
    try:
        return float(raw)
    except ValueError:
        raise SettingError(f"setting {name}={raw!r} is not a number (see README, Configuration)") from None


def env_float(name: str, default: float) -> Setting[float]:
    return Setting(name, float(default), _float)


def env_choice(name: str, default: str, choices: Sequence[str]) -> Setting[str]:
    def choose(name: str, raw: str) -> str:
        if raw not in choices:
            raise SettingError(f"setting {name}={raw!r} is not one of {', '.join(choices)}")
        return raw

    return Setting(name, default, choose)


def _items(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def env_list(name: str, default: str = "") -> Setting[list[str]]:
    """A comma-separated list."""
    return Setting(name, _items(default), lambda _name, raw: _items(raw))


def load_settings(config_class: type) -> dict[str, Any]:
    """Every setting of `config_class` (its upper-case attributes, inherited ones too),
    read from the environment now. Raises SettingError for the first bad value."""
    load_env_file()
    return {key: getattr(config_class, key) for key in dir(config_class) if key.isupper()}


class Config:
    # ---- Core: tokens, sessions, what every client sees -------------------------------------
    SECRET_KEY = env("SECRET_KEY")  # required with any database but SQLite
    TOKEN_TTL_DAYS = env_int("TOKEN_TTL_DAYS", 30)
    # Admin console sessions (issue 13): end after this long without use (every request
    # and the console's `identify` renew it), and at the latest this long after login.
    ADMIN_TOKEN_IDLE_HOURS = env_float("ADMIN_TOKEN_IDLE_HOURS", 24)
    ADMIN_TOKEN_MAX_DAYS = env_float("ADMIN_TOKEN_MAX_DAYS", 7)
    CORS_ORIGINS = env_list("CORS_ORIGINS", "*")
    SHOW_ALL = env_bool("SHOW_ALL", True)

    # ---- Server processes (README "Server modes"): where `python wsgi.py` listens, its
    # mode (the CLI and an imported wsgi:app are always threading), gunicorn's threads in
    # the threading mode.
    HOST = env("HOST", "127.0.0.1")
    PORT = env_int("PORT", 5000)
    SOCKETIO_ASYNC_MODE = env_choice("SOCKETIO_ASYNC_MODE", "threading", ("eventlet", "gevent", "threading"))
    GUNICORN_THREADS = env_int("GUNICORN_THREADS", 50)

    # ---- Database, and its connections per server process (MariaDB/MySQL; SQLite
    # ignores the pool sizes)
    SQLALCHEMY_DATABASE_URI = env("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'reedsailing.db'}")
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    DB_POOL_SIZE = env_int("DB_POOL_SIZE", 20)
    DB_MAX_OVERFLOW = env_int("DB_MAX_OVERFLOW", 10)

    # ---- Redis (docs/operations.md "Redis"): shared by every process; the socket timeout
    # of every Redis client (reedsailing/core/redis.py makes them all).
    REDIS_URL = env("REDIS_URL")
    REDIS_SOCKET_TIMEOUT_SECONDS = env_float("REDIS_SOCKET_TIMEOUT_SECONDS", 5)

    # ---- Cache: answers of the heavy reads (docs/caching.md): Redis with REDIS_URL, else an
    # in-process LRU of CACHE_MAX_BYTES; entries expire after CACHE_TTL seconds. At most
    # CACHE_VARIANTS answers per route and arguments (distinct pages and search names), so
    # no caller can fill the store; no answer above CACHE_MAX_BYTES / 4 is stored.
    CACHE_ENABLED = env_bool("CACHE_ENABLED", True)
    CACHE_TTL = env_int("CACHE_TTL", 3600)
    CACHE_MAX_BYTES = env_int("CACHE_MAX_BYTES", 32 * 1024 * 1024)
    CACHE_VARIANTS = env_int("CACHE_VARIANTS", 32)

    # ---- Realtime: the Redis pub/sub channel of the Socket.IO message queue (and, with
    # ":legacy" appended, of the legacy WebSocket bridge). Pub/sub ignores the Redis
    # database number, so two deployments sharing one Redis need different channels.
    SOCKETIO_CHANNEL = env("SOCKETIO_CHANNEL", "reedsailing")
    # This server process's name at the head of its Engine.IO session ids ("<node>.<id>"):
    # nginx routes long-polling requests by it (deploy/nginx-reedsailing.conf). Empty =
    # the PORT; set it when processes on several hosts share a port number.
    SOCKETIO_NODE = env("SOCKETIO_NODE", "")
    LEGACY_WS_ENABLED = env_bool("LEGACY_WS_ENABLED", False)

    # ---- WeChat
    WECHAT_APPID = env("WECHAT_APPID", "")
    WECHAT_SECRET = env("WECHAT_SECRET", "")
    WECHAT_API_BASE = env("WECHAT_API_BASE", "https://api.weixin.qq.com", rstrip="/")
    WECHAT_TIMEOUT_SECONDS = env_float("WECHAT_TIMEOUT_SECONDS", 5)
    WECHAT_TOKEN_REFRESH_SECONDS = env_int("WECHAT_TOKEN_REFRESH_SECONDS", 3600)
    # WeChat subscribe messages (docs/notices.md, "Outside the app"): notice type ->
    # template id (`1=<id>,2=<id>,...`; empty: none are sent), the template keywords and
    # what fills them, the page a message opens, the app version it opens
    # (formal/trial/developer), how often the scheduler sends and how often it tries one.
    WECHAT_SUBSCRIBE_TEMPLATES = env("WECHAT_SUBSCRIBE_TEMPLATES", "")
    WECHAT_SUBSCRIBE_FIELDS = env("WECHAT_SUBSCRIBE_FIELDS", "thing1=activity,time2=begin,thing3=text")
    WECHAT_SUBSCRIBE_PAGE = env("WECHAT_SUBSCRIBE_PAGE", "")
    WECHAT_SUBSCRIBE_STATE = env("WECHAT_SUBSCRIBE_STATE", "formal")
    WECHAT_SUBSCRIBE_SECONDS = env_int("WECHAT_SUBSCRIBE_SECONDS", 30)
    WECHAT_SUBSCRIBE_MAX_ATTEMPTS = env_int("WECHAT_SUBSCRIBE_MAX_ATTEMPTS", 5)

    # ---- Mail, and the verification codes it carries
    MAIL_SERVER = env("MAIL_SERVER", "")
    MAIL_PORT = env_int("MAIL_PORT", 587)  # submission port with STARTTLS (issue 12)
    MAIL_USE_TLS = env_bool("MAIL_USE_TLS", True)
    MAIL_USE_SSL = env_bool("MAIL_USE_SSL", False)
    MAIL_USERNAME = env("MAIL_USERNAME")
    MAIL_PASSWORD = env("MAIL_PASSWORD")
    MAIL_DEFAULT_SENDER = env("MAIL_DEFAULT_SENDER", "一苇以航 <noreply@reedsailing.local>")
    MAIL_TIMEOUT_SECONDS = env_float("MAIL_TIMEOUT_SECONDS", 10)
    ALLOWED_EMAIL_DOMAINS = env_list("ALLOWED_EMAIL_DOMAINS", "buaa.edu.cn")
    VERIFY_CODE_TTL_SECONDS = env_int("VERIFY_CODE_TTL_SECONDS", 300)
    VERIFY_RESEND_SECONDS = env_int("VERIFY_RESEND_SECONDS", 60)
    VERIFY_MAX_ATTEMPTS = env_int("VERIFY_MAX_ATTEMPTS", 5)

    # ---- Uploads: where they live, their largest size (phone originals; nginx allows
    # 16m), the longest side (pixels) they are scaled down to when re-encoded, and the
    # public origin of their URLs.
    UPLOAD_FOLDER = env("UPLOAD_FOLDER", str(INSTANCE_DIR / "uploads"))
    MAX_UPLOAD_MB = env_float("MAX_UPLOAD_MB", 15)
    UPLOAD_MAX_SIDE = env_int("UPLOAD_MAX_SIDE", 1920)
    PUBLIC_BASE_URL = env("PUBLIC_BASE_URL", "http://127.0.0.1:5000", rstrip="/")

    # ---- 博雅 course site (the crawler); retries of a network error or 5xx wait backoff,
    # 2*backoff, ... seconds
    BYKC_BASE_URL = env("BYKC_BASE_URL", "https://bykc.buaa.edu.cn/sscv", rstrip="/")
    BYKC_SSO_URL = env("BYKC_SSO_URL", "https://sso.buaa.edu.cn/login")
    BYKC_USERNAME = env("BYKC_USERNAME", "")
    BYKC_PASSWORD = env("BYKC_PASSWORD", "")
    BYKC_RSA_PUBLIC_KEY = env(
        "BYKC_RSA_PUBLIC_KEY",
        "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDlHMQ3B5GsWnCe7Nlo1YiG/YmHdlOiKOST5aRm4iaqYSvhvWmw"
        "cigoyWTM+8bv2+sf6nQBRDWTY4KmNV7DBk1eDnTIQo6ENA31k5/tYCLEXgjPbEjCK9spiyB62fCT6cqOhbamJB0l"
        "cDJRO6Vo1m3dy+fD0jbxfDVBBNtyltIsDQIDAQAB",
    )
    BYKC_TIMEOUT_SECONDS = env_float("BYKC_TIMEOUT_SECONDS", 10)
    BYKC_RETRIES = env_int("BYKC_RETRIES", 2)
    BYKC_RETRY_BACKOFF_SECONDS = env_float("BYKC_RETRY_BACKOFF_SECONDS", 1)

    # ---- Scheduler jobs and what they serve: the 博雅 import, the "starts soon" notices;
    # days after its end an activity stays in a calendar feed (docs/api.md §22).
    BOYA_CRAWL_MINUTES = env_int("BOYA_CRAWL_MINUTES", 10)
    REMINDER_MINUTES = env_int("REMINDER_MINUTES", 60)
    CALENDAR_FEED_PAST_DAYS = env_int("CALENDAR_FEED_PAST_DAYS", 180)

    # ---- Rate limits (Flask-Limiter syntax, `;` separates several); storage is Redis when
    # REDIS_URL is set. PER_USER counts the student (else the client address).
    RATELIMIT_ENABLED = env_bool("RATELIMIT_ENABLED", True)
    RATELIMIT_LOGIN_PER_USER = env("RATELIMIT_LOGIN_PER_USER", "30/minute")
    RATELIMIT_LOGIN_PER_ADDRESS = env("RATELIMIT_LOGIN_PER_ADDRESS", "60/minute")
    RATELIMIT_MAIL_PER_USER = env("RATELIMIT_MAIL_PER_USER", "5/minute;30/day")
    RATELIMIT_MAIL_PER_ADDRESS = env("RATELIMIT_MAIL_PER_ADDRESS", "20/minute;200/day")
    RATELIMIT_MAIL_PER_EMAIL = env("RATELIMIT_MAIL_PER_EMAIL", "3/minute;10/day")
    RATELIMIT_VERIFY_PER_USER = env("RATELIMIT_VERIFY_PER_USER", "10/minute")
    RATELIMIT_VERIFY_PER_ADDRESS = env("RATELIMIT_VERIFY_PER_ADDRESS", "60/minute")
    RATELIMIT_UPLOAD_PER_USER = env("RATELIMIT_UPLOAD_PER_USER", "20/minute;200/day")
    RATELIMIT_UPLOAD_PER_ADDRESS = env("RATELIMIT_UPLOAD_PER_ADDRESS", "60/minute")
    # Console login: every attempt per client address; failed attempts per username.
    RATELIMIT_ADMIN_LOGIN_PER_ADDRESS = env("RATELIMIT_ADMIN_LOGIN_PER_ADDRESS", "10/minute;100/day")
    RATELIMIT_ADMIN_LOGIN_FAILURES = env("RATELIMIT_ADMIN_LOGIN_FAILURES", "5/minute;30/hour")
    # Shared lists every student sees (categories, addresses): per verified student.
    RATELIMIT_SHARED_WRITES_PER_USER = env("RATELIMIT_SHARED_WRITES_PER_USER", "10/minute;50/day")
    RATELIMIT_SHARED_WRITES_PER_ADDRESS = env("RATELIMIT_SHARED_WRITES_PER_ADDRESS", "30/minute")

    # ---- Security (README "Security")
    # Development login (no WECHAT_APPID) on a non-SQLite database only when this says so.
    ALLOW_DEV_LOGIN = env_bool("ALLOW_DEV_LOGIN", False)
    # How many reverse proxies (nginx) stand in front and set X-Forwarded-For/-Proto.
    TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
    # Strict-Transport-Security on answers served over https (0 turns it off).
    HSTS_SECONDS = env_int("HSTS_SECONDS", 31536000)

    # ---- Logs, metrics and errors (docs/operations.md "Logs, metrics and errors"): the
    # log level and format, the bearer token of GET /metrics (unset: /metrics is off), the
    # optional Sentry error reports.
    LOG_LEVEL = env("LOG_LEVEL", "INFO")
    LOG_FORMAT = env_choice("LOG_FORMAT", "text", ("text", "json"))
    METRICS_TOKEN = env("METRICS_TOKEN")
    SENTRY_DSN = env("SENTRY_DSN")
    SENTRY_ENVIRONMENT = env("SENTRY_ENVIRONMENT", "production")
    SENTRY_TRACES_SAMPLE_RATE = env_float("SENTRY_TRACES_SAMPLE_RATE", 0)

    # ---- Benchmarks (bench/): both off in production
    BENCH_ROUTES = env_bool("BENCH_ROUTES", False)  # GET /api/bench/ping/, the load runs' ceiling
    QUERY_COUNT_HEADER = env_bool("QUERY_COUNT_HEADER", False)  # X-Query-Count on every response


class TestConfig(Config):
    """The test suite's settings (tests/conftest.py subclasses it)."""

    TESTING = True
    SECRET_KEY = "test-secret-key-not-for-production"
    # Never DATABASE_URL: the suite drops and recreates every table of its database.
    SQLALCHEMY_DATABASE_URI = env("TEST_DATABASE_URL", "sqlite://")
    SOCKETIO_ASYNC_MODE = "threading"
    WECHAT_APPID = ""
    WECHAT_SECRET = ""
    MAIL_SERVER = ""
    MAIL_USE_TLS = False  # the test SMTP sink (tests/support) speaks plain SMTP
    PUBLIC_BASE_URL = "http://testserver"
    RATELIMIT_ENABLED = False
