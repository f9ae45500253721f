"""Role rules shared by features (docs/api.md §1.1).

Every rule takes the caller as the request's `Principal` (from the token, never from a
body field). Role checks stand at the entry of an operation; nothing below re-derives
them.
"""

from collections.abc import Iterable

from sqlalchemy import and_, exists, or_, select

from reedsailing.core.db import get_or_404
from reedsailing.core.errors import forbidden
from reedsailing.extensions import db
from reedsailing.models import Activity, OrgManager, Participation
from reedsailing.models.blocks import PERSONAL
from reedsailing.security.principal import Principal

ACTIVITY_NOT_FOUND = "未找到该活动。"


def is_org_manager(user_id, org_id):
    """True when the user has a manager row for the organization (owners always do)."""
    if user_id is None or org_id is None:
        return False
    return db.session.scalar(
        select(exists().where(OrgManager.org_id == org_id, OrgManager.user_id == user_id))
    )


def can_manage_activity(principal: Principal, activity: Activity) -> bool:
    """Admins; for an organization's activity its current managers; otherwise its owner.

    An organization's activity belongs to the organization: whoever published it keeps
    power over it only while they manage the organization (README "Security").
    """
    if principal.is_admin:
        return True
    user = principal.user
    if user is None:
        return False
    if activity.org_id is not None and activity.block_id != PERSONAL:
        return bool(is_org_manager(user.id, activity.org_id))
    return activity.owner_id == user.id


ORGANIZERS_ONLY = "只有活动的发起者或组织管理员才能执行该操作。"


def require_organizer(principal: Principal, activity: Activity, detail: str = ORGANIZERS_ONLY) -> Activity:
    """The activity, when the caller may organize it (can_manage_activity); else 403."""
    if not can_manage_activity(principal, activity):
        raise forbidden(detail)
    return activity


def organized_activity(principal: Principal, activity_id: int, detail: str = ORGANIZERS_ONLY) -> Activity:
    """Load the activity (404) and check that the caller organizes it (403): the entry
    check of every organizer's operation."""
    return require_organizer(principal, get_or_404(Activity, activity_id, ACTIVITY_NOT_FOUND), detail)


def contact_shown_to(principal: Principal, user_ids: Iterable[int]) -> set[int]:
    """The users among `user_ids` whose `contact` the caller sees: the one rule of
    docs/security.md "Private details", for every answer and sheet that shows it.

    The user themself and admins; otherwise whoever joined an activity the caller
    manages (its owner when it has no organization, else a manager of its
    organization). Being on a waiting list or asking to join is not having joined. One
    query per 500 users.
    """
    wanted = set(user_ids)
    if principal.is_admin or not wanted:
        return wanted
    if principal.user is None:
        return set()
    caller = principal.user.id
    shown = wanted & {caller}
    others = sorted(wanted - shown)
    managed_org = select(OrgManager.org_id).where(OrgManager.user_id == caller)
    for start in range(0, len(others), 500):
        shown.update(
            db.session.scalars(
                select(Participation.user_id)
                .distinct()
                .join(Activity, Activity.id == Participation.act_id)
                .where(
                    Participation.user_id.in_(others[start : start + 500]),
                    or_(
                        and_(Activity.org_id.is_(None), Activity.owner_id == caller),
                        Activity.org_id.in_(managed_org),
                    ),
                )
            )
        )
    return shown
