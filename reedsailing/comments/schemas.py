"""Request bodies and answers of comments (docs/api.md §13)."""

from decimal import Decimal
from typing import Any

from marshmallow import ValidationError, fields

from reedsailing.activities.schemas import ActivityFlatSchema
from reedsailing.core.fields import DateTime, DecimalString, Id, Schema, Text
from reedsailing.core.schemas import PublicUserSchema
from reedsailing.core.wire import receivers_field


class Score(fields.Field):
    """A rating 0-5 in steps of 0.5 (0 = not rated), as a number or a numeric string."""

    default_error_messages = {"invalid": "评分须为 0 到 5 之间、以 0.5 为步长的数字。"}
    openapi = {
        "type": "number",
        "minimum": 0,
        "maximum": 5,
        "multipleOf": 0.5,
        "example": 4.5,
        "description": "0-5 in steps of 0.5; 0 means not rated. A numeric string is accepted too.",
    }

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, (int, float, str)) or len(str(value)) > 10:
            raise self.make_error("invalid")
        try:
            number = Decimal(str(value).strip())
        except ArithmeticError as error:
            raise self.make_error("invalid") from error
        if not number.is_finite() or not 0 <= number <= 5 or (number * 2) % 1 != 0:
            raise self.make_error("invalid")
        return number.quantize(Decimal("0.1"))


class CommentCreateBody(Schema):
    act = Id(required=True)
    user = Id()
    content = Text(500, allow_none=True, load_default="")
    score = Score(load_default=Decimal("0.0"))


class CommentUpdateBody(Schema):
    content = Text(500, allow_none=True)
    score = Score()


class CommentSearchQuery(Schema):
    query = Text(100)
    content = Text(100)
    name = Text(100)


def comment_search_term(data: dict[str, Any]) -> str:
    """The admin search term from `query`, `content` or `name` (query string or body)."""
    loaded = CommentSearchQuery().load(data)
    for key in ("query", "content", "name"):
        if loaded.get(key) is not None:
            return loaded[key]
    raise ValidationError({"query": ["该字段是必填项。"]})


# ---- answers -------------------------------------------------------------------------


class CommentFlatSchema(Schema):
    id = fields.Integer()
    content = fields.String(allow_none=True)
    pub_time = DateTime()
    score = DecimalString(places=1)
    act = fields.Integer(attribute="act_id")
    user = fields.Integer(attribute="user_id")


class CommentCreateResult(CommentFlatSchema):
    receivers = receivers_field()


class CommentShortSchema(Schema):
    """GET comment by id: the app reads content and score."""

    id = fields.Integer()
    content = fields.String(allow_none=True)
    score = DecimalString(places=1)


class CommentUpdateResult(CommentShortSchema):
    receivers = receivers_field()


class CommentDetailSchema(CommentFlatSchema):
    """An activity's comments: the author nested."""

    user = fields.Nested(PublicUserSchema)


class CommentListSchema(CommentDetailSchema):
    """The console's comment list: author and activity nested."""

    act = fields.Nested(ActivityFlatSchema)
