"""The console's login, admin creation and token check (docs/api.md)."""

from reedsailing.admin import services
from reedsailing.admin.blueprint import bp
from reedsailing.admin.schemas import (
    AdminLoginBody,
    AdminLoginResult,
    AdminRegisterBody,
    IdentifyBody,
    IdentifyResult,
    identify_body,
    login_body,
    register_body,
)
from reedsailing.apidocs.spec import doc
from reedsailing.core.http import load
from reedsailing.core.wire import identify_answer
from reedsailing.security import auth
from reedsailing.security.ratelimit import limited_admin_login


@bp.post("/adminLogIn/")
@doc(body=AdminLoginBody, response=AdminLoginResult, errors=(429,))
@auth.public
@limited_admin_login
def admin_login():
    """Log a super admin in; answers a console token."""
    data = load(login_body)
    admin = services.authenticate(data["username"], data["password"])
    return {"success": "true", "user": {"username": admin.username}, "token": auth.issue_admin_token(admin)}


@bp.post("/register/")
@doc(body=AdminRegisterBody, response=AdminLoginResult, status=201)
@auth.admin_required
def register_admin():
    """Create another super admin (admins only)."""
    data = load(register_body)
    admin = services.create_admin(data["username"], data["password"], data.get("email"))
    return {"success": "true", "user": {"username": admin.username}}, 201


@bp.post("/identify/")
@doc(body=IdentifyBody, response=IdentifyResult)
@auth.public
def identify():
    """Tell the console whether its stored token is still a valid admin token."""
    admin = auth.admin_from_token(load(identify_body)["token"].strip())
    return identify_answer(admin.username if admin is not None else None)
