"""`python manage.py orgs ...`: deciding organization applications from a shell."""

import click
from flask.cli import AppGroup

from reedsailing.core.db import unit_of_work
from reedsailing.core.errors import ApiError
from reedsailing.core.timeutil import format_time
from reedsailing.models.organizations import APPROVED, REJECTED
from reedsailing.organizations.services import applications as services

orgs_cli = AppGroup("orgs", help="Organization applications: list the pending ones, decide one.")
DECISIONS = {"approve": APPROVED, "reject": REJECTED}


@orgs_cli.command("pending")
def pending_command():
    """List the pending organization applications, oldest first."""
    applications = services.pending_applications()
    if not applications:
        click.echo("no pending applications")
        return
    for application in applications:
        click.echo(
            f"#{application.id}  {application.name}  [{application.block.name}]  "
            f"by {application.user.name or '-'} (user {application.user_id}, {application.user.email or 'no email'})  "
            f"{format_time(application.pub_time)}"
        )
        click.echo(f"    {application.description}")


@orgs_cli.command("decide")
@click.argument("application_id", type=int)
@click.argument("decision", type=click.Choice(sorted(DECISIONS)))
def decide_command(application_id, decision):
    """Approve or reject application ID; the applicant is notified (notice 6)."""
    try:
        with unit_of_work():
            application, org = services.decide(application_id, DECISIONS[decision])
    except ApiError as error:
        raise click.ClickException(error.detail) from error
    if org is not None:
        click.echo(f"application #{application.id} approved: organization {org.name!r} created (id {org.id})")
    else:
        click.echo(f"application #{application.id} rejected")
