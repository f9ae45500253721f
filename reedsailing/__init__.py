"""ReedSailing (一苇以航): the backend of the BUAA campus activity mini-program."""

import logging
import secrets

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from config import INSTANCE_DIR, Config, load_settings
from reedsailing.core import versions  # noqa: F401  (imported for its write listeners)
from reedsailing.core.jsonprovider import OrjsonProvider
from reedsailing.extensions import db, migrate, socketio
from reedsailing.ops import benchtools

log = logging.getLogger(__name__)


def create_app(config_class=Config):
    """Create and configure the ReedSailing application.

    The settings are read here (config.load_settings): a value that cannot be read
    raises config.SettingError, whose one-line message names the variable.
    """
    app = Flask(__name__, instance_path=str(INSTANCE_DIR), instance_relative_config=False)
    app.json = OrjsonProvider(app)
    app.config.update(load_settings(config_class))
    configure_logging(app)
    configure_secret_key(app)
    refuse_development_login(app)
    configure_database(app)
    register_extensions(app)
    register_blueprints(app)
    benchtools.init_app(app)  # off unless BENCH_ROUTES / QUERY_COUNT_HEADER (bench/)
    register_error_handlers(app)
    register_commands(app)
    register_apidocs(app)
    return app


def configure_logging(app):
    from reedsailing.ops.observability import configure_logging as configure

    configure(app)


def uses_embedded_database(app):
    return app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite")


def configure_secret_key(app):
    """Production needs SECRET_KEY; the embedded quick start keeps a generated one."""
    if app.config.get("SECRET_KEY"):
        return
    if not uses_embedded_database(app):
        raise RuntimeError(
            "SECRET_KEY is not set. Set it in the environment or in .env before starting "
            "ReedSailing against a production database (see README, Configuration)."
        )
    key_file = INSTANCE_DIR / "secret_key"
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(48))
        key_file.chmod(0o600)
    app.config["SECRET_KEY"] = key_file.read_text().strip()


def refuse_development_login(app):
    """Development login (no WECHAT_APPID: the login code is the openid) lets anyone log in
    as any student; outside the embedded quick start it needs ALLOW_DEV_LOGIN=true."""
    if app.config.get("WECHAT_APPID") or uses_embedded_database(app) or app.testing:
        return
    if app.config.get("ALLOW_DEV_LOGIN"):
        log.warning("ALLOW_DEV_LOGIN is set: development login mode on a production database.")
        return
    raise RuntimeError(
        "WECHAT_APPID is not set, so anyone could log in as any student (development login "
        "mode), and DATABASE_URL is not SQLite. Set WECHAT_APPID and WECHAT_SECRET, or "
        "ALLOW_DEV_LOGIN=true for a test installation (see README, Security)."
    )


def configure_database(app):
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    if uri.startswith("sqlite"):
        if uri.startswith("sqlite:///") and uri != "sqlite://":
            INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
        options.setdefault("connect_args", {})["timeout"] = 30
    else:
        options.setdefault("pool_recycle", 1800)
        # Every concurrent request holds a connection: a pool smaller than the server's
        # concurrency opens and closes "overflow" connections all the time (bench/).
        options.setdefault("pool_size", app.config["DB_POOL_SIZE"])
        options.setdefault("max_overflow", app.config["DB_MAX_OVERFLOW"])
        # Each statement sees what others committed; the capacity and lock updates are
        # conditional UPDATEs, which stay correct under READ COMMITTED.
        options.setdefault("isolation_level", "READ COMMITTED")
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """SQLite: enforce foreign keys (cascades), wait on locks, WAL for concurrent readers."""
    if type(dbapi_connection).__module__ != "sqlite3":
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def register_extensions(app):
    from flask_cors import CORS

    from reedsailing.core import web
    from reedsailing.extensions import mail
    from reedsailing.ops import observability
    from reedsailing.security import ratelimit

    web.init_app(app)
    observability.init_app(app)  # the access log line, request metrics, Sentry (SENTRY_DSN)
    db.init_app(app)
    migrate.init_app(app, db, render_as_batch=True, compare_type=True)
    app.config.setdefault("MAIL_SUPPRESS_SEND", False)
    mail.init_app(app)
    ratelimit.init_app(app)
    origins = app.config["CORS_ORIGINS"]
    CORS(
        app,
        resources={r"/api/*": {"origins": origins}},
        allow_headers=["Authorization", "Content-Type", "Token"],
    )
    socketio.init_app(
        app,
        async_mode=app.config["SOCKETIO_ASYNC_MODE"],
        cors_allowed_origins="*" if origins == ["*"] else origins,
        **message_queue(app),
    )
    from reedsailing.messages import legacy

    legacy.init_app(app)  # the old app's /ws/link/<uid>/, only when LEGACY_WS_ENABLED


def message_queue(app):
    """Socket.IO's Redis message queue. It builds its own client from the URL: with the
    options of every Redis client of ours (core/redis.py; Flask-SocketIO sets no timeout)."""
    url = app.config.get("REDIS_URL")
    if not url:
        return {}
    from socketio import RedisManager

    from reedsailing.core.redis import redis_options

    manager = RedisManager(
        url, channel=app.config["SOCKETIO_CHANNEL"], redis_options=redis_options(app.config)
    )
    return {"message_queue": url, "client_manager": manager}


def register_blueprints(app):
    from reedsailing.activities.routes import bp as activities_bp
    from reedsailing.admin.routes import bp as admin_bp
    from reedsailing.blocks.routes import bp as blocks_bp
    from reedsailing.charts.routes import bp as charts_bp
    from reedsailing.checkin.routes import bp as checkin_bp
    from reedsailing.comments.routes import bp as comments_bp
    from reedsailing.core.db import install_boundary
    from reedsailing.feedback.routes import bp as feedback_bp
    from reedsailing.feeds.routes import bp as feeds_bp
    from reedsailing.images.routes import bp as images_bp
    from reedsailing.messages import events  # noqa: F401  (registers the Socket.IO handlers)
    from reedsailing.messages.routes import bp as messages_bp
    from reedsailing.meta.routes import bp as meta_bp
    from reedsailing.ops.routes import bp as ops_bp
    from reedsailing.organizations.routes import bp as organizations_bp
    from reedsailing.participation.routes import bp as participation_bp
    from reedsailing.recommendations.routes import bp as recommendations_bp
    from reedsailing.security.auth import refuse_unguarded_views
    from reedsailing.sheets.routes import bp as sheets_bp
    from reedsailing.subscriptions.routes import bp as subscriptions_bp
    from reedsailing.users.routes import bp as users_bp

    for blueprint in (
        meta_bp,
        users_bp,
        admin_bp,
        blocks_bp,
        organizations_bp,
        feedback_bp,
        activities_bp,
        participation_bp,
        comments_bp,
        checkin_bp,
        sheets_bp,
        recommendations_bp,
        images_bp,
        charts_bp,
        messages_bp,
        subscriptions_bp,
        feeds_bp,
        ops_bp,
    ):
        app.register_blueprint(blueprint)
    refuse_unguarded_views(app)  # default deny: a view without an access rule stops the start
    install_boundary(app)  # every view is one unit of work: it commits once, at the end


def register_error_handlers(app):
    from reedsailing.core.errors import register_error_handlers as register

    register(app)


def register_commands(app):
    from reedsailing.cli import register

    register(app)


def register_apidocs(app):
    """The OpenAPI document at /apispec_1.json and Swagger UI 5 at /apidocs/, served from
    the pinned flask-swagger-ui package (no CDN)."""
    from flask import jsonify
    from flask_swagger_ui import get_swaggerui_blueprint

    from reedsailing.apidocs.spec import build_spec
    from reedsailing.apidocs.texts import SWAGGER_UI_CONFIG

    spec = build_spec(app)

    @app.get("/apispec_1.json")
    def apispec():
        return jsonify(spec)

    app.register_blueprint(get_swaggerui_blueprint("/apidocs", "/apispec_1.json", config=SWAGGER_UI_CONFIG))
