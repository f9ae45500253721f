"""Calendar feeds (docs/api.md §22).

- A student's feed lives at a secret URL (`/api/feeds/<token>.ics`): calendar apps
  cannot send a login header, so whoever has the URL reads it; rotating gives a new
  secret, revoking deletes it, and the old URL answers 404 from then on.
- An event's UID is the activity id (stable across edits), its SEQUENCE is
  `Activity.sequence` (raised by every edit), its times are Asia/Shanghai with a
  VTIMEZONE. A canceled activity is deleted, so the cancellation keeps a
  CanceledActivity row and the former participants; the feeds show it as
  STATUS:CANCELLED with the next SEQUENCE until CALENDAR_FEED_PAST_DAYS after its end.
- The document is a function of the feed's entries (DTSTAMP is the last change, never
  "now"), so the ETag is a hash of the entries: a poll whose If-None-Match matches is
  answered 304 after one read of the rows, without building any iCal.
"""

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple, cast
from zoneinfo import ZoneInfo

from flask import current_app
from icalendar import Calendar, Event
from sqlalchemy import CursorResult, delete, insert, select, update

from reedsailing.core.db import get_or_404
from reedsailing.core.errors import not_found
from reedsailing.core.timeutil import BEIJING, now
from reedsailing.extensions import db
from reedsailing.models import (
    Activity,
    Address,
    CanceledActivity,
    CanceledParticipation,
    FeedToken,
    Organization,
    Participation,
    User,
)

UTC = ZoneInfo("UTC")
NO_FEED = "该日历订阅不存在或已被撤销。"
PRODID = "-//ReedSailing//一苇以航 calendar feeds//ZH"
MAX_DESCRIPTION = 1000
DOCUMENT_FORMAT = 1  # raise when _document() changes what it makes of the same entries


def feed_url(token: str) -> str:
    return f"{current_app.config['PUBLIC_BASE_URL']}/api/feeds/{token}.ics"


def feed_of(user: User) -> dict[str, Any]:
    """The student's feed URL and since when, or nulls when there is none."""
    row = db.session.scalar(select(FeedToken).where(FeedToken.user_id == user.id))
    if row is None:
        return {"url": None, "created_at": None}
    return {"url": feed_url(row.token), "created_at": row.created_at}


def _lock_feed_of(user: User) -> None:
    """Queue the changes of one student's feed: the student's row lock until the end of
    the transaction (MariaDB; SQLite's first write takes the database write lock). Two
    rotations then never meet halfway: the second sees what the first committed, instead
    of two inserts deadlocking on the unique `user_id` (a 503 for one of them)."""
    db.session.execute(select(User.id).where(User.id == user.id).with_for_update())


def rotate_feed(user: User) -> dict[str, Any]:
    """Give the student a feed URL with a new secret; a former URL stops working.

    The existing row gets the new secret in place; a row is inserted only when there is
    none. Concurrent rotations queue on the student's row lock, so each answers 201 with
    a secret of its own, and the last one committed is the feed's."""
    _lock_feed_of(user)
    token, created = secrets.token_urlsafe(32), now()
    replaced = cast(
        CursorResult[Any],
        db.session.execute(
            update(FeedToken)
            .where(FeedToken.user_id == user.id)
            .values(token=token, created_at=created)
            .execution_options(synchronize_session=False)
        ),
    )
    if not replaced.rowcount:
        db.session.add(FeedToken(user_id=user.id, token=token, created_at=created))
        db.session.flush()
    return {"url": feed_url(token), "created_at": created}


def revoke_feed(user: User) -> bool:
    """Delete the student's feed secret; True when there was one."""
    _lock_feed_of(user)
    result = cast(
        CursorResult[Any], db.session.execute(delete(FeedToken).where(FeedToken.user_id == user.id))
    )
    return bool(result.rowcount)


def record_cancellation(activity: Activity, participant_ids: Iterable[int]) -> None:
    """In the cancel's transaction, before the activity is deleted: keep what the
    feeds need to show it canceled (its participants' and its organization's)."""
    participants = sorted(set(participant_ids))
    if not participants and activity.org_id is None:
        return  # no feed ever showed it
    location = db.session.scalar(select(Address.name).where(Address.id == activity.address_id))
    db.session.execute(delete(CanceledActivity).where(CanceledActivity.id == activity.id))
    db.session.add(
        CanceledActivity(
            id=activity.id,
            name=activity.name,
            begin_time=activity.begin_time,
            end_time=activity.end_time,
            location=location,
            sequence=(activity.sequence or 0) + 1,
            org_id=activity.org_id,
            canceled_at=now(),
        )
    )
    db.session.flush()
    if participants:
        db.session.execute(
            insert(CanceledParticipation),
            [{"activity_id": activity.id, "user_id": uid} for uid in participants],
        )


def forget_organization(org_id: int) -> None:
    """Before an organization is deleted: its cancellations stay for the participants'
    feeds, unlinked from it (the row's org_id would cascade them away)."""
    db.session.execute(
        update(CanceledActivity)
        .where(CanceledActivity.org_id == org_id)
        .values(org_id=None)
        .execution_options(synchronize_session=False)
    )


def purge_cancellations(at: datetime | None = None) -> int:
    """Forget cancellations that ended more than CALENDAR_FEED_PAST_DAYS ago."""
    cutoff = _cutoff(at)
    result = cast(
        CursorResult[Any],
        db.session.execute(delete(CanceledActivity).where(CanceledActivity.end_time < cutoff)),
    )
    return result.rowcount


def _cutoff(at: datetime | None = None) -> datetime:
    return (at or now()) - timedelta(days=current_app.config["CALENDAR_FEED_PAST_DAYS"])


class Entry(NamedTuple):
    """Everything one VEVENT shows; a feed's document is a function of its entries."""

    begin: datetime
    id: int
    name: str
    end: datetime
    location: str | None
    sequence: int
    stamp: datetime  # the last change: DTSTAMP and LAST-MODIFIED
    created: datetime | None
    description: str | None
    status: str


@dataclass
class Feed:
    """A feed's entries, read in one go; `etag` costs no iCal work, `body()` builds it."""

    title: str
    entries: list[Entry]

    @property
    def etag(self) -> str:
        fingerprint = repr((DOCUMENT_FORMAT, self.title, self.entries)).encode()
        return hashlib.sha256(fingerprint).hexdigest()[:32]

    def body(self) -> bytes:
        return _document(self.title, self.entries)


def student_calendar(token: str) -> Feed:
    """The feed `token`: the activities its student joined."""
    owner_id = db.session.scalar(select(FeedToken.user_id).where(FeedToken.token == token))
    if owner_id is None:
        raise not_found(NO_FEED)
    return _calendar("一苇以航 · 我参加的活动", participant_id=owner_id)


def organization_calendar(org_id: int) -> Feed:
    """An organization's feed: its activities (public)."""
    org = get_or_404(Organization, org_id, "未找到该组织。")
    return _calendar(f"一苇以航 · {org.name}", org_id=org_id)


def _calendar(title: str, *, participant_id: int | None = None, org_id: int | None = None) -> Feed:
    """The activities (and cancellations) a student joined or an organization holds."""
    cutoff = _cutoff()
    activities = (
        select(Activity, Address.name)
        .join(Address, Address.id == Activity.address_id)
        .where(Activity.end_time >= cutoff)
    )
    canceled = select(CanceledActivity).where(CanceledActivity.end_time >= cutoff)
    if participant_id is not None:
        activities = activities.join(Participation, Participation.act_id == Activity.id).where(
            Participation.user_id == participant_id
        )
        canceled = canceled.join(
            CanceledParticipation, CanceledParticipation.activity_id == CanceledActivity.id
        ).where(CanceledParticipation.user_id == participant_id)
    else:
        activities = activities.where(Activity.org_id == org_id)
        canceled = canceled.where(CanceledActivity.org_id == org_id)
    entries = [
        Entry(
            a.begin_time,
            a.id,
            a.name,
            a.end_time,
            location,
            a.sequence or 0,
            a.modified_at or a.pub_time,
            a.pub_time,
            (a.description or "")[:MAX_DESCRIPTION] or None,
            "CONFIRMED",
        )
        for a, location in db.session.execute(activities)
    ]
    entries += [
        Entry(
            g.begin_time,
            g.id,
            g.name,
            g.end_time,
            g.location,
            g.sequence,
            g.canceled_at,
            None,
            None,
            "CANCELLED",
        )
        for g in db.session.scalars(canceled)
    ]
    return Feed(title, sorted(entries))


def _local(value: datetime) -> datetime:
    return value.replace(tzinfo=BEIJING)


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=BEIJING).astimezone(UTC)


def _event(entry: Entry) -> Event:
    event = Event()
    event.add("uid", f"activity-{entry.id}@reedsailing")
    event.add("dtstamp", _utc(entry.stamp))
    event.add("last-modified", _utc(entry.stamp))
    if entry.created is not None:
        event.add("created", _utc(entry.created))
    event.add("dtstart", _local(entry.begin))
    event.add("dtend", _local(entry.end))
    event.add("summary", entry.name)
    if entry.location:
        event.add("location", entry.location)
    if entry.description:
        event.add("description", entry.description)
    event.add("sequence", entry.sequence)
    event.add("status", entry.status)
    return event


def _document(title: str, entries: Iterable[Entry]) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", title)
    calendar.add("x-wr-timezone", "Asia/Shanghai")
    for entry in entries:
        calendar.add_component(_event(entry))
    calendar.add_missing_timezones()
    return calendar.to_ical()
