"""Rate limits for the routes worth abusing: logins, mail codes, uploads and the shared
lists (categories, addresses).

Each is limited per caller (the student, else the client address) and per client
address; mail codes also per e-mail address. Counters live in Redis when `REDIS_URL`
is set (shared by every server process), in memory otherwise. Exceeding a limit
answers 429 `{"detail": ...}` (errors.py).
"""

import json

from flask import current_app, g, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from reedsailing.core.errors import ApiError
from reedsailing.core.redis import redis_options

limiter = Limiter(key_func=get_remote_address)


def init_app(app):
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config.get("REDIS_URL") or "memory://")
    if app.config["RATELIMIT_STORAGE_URI"].startswith("redis"):
        # limits builds its own client from the URL: with our timeouts (core/redis.py)
        app.config.setdefault("RATELIMIT_STORAGE_OPTIONS", redis_options(app.config))
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    # A broken Redis must not take the API down with it: fall back to memory.
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    limiter.init_app(app)


def _caller_key():
    from reedsailing.security.auth import current_user

    try:
        user = current_user()
    except ApiError:
        user = None
    return f"user:{user.id}" if user is not None else f"ip:{get_remote_address()}"


def _body_field(name):
    try:
        return json.loads(request.get_data(cache=True) or b"{}").get(name)
    except (ValueError, AttributeError, RecursionError):
        return None


def _email_key():
    email = _body_field("email")
    return f"email:{str(email).strip().lower()[:100]}" if email else f"ip:{get_remote_address()}"


def _username_key():
    return f"username:{str(_body_field('username') or '')[:150]}"


def count_failure():
    """Count this request against the failure limits of its route (`limited_failures`)."""
    g.ratelimit_failure = True


def _failed(response):
    return bool(g.get("ratelimit_failure"))


def _setting(name):
    return lambda: current_app.config[name]


def limited(kind, *, per_email=False):
    """Apply the `RATELIMIT_<KIND>_*` limits of config.py to a view."""
    kind = kind.upper()

    def decorator(view):
        view = limiter.limit(
            _setting(f"RATELIMIT_{kind}_PER_USER"), key_func=_caller_key, scope=f"{kind}-caller"
        )(view)
        view = limiter.limit(
            _setting(f"RATELIMIT_{kind}_PER_ADDRESS"), key_func=get_remote_address, scope=f"{kind}-address"
        )(view)
        if per_email:
            view = limiter.limit(
                _setting(f"RATELIMIT_{kind}_PER_EMAIL"), key_func=_email_key, scope=f"{kind}-email"
            )(view)
        return view

    return decorator


def limited_admin_login(view):
    """Console login: every attempt per client address (before the password is hashed),
    and failed attempts per username, a lockout of that name until the window passes."""
    view = limiter.limit(
        _setting("RATELIMIT_ADMIN_LOGIN_FAILURES"),
        key_func=_username_key,
        scope="admin-login-failures",
        deduct_when=_failed,
    )(view)
    return limiter.limit(
        _setting("RATELIMIT_ADMIN_LOGIN_PER_ADDRESS"),
        key_func=get_remote_address,
        scope="admin-login-address",
    )(view)
