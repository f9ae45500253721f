"""Importing 博雅 courses: upsert by course id, one transaction per course.

A new course becomes an activity of block 2 owned by the system account and its
followers are told (notice 4, mailed too); a changed course updates the same
activity and its participants are told (notice 1); an unchanged course is not
touched and nobody hears anything.
"""

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from crawler import BykcClient, Course, InvalidCourse, parse_course
from reedsailing.activities.services.keywords import extract_keywords
from reedsailing.core import store
from reedsailing.core.db import unit_of_work
from reedsailing.core.timeutil import now
from reedsailing.extensions import db
from reedsailing.messages import texts
from reedsailing.messages.services import notify
from reedsailing.models import Activity, Address, User
from reedsailing.models.blocks import BOYA
from reedsailing.participation.services.places import participant_ids
from reedsailing.seed import system_user

log = logging.getLogger(__name__)

# A new place gets the center of the 学院路 campus until someone edits the address:
# the site gives place names only, and a point on campus beats (1.0, 1.0) on a map.
DEFAULT_LONGITUDE = Decimal("116.347256")
DEFAULT_LATITUDE = Decimal("39.981891")
UNKNOWN_PLACE = "地点待定"
NAME_MAX, PLACE_MAX, DESCRIPTION_MAX = 100, 50, 2000
# Only one import at a time across processes (the CLI and the scheduler).
RUN_LOCK = "boya:import-running"
RUN_LOCK_SECONDS = 30 * 60

NEW, UPDATED, UNCHANGED, FAILED = "new", "updated", "unchanged", "failed"


class ImportBusy(Exception):
    """Another process is importing right now."""


class ImportNotReady(Exception):
    """The database lacks what the import needs (run `python manage.py seed`)."""


@dataclass
class ImportSummary:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0

    def add(self, outcome: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)

    def __str__(self) -> str:
        return f"{self.new} new, {self.updated} updated, {self.unchanged} unchanged, {self.failed} failed"


def credentials_configured(config: Mapping[str, Any]) -> bool:
    return bool(config.get("BYKC_USERNAME") and config.get("BYKC_PASSWORD"))


def client_from_config(config: Mapping[str, Any], **overrides: Any) -> BykcClient:
    """A course-site client built from the `BYKC_*` settings."""
    arguments = {
        "base_url": config["BYKC_BASE_URL"],
        "sso_url": config["BYKC_SSO_URL"],
        "username": config["BYKC_USERNAME"],
        "password": config["BYKC_PASSWORD"],
        "rsa_public_key": config["BYKC_RSA_PUBLIC_KEY"],
        "timeout": config["BYKC_TIMEOUT_SECONDS"],
        "retries": config.get("BYKC_RETRIES", 2),
        "backoff": config.get("BYKC_RETRY_BACKOFF_SECONDS", 1.0),
        **overrides,
    }
    return BykcClient(**arguments)


@contextmanager
def import_lock() -> Iterator[None]:
    """Hold the cross-process import lock, or raise ImportBusy."""
    owner = store.lock_owner()
    if not store.acquire_lock(RUN_LOCK, owner, RUN_LOCK_SECONDS):
        raise ImportBusy("another 博雅 import is running")
    try:
        yield
    finally:
        store.release_lock(RUN_LOCK, owner)


def run_import(client: BykcClient) -> ImportSummary:
    """Fetch every course with `client` and import them (the scheduler's job)."""
    with import_lock():
        records = client.fetch_course_records()
        summary = import_courses(records)
    log.info("博雅 import: %s", summary)
    return summary


def import_courses(
    records: Iterable[Any], on_progress: Callable[[str], object] | None = None
) -> ImportSummary:
    """Import raw course objects; returns an ImportSummary. `on_progress(outcome)` is
    called after each record (the CLI's progress bar)."""
    owner = system_user()
    if owner is None:
        raise ImportNotReady("the 博雅 system account is missing: run `python manage.py seed` first")
    owner_id = owner.id
    follower_ids = db.session.scalars(
        select(User.id).where(User.follow_boya.is_(True), User.is_system.is_(False))
    ).all()
    summary = ImportSummary()
    for raw in records:
        outcome = import_record(raw, owner_id, follower_ids)
        summary.add(outcome)
        if on_progress is not None:
            on_progress(outcome)
    return summary


def import_record(raw: Any, owner_id: int, follower_ids: Sequence[int]) -> str:
    """Parse and upsert one course as its own unit of work (the import is a batch job:
    each course commits alone); FAILED (logged) when the record is malformed or the
    database refuses it, without touching the others."""
    try:
        course = parse_course(raw)
    except InvalidCourse as error:
        log.warning("博雅 course %s skipped: %s", error.course_id, error)
        return FAILED
    try:
        with unit_of_work():
            return upsert_course(course, owner_id, follower_ids)
    except Exception:
        log.exception("博雅 course %s (%s) could not be imported", course.id, course.name)
        return FAILED


def upsert_course(course: Course, owner_id: int, follower_ids: Sequence[int]) -> str:
    wanted = {
        "name": course.name[:NAME_MAX],
        "begin_time": course.start,
        "end_time": course.end,
        "contain": course.capacity,
        "description": describe(course),
        "address_id": address_for(course.place).id,
    }
    activity = db.session.execute(
        select(Activity).where(Activity.boya_course_id == str(course.id))
    ).scalar_one_or_none()
    if activity is None:
        activity = Activity(
            **wanted,
            keywords=keywords_of(course),
            owner_id=owner_id,
            org_id=None,
            block_id=BOYA,
            joined_count=0,
            review=False,
            boya_course_id=str(course.id),
        )
        db.session.add(activity)
        db.session.flush()
        # A course that is already over is recorded but announced to nobody.
        if course.end > now():
            notify(texts.NEW_BOYA, follower_ids, activity=activity, mail=True)
        return NEW
    changed = {key for key, value in wanted.items() if getattr(activity, key) != value}
    if not changed:
        return UNCHANGED
    for key in changed:
        setattr(activity, key, wanted[key])
    if changed & {"name", "description"}:
        activity.keywords = keywords_of(course)
    if "begin_time" in changed:
        activity.reminded_at = None  # a moved course deserves a new reminder
    activity.sequence, activity.modified_at = (activity.sequence or 0) + 1, now()  # calendar feeds
    notify(texts.ACT_CONTENT, participant_ids(activity.id), activity=activity)
    log.info("博雅 course %s updated: %s", course.id, ", ".join(sorted(changed)))
    return UPDATED


def keywords_of(course: Course) -> str:
    # The course text and its kinds; the dates and labels of `describe` are no keywords.
    return extract_keywords(course.name[:NAME_MAX], " ".join((course.description, *course.kinds)))


def address_for(place: str | None) -> Address:
    """The one address of this place name (the oldest, if people made several), created
    at the campus center when it does not exist yet."""
    name = (place or UNKNOWN_PLACE)[:PLACE_MAX]
    address = db.session.execute(
        select(Address).where(Address.name == name).order_by(Address.id).limit(1)
    ).scalar_one_or_none()
    if address is None:
        address = Address(name=name, longitude=DEFAULT_LONGITUDE, latitude=DEFAULT_LATITUDE)
        db.session.add(address)
        db.session.flush()
    return address


def describe(course: Course) -> str:
    """The activity text: the course description, then the facts the activity has no
    field for (teacher, organizer, kinds, enrolment and withdrawal times)."""
    facts = [
        ("授课教师", course.teacher),
        ("组织单位", course.organizer),
        ("课程类别", " / ".join(course.kinds)),
        ("校区", "、".join(course.campuses)),
        ("选课时间", _span(course.enrol_start, course.enrol_end)),
        ("退选截止", _minute(course.withdraw_end)),
    ]
    lines = [f"{label}：{value}" for label, value in facts if value]
    parts = [part for part in (course.description, "\n".join(lines)) if part]
    return "\n\n".join(parts)[:DESCRIPTION_MAX]


def _minute(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else ""


def _span(start: datetime | None, end: datetime | None) -> str:
    if start and end:
        return f"{_minute(start)} 至 {_minute(end)}"
    return _minute(start or end)
