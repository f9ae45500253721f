"""Loading activities with everything their answer shape nests, in one query.

Relationships are `lazy="raise_on_sql"`, so forgetting to eager-load fails loudly in
tests instead of silently issuing a query per row.
"""

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from reedsailing.core.errors import not_found
from reedsailing.core.timeutil import now
from reedsailing.extensions import db
from reedsailing.models import Activity, Block, Organization, User

NESTED = (
    joinedload(Activity.owner),
    joinedload(Activity.category),
    joinedload(Activity.org),
    joinedload(Activity.location),
    joinedload(Activity.block),
)


def activities_select():
    """`SELECT activities` with owner, category, org, location and block joined in."""
    return select(Activity).options(*NESTED)


def load_activity(act_id):
    """The activity with its nested objects, or 404."""
    activity = db.session.scalars(activities_select().where(Activity.id == act_id)).unique().one_or_none()
    if activity is None:
        raise not_found("未找到该活动。")
    return activity


def get_activity(act_id, *, for_update=False):
    """The bare activity row (no relationships), or 404."""
    statement = select(Activity).where(Activity.id == act_id)
    if for_update:
        statement = statement.with_for_update()
    activity = db.session.scalars(statement).one_or_none()
    if activity is None:
        raise not_found("未找到该活动。")
    return activity


def require_block(block_id):
    if db.session.get(Block, block_id) is None:
        raise not_found("未找到该版块。")


def require_org(org_id):
    if db.session.get(Organization, org_id) is None:
        raise not_found("未找到该组织。")


def require_user(user_id):
    user = db.session.get(User, user_id)
    if user is None or user.is_system:
        raise not_found("未找到该用户。")
    return user


def run(statement):
    """Execute an activities select; `unique()` because of the joined eager loads."""
    return db.session.scalars(statement).unique().all()


def status_of(activity, moment):
    if activity.begin_time > moment:
        return "unstart"
    if activity.end_time < moment:
        return "end"
    return "cur"


def partition(items, key=lambda item: item):
    """Split into `{unstart, cur, end}` by the activity's times (docs/api.md §2)."""
    moment = now()
    buckets = {"unstart": [], "cur": [], "end": []}
    for item in items:
        buckets[status_of(key(item), moment)].append(item)
    return buckets
