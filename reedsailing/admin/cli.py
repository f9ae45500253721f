"""`python manage.py admins list|create|reset-password|delete`: the console's super admins.

`create-admin <username>` stays as the first version's spelling of `admins create`.
"""

import click

from reedsailing.admin import services
from reedsailing.core.db import unit_of_work
from reedsailing.core.errors import ApiError

MIN_PASSWORD = 8


def _password(given: str | None) -> str:
    password = (
        given if given is not None else click.prompt("Password", hide_input=True, confirmation_prompt=True)
    )
    if len(password) < MIN_PASSWORD:
        raise click.ClickException(f"the password needs at least {MIN_PASSWORD} characters")
    return password


def _create(username: str, password: str | None, email: str | None) -> None:
    try:
        with unit_of_work():
            admin = services.create_admin(username, _password(password), email)
    except ApiError as error:
        raise click.ClickException(error.detail) from error
    click.echo(f"admin {admin.username!r} created (id {admin.id})")


@click.group("admins")
def admins_cli() -> None:
    """List, create, reset the password of, or delete the console's super admins."""


@admins_cli.command("list")
def list_command() -> None:
    """Every super admin: id, username, email, created."""
    admins = services.list_admins()
    if not admins:
        click.echo("no admins yet: python manage.py admins create <username>")
        return
    click.echo(f"{'id':>4}  {'username':<20} {'email':<32} created")
    for admin in admins:
        created = admin.created_at.strftime("%Y-%m-%d %H:%M") if admin.created_at else ""
        click.echo(f"{admin.id:>4}  {admin.username:<20} {admin.email or '':<32} {created}")


@admins_cli.command("create")
@click.argument("username")
@click.option("--password", help="Prompted (hidden, twice) when omitted.")
@click.option("--email", default=None)
def create_command(username: str, password: str | None, email: str | None) -> None:
    """Create a super admin of the web console."""
    _create(username, password, email)


@admins_cli.command("reset-password")
@click.argument("username")
@click.option("--password", help="Prompted (hidden, twice) when omitted.")
def reset_password_command(username: str, password: str | None) -> None:
    """Set a new password for an admin."""
    try:
        services.admin_named(username)
        with unit_of_work():
            services.reset_password(username, _password(password))
    except ApiError as error:
        raise click.ClickException(error.detail) from error
    click.echo(f"admin {username!r}: password changed")


@admins_cli.command("delete")
@click.argument("username")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def delete_command(username: str, yes: bool) -> None:
    """Delete an admin (never the last one)."""
    if not yes:
        click.confirm(f"delete admin {username!r}?", abort=True)
    try:
        with unit_of_work():
            services.delete_admin(username)
    except ApiError as error:
        raise click.ClickException(error.detail) from error
    click.echo(f"admin {username!r} deleted")


# The first version's spelling of `admins create`: the same parameters and callback.
create_admin_command = click.Command(
    "create-admin",
    params=create_command.params,
    callback=create_command.callback,
    help="Create a super admin of the web console (same as `admins create`).",
)
