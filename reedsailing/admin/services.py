"""Super admin accounts: creation and password checks."""

import logging

from flask import request
from sqlalchemy import select

from reedsailing.core import ratelimit
from reedsailing.core.db import commit_or
from reedsailing.core.errors import field_error
from reedsailing.core.wire import admin_login_refused
from reedsailing.extensions import db
from reedsailing.models import Admin

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
    commit_or(field_error("username", USERNAME_TAKEN))
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
    return admin
