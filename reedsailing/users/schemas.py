"""Request bodies and answer shapes of login, verification and profiles."""

from marshmallow import fields

from reedsailing.core.fields import Id, Schema, Text
from reedsailing.core.schemas import UserSchema


class LoginBody(Schema):
    code = Text(
        128,
        min_length=1,
        required=True,
        metadata={
            "description": "The `wx.login()` code; in development login mode the openid itself (`demo-1`)"
        },
    )


class LoginResult(UserSchema):
    status = fields.Integer()
    token = fields.String()
    userExist = fields.Integer()  # noqa: N815 - the client's field name


class UserInfo(Schema):
    nickName = Text(30)  # noqa: N815
    avatarUrl = Text(500)  # noqa: N815


class RegisterBody(Schema):
    id = Id()
    userInfo = fields.Nested(UserInfo, required=True)  # noqa: N815


class StatusResult(Schema):
    status = fields.Integer()
    detail = fields.String()
    msg = fields.String()


class SendVerifyBody(Schema):
    email = Text(100, min_length=1, required=True)


class VerifyBody(Schema):
    email = Text(100, min_length=1, required=True)
    verifyCode = Text(16, min_length=1, required=True)  # noqa: N815
    id = Id()


class UserUpdateBody(Schema):
    """Partial profile update; an empty or missing `name` leaves the name alone."""

    name = Text(30, allow_none=True)
    avatar = Text(500, allow_none=True)
    sign = Text(200, allow_none=True)
    contact = Text(50, allow_none=True)
    follow_boya = fields.Boolean()


login_body = LoginBody()
register_body = RegisterBody()
send_verify_body = SendVerifyBody()
verify_body = VerifyBody()
user_update_body = UserUpdateBody(partial=True)
users_schema = UserSchema(many=True)
