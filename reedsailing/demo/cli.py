"""`python manage.py demo-data`: fill an empty database with a demo campus (docs/operations.md)."""

from dataclasses import replace
from datetime import datetime

import click

from reedsailing.core.db import unit_of_work
from reedsailing.core.timeutil import now
from reedsailing.demo.campus import populate
from reedsailing.demo.sizes import DEFAULT_SEED, PRESETS


@click.command("demo-data")
@click.option("--preset", type=click.Choice(sorted(PRESETS)), default="small", show_default=True)
@click.option("--users", type=click.IntRange(0), help="Override the preset's count.")
@click.option("--orgs", type=click.IntRange(0))
@click.option("--activities", type=click.IntRange(0))
@click.option("--participations", type=click.IntRange(0))
@click.option("--comments", type=click.IntRange(0))
@click.option("--follows", type=click.IntRange(0))
@click.option("--notices", type=click.IntRange(0))
@click.option("--seed", "seed_value", type=int, default=DEFAULT_SEED, show_default=True)
@click.option(
    "--start",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="First day of the semester (default: 63 days ago). Same seed, sizes and start: same campus.",
)
@click.option("--progress/--no-progress", default=True, show_default=True)
def demo_data_command(
    preset: str, seed_value: int, start: datetime | None, progress: bool, **overrides: int | None
) -> None:
    """Fill an empty database with a realistic, reproducible demo campus."""
    sizes = replace(PRESETS[preset], **{k: v for k, v in overrides.items() if v is not None})
    if sizes.users == 0 and (sizes.orgs or sizes.activities):
        raise click.ClickException("organizations and activities need at least one user")
    started = now()
    with unit_of_work():
        counts = populate(
            sizes, seed=seed_value, start=start.date() if start else None, show_progress=progress
        )
    seconds = (now() - started).total_seconds()
    click.echo(
        "demo-data: " + ", ".join(f"{n} {table}" for table, n in counts.items()) + f" in {seconds:.0f} s"
    )
