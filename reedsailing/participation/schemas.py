"""Request bodies and answers of participation (docs/api.md §12)."""

from marshmallow import fields

from reedsailing.core.fields import Id, Schema
from reedsailing.core.schemas import ContactUserSchema


class JoinBody(Schema):
    person = Id(required=True)
    act = Id(required=True)


class LeaveQuery(Schema):
    person = Id(required=True)
    act = Id(required=True)
    operator = Id()


class ActRelationBody(Schema):
    user = Id(required=True)
    act = Id(required=True)


class JoinResult(Schema):
    id = fields.Integer()
    act = fields.Integer(attribute="act_id")
    person = fields.Integer(attribute="user_id")


class ParticipantSchema(Schema):
    # Only the activity's managers read this list: they see how to reach a participant.
    person = fields.Nested(ContactUserSchema, attribute="user")


class NumberResult(Schema):
    number = fields.Integer()


class ActRelationResult(Schema):
    hasJoined = fields.Boolean()  # noqa: N815 - the client's names
    underReview = fields.Boolean()  # noqa: N815
    isOwner = fields.Boolean()  # noqa: N815
    isManager = fields.Boolean()  # noqa: N815
