"""Managers, followers and the caller's relation to an organization (docs/api.md §9).

Uniqueness of (org, user) in `org_managers` and `follows` is a database constraint, so
duplicate and concurrent requests end with one row and a clean 400 for the loser.
"""

from sqlalchemy import delete, exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from reedsailing.core.errors import ApiError, bad_request, not_found
from reedsailing.core.queries import contains
from reedsailing.extensions import db
from reedsailing.messages import texts
from reedsailing.messages.services import notify
from reedsailing.models import Follow, Organization, OrgManager
from reedsailing.organizations.services import get_student, require_verified

DUPLICATE_FOLLOW = "已关注该组织。"


def add_manager(org, person_id):
    """The owner (or an admin) makes a verified student a manager (notice 8)."""
    person = get_student(person_id, "person")
    require_verified(person)
    row = OrgManager(org_id=org.id, user_id=person.id)
    db.session.add(row)
    try:
        db.session.flush()
    except IntegrityError as error:
        db.session.rollback()
        raise bad_request("该用户已是此组织管理员。") from error
    notify(texts.BECOME_MANAGER, [person.id], org=org)
    db.session.commit()
    return row


def remove_manager(org, user_id):
    """The owner (or an admin) removes a manager (notice 9); never the owner."""
    if user_id == org.owner_id:
        raise bad_request("不能移除组织负责人的管理员身份。")
    removed = db.session.execute(
        delete(OrgManager).where(OrgManager.org_id == org.id, OrgManager.user_id == user_id)
    ).rowcount
    if not removed:
        db.session.rollback()
        raise not_found("该用户不是此组织管理员。")
    notify(texts.REMOVED_FROM_MANAGER, [user_id], org=org)
    db.session.commit()


def managers_of(org_id):
    """Manager rows with their users, owner first then by seniority (one query)."""
    return db.session.scalars(
        select(OrgManager)
        .join(Organization, Organization.id == OrgManager.org_id)
        .options(joinedload(OrgManager.user))
        .where(OrgManager.org_id == org_id)
        .order_by((OrgManager.user_id != Organization.owner_id), OrgManager.id)
    ).all()


def _org_rows(model, user_id, term=None):
    """`model` rows (OrgManager or Follow) of a user with the organization detail loaded."""
    query = (
        select(model)
        .join(Organization, Organization.id == model.org_id)
        .options(
            joinedload(model.org).joinedload(Organization.owner),
            joinedload(model.org).joinedload(Organization.block),
        )
        .where(model.user_id == user_id)
        .order_by(model.id)
    )
    if term is not None:
        query = query.where(contains(Organization.name, term))
    return query


def managed_rows(user_id, term=None):
    return _org_rows(OrgManager, user_id, term)


def followed_rows(user_id):
    return _org_rows(Follow, user_id)


def follow(org_id, user_id):
    """Follow an organization; following twice is the 400 the app treats as success."""
    if db.session.get(Organization, org_id) is None:
        raise not_found("未找到组织。")
    row = Follow(org_id=org_id, user_id=user_id)
    db.session.add(row)
    try:
        db.session.commit()
    except IntegrityError as error:
        db.session.rollback()
        raise ApiError(400, DUPLICATE_FOLLOW, non_field_errors=[DUPLICATE_FOLLOW]) from error
    return row


def unfollow(org_id, user_id):
    """Idempotent, like the first version: not following is not an error."""
    if db.session.get(Organization, org_id) is None:
        raise not_found("未找到组织。")
    db.session.execute(delete(Follow).where(Follow.org_id == org_id, Follow.user_id == user_id))
    db.session.commit()


def relation(org, user_id):
    """The caller's flags for the organization page (one query)."""
    is_follower, is_manager = db.session.execute(
        select(
            exists().where(Follow.org_id == org.id, Follow.user_id == user_id),
            exists().where(OrgManager.org_id == org.id, OrgManager.user_id == user_id),
        )
    ).one()
    return {
        "isFollower": bool(is_follower),
        "isManager": bool(is_manager),
        "isOwner": org.owner_id == user_id,
    }
