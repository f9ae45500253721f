"""Request bodies and answer shapes of the activity routes (docs/api.md §2, §11-§15)."""

from decimal import Decimal

from marshmallow import ValidationError, fields

from reedsailing.core.fields import MAX_ID, DateTime, DecimalString, Id, LenientInteger, Schema, Text
from reedsailing.core.schemas import ActivityFlatSchema, ActivitySchema, OrgSchema, PublicUserSchema

MAX_CONTAIN = 100_000


class OptionalId(fields.Field):
    """An optional foreign key: null, "" and the app's pseudo ids (-1, -2) mean "none"."""

    default_error_messages = {"invalid": "请填写合法的 id。"}

    def _deserialize(self, value, attr, data, **kwargs):
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise self.make_error("invalid")
        try:
            number = int(value.strip()) if isinstance(value, str) else value
        except ValueError as error:
            raise self.make_error("invalid") from error
        if number <= 0:
            return None
        if number > MAX_ID:
            raise self.make_error("invalid")
        return number


class Score(fields.Field):
    """A rating 0-5 in steps of 0.5 (0 = not rated), as a number or a numeric string."""

    default_error_messages = {"invalid": "评分须为 0 到 5 之间、以 0.5 为步长的数字。"}

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


def _name():
    return Text(100, min_length=1, required=True)


class ActivityCreateBody(Schema):
    name = _name()
    begin_time = DateTime(required=True)
    end_time = DateTime(required=True)
    contain = LenientInteger(minimum=1, maximum=MAX_CONTAIN, required=True)
    description = Text(2000, allow_none=True)
    review = fields.Boolean(load_default=False)
    owner = Id(allow_none=True)
    type = OptionalId(allow_none=True)
    org = OptionalId(allow_none=True)
    location = Id(required=True)
    block = Id(required=True)
    avatar = Text(500, allow_none=True)


class ActivityUpdateBody(Schema):
    """The editable fields; id, org, block, owner and review are ignored (docs/api.md §11)."""

    name = _name()
    begin_time = DateTime(required=True)
    end_time = DateTime(required=True)
    contain = LenientInteger(minimum=1, maximum=MAX_CONTAIN, required=True)
    description = Text(2000, allow_none=True)
    type = OptionalId(allow_none=True)
    location = Id(required=True)


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


def comment_search_term(data):
    """The admin search term from `query`, `content` or `name` (query string or body)."""
    loaded = CommentSearchQuery().load(data)
    for key in ("query", "content", "name"):
        if loaded.get(key) is not None:
            return loaded[key]
    raise ValidationError({"query": ["该字段是必填项。"]})


# ---- answers -------------------------------------------------------------------------


class JoinResult(Schema):
    id = fields.Integer()
    act = fields.Integer(attribute="act_id")
    person = fields.Integer(attribute="user_id")


class JoinedActSchema(Schema):
    """`{act: Activity}` (joined lists, status partition, search)."""

    act = fields.Nested(ActivitySchema)


class ParticipantSchema(Schema):
    person = fields.Nested(PublicUserSchema, attribute="user")


class NumberResult(Schema):
    number = fields.Integer()


class ActRelationResult(Schema):
    hasJoined = fields.Boolean()  # noqa: N815 - the client's names
    underReview = fields.Boolean()  # noqa: N815
    isOwner = fields.Boolean()  # noqa: N815
    isManager = fields.Boolean()  # noqa: N815


class ActivityWithReceivers(ActivitySchema):
    receivers = fields.List(fields.Integer(), data_key="__receivers__")


class ActReceiversResult(Schema):
    receivers = fields.List(fields.Integer(), data_key="__receivers__")


class CommentFlatSchema(Schema):
    id = fields.Integer()
    content = fields.String(allow_none=True)
    pub_time = DateTime()
    score = DecimalString(places=1)
    act = fields.Integer(attribute="act_id")
    user = fields.Integer(attribute="user_id")


class CommentCreateResult(CommentFlatSchema):
    receivers = fields.List(fields.Integer(), data_key="__receivers__")


class CommentShortSchema(Schema):
    """GET comment by id: the app reads content and score."""

    id = fields.Integer()
    content = fields.String(allow_none=True)
    score = DecimalString(places=1)


class CommentUpdateResult(CommentShortSchema):
    receivers = fields.List(fields.Integer(), data_key="__receivers__")


class CommentDetailSchema(CommentFlatSchema):
    """An activity's comments: the author nested."""

    user = fields.Nested(PublicUserSchema)


class CommentListSchema(CommentDetailSchema):
    """The console's comment list: author and activity nested."""

    act = fields.Nested(ActivityFlatSchema)


class ActivityStatusSchema(Schema):
    """`{unstart, cur, end}`: begin > now; begin <= now <= end; end < now."""

    unstart = fields.List(fields.Nested(ActivitySchema))
    cur = fields.List(fields.Nested(ActivitySchema))
    end = fields.List(fields.Nested(ActivitySchema))


class JoinedStatusSchema(Schema):
    unstart = fields.List(fields.Nested(JoinedActSchema))
    cur = fields.List(fields.Nested(JoinedActSchema))
    end = fields.List(fields.Nested(JoinedActSchema))


class RecommendedActSchema(ActivitySchema):
    suitability = fields.Float()


class RecommendResult(Schema):
    acts = fields.List(fields.Nested(RecommendedActSchema))
    orgs = fields.List(fields.Nested(OrgSchema))


CALENDAR_SCHEMA = {
    "type": "object",
    "description": "Keyed by the zero-padded begin date `YYYY-MM-DD` -> the activities the user "
    "joined that begin that day; `{}` for an empty month.",
    "additionalProperties": {"type": "array", "items": {"type": "object"}},
}

activity_schema = ActivitySchema()
activities_schema = ActivitySchema(many=True)
joined_acts_schema = JoinedActSchema(many=True)
participants_schema = ParticipantSchema(many=True)
join_result = JoinResult()
comment_flat_schema = CommentFlatSchema()
comment_short_schema = CommentShortSchema()
comment_details_schema = CommentDetailSchema(many=True)
comment_detail_schema = CommentDetailSchema()
comment_list_schema = CommentListSchema(many=True)
recommended_acts_schema = RecommendedActSchema(many=True)
