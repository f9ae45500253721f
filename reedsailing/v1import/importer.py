"""The import's driver: read the old database, then plan and write one table after the
other, in foreign-key order (docs/switch-over.md).

Planning a table turns its old rows into our rows by the rules (catalog.py, history.py)
and notes each row's outcome in the report; writing inserts the planned rows with Core
executemany in chunks, each chunk its own unit of work (`unit`, given by the command:
the boundary commits, this module only flushes). A chunk the database refuses is
written again row by row, and a row it still refuses is reported skipped with its
table, id and the database's reason, then forgotten, so the rows that point at it are
skipped in turn: bad old data never stops the import.

Ids are kept. A row is written only when it is not here yet (by id, or by its natural
key for link rows), so a second run changes nothing and a later run brings just the
rows that arrived since. Ids the import must give (a link row whose id is taken here,
an owner's manager row, the 博雅 system account) come after every old id and after the
old database's own counters.
"""

import re
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Table, bindparam, delete, func, insert, inspect, make_url, select, text, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError

from reedsailing.core.timeutil import now
from reedsailing.extensions import db
from reedsailing.models import Activity, Participation, User
from reedsailing.seed import SYSTEM_NAME, SYSTEM_OPENID
from reedsailing.v1import import catalog, history, rules
from reedsailing.v1import.media import Media
from reedsailing.v1import.report import ADDED, CHANGED, SKIPPED, Added, Report, TableReport
from reedsailing.v1import.source import OldData, SourceError, describe, read

CHUNK = 2000
# MySQL/MariaDB errors that mean "this row's data", not "the connection": incorrect
# datetime value (1292), CHECK constraint failed (4025).
DATA_ERRORS = {1292, 4025}
# Our table -> the old one whose id counter it continues.
COUNTERS = {
    "blocks": "BUAA_block",
    "categories": "BUAA_category",
    "addresses": "BUAA_address",
    "users": "BUAA_wxuser",
    "organizations": "BUAA_organization",
    "org_managers": "BUAA_orgmanager",
    "follows": "BUAA_followedorg",
    "org_applications": "BUAA_orgapplication",
    "activities": "BUAA_activity",
    "participations": "BUAA_joinedact",
    "comments": "BUAA_comment",
    "feedbacks": "BUAA_userfeedback",
    "notices": "BUAA_notification",
    "deliveries": "BUAA_sentnotif",
    "admins": "auth_user",
}


class TargetError(Exception):
    """Our database is not ready for the import (not migrated, or the old one itself)."""


@dataclass
class Options:
    dry_run: bool = False
    media_base: str | None = None
    media_from: Path | None = None
    chunk: int = CHUNK


# One planned row: (the old id the report names, our row, its key among the present rows)
Planned = tuple[Any, dict[str, Any], Any]


def _old_rows(part: list[Planned]) -> int:
    return sum(1 for old_id, _, _ in part if not isinstance(old_id, Added))


class Progress:
    """What the importer tells a progress bar (tqdm has both methods)."""

    def update(self, n: int) -> None: ...

    def set_description(self, text: str) -> None: ...


class Importer:
    def __init__(
        self,
        source_url: str,
        options: Options,
        unit: Callable[[], AbstractContextManager[Any]] = nullcontext,
        progress: Any = None,
        on_read: Callable[[int], None] | None = None,
    ) -> None:
        self.url = source_url
        self.options = options
        self.unit = unit
        self.progress = progress if progress is not None else Progress()  # a fresh tqdm is falsy (len 0)
        self.on_read = on_read
        self.report = Report(describe(source_url), options.dry_run)
        self.media = Media(options.media_base, options.media_from, options.dry_run)
        self.old = OldData()
        # our table -> {old id: our id} of the rows present here (imported or already there)
        self.ids: dict[str, dict[int, int]] = {}
        self._next_ids: dict[str, int] = {}
        self.counters_moved: dict[str, int] = {}
        self.system_id = 0
        self.org_owners: dict[int, int] = {}  # our organization id -> its owner
        self.act_times: dict[int, Any] = {}  # our activity id -> its pub_time (imported joins' time)

    # ---- the run --------------------------------------------------------------------
    def run(self) -> Report:
        """Import everything (or, with `dry_run`, only report what would be done).
        Errors of the databases themselves are the caller's (exit status 2)."""
        started = time.monotonic()
        try:
            self._check_target()
            self.old = read(self.url, self._read_one)
            self.report.read_seconds = time.monotonic() - started
            self.report.source = describe(self.url)
            for step in (*catalog.STEPS, *history.STEPS):
                step(self)
            self.recount()
            self.move_counters()
        except (SourceError, TargetError) as error:
            self.report.error = str(error)
        finally:
            self.report.seconds = time.monotonic() - started
        return self.report

    def _read_one(self, table: str, rows: int) -> None:
        self.progress.set_description(f"read {table}")
        if self.on_read is not None:
            self.on_read(rows)

    def _check_target(self) -> None:
        missing = [
            name
            for name in ("users", "activities", "data_versions")
            if not inspect(db.engine).has_table(name)
        ]
        if missing:
            raise TargetError("this database has no tables yet: run `python manage.py db upgrade` first")
        try:
            same = make_url(self.url).render_as_string(hide_password=False) == db.engine.url.render_as_string(
                hide_password=False
            )
        except Exception:  # an unparsable URL fails when it is opened
            same = False
        if same:
            raise TargetError("--from names this very database: give the first version's database")

    # ---- rows, ids and writing ---------------------------------------------------------
    def rows(self, old_table: str, report: TableReport, key: str = "id") -> Iterator[tuple[int, RowMapping]]:
        """The old rows with a usable, unique id (the others are reported skipped)."""
        seen: set[int] = set()
        for row in self.old[old_table]:
            report.read += 1
            old_id = rules.as_id(row[key])
            if old_id is None:
                report.note(SKIPPED, "its id is not a positive whole number", repr(row[key]))
            elif old_id in seen:
                report.note(SKIPPED, "a second row with the same id", old_id)
            else:
                seen.add(old_id)
                yield old_id, row

    def allocate(self, table: str, taken: set[int]) -> int:
        """A new id for `table`, after every id here, every old id and the old counter."""
        if table not in self._next_ids:
            old_table = COUNTERS[table]
            old_ids = [rules.as_id(row["id"]) or 0 for row in self.old[old_table]]
            ours = db.session.scalar(select(func.max(db.metadata.tables[table].c.id))) or 0
            counter = self.old.counters.get(old_table, 1) - 1
            self._next_ids[table] = max([ours, counter, *old_ids, *taken]) + 1
        new_id = self._next_ids[table]
        self._next_ids[table] += 1
        return new_id

    def write(
        self, model: Any, planned: list[Planned], report: TableReport, forget: Callable[[Any], None]
    ) -> None:
        """Insert the planned rows (nothing in a dry run); every old row read counts on
        the progress bar once its table is done."""
        table = table_of(model)
        self.progress.set_description(f"write {table.name}")
        if self.options.dry_run:
            report.imported += _old_rows(planned)
        else:
            for start in range(0, len(planned), self.options.chunk):
                part = planned[start : start + self.options.chunk]
                try:
                    with self.unit():
                        db.session.execute(insert(table), [row for _, row, _ in part])
                    report.imported += _old_rows(part)
                except (IntegrityError, DataError, DBAPIError) as error:
                    if not refused(error):
                        raise
                    self._one_by_one(table, part, report, forget)
        self.progress.update(report.read)

    def _one_by_one(
        self, table: Table, part: list[Planned], report: TableReport, forget: Callable[[Any], None]
    ) -> None:
        for old_id, row, key in part:
            try:
                with self.unit():
                    db.session.execute(insert(table), [row])
                report.imported += _old_rows([(old_id, row, key)])
            except (IntegrityError, DataError, DBAPIError) as error:
                if not refused(error):
                    raise
                report.note(SKIPPED, f"refused by the database: {reason(error)}", old_id)
                forget(key)

    def forget_id(self, table: str) -> Callable[[Any], None]:
        def forget(key: Any) -> None:
            self.ids[table].pop(key, None)

        return forget

    # ---- the 博雅 system account --------------------------------------------------------
    def system_account(self, report: TableReport, old_ids: set[int]) -> int:
        """The id of our 博雅 system account, which owns the 博雅 activities: created when
        missing, moved to a new id when it holds an id of the first version's students
        (`seed` gives it id 1 on an empty database)."""
        found = db.session.execute(select(User.id).where(User.openid == SYSTEM_OPENID)).scalar_one_or_none()
        if found is not None and found not in old_ids:
            return found
        new_id = self.allocate("users", old_ids)
        if found is None:
            report.note(ADDED, "the 博雅 system account, owner of the 博雅 activities", new_id)
            if not self.options.dry_run:
                with self.unit():
                    row = {
                        "id": new_id,
                        "openid": SYSTEM_OPENID,
                        "name": SYSTEM_NAME,
                        "follow_boya": False,
                        "is_system": True,
                        "created_at": now(),
                    }
                    db.session.execute(insert(table_of(User)), [row])
            return new_id
        report.note(CHANGED, f"the 博雅 system account moved from id {found} to id {new_id}", found)
        if not self.options.dry_run:
            with self.unit():
                move_user(found, new_id)
        return new_id

    # ---- after the rows ------------------------------------------------------------------
    def recount(self) -> None:
        """`joined_count` = the participants here, for every activity of the first
        version (set at insert; this fixes rows skipped by the database and joins a later
        run brought to activities imported before). Only differing rows are written."""
        acts = set(self.ids.get("activities", {}).values())
        if self.options.dry_run or not acts:
            return
        with self.unit():
            stored = dict(db.session.execute(select(Activity.id, Activity.joined_count)).all())
            actual = dict(
                db.session.execute(
                    select(Participation.act_id, func.count(Participation.id)).group_by(Participation.act_id)
                ).all()
            )
            fixes = [
                {"b_id": act, "b_count": actual.get(act, 0)}
                for act in sorted(acts)
                if stored.get(act) != actual.get(act, 0)
            ]
            if fixes:
                table = table_of(Activity)
                statement = (
                    update(table)
                    .where(table.c.id == bindparam("b_id"))
                    .values(joined_count=bindparam("b_count"))
                )
                db.session.execute(statement, fixes)
        report = self.report.table("BUAA_activity", "activities")
        for fix in fixes:
            report.note(CHANGED, "participants counted again after the joins", fix["b_id"])

    def move_counters(self) -> None:
        """MariaDB/MySQL: every table's AUTO_INCREMENT past the imported ids and past the
        old table's own counter, so an id the first version handed out (even to a row it
        deleted since: a QR code may still name it) never names a new row. SQLite needs
        nothing: a new rowid is the largest one + 1."""
        if self.options.dry_run or db.engine.dialect.name not in ("mysql", "mariadb"):
            return
        with self.unit():
            current: dict[str, Any] = dict(
                db.session.execute(
                    text(
                        "SELECT TABLE_NAME, AUTO_INCREMENT FROM information_schema.TABLES "
                        "WHERE TABLE_SCHEMA = DATABASE()"
                    )
                ).all()
            )
            for table, old_table in COUNTERS.items():
                largest = db.session.scalar(select(func.max(db.metadata.tables[table].c.id))) or 0
                wanted = max(largest + 1, self.old.counters.get(old_table, 0))
                if (current.get(table) or 0) < wanted:
                    db.session.execute(text(f"ALTER TABLE `{table}` AUTO_INCREMENT = {int(wanted)}"))
                    self.counters_moved[table] = wanted


def move_user(old_id: int, new_id: int) -> None:
    """Give the user `old_id` the id `new_id`, with every reference to it (Core
    statements, so the data versions see them)."""
    users = table_of(User)
    row = dict(db.session.execute(select(users).where(users.c.id == old_id)).mappings().one())
    db.session.execute(insert(users), [{**row, "id": new_id, "openid": f"{row['openid']}:moving"}])
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if any(key.column is users.c.id for key in column.foreign_keys):
                db.session.execute(update(table).where(column == old_id).values({column.name: new_id}))
    db.session.execute(delete(users).where(users.c.id == old_id))
    db.session.execute(update(users).where(users.c.id == new_id).values(openid=row["openid"]))


def table_of(model: Any) -> Table:
    return db.metadata.tables[model.__tablename__]


def refused(error: DBAPIError) -> bool:
    """True when the database refused the row's data (not a lost connection)."""
    if error.connection_invalidated:
        return False
    if isinstance(error, (IntegrityError, DataError)):
        return True
    code = error.orig.args[0] if error.orig is not None and error.orig.args else None
    return code in DATA_ERRORS


def reason(error: DBAPIError) -> str:
    """The database's message without the row's values (so one reason groups its rows)."""
    message = str(error.orig) if error.orig is not None else str(error)
    return re.sub(r"'[^']*'", "'…'", message)[:160]
