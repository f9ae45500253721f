"""The closing report of `import-v1`: rows per old table, read, imported, merged, already
there, left out and skipped, and every rule applied with the ids it touched."""

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

# The kinds of note; MERGED, LEFT_OUT and SKIPPED are outcomes of a row (each old row has
# exactly one outcome: imported, merged, existing, left out or skipped), CHANGED and
# ADDED say what a rule did to an imported row or which rows the import added, NOTED
# what an operator should know about an imported row.
MERGED, LEFT_OUT, SKIPPED, CHANGED, ADDED, NOTED = (
    "merged",
    "left out",
    "skipped",
    "changed",
    "added",
    "noted",
)
OUTCOMES = (MERGED, LEFT_OUT, SKIPPED)
SHOWN_IDS = 12

CLEAN, SKIPPED_ROWS, ERROR = 0, 1, 2


class Added(str):
    """The report's name of a row the import adds (no old row: not counted as imported)."""


@dataclass
class TableReport:
    old: str  # the first version's table
    new: str  # ours
    read: int = 0
    imported: int = 0
    existing: int = 0
    notes: dict[tuple[str, str], list[Any]] = field(default_factory=dict)

    def note(self, kind: str, reason: str, row_id: Any) -> None:
        self.notes.setdefault((kind, reason), []).append(row_id)

    def count(self, kind: str) -> int:
        return sum(len(ids) for (note_kind, _), ids in self.notes.items() if note_kind == kind)

    def of(self, kind: str) -> Iterator[tuple[str, list[Any]]]:
        for (note_kind, reason), ids in self.notes.items():
            if note_kind == kind:
                yield reason, ids


class Report:
    def __init__(self, source: str, dry_run: bool) -> None:
        self.source = source
        self.dry_run = dry_run
        self.tables: dict[str, TableReport] = {}
        self.error: str | None = None
        self.seconds: float | None = None
        self.read_seconds: float | None = None  # of `seconds`: reading the old database

    def table(self, old: str, new: str) -> TableReport:
        if old not in self.tables:
            self.tables[old] = TableReport(old, new)
        return self.tables[old]

    @property
    def skipped(self) -> int:
        return sum(table.count(SKIPPED) for table in self.tables.values())

    @property
    def exit_code(self) -> int:
        if self.error is not None:
            return ERROR
        return SKIPPED_ROWS if self.skipped else CLEAN

    def lines(self) -> list[str]:
        mode = "dry run, nothing written" if self.dry_run else "written"
        out = [f"import-v1 from {self.source} ({mode})", ""]
        header = ("old table", "new table", "read", "imported", "merged", "existing", "left out", "skipped")
        rows: list[tuple[str, ...]] = [header]
        for table in self.tables.values():
            rows.append(
                (
                    table.old,
                    table.new,
                    *(
                        str(n)
                        for n in (
                            table.read,
                            table.imported,
                            table.count(MERGED),
                            table.existing,
                            table.count(LEFT_OUT),
                            table.count(SKIPPED),
                        )
                    ),
                )
            )
        widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
        for row in rows:
            out.append(
                "  ".join(
                    cell.ljust(widths[i]) if i < 2 else cell.rjust(widths[i]) for i, cell in enumerate(row)
                )
            )
        for title, kinds in (
            ("Rules applied", (MERGED, CHANGED, ADDED, LEFT_OUT, NOTED)),
            ("Skipped (not imported)", (SKIPPED,)),
        ):
            found = [
                f"  {table.old}: {len(ids)} {kind}: {reason} ({_ids(ids)})"
                for table in self.tables.values()
                for kind in kinds
                for reason, ids in table.of(kind)
            ]
            if found:
                out += ["", f"{title}:", *found]
        verdict = {
            CLEAN: "clean",
            SKIPPED_ROWS: f"{self.skipped} rows skipped",
            ERROR: f"error: {self.error}",
        }
        timing = f" in {self.seconds:.1f} s" if self.seconds is not None else ""
        if self.seconds is not None and self.read_seconds is not None:
            timing += f" (reading {self.read_seconds:.1f} s)"
        out += ["", f"import-v1: {verdict[self.exit_code]}{timing} (exit status {self.exit_code})"]
        return out

    def as_json(self) -> str:
        tables = {
            table.old: {
                "new_table": table.new,
                "read": table.read,
                "imported": table.imported,
                "merged": table.count(MERGED),
                "existing": table.existing,
                "left_out": table.count(LEFT_OUT),
                "skipped": table.count(SKIPPED),
                "notes": [
                    {"kind": kind, "reason": reason, "count": len(ids), "ids": ids}
                    for (kind, reason), ids in table.notes.items()
                ],
            }
            for table in self.tables.values()
        }
        body = {
            "source": self.source,
            "dry_run": self.dry_run,
            "exit_status": self.exit_code,
            "error": self.error,
            "seconds": self.seconds,
            "read_seconds": self.read_seconds,
            "tables": tables,
        }
        return json.dumps(body, ensure_ascii=False, indent=2, default=str)


def _ids(ids: list[Any]) -> str:
    shown = ", ".join(str(row_id) for row_id in ids[:SHOWN_IDS])
    more = len(ids) - SHOWN_IDS
    return f"ids {shown}" + (f" and {more} more" if more > 0 else "")
