"""Database idioms every service uses, and the transaction boundary.

Service functions are operations: they add, change and flush rows in the caller's
transaction and never commit, so one operation may call another and the whole stays one
unit of work. The boundary commits once: a request (`commit_at_the_boundary`, wrapped
around every view by `install_boundary`), a CLI command or a scheduler job
(`unit_of_work`). An error anywhere rolls the whole unit back: never a half-written
change. Notices, mails and pushes leave only after that commit (messages.services).

Races are settled by the database (unique constraints, conditional UPDATEs); a lost race
shows up at the flush, and `flush_or` turns it into the error the caller would have got
had it come second in a calm moment. The one exception to "never commit" is
`separate_transaction`: work that must be visible to other processes at once, whatever
the caller's transaction does (the scheduler's job leases).
"""

import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, has_request_context, request
from sqlalchemy import Connection, event, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from reedsailing.core.errors import ApiError, connection_lost, not_found, roll_back, unknown_pk
from reedsailing.extensions import db

Row = TypeVar("Row")
log = logging.getLogger(__name__)
ON_COMMIT = "reedsailing.on_commit"
ON_ROLLBACK = "reedsailing.on_rollback"
WROTE = "reedsailing.wrote"


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


def flush_or(error: ApiError | None) -> None:
    """Flush; when a constraint refuses it, raise `error` (the unit of work then ends:
    its boundary rolls everything back).

    With `error=None` the clash propagates and the app answers 409 (a conflict nobody
    expected to be possible).
    """
    try:
        db.session.flush()
    except IntegrityError as clash:
        if error is None:
            raise
        raise error from clash


def commit_at_the_boundary(view: Callable[..., Any]) -> Callable[..., Any]:
    """Run a view as one unit of work: commit when it answers, roll back when it raises.

    The commit runs inside the view's dispatch, so a clash or a lost connection at the
    commit meets the same error handlers as one inside the view (409, 503). A GET (or
    HEAD) whose database connection was lost (`errors.connection_lost`: killed, the
    server restarted) runs once more on a fresh connection: a read is idempotent, and
    whatever it wrote was rolled back with it.
    """

    @wraps(view)
    def unit(*args: Any, **kwargs: Any) -> Any:
        for attempt in (1, 2):
            try:
                answer = view(*args, **kwargs)
                if has_writes():
                    db.session.commit()
            except BaseException as error:
                roll_back()
                if attempt == 1 and connection_lost(error) and _idempotent_request():
                    log.warning(
                        "database connection lost on %s %s, once more: %s",
                        request.method,
                        request.path,
                        error,
                    )
                    continue
                raise
            return answer  # after a read, the teardown ends its transaction
        raise AssertionError("unreachable")  # the second attempt answers or raises

    return unit


def has_writes() -> bool:
    """True when the current unit of work wrote something (or has rows to flush): a read
    needs no COMMIT and none of the commit hooks."""
    session = db.session()
    return bool(session.info.get(WROTE) or session.new or session.dirty or session.deleted)


IDEMPOTENT = frozenset({"GET", "HEAD"})


def _idempotent_request() -> bool:
    return has_request_context() and request.method in IDEMPOTENT


def install_boundary(app: Flask) -> None:
    """Make every registered view one unit of work (call after the blueprints)."""
    for endpoint, view in list(app.view_functions.items()):
        if not getattr(view, "_unit_of_work", False):
            wrapped = commit_at_the_boundary(view)
            wrapped._unit_of_work = True  # type: ignore[attr-defined]
            app.view_functions[endpoint] = wrapped


@contextmanager
def unit_of_work() -> Iterator[None]:
    """The boundary of a CLI command, a scheduler job or a Socket.IO event: commit at
    the end, roll back on any error."""
    try:
        yield
        db.session.commit()
    except BaseException:
        roll_back()
        raise


@contextmanager
def separate_transaction() -> Iterator[Connection]:
    """A transaction of its own on a connection of its own, committed when the block
    ends whatever the caller's transaction does; for what other processes must see at
    once (a job lease). Core statements only."""
    with db.engine.begin() as connection:
        yield connection


def on_commit(action: Callable[[], None]) -> None:
    """Run `action` once the current unit of work commits (files to remove, ...)."""
    db.session.info.setdefault(ON_COMMIT, []).append(action)


def on_rollback(action: Callable[[], None]) -> None:
    """Run `action` if the current unit of work rolls back instead (undo a written file)."""
    db.session.info.setdefault(ON_ROLLBACK, []).append(action)


def _run(actions: list[Callable[[], None]] | None) -> None:
    for action in actions or ():
        try:
            action()
        except Exception:  # the data is settled; a leftover file is the housekeeping's
            log.exception("after-transaction action failed")


@event.listens_for(Session, "after_flush")
def _note_flush(session: Session, flush_context: Any) -> None:
    session.info[WROTE] = True


@event.listens_for(Session, "do_orm_execute")
def _note_statement(state: Any) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info[WROTE] = True


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint released (this event fires for those too): the unit goes on
    session.info.pop(WROTE, None)
    session.info.pop(ON_ROLLBACK, None)
    _run(session.info.pop(ON_COMMIT, None))


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, previous_transaction: Any) -> None:
    if previous_transaction.parent is None:
        session.info.pop(WROTE, None)
        session.info.pop(ON_COMMIT, None)
        _run(session.info.pop(ON_ROLLBACK, None))
