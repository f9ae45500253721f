"""Role rules shared by features (docs/api.md §1.1).

Every rule takes the caller from the token (`auth.current_user/current_admin`), never
from a body field.
"""

from sqlalchemy import exists, select

from reedsailing.extensions import db
from reedsailing.models import OrgManager
from reedsailing.models.blocks import PERSONAL


def is_org_manager(user_id, org_id):
    """True when the user has a manager row for the organization (owners always do)."""
    if user_id is None or org_id is None:
        return False
    return db.session.scalar(
        select(exists().where(OrgManager.org_id == org_id, OrgManager.user_id == user_id))
    )


def can_manage_activity(user, admin, activity):
    """Admins; for an organization's activity its current managers; otherwise its owner.

    An organization's activity belongs to the organization: whoever published it keeps
    power over it only while they manage the organization (README "Security").
    """
    if admin is not None:
        return True
    if user is None:
        return False
    if activity.org_id is not None and activity.block_id != PERSONAL:
        return is_org_manager(user.id, activity.org_id)
    return activity.owner_id == user.id
