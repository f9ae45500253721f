"""Login, verification and profile views (docs/api.md)."""

from reedsailing.apidocs.spec import doc
from reedsailing.core.http import json_body, load
from reedsailing.core.queries import SearchBody, search_term
from reedsailing.core.schemas import UserSchema, contact_user_schema, public_user_schema, user_schema
from reedsailing.security import auth
from reedsailing.security.ratelimit import limited
from reedsailing.users import services
from reedsailing.users.blueprint import bp
from reedsailing.users.schemas import (
    LoginBody,
    LoginResult,
    RegisterBody,
    SendVerifyBody,
    StatusResult,
    UserUpdateBody,
    VerifyBody,
    login_body,
    register_body,
    send_verify_body,
    user_update_body,
    users_schema,
    verify_body,
)


@bp.post("/userLogin/")
@doc(body=LoginBody, response=LoginResult, errors=(429, 502))
@auth.public
@limited("login")
def login():
    """Log in with a wx.login() code; creates the user on first login."""
    code = load(login_body)["code"]
    user, created = services.login_with_code(code)
    return {
        **user_schema.dump(user),
        "status": 0,
        "token": auth.issue_user_token(user),
        "userExist": 0 if created else 1,
    }


@bp.post("/userRegister/")
@doc(body=RegisterBody, response=StatusResult)
@auth.user_required
def register_profile():
    """Set the caller's name and avatar from their WeChat profile."""
    data = load(register_body)
    if "id" in data:
        auth.require_self(data["id"])
    services.register_profile(auth.current_user(), data["userInfo"])
    return {"status": 0}


@bp.post("/sendVerify/")
@doc(body=SendVerifyBody, response=StatusResult, errors=(429, 503))
@auth.user_required
@limited("mail", per_email=True)
def send_verify():
    """Mail a verification code to a university address of the caller."""
    data = load(send_verify_body)
    services.send_verification(auth.current_user(), data["email"])
    return {"status": 0, "msg": "Email send"}


@bp.post("/verify/")
@doc(body=VerifyBody, response=StatusResult, errors=(429,))
@auth.user_required
@limited("verify")
def verify():
    """Bind the verified address to the caller."""
    data = load(verify_body)
    if "id" in data:
        auth.require_self(data["id"])
    services.verify_email(auth.current_user(), data["email"], data["verifyCode"])
    return {"status": 0, "detail": "Valid Code"}


@bp.get("/users/<int:user_id>/")
@doc(response=UserSchema)
@auth.login_required
def get_user(user_id):
    """Read a user; for others the email is masked and `contact` hidden (README "Security")."""
    user, view = services.read_user(auth.principal(), user_id)
    schema = {"whole": user_schema, "contact": contact_user_schema}.get(view, public_user_schema)
    return schema.dump(user)


@bp.put("/users/<int:user_id>/")
@doc(body=UserUpdateBody, response=UserSchema)
@auth.login_required
def update_user(user_id):
    """Update the caller's own profile (partial)."""
    auth.require_self_or_admin(user_id)
    user = services.get_user(user_id)
    return user_schema.dump(services.update_profile(user, load(user_update_body)))


@bp.delete("/users/<int:user_id>/")
@doc(status=204)
@auth.admin_required
def delete_user(user_id):
    """Delete a user and everything they own (admins)."""
    services.delete_user(user_id)
    return "", 204


@bp.get("/users/")
@doc(response=UserSchema, many=True)
@auth.admin_required
def list_users():
    """List users (admins)."""
    return users_schema.dump(services.list_users())


@bp.post("/users/search/")
@doc(body=SearchBody, response=UserSchema, many=True)
@auth.admin_required
def search_users():
    """Search users by name (admins)."""
    return users_schema.dump(services.list_users(name=search_term(json_body())))


@bp.get("/users/boya_followers/")
@doc(response=UserSchema, many=True)
@auth.admin_required
def list_boya_followers():
    """List users who follow 博雅 (admins)."""
    return users_schema.dump(services.list_users(boya_followers=True))
