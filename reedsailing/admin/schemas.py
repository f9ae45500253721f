"""Request bodies and answers of the console's login, admin creation and token check."""

from marshmallow import fields

from reedsailing.core.fields import Schema, Text


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
