"""Output shapes shared by several features (docs/api.md §2).

Nested users are always `PublicUser` (email masked, `contact` hidden, never openid);
only the user themself and admins see a whole profile, through `UserSchema`. Who sees
`contact` is one rule, `security.permissions.contact_shown_to` (docs/security.md
"Private details"): the managers of an activity see its participants' `contact`.
"""

from marshmallow import fields

from reedsailing.core.fields import DateTime, DecimalString, Schema


def mask_email(email):
    """`zhangsan@buaa.edu.cn` -> `z***@buaa.edu.cn`."""
    if not email:
        return email
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


class UserSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    avatar = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    sign = fields.String(allow_none=True)
    contact = fields.String(allow_none=True)
    follow_boya = fields.Boolean()


class MaskedEmail(fields.Field):
    """An address as others may see it (`mask_email`); answers only."""

    openapi = {
        "type": "string",
        "nullable": True,
        "example": "z***@buaa.edu.cn",
        "description": "The mail address, masked for anyone but its owner.",
    }

    def __init__(self, **kwargs):
        super().__init__(dump_only=True, allow_none=True, **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        return mask_email(value)


class Hidden(fields.Field):
    """A field others may not read (answered as null, so the shape stays); answers only."""

    # What the API document shows for this field (read by apidocs/spec.py).
    openapi = {"type": "string", "nullable": True, "description": "Not shown to this caller: always null"}

    def __init__(self, **kwargs):
        super().__init__(dump_only=True, allow_none=True, **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        return None


class PublicUserSchema(UserSchema):
    email = MaskedEmail()
    contact = Hidden()  # often a phone number


class ContactUserSchema(PublicUserSchema):
    """A user as the managers of an activity they joined see them: with `contact`."""

    contact = fields.String(allow_none=True)


class Person(fields.Nested):
    """A student in an organizer's list (the waiting list, the join requests): the
    masked profile, with `contact` only where the entry's `contact_shown` is true, as
    `security.permissions.contact_shown_to` (the one rule) decided; otherwise null."""

    def __init__(self, **kwargs):
        super().__init__(ContactUserSchema, **kwargs)

    def _serialize(self, nested_obj, attr, obj, **kwargs):
        data = super()._serialize(nested_obj, attr, obj, **kwargs)
        shown = obj.get("contact_shown") if isinstance(obj, dict) else getattr(obj, "contact_shown", False)
        if data is not None and not shown:
            data["contact"] = None
        return data


class BlockSchema(Schema):
    id = fields.Integer()
    name = fields.String()


class CategorySchema(Schema):
    id = fields.Integer()
    name = fields.String()


class AddressSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    longitude = DecimalString()
    latitude = DecimalString()


class OrgFlatSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    description = fields.String(allow_none=True)
    create_time = DateTime()
    avatar = fields.String(allow_none=True)
    owner = fields.Integer(attribute="owner_id")
    block = fields.Integer(attribute="block_id")


class OrgSchema(OrgFlatSchema):
    """Organization detail: owner and block nested."""

    owner = fields.Nested(PublicUserSchema)
    block = fields.Nested(BlockSchema)


class NoticeSchema(Schema):
    id = fields.Integer()
    type = fields.Integer()
    time = DateTime()
    content = fields.String()
    act = fields.Integer(attribute="act_id", allow_none=True)
    org = fields.Integer(attribute="org_id", allow_none=True)


class EmptySchema(Schema):
    pass


user_schema = UserSchema()
public_user_schema = PublicUserSchema()
contact_user_schema = ContactUserSchema()
org_schema = OrgSchema()
orgs_schema = OrgSchema(many=True)
notice_schema = NoticeSchema()
notices_schema = NoticeSchema(many=True)
