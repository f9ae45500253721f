"""`python manage.py create-admin <username>`: the first super admin of the console."""

import click

from reedsailing.admin.services import create_admin
from reedsailing.core.errors import ApiError


@click.command("create-admin")
@click.argument("username")
@click.option("--password", help="Prompted (hidden, twice) when omitted.")
@click.option("--email", default=None)
def create_admin_command(username: str, password: str | None, email: str | None) -> None:
    """Create a super admin of the web console."""
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < 8:
        raise click.ClickException("the password needs at least 8 characters")
    try:
        admin = create_admin(username, password, email)
    except ApiError as error:
        raise click.ClickException(error.detail) from error
    click.echo(f"admin {admin.username!r} created (id {admin.id})")
