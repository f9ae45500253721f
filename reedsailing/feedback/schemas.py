"""Bodies and answers of the feedback routes (docs/api.md §10)."""

from marshmallow import fields

from reedsailing.core.fields import DateTime, Id, Schema, Text


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
    # A plain id, also in search answers: the console's feedback table shows `user` as
    # it comes (a nested object rendered as "[object Object]", docs/clients.md).
    user = fields.Integer(attribute="user_id")
