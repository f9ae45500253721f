"""Sign-up sheets (docs/api.md §21).

Who may download: the activity owner, organization managers and admins. Admins and
the owner see addresses in full; an organization manager who is not the owner sees
them masked (`z***@buaa.edu.cn`), as in every other answer about other students.
`contact` follows the one rule of every answer (`permissions.contact_shown_to`): the
participants' for an organizer, a waiting or pending student's only where that rule
shows it (admins, or the student joined another activity the caller manages).
Cells that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`) are quoted.
Both formats hold the same table: the header row (COLUMNS) first, then one row per
student; 签到 is 是 or 否 for everyone (waiting and pending students have not come).
"""

import csv
import io
from datetime import datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from reedsailing.checkin.services import attendees
from reedsailing.core.schemas import mask_email
from reedsailing.extensions import db
from reedsailing.models import Activity, Participation, User
from reedsailing.models.signup import PENDING, WAITING
from reedsailing.participation.services.waitlist import requests_in
from reedsailing.security.permissions import contact_shown_to, organized_activity
from reedsailing.security.principal import Principal

COLUMNS = [
    "序号",
    "状态",
    "用户ID",
    "姓名",
    "邮箱",
    "联系方式",
    "报名时间",
    "候补位次",
    "签到",
    "签到时间",
    "签到方式",
]
STATES = {"joined": "已报名", WAITING: "候补", PENDING: "待审核"}
METHODS = {"code": "签到码", "hand": "手动"}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _time(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment is not None else ""


def sheet(principal: Principal, activity_id: int) -> tuple[Activity, list[list[Any]]]:
    """The activity and its rows: participants in join order, then the waiting list in
    order, then the pending join requests."""
    activity = organized_activity(principal, activity_id)
    full = principal.is_admin or principal.is_user(activity.owner_id)
    present = {entry.user_id: entry for entry in attendees(activity_id)}
    joined = db.session.scalars(
        select(Participation)
        .where(Participation.act_id == activity_id)
        .order_by(Participation.id)
        .options(joinedload(Participation.user))
    ).all()
    waiting = requests_in(activity_id, WAITING)
    pending = requests_in(activity_id, PENDING)
    shown = contact_shown_to(
        principal, [entry.user_id for entries in (joined, waiting, pending) for entry in entries]
    )
    rows: list[list[Any]] = []

    def add(state: str, student: User, since: datetime, place: int | None) -> None:
        came = present.get(student.id)
        rows.append(
            [
                len(rows) + 1,
                STATES[state],
                student.id,
                student.name,
                (student.email if full else mask_email(student.email)) or "",
                (student.contact if student.id in shown else None) or "",
                _time(since),
                place if place is not None else "",
                "是" if came else "否",
                _time(came.checked_in_at) if came else "",
                METHODS.get(came.method, came.method) if came else "",
            ]
        )

    for participation in joined:
        add("joined", participation.user, participation.joined_at, None)
    for place, entry in enumerate(waiting, start=1):
        add(WAITING, entry.user, entry.created_at, place)
    for entry in pending:
        add(PENDING, entry.user, entry.created_at, None)
    return activity, rows


def _safe(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def to_csv(rows: list[list[Any]]) -> bytes:
    """UTF-8 with a byte order mark, so Excel opens the Chinese text correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerows([[_safe(value) for value in row] for row in rows])
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx(activity: Activity, rows: list[list[Any]]) -> bytes:
    """One sheet named 报名表 with the same table as the CSV, header row first (a title
    line above it would be a row a program reading the sheet has to skip); the activity
    is the workbook's title property."""
    book = Workbook()
    book.properties.title = f"{activity.name}（{_time(activity.begin_time)} - {_time(activity.end_time)}）"
    page = book.active
    assert page is not None
    page.title = "报名表"
    page.append(COLUMNS)
    for row in rows:
        page.append([_safe(value) for value in row])
    for index, title in enumerate(COLUMNS, start=1):
        page.column_dimensions[get_column_letter(index)].width = max(8, len(title) * 2 + 4)
    page.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
