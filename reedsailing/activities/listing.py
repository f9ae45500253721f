"""The activity lists: by block, organization, owner, participant, followed
organizations, and the month calendar. Each is one SELECT with its nested objects
joined in, whatever the number of rows (plus at most one existence check). The
activity lists return their answer already dumped (activities/fastdump.py)."""

import calendar
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from reedsailing.activities.fastdump import Dumper, activity_rows_select, fetch
from reedsailing.activities.loading import NESTED, partition, require_block, require_org
from reedsailing.core.errors import bad_request
from reedsailing.core.queries import contains, paginate
from reedsailing.extensions import db
from reedsailing.models import Activity, Follow, Participation


def _filtered(where, term=None, page=True, status=False):
    """The answer: `[Activity]`, or `{unstart, cur, end}` of them when `status`."""
    statement = activity_rows_select().where(*where).order_by(Activity.id)
    if term is not None:
        statement = statement.where(contains(Activity.name, term))
    rows = fetch(paginate(statement) if page and not status else statement)
    dumper = Dumper()
    if status:
        return {key: dumper.many(items) for key, items in partition(rows).items()}
    return dumper.many(rows)


def all_activities(term=None):
    return _filtered((), term)


def block_activities(block_id, term=None, status=False):
    require_block(block_id)
    return _filtered((Activity.block_id == block_id,), term, status=status)


def org_activities(org_id, term=None, status=False):
    require_org(org_id)
    return _filtered((Activity.org_id == org_id,), term, status=status)


def released_activities(user_id, term=None, status=False):
    return _filtered((Activity.owner_id == user_id,), term, status=status)


def followed_org_activities(user_id):
    """Activities of the organizations the user follows, newest published first."""
    followed = select(Follow.org_id).where(Follow.user_id == user_id)
    statement = (
        activity_rows_select()
        .where(Activity.org_id.in_(followed))
        .order_by(Activity.pub_time.desc(), Activity.id.desc())
    )
    return Dumper().many(fetch(paginate(statement)))


def _joined_select(user_id):
    """Participations of the user, each with its activity (and its nested objects)."""
    return (
        select(Participation)
        .join(Activity, Activity.id == Participation.act_id)
        .where(Participation.user_id == user_id)
        .options(contains_eager(Participation.act).options(*NESTED))
        .order_by(Activity.begin_time, Activity.id)
    )


def joined_activities(user_id, term=None, status=False):
    """`[{act}]` (or its status partition) of the activities the user joined."""
    statement = _joined_select(user_id)
    if term is not None:
        statement = statement.where(contains(Activity.name, term))
    if not status:
        statement = paginate(statement)
    rows = db.session.scalars(statement).unique().all()
    return partition(rows, key=lambda item: item.act) if status else rows


def month_range(year, month):
    if not 1 <= month <= 12:
        raise bad_request("月份须在 1 到 12 之间。")
    if not 1900 <= year <= 9998:
        raise bad_request("年份无效。")
    first = datetime(year, month, 1)
    last_day = calendar.monthrange(year, month)[1]
    following = datetime(year + (month == 12), month % 12 + 1, 1)
    return first, following, last_day


def joined_calendar(user_id, year, month):
    """`{"YYYY-MM-DD": [Activity]}` of the joined activities beginning in that month."""
    first, following, _ = month_range(year, month)
    statement = _joined_select(user_id).where(Activity.begin_time >= first, Activity.begin_time < following)
    days = {}
    for participation in db.session.scalars(statement).unique():
        act = participation.act
        days.setdefault(act.begin_time.strftime("%Y-%m-%d"), []).append(act)
    return days
