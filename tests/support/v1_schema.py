"""The first version's database, in its own shape: SQLAlchemy Core tables written from
the table description of the live server (Django 3.2 models, MySQL backend, utf8mb4),
so tests and bench/import_v1.py can build an old database to import from.

Kept apart from `reedsailing/v1import/source.py` on purpose: the importer reads with
its own lenient definitions, and these are the documented shape (types, lengths,
foreign keys, unique constraints), so a test catches a reader that expects something
the old database does not have.
"""

import base64
import hashlib
import secrets
import sqlite3
from contextlib import contextmanager
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    Numeric,
    SmallInteger,
    String,
    Table,
    create_engine,
    event,
    make_url,
    text,
)
from sqlalchemy.dialects import mysql

metadata = MetaData()
OPTIONS = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4"}
TIME = DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def _id() -> Column:
    return Column("id", Integer, primary_key=True, autoincrement=True)


def _fk(name: str, target: str, nullable: bool = False) -> Column:
    return Column(name, Integer, ForeignKey(target), nullable=nullable)


auth_user = Table(
    "auth_user",
    metadata,
    _id(),
    Column("password", String(128), nullable=False),
    Column("last_login", TIME),
    Column("is_superuser", Boolean, nullable=False),
    Column("username", String(150), nullable=False, unique=True),
    Column("first_name", String(150), nullable=False),
    Column("last_name", String(150), nullable=False),
    Column("email", String(254), nullable=False),
    Column("is_staff", Boolean, nullable=False),
    Column("is_active", Boolean, nullable=False),
    Column("date_joined", TIME, nullable=False),
    **OPTIONS,
)
wxuser = Table(
    "BUAA_wxuser",
    metadata,
    _id(),
    Column("openid", String(500), nullable=False, unique=True),
    Column("name", String(30), nullable=False),
    Column("avatar", String(500)),
    Column("email", String(100)),
    Column("sign", String(200)),
    Column("contact", String(50)),
    Column("follow_boya", Boolean, nullable=False),
    Column("user_portrait", String(200)),
    **OPTIONS,
)
block = Table(
    "BUAA_block", metadata, _id(), Column("name", String(50), nullable=False, unique=True), **OPTIONS
)
category = Table(
    "BUAA_category", metadata, _id(), Column("name", String(50), nullable=False, unique=True), **OPTIONS
)
address = Table(
    "BUAA_address",
    metadata,
    _id(),
    Column("name", String(50), nullable=False),
    Column("longitude", Numeric(30, 25), nullable=False),
    Column("latitude", Numeric(30, 25), nullable=False),
    **OPTIONS,
)
organization = Table(
    "BUAA_organization",
    metadata,
    _id(),
    Column("name", String(50), nullable=False, unique=True),
    Column("description", String(500)),
    Column("create_time", TIME, nullable=False),
    Column("avatar", String(500)),
    _fk("block_id", "BUAA_block.id"),
    _fk("owner_id", "BUAA_wxuser.id"),
    **OPTIONS,
)
activity = Table(
    "BUAA_activity",
    metadata,
    _id(),
    Column("name", String(100), nullable=False),
    Column("begin_time", TIME, nullable=False),
    Column("end_time", TIME, nullable=False),
    Column("pub_time", TIME, nullable=False),
    Column("contain", Integer, nullable=False),
    Column("description", String(500)),
    Column("review", Boolean, nullable=False),
    Column("avatar", String(500)),
    Column("keywords", String(500)),
    _fk("block_id", "BUAA_block.id"),
    _fk("location_id", "BUAA_address.id"),
    _fk("org_id", "BUAA_organization.id", nullable=True),
    _fk("owner_id", "BUAA_wxuser.id"),
    _fk("type_id", "BUAA_category.id", nullable=True),
    **OPTIONS,
)
comment = Table(
    "BUAA_comment",
    metadata,
    _id(),
    Column("content", String(500)),
    Column("pub_time", TIME, nullable=False),
    Column("score", Numeric(2, 1), nullable=False),
    _fk("act_id", "BUAA_activity.id"),
    _fk("user_id", "BUAA_wxuser.id"),
    **OPTIONS,
)
followedorg = Table(
    "BUAA_followedorg",
    metadata,
    _id(),
    _fk("org_id", "BUAA_organization.id"),
    _fk("person_id", "BUAA_wxuser.id"),
    **OPTIONS,
)
joinactapplication = Table(
    "BUAA_joinactapplication",
    metadata,
    _id(),
    _fk("act_id", "BUAA_activity.id"),
    _fk("user_id", "BUAA_wxuser.id"),
    **OPTIONS,
)
joinedact = Table(
    "BUAA_joinedact",
    metadata,
    _id(),
    _fk("act_id", "BUAA_activity.id"),
    _fk("person_id", "BUAA_wxuser.id"),
    **OPTIONS,
)
log = Table(
    "BUAA_log",
    metadata,
    _id(),
    Column("content", String(500), nullable=False),
    Column("pub_time", TIME, nullable=False),
    **OPTIONS,
)
managerapplication = Table(
    "BUAA_managerapplication",
    metadata,
    _id(),
    Column("content", String(500)),
    Column("pub_time", TIME, nullable=False),
    _fk("org_id", "BUAA_organization.id"),
    _fk("user_id", "BUAA_wxuser.id"),
    **OPTIONS,
)
notification = Table(
    "BUAA_notification",
    metadata,
    _id(),
    Column("type", SmallInteger, nullable=False),
    Column("time", TIME, nullable=False),
    Column("content", String(500), nullable=False),
    _fk("act_id", "BUAA_activity.id", nullable=True),
    _fk("org_id", "BUAA_organization.id", nullable=True),
    **OPTIONS,
)
orgapplication = Table(
    "BUAA_orgapplication",
    metadata,
    _id(),
    Column("name", String(50), nullable=False),
    Column("description", String(500), nullable=False),
    Column("pub_time", TIME, nullable=False),
    Column("status", SmallInteger, nullable=False),
    _fk("block_id", "BUAA_block.id"),
    _fk("user_id", "BUAA_wxuser.id"),
    **OPTIONS,
)
orgmanager = Table(
    "BUAA_orgmanager",
    metadata,
    _id(),
    _fk("org_id", "BUAA_organization.id"),
    _fk("person_id", "BUAA_wxuser.id"),
    **OPTIONS,
)
sentnotif = Table(
    "BUAA_sentnotif",
    metadata,
    _id(),
    Column("already_read", Boolean, nullable=False),
    _fk("notif_id", "BUAA_notification.id"),
    _fk("person_id", "BUAA_wxuser.id"),
    **OPTIONS,
)
superadmin = Table(
    "BUAA_superadmin",
    metadata,
    Column("user_ptr_id", Integer, ForeignKey("auth_user.id"), primary_key=True, autoincrement=False),
    Column("avatar", String(500)),
    **OPTIONS,
)
userfeedback = Table(
    "BUAA_userfeedback",
    metadata,
    _id(),
    Column("content", String(500), nullable=False),
    Column("pub_time", TIME, nullable=False),
    _fk("user_id", "BUAA_wxuser.id"),
    **OPTIONS,
)


def _enforce_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.execute("PRAGMA foreign_keys=ON")


def django_hash(password: str, salt: str | None = None, iterations: int = 260000) -> str:
    """`auth_user.password` as Django 3.2 writes it (PBKDF2PasswordHasher)."""
    salt = salt or secrets.token_hex(11)
    derived = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), iterations)
    return f"pbkdf2_sha256${iterations}${salt}${base64.b64encode(derived).decode('ascii').strip()}"


class PlainSqlite(sqlite3.Connection):
    """A SQLite connection the app's pragma listener leaves alone (no WAL: the first
    version's file is in the default rollback-journal mode)."""


class OldDatabase:
    """An old-shape database: a SQLite file, or (for a mysql URL) a database of its own
    on the same server (`rs_import_old_<random>`), dropped by `drop()`."""

    def __init__(self, server_url: str | None, sqlite_path: str | None = None, name: str | None = None):
        if server_url and make_url(server_url).get_backend_name() in ("mysql", "mariadb"):
            self.name = name or f"rs_import_old_{secrets.token_hex(4)}"
            server = make_url(server_url)
            self.admin_url = server.set(database="")
            self.url = server.set(database=self.name).render_as_string(hide_password=False)
            admin = create_engine(self.admin_url)
            with admin.begin() as connection:
                connection.execute(text(f"DROP DATABASE IF EXISTS `{self.name}`"))
                connection.execute(
                    text(f"CREATE DATABASE `{self.name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
                )
            admin.dispose()
            self.mysql = True
        else:
            assert sqlite_path, "a SQLite old database needs a path"
            self.name = sqlite_path
            self.url = f"sqlite:///{sqlite_path}"
            self.mysql = False
        if self.mysql:
            self.engine = create_engine(self.url)
        else:
            self.engine = create_engine(self.url, connect_args={"factory": PlainSqlite})
            event.listen(self.engine, "connect", _enforce_foreign_keys)
        metadata.create_all(self.engine)

    def insert(self, table: Table, rows: list[dict[str, Any]]) -> None:
        if rows:
            with self.engine.begin() as connection:
                connection.execute(table.insert(), rows)

    @contextmanager
    def unchecked(self):
        """A connection that may write dangling references (what a copy can hold)."""
        with self.engine.connect() as connection:
            # Before the transaction: SQLite ignores this pragma inside one.
            connection.exec_driver_sql(
                "SET FOREIGN_KEY_CHECKS=0" if self.mysql else "PRAGMA foreign_keys=OFF"
            )
            yield connection
            connection.commit()
            connection.exec_driver_sql("SET FOREIGN_KEY_CHECKS=1" if self.mysql else "PRAGMA foreign_keys=ON")

    def drop(self) -> None:
        self.engine.dispose()
        if self.mysql:
            admin = create_engine(self.admin_url)
            with admin.begin() as connection:
                connection.execute(text(f"DROP DATABASE IF EXISTS `{self.name}`"))
            admin.dispose()
