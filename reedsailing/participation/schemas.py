"""Request bodies and answers of participation (docs/api.md §12, §21)."""

from marshmallow import fields

from reedsailing.core.fields import DateTime, Id, Schema
from reedsailing.core.schemas import ContactUserSchema, Person


class JoinBody(Schema):
    person = Id(required=True)
    act = Id(required=True)
    # New clients: a full activity puts the caller on its waiting list instead of 400.
    waitlist = fields.Boolean(load_default=False)


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


class QueuedResult(Schema):
    """A join that did not (yet) make the caller a participant."""

    act = fields.Integer()
    person = fields.Integer()
    state = fields.String(metadata={"enum": ["waiting", "pending", "joined"]})
    position = fields.Integer(allow_none=True)


class SignupResult(Schema):
    state = fields.String(metadata={"enum": ["joined", "waiting", "pending", "declined", "none"]})
    position = fields.Integer(allow_none=True)


class WaitingEntrySchema(Schema):
    person = Person()
    position = fields.Integer()
    created_at = DateTime()


class JoinRequestSchema(Schema):
    person = Person(attribute="user")
    state = fields.String()
    created_at = DateTime()


class DeclineBody(Schema):
    allowAgain = fields.Boolean(load_default=False)  # noqa: N815 - the client's names
