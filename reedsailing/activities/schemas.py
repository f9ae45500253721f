"""Request bodies and answer shapes of the activity routes (docs/api.md §2, §11), and
the one producer of the activity answer.

`ActivitySchema` declares the activity answer (and its OpenAPI shape). The lists are
the hot path (a block's status partition: ~250 activities), so rows are not dumped
through marshmallow one object at a time: at import, `ActivitySchema`'s fields are
walked once into a plan: one Core SELECT of the columns they read (nested objects
joined in) and, per field, the field's own `_serialize` (skipped where the column
already holds what the field emits). `ActivityAnswers` dumps the rows of that SELECT
(`activity_rows()`) to exactly what `ActivitySchema().dump(activity)` gives
(a test compares the two). A field added to `ActivitySchema` (or to a schema it
nests) joins the SELECT by itself; one that names no column fails at import.
"""

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from marshmallow import fields
from sqlalchemy import Select, select
from sqlalchemy.engine import Row
from sqlalchemy.sql.elements import ColumnElement

from reedsailing.core.fields import DIGITS, MAX_ID, DateTime, Id, LenientInteger, Schema, Text
from reedsailing.core.schemas import (
    AddressSchema,
    BlockSchema,
    CategorySchema,
    OrgFlatSchema,
    PublicUserSchema,
)
from reedsailing.core.wire import receivers_field
from reedsailing.models import Activity

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


# ---- the one producer: ActivitySchema compiled for the rows of one SELECT ------------

Convert = Callable[[Any], Any] | None
# (answer key, row index, field serializer) of a plain field
Slot = tuple[str, int, Convert]
# What a field class emits for a column already of that Python type: nothing to do.
_EMITS = {fields.String: str, fields.Integer: int, fields.Boolean: bool}


def _converter(field: fields.Field, column: ColumnElement[Any]) -> Convert:
    try:
        python_type = column.type.python_type
    except NotImplementedError:
        python_type = None
    if _EMITS.get(type(field)) is python_type:
        return None
    return lambda value: field._serialize(value, None, None)


class _Plan:
    """The columns `schema` reads from `Activity` (nested schemas through its
    relationships, outer-joined) and how each column becomes its answer value."""

    def __init__(self, schema: Schema) -> None:
        table = Activity.__table__
        relationships = Activity.__mapper__.relationships
        self.columns: list[ColumnElement[Any]] = []
        self.source: Any = table
        self.plain: list[Slot] = []
        # (answer key, row index of the nested id, the nested object's slots)
        self.nested: list[tuple[str, int, list[Slot]]] = []
        self.tables: set[str] = {Activity.__tablename__}
        for key, field in schema.dump_fields.items():
            name = field.attribute or key
            if isinstance(field, fields.Nested):
                relationship = relationships[name]
                alias = relationship.mapper.local_table.alias(f"answer_{key}")
                self.tables.add(relationship.mapper.class_.__tablename__)
                (foreign_key,) = relationship.local_columns
                self.source = self.source.outerjoin(alias, alias.c.id == foreign_key)
                slots = self._slots(field.schema.dump_fields, alias, f"{key}__")
                self.nested.append((key, next(i for k, i, _ in slots if k == "id"), slots))
            else:
                self.plain.extend(self._slots({key: field}, table, ""))

    def _slots(self, dump_fields: dict[str, fields.Field], table: Any, prefix: str) -> list[Slot]:
        slots = []
        for key, field in dump_fields.items():
            column = table.c[field.attribute or key]
            slots.append((key, len(self.columns), _converter(field, column)))
            self.columns.append(column.label(prefix + column.name) if prefix else column)
        return slots


_PLAN = _Plan(ActivitySchema())
# The tables an activity answer reads: its cache scopes (core/cache.py).
ANSWER_TABLES = frozenset(_PLAN.tables)


def activity_rows() -> Select[Any]:
    """`SELECT` what an activity answer reads; filter and order it with `Activity.x`
    (its FROM is the activities table); the rows have `.id`, `.begin_time`, ..."""
    return select(*_PLAN.columns).select_from(_PLAN.source)


def _dump(slots: list[Slot], row: Sequence[Any]) -> dict[str, Any]:
    answer = {}
    for key, index, convert in slots:
        value = row[index]
        answer[key] = value if convert is None or value is None else convert(value)
    return answer


class ActivityAnswers:
    """Dumps rows of `activity_rows()` as `ActivitySchema` does. One per answer: each
    nested owner / type / org / location / block is built once and shared by its rows."""

    def __init__(self) -> None:
        self.seen: list[dict[Any, dict[str, Any]]] = [{} for _ in _PLAN.nested]

    def one(self, row: Row[Any]) -> dict[str, Any]:
        answer = _dump(_PLAN.plain, row)
        for (key, id_index, slots), seen in zip(_PLAN.nested, self.seen, strict=True):
            nested_id = row[id_index]
            if nested_id is None:
                answer[key] = None
                continue
            nested = seen.get(nested_id)
            if nested is None:
                nested = seen[nested_id] = _dump(slots, row)
            answer[key] = nested
        return answer

    def many(self, rows: Iterable[Row[Any]]) -> list[dict[str, Any]]:
        return [self.one(row) for row in rows]

    def grouped(self, groups: dict[str, list[Row[Any]]]) -> dict[str, list[dict[str, Any]]]:
        """Groups of rows (a status partition, a calendar's days), dumped."""
        return {key: self.many(rows) for key, rows in groups.items()}
