"""Super admin accounts: creation and password checks."""

import logging

from flask import request
from sqlalchemy import func, select

from reedsailing.core.db import flush_or
from reedsailing.core.errors import bad_request, field_error, not_found
from reedsailing.core.wire import admin_login_refused
from reedsailing.extensions import db
from reedsailing.models import Admin
from reedsailing.security import ratelimit

log = logging.getLogger(__name__)
USERNAME_TAKEN = "该用户名已存在。"


def create_admin(username: str, password: str, email: str | None = None) -> Admin:
    """Create a super admin; the username must be new."""
    username = username.strip()
    if db.session.execute(select(Admin.id).where(Admin.username == username)).first():
        raise field_error("username", USERNAME_TAKEN)
    admin = Admin(username=username, email=email)
    admin.set_password(password)
    db.session.add(admin)
    flush_or(field_error("username", USERNAME_TAKEN))
    return admin


def authenticate(username: str, password: str) -> Admin:
    """The admin with these credentials; else the console's 200 `success: "false"`.

    A failure is logged (username and client address, never the password) and counted
    against the per-username failure limit (README "Security").
    """
    admin = db.session.execute(select(Admin).where(Admin.username == username)).scalar_one_or_none()
    if admin is None or not admin.check_password(password):
        log.warning(
            "admin login failed: username %r from %s (%s)",
            username[:150],
            request.remote_addr,
            "unknown username" if admin is None else "wrong password",
        )
        ratelimit.count_failure()
        raise admin_login_refused()
    if admin.password_needs_rehash:  # the first version's Django hash: ours from now on
        admin.set_password(password)
        db.session.flush()
    return admin


ADMIN_NOT_FOUND = "没有这个管理员。"


def list_admins() -> list[Admin]:
    """Every super admin, oldest first."""
    return list(db.session.execute(select(Admin).order_by(Admin.id)).scalars())


def admin_named(username: str) -> Admin:
    """The admin with this username; 404 otherwise."""
    admin = db.session.execute(select(Admin).where(Admin.username == username.strip())).scalar_one_or_none()
    if admin is None:
        raise not_found(ADMIN_NOT_FOUND)
    return admin


def reset_password(username: str, password: str) -> Admin:
    """Give an admin a new password; their console tokens stay valid until they expire."""
    admin = admin_named(username)
    admin.set_password(password)
    db.session.flush()
    return admin


def delete_admin(username: str) -> None:
    """Remove an admin; the last one stays (the console would have nobody to log in)."""
    admin = admin_named(username)
    if db.session.execute(select(func.count(Admin.id))).scalar_one() <= 1:
        raise bad_request("不能删除最后一个管理员。")
    db.session.delete(admin)
    db.session.flush()
