"""The first version's database, opened read-only on an engine of its own.

Tables are Core definitions of the columns the import reads, with no types (every value
comes back as the driver gives it: `rules.py` converts them leniently, so a text in an
integer column of a SQLite copy is a skipped row, not a crash). Names are matched
case-insensitively (`BUAA_activity`, or `buaa_activity` on a server with
`lower_case_table_names`).

Nothing is ever written: MySQL/MariaDB sessions are `READ ONLY` and read every table in
one REPEATABLE READ transaction (a consistent snapshot while the old backend may still
run, for a dry run); SQLite files are opened with `mode=ro` and `query_only`, on a
connection class the app's SQLite pragmas (WAL, which would rewrite the file) skip.
"""

import sqlite3
from collections.abc import Callable
from typing import Any

from sqlalchemy import Column, Engine, MetaData, Table, create_engine, event, inspect, make_url, select, text
from sqlalchemy.engine import Connection, RowMapping
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.types import NullType

# old table -> the columns read (all documented ones but BUAA_wxuser.user_portrait, unused)
COLUMNS: dict[str, tuple[str, ...]] = {
    "BUAA_block": ("id", "name"),
    "BUAA_category": ("id", "name"),
    "BUAA_address": ("id", "name", "longitude", "latitude"),
    "BUAA_wxuser": ("id", "openid", "name", "avatar", "email", "sign", "contact", "follow_boya"),
    "BUAA_organization": ("id", "name", "description", "create_time", "avatar", "block_id", "owner_id"),
    "BUAA_orgmanager": ("id", "org_id", "person_id"),
    "BUAA_followedorg": ("id", "org_id", "person_id"),
    "BUAA_orgapplication": ("id", "name", "description", "pub_time", "status", "block_id", "user_id"),
    "BUAA_activity": (
        "id",
        "name",
        "begin_time",
        "end_time",
        "pub_time",
        "contain",
        "description",
        "review",
        "avatar",
        "keywords",
        "block_id",
        "location_id",
        "org_id",
        "owner_id",
        "type_id",
    ),
    "BUAA_joinedact": ("id", "act_id", "person_id"),
    "BUAA_comment": ("id", "content", "pub_time", "score", "act_id", "user_id"),
    "BUAA_userfeedback": ("id", "content", "pub_time", "user_id"),
    "BUAA_notification": ("id", "type", "time", "content", "act_id", "org_id"),
    "BUAA_sentnotif": ("id", "already_read", "notif_id", "person_id"),
    "auth_user": ("id", "password", "username", "email", "is_active", "date_joined"),
    "BUAA_superadmin": ("user_ptr_id", "avatar"),
}
# Tables no API of the first version wrote: counted, never imported.
UNUSED = ("BUAA_managerapplication", "BUAA_joinactapplication", "BUAA_log")
KEYS = {"BUAA_superadmin": "user_ptr_id"}


class SourceError(Exception):
    """The old database cannot be read (unreachable, not the first version's shape)."""


class ReadOnlySqlite(sqlite3.Connection):
    """A SQLite connection of the old database (its own class, so the app's pragmas,
    which switch every SQLite connection to WAL, leave it alone)."""


def _read_only_url(url: str) -> tuple[str, dict[str, Any]]:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return url, {}
    database = parsed.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return url, {"factory": ReadOnlySqlite}
    uri = parsed.set(database=f"file:{database}?mode=ro", query={"uri": "true"})
    return uri.render_as_string(hide_password=False), {"factory": ReadOnlySqlite}


def _guard(dbapi_connection: Any, _record: Any) -> None:
    """Every new connection of the old database refuses writes."""
    cursor = dbapi_connection.cursor()
    try:
        if isinstance(dbapi_connection, sqlite3.Connection):
            cursor.execute("PRAGMA query_only = ON")
        else:
            cursor.execute("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            cursor.execute("SET SESSION TRANSACTION READ ONLY")
    finally:
        cursor.close()


def open_engine(url: str) -> Engine:
    """A read-only engine on the old database (any SQLAlchemy URL)."""
    target, connect_args = _read_only_url(url)
    try:
        engine = create_engine(target, connect_args=connect_args)
    except (SQLAlchemyError, ImportError, ValueError) as error:
        raise SourceError(f"cannot open {describe(url)}: {error}") from error
    if engine.dialect.name in ("sqlite", "mysql", "mariadb"):
        event.listen(engine, "connect", _guard)
    return engine


def describe(url: str) -> str:
    """The URL without its password, for messages and the report."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL is shown as it was given
        return "<an unparsable URL>"


class OldData:
    """Every row of the old tables, read in one transaction, and the old id counters."""

    def __init__(self) -> None:
        self.rows: dict[str, list[RowMapping]] = {}
        self.unused: dict[str, list[Any]] = {}  # unused table -> its ids
        # old table -> the next id its AUTO_INCREMENT (or sqlite_sequence) would give
        self.counters: dict[str, int] = {}

    def __getitem__(self, table: str) -> list[RowMapping]:
        return self.rows.get(table, [])

    def total(self) -> int:
        return sum(len(rows) for rows in self.rows.values()) + sum(len(ids) for ids in self.unused.values())


def read(url: str, on_table: Callable[[str, int], None] | None = None) -> OldData:
    """Read the old database; `on_table(name, rows)` after each table (progress)."""
    engine = open_engine(url)
    try:
        with engine.connect() as connection:
            return _read_all(connection, on_table)
    except SourceError:
        raise
    except SQLAlchemyError as error:
        raise SourceError(f"cannot read {describe(url)}: {error}") from error
    finally:
        engine.dispose()


def _read_all(connection: Connection, on_table: Callable[[str, int], None] | None) -> OldData:
    names = {name.lower(): name for name in inspect(connection).get_table_names()}
    missing = [table for table in COLUMNS if table.lower() not in names]
    if missing:
        raise SourceError("this is not the first version's database: no table " + ", ".join(missing))
    if connection.dialect.name in ("mysql", "mariadb"):
        connection.exec_driver_sql("START TRANSACTION WITH CONSISTENT SNAPSHOT")
    data = OldData()
    meta = MetaData()
    for table, wanted in COLUMNS.items():
        real = names[table.lower()]
        present = {column["name"].lower(): column["name"] for column in inspect(connection).get_columns(real)}
        absent = [column for column in wanted if column.lower() not in present]
        if absent:
            raise SourceError(f"table {real} has no column {', '.join(absent)}")
        columns = [Column(present[column.lower()], NullType(), key=column) for column in wanted]
        old = Table(real, meta, *columns)
        key = old.c[KEYS.get(table, "id")]
        data.rows[table] = list(connection.execute(select(old).order_by(key)).mappings())
        if on_table is not None:
            on_table(table, len(data.rows[table]))
    for table in UNUSED:
        if table.lower() in names:
            quoted = _quoted(connection, names[table.lower()])
            data.unused[table] = list(
                connection.execute(text(f"SELECT id FROM {quoted} ORDER BY id")).scalars()
            )
            if on_table is not None:
                on_table(table, len(data.unused[table]))
    data.counters = _counters(connection)
    connection.rollback()
    return data


def _quoted(connection: Connection, name: str) -> str:
    return connection.dialect.identifier_preparer.quote_identifier(name)


def _counters(connection: Connection) -> dict[str, int]:
    """The next id of each old table as the old database would hand it out (ids of rows
    deleted there are never given to new rows here either); {} when unknown."""
    found: dict[str, int] = {}
    by_lower = {table.lower(): table for table in COLUMNS}
    try:
        if connection.dialect.name in ("mysql", "mariadb"):
            mariadb = getattr(connection.dialect, "is_mariadb", False)
            if not mariadb and (connection.dialect.server_version_info or (0,)) >= (8,):
                # MySQL 8 answers cached statistics (a day old) unless told otherwise
                connection.exec_driver_sql("SET SESSION information_schema_stats_expiry = 0")
            rows = connection.execute(
                text(
                    "SELECT TABLE_NAME, AUTO_INCREMENT FROM information_schema.TABLES "
                    "WHERE TABLE_SCHEMA = DATABASE() AND AUTO_INCREMENT IS NOT NULL"
                )
            )
        elif connection.dialect.name == "sqlite":
            sequences = text(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_sequence'"
            )
            if connection.execute(sequences).first() is None:
                return found
            rows = connection.execute(text("SELECT name, seq + 1 FROM sqlite_sequence"))
        else:
            return found
        for name, counter in rows:
            table = by_lower.get(str(name).lower())
            if table is not None and counter is not None:
                found[table] = int(counter)
    except SQLAlchemyError:
        return {}
    return found
