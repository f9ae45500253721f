"""The machinery of one import run that every table's planning uses
(docs/switch-over.md): the old rows with usable ids, the ids present here, new ids,
writing planned rows, and the 博雅 system account.

Writing inserts the planned rows with Core executemany in chunks, each chunk its own
unit of work (`unit`, given by the command: the boundary commits, this module only
flushes). A chunk the database refuses is written again row by row, and a row it still
refuses is reported skipped with its table, id and the database's reason, then
forgotten, so the rows that point at it are skipped in turn: bad old data never stops
the import. Ids the import must give (a link row whose id is taken here, an owner's
manager row, the 博雅 system account) come after every old id and after the old
database's own counters.
"""

import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Table, delete, func, insert, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError

from reedsailing.core.timeutil import now
from reedsailing.extensions import db
from reedsailing.models import User
from reedsailing.seed import SYSTEM_NAME, SYSTEM_OPENID
from reedsailing.v1import import rules
from reedsailing.v1import.media import Media
from reedsailing.v1import.report import ADDED, CHANGED, SKIPPED, Added, Report, TableReport
from reedsailing.v1import.source import OldData, describe

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


class Run:
    """The state of one import run and what planning and writing need of it."""

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
