"""Calendar feeds (docs/api.md §21).

- A student's feed lives at a secret URL (`/api/feeds/<token>.ics`): calendar apps
  cannot send a login header, so whoever has the URL reads it; rotating gives a new
  secret, revoking deletes it, and the old URL answers 404 from then on.
- An event's UID is the activity id (stable across edits), its SEQUENCE is
  `Activity.sequence` (raised by every edit), its times are Asia/Shanghai with a
  VTIMEZONE. A canceled activity is deleted, so the cancellation keeps a
  CanceledActivity row and the former participants; the feeds show it as
  STATUS:CANCELLED with the next SEQUENCE until CALENDAR_FEED_PAST_DAYS after its end.
- The document depends only on stored rows (DTSTAMP is the last change, never "now"),
  so the same data always gives the same bytes and the same ETag.
"""

import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

from flask import current_app
from icalendar import Calendar, Event
from sqlalchemy import CursorResult, delete, insert, select

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


def feed_url(token: str) -> str:
    return f"{current_app.config['PUBLIC_BASE_URL']}/api/feeds/{token}.ics"


def feed_of(user: User) -> dict[str, Any]:
    """The student's feed URL and since when, or nulls when there is none."""
    row = db.session.scalar(select(FeedToken).where(FeedToken.user_id == user.id))
    if row is None:
        return {"url": None, "created_at": None}
    return {"url": feed_url(row.token), "created_at": row.created_at}


def rotate_feed(user: User) -> dict[str, Any]:
    """Give the student a feed URL with a new secret; a former URL stops working."""
    db.session.execute(delete(FeedToken).where(FeedToken.user_id == user.id))
    db.session.add(FeedToken(user_id=user.id, token=secrets.token_urlsafe(32), created_at=now()))
    db.session.commit()
    return feed_of(user)


def revoke_feed(user: User) -> bool:
    """Delete the student's feed secret; True when there was one."""
    result = cast(
        CursorResult[Any], db.session.execute(delete(FeedToken).where(FeedToken.user_id == user.id))
    )
    db.session.commit()
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


def purge_cancellations(at: datetime | None = None) -> int:
    """Forget cancellations that ended more than CALENDAR_FEED_PAST_DAYS ago."""
    cutoff = _cutoff(at)
    result = cast(
        CursorResult[Any],
        db.session.execute(delete(CanceledActivity).where(CanceledActivity.end_time < cutoff)),
    )
    db.session.commit()
    return result.rowcount


def _cutoff(at: datetime | None = None) -> datetime:
    return (at or now()) - timedelta(days=current_app.config["CALENDAR_FEED_PAST_DAYS"])


def student_calendar(token: str) -> bytes:
    """The iCal document of the feed `token`: the activities its student joined."""
    owner_id = db.session.scalar(select(FeedToken.user_id).where(FeedToken.token == token))
    if owner_id is None:
        raise not_found(NO_FEED)
    return _calendar("一苇以航 · 我参加的活动", participant_id=owner_id)


def organization_calendar(org_id: int) -> bytes:
    """The iCal document of an organization's activities (public)."""
    org = get_or_404(Organization, org_id, "未找到该组织。")
    return _calendar(f"一苇以航 · {org.name}", org_id=org_id)


def _calendar(title: str, *, participant_id: int | None = None, org_id: int | None = None) -> bytes:
    """The activities (and cancellations) a student joined or an organization holds."""
    cutoff = _cutoff()
    activities = (
        select(Activity, Address.name)
        .join(Address, Address.id == Activity.address_id)
        .where(Activity.end_time >= cutoff)
        .order_by(Activity.begin_time, Activity.id)
    )
    canceled = (
        select(CanceledActivity)
        .where(CanceledActivity.end_time >= cutoff)
        .order_by(CanceledActivity.begin_time, CanceledActivity.id)
    )
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
    rows = db.session.execute(activities).all()
    gone = db.session.scalars(canceled).all()
    db.session.commit()
    return _document(title, rows, gone)


def _local(value: datetime) -> datetime:
    return value.replace(tzinfo=BEIJING)


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=BEIJING).astimezone(UTC)


def _event(
    uid: int,
    name: str,
    begin: datetime,
    end: datetime,
    location: str | None,
    sequence: int,
    stamp: datetime,
    status: str,
) -> Event:
    event = Event()
    event.add("uid", f"activity-{uid}@reedsailing")
    event.add("dtstamp", _utc(stamp))
    event.add("last-modified", _utc(stamp))
    event.add("dtstart", _local(begin))
    event.add("dtend", _local(end))
    event.add("summary", name)
    if location:
        event.add("location", location)
    event.add("sequence", sequence)
    event.add("status", status)
    return event


def _document(title: str, activities: Iterable[Any], canceled: Iterable[CanceledActivity]) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", title)
    calendar.add("x-wr-timezone", "Asia/Shanghai")
    events: list[tuple[datetime, int, Event]] = []
    for activity, location in activities:
        event = _event(
            activity.id,
            activity.name,
            activity.begin_time,
            activity.end_time,
            location,
            activity.sequence or 0,
            activity.modified_at or activity.pub_time,
            "CONFIRMED",
        )
        event.add("created", _utc(activity.pub_time))
        if activity.description:
            event.add("description", activity.description[:MAX_DESCRIPTION])
        events.append((activity.begin_time, activity.id, event))
    for gone in canceled:
        event = _event(
            gone.id,
            gone.name,
            gone.begin_time,
            gone.end_time,
            gone.location,
            gone.sequence,
            gone.canceled_at,
            "CANCELLED",
        )
        events.append((gone.begin_time, gone.id, event))
    for _, _, event in sorted(events, key=lambda item: (item[0], item[1])):
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()
