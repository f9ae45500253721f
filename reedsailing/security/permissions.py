"""Role rules shared by features (docs/api.md §1.1).

Every rule takes the caller as the request's `Principal` (from the token, never from a
body field). Role checks stand at the entry of an operation; nothing below re-derives
them.
"""

from sqlalchemy import exists, select

from reedsailing.core.db import get_or_404
from reedsailing.core.errors import forbidden
from reedsailing.extensions import db
from reedsailing.models import Activity, OrgManager
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
