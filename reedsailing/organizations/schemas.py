"""Bodies and answers of the organization routes (docs/api.md §8-§9)."""

from marshmallow import fields, validate

from reedsailing.core.fields import DateTime, Id, LenientInteger, Schema, Text
from reedsailing.core.schemas import BlockSchema, OrgSchema, PublicUserSchema, UserSchema
from reedsailing.core.wire import receivers_field
from reedsailing.models.blocks import ORG_BLOCKS

BLOCK_CHOICE = validate.OneOf(ORG_BLOCKS, error="组织只能属于社团、学生会或志愿版块（1、3、4）。")


# ---- bodies -----------------------------------------------------------------------


class ApplicationBody(Schema):
    name = Text(50, min_length=1, required=True)
    description = Text(500, min_length=1, required=True)
    block = LenientInteger(required=True, validate=[BLOCK_CHOICE])
    user = Id()  # the app sends the caller's id; anyone else's is a 403


class DecisionBody(Schema):
    status = fields.Integer(
        strict=False,
        required=True,
        validate=validate.OneOf((1, 2), error="status 只能是 1（通过）或 2（拒绝）。"),
    )


class ApplicationQuery(Schema):
    status = fields.Integer(
        strict=False, validate=validate.OneOf((0, 1, 2), error="status 只能是 0、1 或 2。")
    )


class OrgCreateBody(Schema):
    name = Text(50, min_length=1, required=True)
    description = Text(500, allow_none=True)
    avatar = Text(500, allow_none=True)
    owner = Id(required=True)
    block = LenientInteger(required=True, validate=[BLOCK_CHOICE])


class OrgUpdateBody(Schema):
    name = Text(50, min_length=1)
    description = Text(500, allow_none=True)
    avatar = Text(500, allow_none=True)


class OwnerBody(Schema):
    owner = Id(required=True)


class ManagerBody(Schema):
    org = Id(required=True)
    person = Id(required=True)


class FollowBody(Schema):
    org = Id(required=True)
    person = Id()  # optional for students (the caller), required for admins


class MemberQuery(Schema):
    """`?user=&org=` of the DELETE routes (the app puts their parameters in the query)."""

    user = Id(required=True)
    org = Id(required=True)


class OrgRelationBody(Schema):
    org = Id(required=True)
    user = Id()


# ---- answers ----------------------------------------------------------------------


class ApplicationFlatSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    description = fields.String()
    pub_time = DateTime()
    status = fields.Integer()
    user = fields.Integer(attribute="user_id")
    block = fields.Integer(attribute="block_id")


class ApplicationSchema(ApplicationFlatSchema):
    """Only admins read applications, so the applicant comes unmasked."""

    user = fields.Nested(UserSchema)
    block = fields.Nested(BlockSchema)


class DecisionResult(Schema):
    status = fields.Integer()
    receivers = receivers_field()


class OwnerResult(Schema):
    owner = fields.Integer()
    receivers = receivers_field()


class MemberRowSchema(Schema):
    """A manager or follow row: `{id, org, person}`."""

    id = fields.Integer()
    org = fields.Integer(attribute="org_id")
    person = fields.Integer(attribute="user_id")


class ManagerResult(MemberRowSchema):
    receivers = receivers_field()


class ReceiversResult(Schema):
    receivers = receivers_field()


class OrgWrapSchema(Schema):
    """`{org: OrgDetail}` (followed and managed organizations)."""

    org = fields.Nested(OrgSchema)


class PersonWrapSchema(Schema):
    """`{person: User}` (an organization's managers)."""

    person = fields.Nested(PublicUserSchema, attribute="user")


class OrgRelationResult(Schema):
    isFollower = fields.Boolean()  # noqa: N815 - the client's field names
    isManager = fields.Boolean()  # noqa: N815
    isOwner = fields.Boolean()  # noqa: N815
