"""The admin CLI: `python manage.py <command>` (same as `flask --app wsgi <command>`)."""

import click

from reedsailing.boya.cli import crawl_boya_command
from reedsailing.core.errors import ApiError
from reedsailing.demo.campus import demo_data_command
from reedsailing.organizations import cli as organizations_cli
from reedsailing.scheduler.loop import scheduler_command


def register(app):
    app.cli.add_command(seed_command)
    app.cli.add_command(create_admin_command)
    app.cli.add_command(crawl_boya_command)
    app.cli.add_command(scheduler_command)
    app.cli.add_command(organizations_cli.orgs_cli)
    app.cli.add_command(demo_data_command)


@click.command("seed")
def seed_command():
    """Create the fixed blocks, starter categories and the 博雅 system account."""
    from reedsailing.seed import seed

    added = seed()
    click.echo(
        f"seed: {added['blocks']} blocks, {added['categories']} categories, "
        f"{added['system_user']} system account added"
    )


@click.command("create-admin")
@click.argument("username")
@click.option("--password", help="Prompted (hidden, twice) when omitted.")
@click.option("--email", default=None)
def create_admin_command(username, password, email):
    """Create a super admin of the web console."""
    from reedsailing.admin.services import create_admin

    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < 8:
        raise click.ClickException("the password needs at least 8 characters")
    try:
        admin = create_admin(username, password, email)
    except ApiError as error:
        raise click.ClickException(error.detail) from error
    click.echo(f"admin {admin.username!r} created (id {admin.id})")
