"""Bodies and answers of the feedback routes (docs/api.md §10)."""

from marshmallow import fields

from reedsailing.core.fields import DateTime, Id, Schema, Text
from reedsailing.core.schemas import UserSchema


class FeedbackBody(Schema):
    content = Text(500, min_length=1, required=True)
    user = Id()


class FeedbackQuery(Schema):
    content = Text(100, load_default="")
    user = Id()


class FeedbackSchema(Schema):
    id = fields.Integer()
    content = fields.String()
    pub_time = DateTime()
    user = fields.Integer(attribute="user_id")


class FeedbackDetailSchema(FeedbackSchema):
    """Only admins read feedback, so the sender comes unmasked."""

    user = fields.Nested(UserSchema)
