"""`python manage.py crawl-boya`: fetch the courses and import them now."""

import click
from flask import current_app
from tqdm import tqdm

from crawler import BykcError
from reedsailing.boya.services import (
    ImportBusy,
    ImportNotReady,
    client_from_config,
    credentials_configured,
    import_courses,
    import_lock,
)


@click.command("crawl-boya")
@click.option(
    "--once", is_flag=True, hidden=True, help="Accepted for old scripts; one import is all it does."
)
def crawl_boya_command(once: bool) -> None:
    """Import the 博雅 courses from the course site now (BYKC_* settings).

    `python manage.py scheduler` imports every BOYA_CRAWL_MINUTES on its own.
    """
    config = current_app.config
    if not credentials_configured(config):
        raise click.ClickException("BYKC_USERNAME and BYKC_PASSWORD are not set (see README, 博雅)")
    try:
        client = client_from_config(config)
        with import_lock():
            click.echo(f"fetching courses from {config['BYKC_BASE_URL']} ...")
            records = client.fetch_course_records()
            with tqdm(total=len(records), desc="博雅 import", unit="course") as bar:
                summary = import_courses(records, on_progress=lambda outcome: bar.update(1))
    except BykcError as error:
        raise click.ClickException(f"course site: {error.__class__.__name__}: {error}") from error
    except (ImportBusy, ImportNotReady, ValueError) as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"博雅 import: {summary}")
