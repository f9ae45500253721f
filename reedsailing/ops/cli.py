"""`python manage.py doctor` and `python manage.py openapi` (docs/operations.md)."""

import json
import sys
from decimal import Decimal
from typing import Any

import click
from flask import current_app

from reedsailing.ops.services import FAILED, run_checks


@click.command("doctor")
def doctor_command() -> None:
    """Check every outside connection (database, Redis, SMTP, WeChat, the course site)."""
    checks = run_checks(current_app.config)
    width = max(len(check.name) for check in checks)
    click.echo(f"{'check':<{width}}  {'status':<7} {'ms':>7}  detail")
    for check in checks:
        ms = f"{check.ms:.0f}" if check.status != "skipped" else "-"
        click.echo(f"{check.name:<{width}}  {check.status:<7} {ms:>7}  {check.detail}")
    failed = [check.name for check in checks if check.status == FAILED]
    if failed:
        click.echo(f"doctor: {len(failed)} failed: {', '.join(failed)}", err=True)
        sys.exit(1)
    click.echo("doctor: every configured connection works")


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


@click.command("openapi")
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False, writable=True), help="A file (default: stdout)."
)
def openapi_command(output: str | None) -> None:
    """Export the OpenAPI 3 document (the one /apispec_1.json serves) as JSON."""
    from reedsailing.apidocs.spec import build_spec

    text = json.dumps(build_spec(current_app), ensure_ascii=False, indent=2, sort_keys=False, default=_plain)
    if output:
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(text + "\n")
        click.echo(f"OpenAPI document written to {output}", err=True)
    else:
        click.echo(text)
