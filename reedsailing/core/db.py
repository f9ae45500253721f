"""Database idioms every service uses: load a row or answer 404, name a row in a body
field or answer 400, and commit with a unique-constraint clash turned into an answer.

Races are settled by the database (unique constraints, conditional UPDATEs), so the
commit is where a lost race shows up; `commit_or` is the one place that turns it into
the error the caller would have got had it come second in a calm moment.
"""

from collections.abc import Iterable
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from reedsailing.core.errors import ApiError, not_found, unknown_pk
from reedsailing.extensions import db

Row = TypeVar("Row")


def get_or_404(
    model: type[Row],
    pk: Any,
    detail: str = "未找到。",
    *,
    options: Iterable[Any] = (),
    for_update: bool = False,
) -> Row:
    """The row with primary key `pk`, or a 404 with `detail`.

    `options` eager-loads what the answer nests; `for_update` locks the row until the
    transaction ends (capacity and ownership changes).
    """
    options = tuple(options)
    if not options and not for_update:
        row = db.session.get(model, pk)
    else:
        statement = select(model).where(model.id == pk).options(*options)  # type: ignore[attr-defined]
        if for_update:
            statement = statement.with_for_update()
        row = db.session.scalars(statement).unique().one_or_none()
    if row is None:
        raise not_found(detail)
    return row


def get_or_field_error(model: type[Row], field: str, pk: Any) -> Row:
    """The row a body field names, or 400 `{field: ["无效主键 …"]}`."""
    row = db.session.get(model, pk)
    if row is None:
        raise unknown_pk(field, pk)
    return row


def commit_or(error: ApiError | None) -> None:
    """Commit; when a constraint refuses it, roll back and raise `error`.

    With `error=None` the clash propagates and the app answers 409 (a conflict nobody
    expected to be possible).
    """
    try:
        db.session.commit()
    except IntegrityError as clash:
        db.session.rollback()
        if error is None:
            raise
        raise error from clash
