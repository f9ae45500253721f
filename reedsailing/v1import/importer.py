"""The import's driver: read the old database, then plan and write one table after the
other, in foreign-key order (docs/switch-over.md).

Planning a table turns its old rows into our rows by the rules (catalog.py, history.py)
and notes each row's outcome in the report; run.py writes them. Ids are kept. A row is
written only when it is not here yet (by id, or by its natural key for link rows), so a
second run changes nothing and a later run brings just the rows that arrived since.
"""

import time
from typing import Any

from sqlalchemy import bindparam, func, inspect, make_url, select, text, update

from reedsailing.extensions import db
from reedsailing.models import Activity, Participation
from reedsailing.v1import import catalog, history
from reedsailing.v1import.report import CHANGED, Report
from reedsailing.v1import.run import COUNTERS, Options, Run, table_of
from reedsailing.v1import.source import SourceError, describe, read

__all__ = ["Importer", "Options", "TargetError"]


class TargetError(Exception):
    """Our database is not ready for the import (not migrated, or the old one itself)."""


class Importer(Run):
    """One run of `import-v1`."""

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
