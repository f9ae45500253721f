"""`python manage.py scheduler`: the process that runs the periodic jobs (docs/operations.md)."""

import logging
import signal
import threading
from types import FrameType

import click
from flask import current_app

from reedsailing.scheduler.loop import Scheduler, default_jobs

log = logging.getLogger(__name__)


@click.command("scheduler")
def scheduler_command() -> None:
    """Run the periodic jobs (WeChat token, 博雅 import, reminders, housekeeping)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        log.info("signal %s: stopping after the current job", signum)
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    Scheduler(app, default_jobs(app.config)).run_forever(stop)
