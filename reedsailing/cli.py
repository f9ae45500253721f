"""The admin CLI: `python manage.py <command>` (same as `flask --app wsgi <command>`).

Each feature keeps its commands in its own cli.py; this module only registers them.
"""

import click
from flask import Flask

from reedsailing.admin.cli import admins_cli, create_admin_command
from reedsailing.boya.cli import crawl_boya_command
from reedsailing.demo.cli import demo_data_command
from reedsailing.ops.cli import doctor_command, openapi_command
from reedsailing.organizations import cli as organizations_cli
from reedsailing.scheduler.cli import scheduler_command
from reedsailing.v1import.cli import import_v1_command


def register(app: Flask) -> None:
    app.cli.add_command(seed_command)
    app.cli.add_command(create_admin_command)
    app.cli.add_command(admins_cli)
    app.cli.add_command(doctor_command)
    app.cli.add_command(openapi_command)
    app.cli.add_command(crawl_boya_command)
    app.cli.add_command(scheduler_command)
    app.cli.add_command(organizations_cli.orgs_cli)
    app.cli.add_command(demo_data_command)
    app.cli.add_command(import_v1_command)


@click.command("seed")
def seed_command() -> None:
    """Create the fixed blocks, starter categories and the 博雅 system account."""
    from reedsailing.core.db import unit_of_work
    from reedsailing.seed import seed

    with unit_of_work():
        added = seed()
    click.echo(
        f"seed: {added['blocks']} blocks, {added['categories']} categories, "
        f"{added['system_user']} system account added"
    )
