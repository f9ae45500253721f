"""Who is calling: students (`Authorization: Bearer <token>`) and super admins (`Token: <token>`).

Tokens are signed (itsdangerous) and carry only an id, so checking one costs no
database query beyond loading the principal. A student token lives `TOKEN_TTL_DAYS`
(a 401 hangs the mini-program, docs/api.md §1.5); earlier tokens stay valid after a
new login (several devices). An admin token also carries a fingerprint of the password
hash, so changing the password logs every console out.

Admin sessions renew on use (docs/api.md §1.1, §6): the console keeps the token of its
login and never receives a new one (`identify` answers only `{status, name}`), so the
token names a session id whose last use (the login, until the first renewal) is kept
server-side in `core.store`, expiring after `ADMIN_TOKEN_IDLE_HOURS`. Every use pushes
that expiry back; each process checks and renews a session at most once a minute (or a
tenth of the idle time), so a request costs no store round trip. The token's own signed
time is the hard upper bound: `ADMIN_TOKEN_MAX_DAYS` after the login, however busy.
While the store (Redis) is unreachable or hung, a check trusts the signed token (that
bound and the password's fingerprint) and logs a warning: an idle expiry may then be
noticed late, but the console keeps working, as the student routes do.
"""

import hashlib
import logging
import secrets
import time
from functools import wraps

from flask import current_app, request
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer
from redis import RedisError

from reedsailing.core import store
from reedsailing.core.errors import ApiError, forbidden
from reedsailing.extensions import db
from reedsailing.security.principal import Principal

USER_SALT = "reedsailing.user-token"
ADMIN_SALT = "reedsailing.admin-token"
ADMIN_SESSION_KEY = "admin-session:{}"
ADMIN_SESSION_RENEW_SECONDS = 60  # check and renew a session at most this often per process
log = logging.getLogger(__name__)


class _Signer(TimestampSigner):
    """itsdangerous's signer, its token times read from this module's `time` like every
    other time here (tests/conftest.py's `clock` fixture replaces it)."""

    def get_timestamp(self) -> int:
        return int(time.time())


def _serializer(salt):
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt, signer=_Signer)


def _fingerprint(admin):
    return hashlib.sha256(admin.password_hash.encode()).hexdigest()[:12]


def issue_user_token(user):
    return _serializer(USER_SALT).dumps({"u": user.id})


def _admin_idle_seconds() -> int:
    return max(1, round(current_app.config["ADMIN_TOKEN_IDLE_HOURS"] * 3600))


# Sessions this process checked in the store lately: session id -> monotonic time. A
# session is looked up (and renewed) at most once per renewal interval per process, so
# an admin request costs no store round trip; an idle expiry is noticed up to that
# interval late.
_checked_sessions: dict[str, float] = {}


def _remember_session(session: str) -> None:
    if len(_checked_sessions) > 10_000:
        _checked_sessions.clear()
    _checked_sessions[session] = time.monotonic()


def issue_admin_token(admin):
    """A console token for a new session, idle-expiring and bounded (see the docstring)."""
    session = secrets.token_urlsafe(16)
    _remember_session(session)  # its first use is the login itself (the token's time)
    return _serializer(ADMIN_SALT).dumps({"a": admin.id, "f": _fingerprint(admin), "s": session})


def _renew_admin_session(session: object, issued: float) -> bool:
    """True while the session is alive (used within the idle time, the login counting as
    a use); its idle expiry starts again from now."""
    if not isinstance(session, str):
        return False  # a token from before sessions renewed: log in again
    idle = _admin_idle_seconds()
    checked = _checked_sessions.get(session)
    if checked is not None and time.monotonic() - checked < min(ADMIN_SESSION_RENEW_SECONDS, idle / 10):
        return True
    key = ADMIN_SESSION_KEY.format(session)
    try:
        if store.get_value(key) is None and time.time() - issued >= idle:
            _checked_sessions.pop(session, None)
            return False
        store.set_value(key, f"{time.time():.3f}", idle)
    except RedisError as error:
        # Redis unreachable or hung: the signed token (its max age, the password's
        # fingerprint) is all there is to go on until the next check, one renewal
        # interval later; an outage costs one timeout per session and process per
        # interval, never an error.
        log.warning("admin session store unavailable, trusting the signed token: %s", error)
    _remember_session(session)
    return True


def user_from_token(token):
    """The User a student token names, or None (forged, expired, deleted user)."""
    from reedsailing.models import User

    if not token:
        return None
    max_age = current_app.config["TOKEN_TTL_DAYS"] * 86400
    try:
        data = _serializer(USER_SALT).loads(token, max_age=max_age)
    except (BadSignature, SignatureExpired):
        return None
    user_id = data.get("u") if isinstance(data, dict) else None
    if not isinstance(user_id, int):
        return None
    user = db.session.get(User, user_id)
    return None if user is None or user.is_system else user


def admin_from_token(token):
    from reedsailing.models import Admin

    if not token:
        return None
    try:
        max_age = int(current_app.config["ADMIN_TOKEN_MAX_DAYS"] * 86400)
        data, issued = _serializer(ADMIN_SALT).loads(token, max_age=max_age, return_timestamp=True)
    except (BadSignature, SignatureExpired):
        return None
    admin_id = data.get("a") if isinstance(data, dict) else None
    if not isinstance(admin_id, int):
        return None
    admin = db.session.get(Admin, admin_id)
    if admin is None or data.get("f") != _fingerprint(admin):
        return None
    if not _renew_admin_session(data.get("s"), issued.timestamp()):
        return None
    return admin


def _bearer_token():
    header = request.headers.get("Authorization")
    if header is None:
        return None
    parts = header.split()
    # Like the first version: the token is the last word, whatever the scheme says.
    return parts[-1] if parts else ""


def authenticate() -> Principal:
    """The request's Principal, resolved once and kept on the request object. A present
    but invalid credential is a 401."""
    principal: Principal | None = getattr(request, "_reedsailing_principal", None)
    if principal is not None:
        return principal
    principal = Principal()
    bearer = _bearer_token()
    if bearer is not None:
        principal.user = user_from_token(bearer)
        if principal.user is None:
            raise ApiError(401, "非法token")
    else:
        admin_token = request.headers.get("Token")
        if admin_token is not None:
            principal.admin = admin_from_token(admin_token.strip())
            if principal.admin is None:
                raise ApiError(401, "非法token")
    request._reedsailing_principal = principal  # type: ignore[attr-defined]
    return principal


def principal() -> Principal:
    """The caller, for the services (`services.op(auth.principal(), ...)`)."""
    return authenticate()


def current_user():
    """The calling student, or None (anonymous or an admin)."""
    return authenticate().user


def current_admin():
    """The calling super admin, or None."""
    return authenticate().admin


def _require(kind):
    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            principal = authenticate()
            if principal.user is None and principal.admin is None:
                raise ApiError(401, "缺少token。")
            if kind == "user" and principal.user is None:
                raise forbidden("该操作仅限微信用户。")
            if kind == "admin" and principal.admin is None:
                raise forbidden()
            return view(*args, **kwargs)

        wrapper._auth = kind
        return wrapper

    return decorator


login_required = _require("any")  # a student or an admin
user_required = _require("user")  # a student only
admin_required = _require("admin")  # a super admin only


def public(view):
    """Mark a view as open to anyone: an explicit rule like the others (default deny)."""
    view._auth = "public"
    return view


def own_secret(view):
    """Mark a view guarded by a secret of its own (the metrics token), not by a login."""
    view._auth = "secret"
    return view


# Endpoints that are not ours to guard: Flask's static files.
UNGUARDED_ENDPOINTS = frozenset({"static"})


def refuse_unguarded_views(app) -> None:
    """Default deny: every view declares its access rule (a decorator of this module),
    or the app refuses to start, naming the view. Call after the blueprints."""
    missing = sorted(
        endpoint
        for endpoint, view in app.view_functions.items()
        if endpoint not in UNGUARDED_ENDPOINTS and getattr(view, "_auth", None) is None
    )
    if missing:
        raise RuntimeError(
            "views without an access rule (add auth.login_required, user_required, "
            f"admin_required, public or own_secret): {', '.join(missing)}"
        )


def require_self_or_admin(user_id):
    """403 unless the caller is the user `user_id` or an admin."""
    if current_admin() is not None:
        return
    require_self(user_id)


def require_self(user_id):
    """403 unless the caller is the student `user_id` (compared as integers)."""
    user = current_user()
    if user is None or user.id != user_id:
        raise forbidden("只能操作自己的数据。")
