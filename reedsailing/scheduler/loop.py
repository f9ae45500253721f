"""`python manage.py scheduler`: the process that runs the periodic jobs.

A `schedule` loop; each run happens in its own app context and a failing job is
logged while the loop goes on. Every job is guarded by a lease in Redis (or in the
database without Redis): the scheduler that holds it renews it on each run and keeps
it between runs, so a second scheduler started by mistake skips that job until the
first one has been gone for a whole lease.
"""

import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import schedule
from flask import Flask

from reedsailing.boya.services import credentials_configured
from reedsailing.core import store
from reedsailing.core.db import unit_of_work
from reedsailing.ops.observability import JOB_RUNS
from reedsailing.scheduler import jobs as tasks
from reedsailing.subscriptions.services import templates as subscribe_templates

log = logging.getLogger(__name__)

REMINDER_INTERVAL_SECONDS = 60
HOUSEKEEPING_INTERVAL_SECONDS = 3600
# The shortest interval each setting may ask for, in the setting's own unit: WeChat
# limits stable_token calls, a 博雅 crawl takes a while, and a subscribe-message run
# every few seconds is as good as live. A smaller value runs at the floor and the
# scheduler logs a warning (README's configuration table and docs/operations.md say so).
FLOORS = {"WECHAT_TOKEN_REFRESH_SECONDS": 60, "BOYA_CRAWL_MINUTES": 1, "WECHAT_SUBSCRIBE_SECONDS": 5}


@dataclass
class Job:
    name: str
    interval: float  # seconds between runs
    func: Callable[[], object]

    @property
    def lock_name(self) -> str:
        return f"scheduler:{self.name}"

    @property
    def lease_seconds(self) -> int:
        # Longer than the interval, so the holder renews it before it lapses.
        return int(self.interval * 2 + 60)


def _at_least_floor(config: Mapping[str, Any], name: str) -> float:
    """The setting `name`, raised to its floor (FLOORS) with a warning when below it."""
    value, floor = config[name], FLOORS[name]
    if value < floor:
        unit = "min" if name.endswith("_MINUTES") else "s"
        log.warning("%s=%s is below its floor: the job runs every %s %s instead", name, value, floor, unit)
        return floor
    return value


def default_jobs(config: Mapping[str, Any]) -> list[Job]:
    """The job table; jobs whose service is not configured are left out (and said so)."""
    jobs: list[Job] = []
    if config.get("WECHAT_APPID"):
        interval = _at_least_floor(config, "WECHAT_TOKEN_REFRESH_SECONDS")
        jobs.append(Job("wechat-token", interval, tasks.refresh_wechat_token))
    else:
        log.warning("WECHAT_APPID is not set: the WeChat token job is off")
    if credentials_configured(config):
        minutes = _at_least_floor(config, "BOYA_CRAWL_MINUTES")
        jobs.append(Job("boya-import", minutes * 60, tasks.BoyaImportJob()))
    else:
        log.warning("BYKC_USERNAME/BYKC_PASSWORD are not set: the 博雅 import job is off")
    jobs.append(Job("reminders", REMINDER_INTERVAL_SECONDS, tasks.send_reminders))
    if config.get("WECHAT_APPID") and subscribe_templates(config):
        # after the reminders, so a start-up run sends the reminders it just made
        every = _at_least_floor(config, "WECHAT_SUBSCRIBE_SECONDS")
        jobs.append(Job("subscribe-messages", every, tasks.send_subscribe_messages))
    jobs.append(Job("housekeeping", HOUSEKEEPING_INTERVAL_SECONDS, tasks.housekeeping))
    return jobs


class Scheduler:
    def __init__(self, app: Flask, jobs: Iterable[Job], owner: str | None = None) -> None:
        self.app = app
        self.jobs = list(jobs)
        self.owner = owner or store.lock_owner()
        self.clock = schedule.Scheduler()
        for job in self.jobs:
            self.clock.every(job.interval).seconds.do(self.run_job, job)  # type: ignore[arg-type]  # float seconds work

    def run_job(self, job: Job) -> bool:
        """Run `job` once if this scheduler holds (or can take) its lease.

        True when it ran to the end; False when another scheduler holds the lease
        or the job failed (logged).
        """
        with self.app.app_context():
            try:
                if not store.acquire_lock(job.lock_name, self.owner, job.lease_seconds):
                    log.info("job %s: another scheduler holds it; skipped", job.name)
                    JOB_RUNS.labels(job.name, "skipped").inc()
                    return False
                with unit_of_work():  # a job is one unit of work (batch jobs commit per item)
                    job.func()
                JOB_RUNS.labels(job.name, "ok").inc()
                return True
            except Exception:
                log.exception("job %s failed; the scheduler goes on", job.name)
                JOB_RUNS.labels(job.name, "failed").inc()
                return False

    def run_all(self) -> None:
        for job in self.jobs:
            self.run_job(job)

    def release_leases(self) -> None:
        """Give the leases back (on a clean stop), so a replacement starts at once."""
        with self.app.app_context():
            for job in self.jobs:
                try:
                    store.release_lock(job.lock_name, self.owner)
                except Exception:
                    log.exception("could not release the lease of job %s", job.name)

    def run_forever(self, stop: threading.Event | None = None, max_idle_seconds: float = 1.0) -> None:
        """Run every job now, then each at its interval until `stop` is set."""
        stop = stop or threading.Event()
        log.info(
            "scheduler %s: jobs %s", self.owner, ", ".join(f"{j.name}/{j.interval:g}s" for j in self.jobs)
        )
        try:
            self.run_all()
            while not stop.is_set():
                self.clock.run_pending()
                idle = self.clock.idle_seconds
                stop.wait(max_idle_seconds if idle is None else min(max(idle, 0.05), max_idle_seconds))
        finally:
            self.release_leases()
            log.info("scheduler %s stopped", self.owner)
