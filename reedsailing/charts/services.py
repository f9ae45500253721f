"""Chart data for the admin console: `[{name, value}]`, one query per chart (docs/api.md §18)."""

from typing import Any

from sqlalchemy import Select, func, or_, select

from reedsailing.checkin.services import attended_counts
from reedsailing.extensions import db
from reedsailing.models import Activity, Attendance, Category, CheckIn, Follow, Organization

UNCATEGORISED = "未分类"


def _pairs(statement: Select[str, int]) -> list[dict[str, Any]]:
    return [{"name": name, "value": int(value)} for name, value in db.session.execute(statement)]


def popular_orgs(limit: int) -> list[dict[str, Any]]:
    """Organizations by number of followers, most followed first."""
    followers = func.count(Follow.id)
    return _pairs(
        select(Organization.name, followers)
        .outerjoin(Follow, Follow.org_id == Organization.id)
        .group_by(Organization.id, Organization.name)
        .order_by(followers.desc(), Organization.id)
        .limit(limit)
    )


def popular_activities(limit: int) -> list[dict[str, Any]]:
    """Activities by number of participants (the maintained `joined_count`)."""
    return _pairs(
        select(Activity.name, Activity.joined_count)
        .order_by(Activity.joined_count.desc(), Activity.id)
        .limit(limit)
    )


def category_share() -> list[dict[str, Any]]:
    """Number of activities per category; activities without one count as 未分类."""
    count = func.count(Activity.id)
    return _pairs(
        select(func.coalesce(Category.name, UNCATEGORISED), count)
        .select_from(Activity)
        .outerjoin(Category, Category.id == Activity.category_id)
        .group_by(Category.id, Category.name)
        .order_by(count.desc(), Category.id)
    )


def attendance_rates(limit: int) -> list[dict[str, Any]]:
    """Activities that took attendance (opened check-in or marked someone), latest begin
    first: the percentage of participants who came (docs/signup.md)."""
    took = or_(
        Activity.id.in_(select(CheckIn.act_id)),
        Activity.id.in_(select(Attendance.act_id)),
    )
    rows = db.session.execute(
        select(Activity.id, Activity.name, Activity.joined_count)
        .where(took)
        .order_by(Activity.begin_time.desc(), Activity.id.desc())
        .limit(limit)
    ).all()
    came = attended_counts([row.id for row in rows])
    return [
        {
            "name": row.name,
            "value": round(100 * came.get(row.id, 0) / row.joined_count) if row.joined_count else 0,
        }
        for row in rows
    ]
