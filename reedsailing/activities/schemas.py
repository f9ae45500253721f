"""Request bodies and answer shapes of the activity routes (docs/api.md §2, §11).

`ActivitySchema` declares the activity answer (and its OpenAPI shape); the lists do not
dump it through marshmallow: activities/answers.py compiles it, once at import, into the
one producer of the activity answer (`activity_rows()`, `ActivityAnswers`).
"""

from marshmallow import fields

from reedsailing.core.fields import DIGITS, MAX_ID, DateTime, Id, LenientInteger, Schema, Text
from reedsailing.core.schemas import (
    AddressSchema,
    BlockSchema,
    CategorySchema,
    OrgFlatSchema,
    PublicUserSchema,
)
from reedsailing.core.wire import receivers_field

MAX_CONTAIN = 100_000


class OptionalId(fields.Field):
    """An optional foreign key: null, "" and the app's pseudo ids (-1, -2) mean "none"."""

    default_error_messages = {"invalid": "请填写合法的 id。"}
    openapi = {
        "type": "integer",
        "nullable": True,
        "example": 1,
        "description": "An id, or none: null, an empty string and the app's pseudo ids (-1, -2).",
    }

    def _deserialize(self, value, attr, data, **kwargs):
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        # whole numbers as in core.fields.WholeNumber: 2, 2.0, "2"; never 1.5 or "２"
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise self.make_error("invalid")
        if isinstance(value, float) and not value.is_integer():
            raise self.make_error("invalid")
        if isinstance(value, str) and not DIGITS.fullmatch(value):
            raise self.make_error("invalid")
        number = int(value)
        if number <= 0:
            return None
        if number > MAX_ID:
            raise self.make_error("invalid")
        return number


class ActivityUpdateBody(Schema):
    """The editable fields; id, org, block and owner are ignored (docs/api.md §11);
    `review` changes only when sent (docs/signup.md)."""

    name = Text(100, min_length=1, required=True)
    begin_time = DateTime(required=True)
    end_time = DateTime(required=True)
    contain = LenientInteger(minimum=1, maximum=MAX_CONTAIN, required=True)
    description = Text(2000, allow_none=True)
    type = OptionalId(allow_none=True)
    location = Id(required=True)
    review = fields.Boolean(allow_none=True)


class ActivityCreateBody(ActivityUpdateBody):
    review = fields.Boolean(load_default=False)
    owner = Id(allow_none=True)
    org = OptionalId(allow_none=True)
    block = Id(required=True)
    avatar = Text(500, allow_none=True)


# ---- answers -------------------------------------------------------------------------


class ActivityFlatSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    begin_time = DateTime()
    end_time = DateTime()
    pub_time = DateTime()
    contain = fields.Integer()
    description = fields.String(allow_none=True)
    review = fields.Boolean()
    avatar = fields.String(allow_none=True)
    keywords = fields.String(allow_none=True)
    owner = fields.Integer(attribute="owner_id")
    type = fields.Integer(attribute="category_id", allow_none=True)
    org = fields.Integer(attribute="org_id", allow_none=True)
    location = fields.Integer(attribute="address_id")
    block = fields.Integer(attribute="block_id")


class ActivitySchema(ActivityFlatSchema):
    """Activity detail: owner, type, org, location and block nested."""

    owner = fields.Nested(PublicUserSchema)
    type = fields.Nested(CategorySchema, attribute="category", allow_none=True)
    org = fields.Nested(OrgFlatSchema, allow_none=True)
    location = fields.Nested(AddressSchema)
    block = fields.Nested(BlockSchema)


class ActivityWithReceivers(ActivitySchema):
    receivers = receivers_field()


class ActReceiversResult(Schema):
    receivers = receivers_field()


class JoinedActSchema(Schema):
    """`{act: Activity}` (joined lists, status partition, search)."""

    act = fields.Nested(ActivitySchema)


class ActivityStatusSchema(Schema):
    """`{unstart, cur, end}`: begin > now; begin <= now <= end; end < now."""

    unstart = fields.List(fields.Nested(ActivitySchema))
    cur = fields.List(fields.Nested(ActivitySchema))
    end = fields.List(fields.Nested(ActivitySchema))


class JoinedStatusSchema(Schema):
    unstart = fields.List(fields.Nested(JoinedActSchema))
    cur = fields.List(fields.Nested(JoinedActSchema))
    end = fields.List(fields.Nested(JoinedActSchema))


CALENDAR_SCHEMA = {
    "type": "object",
    "description": "Keyed by the zero-padded begin date `YYYY-MM-DD` -> the activities the user "
    "joined that begin that day; `{}` for an empty month.",
    "additionalProperties": {"type": "array", "items": {"type": "object"}},
}
