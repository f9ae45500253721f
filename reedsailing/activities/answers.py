"""The one producer of the activity answer: `ActivitySchema` (activities/schemas.py)
compiled into one SQL SELECT and the converters of its rows.

The lists are the hot path (a block's status partition: ~250 activities), so rows are
not dumped through marshmallow one object at a time: at import, `ActivitySchema`'s
fields are walked once into a plan: one Core SELECT of the columns they read (nested
objects joined in) and, per field, the field's own `_serialize` (skipped where the column
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

from reedsailing.activities.schemas import ActivitySchema
from reedsailing.core.fields import Schema
from reedsailing.models import Activity

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
