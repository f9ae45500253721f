"""Reading activities: one by id, the lists by block, organization, owner, participant
and followed organizations, name searches, status partitions and the month calendar.

Each list is one SELECT of `activity_rows()` (activities/answers.py), whatever the
number of rows, plus at most one existence check; the routes dump the rows.
"""

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.engine import Row

from reedsailing.activities.answers import activity_rows
from reedsailing.core.cache import valid_until
from reedsailing.core.db import get_or_404
from reedsailing.core.errors import bad_request, not_found
from reedsailing.core.queries import contains, page_slice, paginate
from reedsailing.core.timeutil import now
from reedsailing.extensions import db
from reedsailing.models import Activity, Block, Follow, Organization, Participation, User

Rows = list[Row[Any]]
_TICK = timedelta(microseconds=1)
Partition = dict[str, Rows]


def fetch(statement: Select[Any]) -> Rows:
    """The rows of an `activity_rows()` select, on the session's connection: a Core
    select gains nothing from the ORM's result layer (~10% of a search, py-spy)."""
    return list(db.session.connection().execute(statement).all())


def activity_row(activity_id: int) -> Row[Any]:
    """One activity's row, or 404."""
    rows = fetch(activity_rows().where(Activity.id == activity_id))
    if not rows:
        raise not_found("未找到该活动。")
    return rows[0]


def status_of(activity: Any, moment: datetime) -> str:
    if activity.begin_time > moment:
        return "unstart"
    if activity.end_time < moment:
        return "end"
    return "cur"


def partition(rows: Iterable[Row[Any]]) -> Partition:
    """Split into `{unstart, cur, end}` by the activities' times (docs/api.md §2)."""
    moment = now()
    buckets: Partition = {"unstart": [], "cur": [], "end": []}
    changes: datetime | None = None  # the next moment a row changes bucket by itself
    for row in rows:
        status = status_of(row, moment)
        buckets[status].append(row)
        if status != "end":
            change = row.begin_time if status == "unstart" else row.end_time + _TICK
            changes = change if changes is None or change < changes else changes
    valid_until(changes)
    return buckets


def _filtered(
    where: Iterable[Any], term: str | None, status: bool, order: Iterable[Any] = (Activity.id,)
) -> Rows | Partition:
    """The rows, or their status partition when `status`; `?limit=&offset=` pages the
    rows, or each bucket of the partition (docs/api.md §1.4)."""
    statement = activity_rows().where(*where).order_by(*order)
    if term is not None:
        statement = statement.where(contains(Activity.name, term))
    if status:
        return {key: page_slice(rows) for key, rows in partition(fetch(statement)).items()}
    return fetch(paginate(statement))


def all_activities(term: str | None = None) -> Rows | Partition:
    return _filtered((), term, False)


def block_activities(block_id: int, term: str | None = None, status: bool = False) -> Rows | Partition:
    get_or_404(Block, block_id, "未找到该版块。")
    return _filtered((Activity.block_id == block_id,), term, status)


def org_activities(org_id: int, term: str | None = None, status: bool = False) -> Rows | Partition:
    get_or_404(Organization, org_id, "未找到该组织。")
    return _filtered((Activity.org_id == org_id,), term, status)


def released_activities(user_id: int, term: str | None = None, status: bool = False) -> Rows | Partition:
    return _filtered((Activity.owner_id == user_id,), term, status)


def followed_org_activities(user_id: int) -> Rows | Partition:
    """Activities of the organizations the user follows, newest published first."""
    followed = select(Follow.org_id).where(Follow.user_id == user_id)
    newest = (Activity.pub_time.desc(), Activity.id.desc())
    return _filtered((Activity.org_id.in_(followed),), None, False, newest)


def require_joined_reader(user_id: int, admin_reads: bool) -> None:
    """An admin reading a student's joined lists: 404 for an unknown or system user."""
    if not admin_reads:
        return
    user = db.session.get(User, user_id)
    if user is None or user.is_system:
        raise not_found("未找到该用户。")


def _joined(user_id: int) -> Any:
    return Activity.id.in_(select(Participation.act_id).where(Participation.user_id == user_id))


def joined_activities(user_id: int, term: str | None = None, status: bool = False) -> Rows | Partition:
    """The rows (or their status partition) of the activities the user joined."""
    return _filtered((_joined(user_id),), term, status, (Activity.begin_time, Activity.id))


def month_range(year: int, month: int) -> tuple[datetime, datetime]:
    if not 1 <= month <= 12:
        raise bad_request("月份须在 1 到 12 之间。")
    if not 1900 <= year <= 9998:
        raise bad_request("年份无效。")
    return datetime(year, month, 1), datetime(year + (month == 12), month % 12 + 1, 1)


def joined_calendar(user_id: int, year: int, month: int) -> dict[str, Rows]:
    """`{"YYYY-MM-DD": [row]}` of the joined activities beginning in that month."""
    first, following = month_range(year, month)
    statement = (
        activity_rows()
        .where(_joined(user_id), Activity.begin_time >= first, Activity.begin_time < following)
        .order_by(Activity.begin_time, Activity.id)
    )
    days: dict[str, Rows] = {}
    for row in fetch(statement):
        days.setdefault(row.begin_time.strftime("%Y-%m-%d"), []).append(row)
    return days
