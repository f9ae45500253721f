"""`python manage.py import-v1 --from URL`: the switch-over from the first version
(docs/switch-over.md). The command is the boundary: every chunk of rows commits in its
own `unit_of_work`."""

import logging
from pathlib import Path

import click

from reedsailing.core.db import unit_of_work

log = logging.getLogger(__name__)


@click.command("import-v1")
@click.option(
    "--from",
    "source_url",
    required=True,
    metavar="URL",
    help="SQLAlchemy URL of the first version's database, read only: "
    "mysql+pymysql://user:pw@host/buaa?charset=utf8mb4, or sqlite:///copy.db",
)
@click.option("--dry-run", is_flag=True, help="Only report what the import would do; write nothing.")
@click.option(
    "--media-base",
    metavar="URL",
    help="Point pictures on the old host (.../server_files/<path>) at URL/<path>.",
)
@click.option(
    "--media-from",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="A copy of the old server_files/ folder: its pictures are checked, stored in "
    "UPLOAD_FOLDER and pointed at our URLs.",
)
@click.option(
    "--report",
    "report_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the whole report (every id) to this JSON file.",
)
@click.option("--progress/--no-progress", default=True, show_default=True)
@click.pass_context
def import_v1_command(
    ctx: click.Context,
    source_url: str,
    dry_run: bool,
    media_base: str | None,
    media_from: Path | None,
    report_path: Path | None,
    progress: bool,
) -> None:
    """Bring the first version's data across: ids kept, its defects resolved by rule,
    a report per table. Running it again changes nothing; a later run brings only the
    rows that arrived since. Exit status 0: clean, 1: rows skipped, 2: error."""
    from tqdm import tqdm

    from reedsailing.v1import.importer import Importer, Options

    options = Options(dry_run=dry_run, media_base=media_base, media_from=media_from)
    with tqdm(total=0, unit="row", desc="import-v1", disable=not progress) as bar:

        def grow(rows: int) -> None:
            bar.total += rows
            bar.refresh()

        importer = Importer(source_url, options, unit=unit_of_work, progress=bar, on_read=grow)
        try:
            report = importer.run()
        except Exception as error:  # the database failed under the import: the chunks committed stay
            log.exception("import-v1 stopped")
            report = importer.report
            report.error = f"{type(error).__name__}: {error}"
    click.echo("\n".join(report.lines()))
    if report_path is not None:
        report_path.write_text(report.as_json(), encoding="utf-8")
        click.echo(f"report written to {report_path}")
    ctx.exit(report.exit_code)
