"""Data versions: one random token per table, replaced in the same transaction as every
write to that table (docs/caching.md).

Nothing has to remember to bump: a listener on every SQLAlchemy engine sees each
INSERT, UPDATE and DELETE that goes through SQLAlchemy (ORM flushes, `update()` /
`delete()` statements, Core executemany) and notes the tables written; just before
the transaction commits, the `data_versions` rows of those tables get new tokens on the
same database connection, so the new versions and the new rows commit together (or
roll back together). A reader fetches the versions of the tables it reads in one small
SELECT and keys its cached answer with them.

Counter columns that no cached answer shows (`activities.joined_count`) are versioned
under their own scope (`activities.joined_count`), so a join does not invalidate every
activity list; the recommendations read that scope.
"""

import logging
import uuid
from collections.abc import Iterable
from contextlib import suppress
from typing import Any

from sqlalchemy import Delete, Engine, Insert, Update, event, inspect, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from reedsailing.extensions import Base
from reedsailing.models import DataVersion

log = logging.getLogger(__name__)

TABLE = "data_versions"
# Tables whose writes change no cached answer (messages, secrets, housekeeping).
UNWATCHED = frozenset({TABLE, "alembic_version", "key_values", "email_codes", "deliveries", "notices"})
# Columns versioned apart from their table: an UPDATE that sets only these bumps
# "<table>.<column>" instead of "<table>".
SEPARATE = {"activities": frozenset({"joined_count"})}
_PENDING = "reedsailing_pending_versions"
_HAS_TABLE = "reedsailing_has_data_versions"


def scopes_of(statement: Any, params: Any) -> set[str]:
    """The scopes a write statement changes (empty for reads and unwatched tables)."""
    if not isinstance(statement, (Insert, Update, Delete)):
        return set()
    table = getattr(statement.table, "name", None)
    if table is None or table in UNWATCHED or table not in Base.metadata.tables:
        return set()
    separate = SEPARATE.get(table)
    if not isinstance(statement, Update) or not separate:
        return {table}
    first = params[0] if isinstance(params, list) and params else params
    columns = {getattr(key, "name", key) for key in (getattr(statement, "_values", None) or {})}
    columns |= set(first or {})
    columns &= set(Base.metadata.tables[table].columns.keys())
    if columns and columns <= separate:
        return {f"{table}.{column}" for column in columns}
    return {table}


def new_version() -> str:
    return uuid.uuid4().hex


@event.listens_for(Engine, "after_execute")
def _note_write(conn: Connection, statement: Any, multiparams: Any, params: Any, *_: Any) -> None:
    scopes = scopes_of(statement, multiparams or params)
    if scopes:
        conn.info.setdefault(_PENDING, set()).update(scopes)


@event.listens_for(Engine, "rollback")
def _forget(conn: Connection) -> None:
    # An invalidated connection (killed, server gone) has no DBAPI connection left, and
    # `conn.info` would raise PendingRollbackError; its pool record starts a new
    # connection with an empty `info`, so there is nothing to forget.
    if not conn.invalidated:
        conn.info.pop(_PENDING, None)


@event.listens_for(Engine, "commit")
def _bump(conn: Connection) -> None:
    """Before the DBAPI commit: new tokens for the written scopes, on the same DBAPI
    connection (so in the same transaction), in a fixed order (no lock-order deadlock
    between two writers on MariaDB)."""
    if conn.invalidated:
        return  # the commit fails on its own, as the lost connection it is
    scopes = conn.info.pop(_PENDING, None)
    if not scopes or not has_table(conn):
        return
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    ordered = sorted(scopes)
    tokens = {scope: new_version() for scope in ordered}
    cases = " ".join(f"WHEN {mark} THEN {mark}" for _ in ordered)
    marks = ", ".join(mark for _ in ordered)
    dbapi = conn.connection.dbapi_connection
    cursor = dbapi.cursor()  # type: ignore[union-attr]
    statement = ""
    try:
        # One statement, rows locked in primary-key order.
        statement = f"UPDATE {TABLE} SET version = CASE scope {cases} END WHERE scope IN ({marks})"
        cursor.execute(
            statement,
            [value for scope in ordered for value in (scope, tokens[scope])] + ordered,
        )
        if cursor.rowcount == len(ordered):
            return
        for scope in ordered:  # a scope without its row yet (a table added since)
            cursor.execute(
                f"UPDATE {TABLE} SET version = {mark} WHERE scope = {mark}", (tokens[scope], scope)
            )
            if cursor.rowcount == 0:
                cursor.execute(
                    f"INSERT INTO {TABLE} (scope, version) VALUES ({mark}, {mark})", (scope, tokens[scope])
                )
    except conn.dialect.loaded_dbapi.Error as error:
        # A raw cursor's error is the driver's own class; raise it as SQLAlchemy would (a
        # lost connection: OperationalError, connection invalidated), so the app's error
        # handlers and the boundary see what they see for any other statement.
        lost = conn.dialect.is_disconnect(error, dbapi, cursor)
        wrapped = DBAPIError.instance(
            statement, None, error, conn.dialect.loaded_dbapi.Error, lost, dialect=conn.dialect
        )
        if lost:
            conn.invalidate(error)
        raise wrapped from error
    finally:
        with suppress(conn.dialect.loaded_dbapi.Error):  # a cursor of a dead connection
            cursor.close()


def has_table(conn: Connection) -> bool:
    """Whether this database has `data_versions` (not before the 0004_cache migration)."""
    if conn.info.get(_HAS_TABLE):
        return True
    found = inspect(conn).has_table(TABLE)
    if found:
        conn.info[_HAS_TABLE] = True
    return found


def all_scopes() -> list[str]:
    """Every scope: the watched tables and the separately versioned columns."""
    tables = [name for name in Base.metadata.tables if name not in UNWATCHED]
    columns = [f"{table}.{column}" for table, names in SEPARATE.items() for column in sorted(names)]
    return sorted(tables + columns)


@event.listens_for(DataVersion.__table__, "after_create")
def _seed_versions(target: Any, conn: Connection, **_: Any) -> None:
    """`create_all()`: a random token for every scope, as the 0004_cache migration does, so a
    rebuilt database never reuses the versions (and cache keys) of an earlier one."""
    conn.execute(target.insert(), [{"scope": scope, "version": new_version()} for scope in all_scopes()])


def read_versions(conn: Connection, scopes: Iterable[str]) -> dict[str, str] | None:
    """`{scope: version}` of `scopes` in one SELECT (a missing row reads "-"), or None
    when the database has no `data_versions` table (then nothing is cached)."""
    if not has_table(conn):
        return None
    wanted = sorted(set(scopes))
    rows = dict(
        conn.execute(
            select(DataVersion.scope, DataVersion.version).where(DataVersion.scope.in_(wanted))
        ).all()
    )
    return {scope: rows.get(scope, "-") for scope in wanted}
