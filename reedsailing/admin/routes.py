from flask import Blueprint
from marshmallow import fields

from reedsailing.admin import services
from reedsailing.core import auth
from reedsailing.core.apidoc import doc
from reedsailing.core.errors import bad_request
from reedsailing.core.fields import Schema, Text
from reedsailing.core.http import load

bp = Blueprint("admin", __name__, url_prefix="/api")


class AdminLoginBody(Schema):
    username = Text(150, min_length=1, required=True)
    password = Text(128, min_length=1, required=True)


class AdminRegisterBody(Schema):
    username = Text(15, min_length=1, required=True)
    password = Text(128, min_length=8, required=True, blank_message="密码至少 8 个字符。")
    email = fields.Email(
        allow_none=True,
        validate=lambda v: len(v) <= 100,
        error_messages={"invalid": "请输入合法的邮件地址。"},
    )


class IdentifyBody(Schema):
    token = Text(1000, required=True)


class AdminLoginResult(Schema):
    success = fields.String()
    token = fields.String()
    user = fields.Dict()


class IdentifyResult(Schema):
    status = fields.Integer()
    name = fields.String()


login_body = AdminLoginBody()
register_body = AdminRegisterBody()
identify_body = IdentifyBody()


@bp.post("/adminLogIn/")
@doc(body=AdminLoginBody, response=AdminLoginResult)
@auth.public
def admin_login():
    """Log a super admin in; answers a console token."""
    data = load(login_body)
    admin = services.authenticate(data["username"], data["password"])
    if admin is None:
        raise bad_request("用户名或密码错误。", success="false", mess="Invalid User")
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
    data = load(identify_body)
    admin = auth.admin_from_token(data["token"].strip())
    if admin is None:
        return {"status": 0, "name": ""}
    return {"status": 1, "name": admin.username}
