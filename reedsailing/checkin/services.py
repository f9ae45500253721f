"""Check-in and attendance (docs/api.md §21, docs/signup.md).

- The owner, organization managers and admins open check-in: a 6-digit code valid for
  `minutes` (default 15). Opening again is a new window: a new code, `opened_at` now and
  `expires_at` `minutes` later (so `expires_at - opened_at` is always the last `minutes`). Once opened, an activity
  "takes attendance": only attendees may comment on it (comments/services.py).
- A participant checks in with the current code from 30 minutes before the begin time
  until the end time; one attendance per student (a unique constraint).
- Organizers mark or unmark attendance by hand at any time (participants only).
"""

import hmac
import secrets
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, exists, func, select
from sqlalchemy.orm import joinedload

from reedsailing.core.db import flush_or, get_or_404
from reedsailing.core.errors import bad_request, not_found
from reedsailing.core.timeutil import now
from reedsailing.extensions import db
from reedsailing.images.services import render_qr
from reedsailing.models import Activity, Attendance, CheckIn, Participation, User
from reedsailing.participation.services import has_joined
from reedsailing.security.permissions import organized_activity
from reedsailing.security.principal import Principal

NOT_FOUND = "未找到该活动。"
EARLY = timedelta(minutes=30)
DEFAULT_MINUTES = 15
WRONG_CODE = "签到码错误或已过期。"
DUPLICATE = "您已经签到过了。"
NOT_PARTICIPANT = "该用户未参加该活动。"


def open_checkin(principal: Principal, activity_id: int, minutes: int) -> CheckIn:
    """A new code for the activity, valid for `minutes` from now (organizers); a reopen
    starts a new window, `opened_at` included."""
    activity = organized_activity(principal, activity_id)
    moment = now()
    if activity.end_time < moment:
        raise bad_request("活动已结束，不能开启签到。")
    checkin = db.session.get(CheckIn, activity_id)
    if checkin is None:
        checkin = CheckIn(act_id=activity_id)
        db.session.add(checkin)
    checkin.opened_at = moment
    checkin.code = f"{secrets.randbelow(10**6):06d}"
    checkin.expires_at = moment + timedelta(minutes=minutes)
    flush_or(bad_request("签到刚刚被其他管理员开启，请重试。"))
    return checkin


def current_code(principal: Principal, activity_id: int) -> CheckIn:
    """The open check-in (organizers); 404 when never opened or expired."""
    organized_activity(principal, activity_id)
    checkin = db.session.get(CheckIn, activity_id)
    if checkin is None or checkin.expires_at < now():
        raise not_found("签到未开启或签到码已过期。")
    return checkin


def qr_image(principal: Principal, activity_id: int, width: int) -> bytes:
    """A PNG QR code of the open code; the app reads `reedsailing:checkin:<act>:<code>`."""
    checkin = current_code(principal, activity_id)
    return render_qr(f"reedsailing:checkin:{activity_id}:{checkin.code}", width)


def check_in(user: User, activity_id: int, code: str) -> Attendance:
    """The caller checks in with the code during the activity's time window."""
    activity = get_or_404(Activity, activity_id, NOT_FOUND)
    if not has_joined(activity_id, user.id):
        raise bad_request("只有活动的参与者才能签到。")
    moment = now()
    if not activity.begin_time - EARLY <= moment <= activity.end_time:
        raise bad_request("现在不在活动的签到时间内。")
    checkin = db.session.get(CheckIn, activity_id)
    given = code.strip().encode()  # bytes: compare_digest raises on non-ASCII text
    if (
        checkin is None
        or checkin.expires_at < moment
        or not hmac.compare_digest(checkin.code.encode(), given)
    ):
        raise bad_request(WRONG_CODE)
    attendance = Attendance(act_id=activity_id, user_id=user.id, method="code", checked_in_at=moment)
    db.session.add(attendance)
    flush_or(bad_request(DUPLICATE))
    return attendance


def mark(principal: Principal, activity_id: int, person_id: int) -> Attendance:
    """Mark a participant as present by hand (organizers); marking twice keeps the first."""
    organized_activity(principal, activity_id)
    if not has_joined(activity_id, person_id):
        raise not_found(NOT_PARTICIPANT)
    existing = _attendance(activity_id, person_id)
    if existing is not None:
        return existing
    attendance = Attendance(act_id=activity_id, user_id=person_id, method="hand", checked_in_at=now())
    db.session.add(attendance)
    flush_or(None)
    return attendance


def unmark(principal: Principal, activity_id: int, person_id: int) -> None:
    """Take back an attendance (organizers)."""
    organized_activity(principal, activity_id)
    removed = db.session.execute(
        delete(Attendance).where(Attendance.act_id == activity_id, Attendance.user_id == person_id)
    )
    if removed.rowcount == 0:  # type: ignore[attr-defined]
        raise not_found("该用户没有签到记录。")
    db.session.flush()


def _attendance(activity_id: int, user_id: int) -> Attendance | None:
    return db.session.scalars(
        select(Attendance).where(Attendance.act_id == activity_id, Attendance.user_id == user_id)
    ).one_or_none()


def attendees(activity_id: int) -> Sequence[Attendance]:
    """The attendances of current participants, in check-in order, students loaded."""
    return db.session.scalars(
        select(Attendance)
        .join(
            Participation,
            (Participation.act_id == Attendance.act_id) & (Participation.user_id == Attendance.user_id),
        )
        .where(Attendance.act_id == activity_id)
        .order_by(Attendance.checked_in_at, Attendance.id)
        .options(joinedload(Attendance.user))
    ).all()


def attendance_taken(activity_id: int) -> bool:
    """True once check-in was opened or anyone was marked present."""
    return bool(
        db.session.scalar(
            select(
                exists().where(CheckIn.act_id == activity_id)
                | exists().where(Attendance.act_id == activity_id)
            )
        )
    )


def has_attended(activity_id: int, user_id: int) -> bool:
    return bool(
        db.session.scalar(
            select(exists().where(Attendance.act_id == activity_id, Attendance.user_id == user_id))
        )
    )


def attendance_summary(principal: Principal, activity_id: int) -> dict[str, Any]:
    """`{participants, attended, rate, opened, attendees}` (organizers); `rate` is the
    share of participants who came, null without participants."""
    activity = organized_activity(principal, activity_id)
    present = attendees(activity_id)
    joined = activity.joined_count
    checkin = db.session.get(CheckIn, activity_id)
    return {
        "participants": joined,
        "attended": len(present),
        "rate": round(len(present) / joined, 4) if joined else None,
        "opened": checkin is not None,
        "expires_at": checkin.expires_at if checkin is not None else None,
        "attendees": present,
    }


def attended_counts(activity_ids: Sequence[int]) -> dict[int, int]:
    """Attendances of current participants per activity (one query)."""
    if not activity_ids:
        return {}
    rows = db.session.execute(
        select(Attendance.act_id, func.count())
        .join(
            Participation,
            (Participation.act_id == Attendance.act_id) & (Participation.user_id == Attendance.user_id),
        )
        .where(Attendance.act_id.in_(activity_ids))
        .group_by(Attendance.act_id)
    ).all()
    return {act_id: int(count) for act_id, count in rows}
