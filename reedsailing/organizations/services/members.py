"""Managers, followers and the caller's relation to an organization (docs/api.md §9).

Uniqueness of (org, user) in `org_managers` and `follows` is a database constraint, so
duplicate and concurrent requests end with one row and a clean 400 for the loser.
"""

from collections.abc import Sequence
from typing import cast

from sqlalchemy import CursorResult, Select, delete, exists, select
from sqlalchemy.orm import joinedload

from reedsailing.core.db import flush_or
from reedsailing.core.errors import bad_request, forbidden, not_found
from reedsailing.core.queries import contains, paginate
from reedsailing.extensions import db
from reedsailing.messages import texts
from reedsailing.messages.services import notify
from reedsailing.models import Follow, Organization, OrgManager, User
from reedsailing.organizations.services.organizations import (
    get_org,
    get_student,
    require_owner,
    require_verified,
)
from reedsailing.security.principal import Principal

DUPLICATE_FOLLOW = "已关注该组织。"


def add_manager(principal: Principal, org_id: int, person_id: int) -> OrgManager:
    """The owner (or an admin) makes a verified student a manager (notice 8)."""
    org = get_org(org_id)
    require_owner(principal, org)
    person = get_student(person_id, "person")
    require_verified(person)
    notify(texts.BECOME_MANAGER, [person.id], org=org)
    row = OrgManager(org_id=org.id, user_id=person.id)
    db.session.add(row)
    flush_or(bad_request("该用户已是此组织管理员。"))
    return row


def remove_manager(principal: Principal, org_id: int, person_id: int) -> None:
    """The owner (or an admin) removes a manager (notice 9); never the owner."""
    org = get_org(org_id)
    require_owner(principal, org)
    if person_id == org.owner_id:
        raise bad_request("不能移除组织负责人的管理员身份。")
    removed = cast(
        CursorResult,
        db.session.execute(
            delete(OrgManager).where(OrgManager.org_id == org.id, OrgManager.user_id == person_id)
        ),
    ).rowcount
    if not removed:
        raise not_found("该用户不是此组织管理员。")
    notify(texts.REMOVED_FROM_MANAGER, [person_id], org=org)
    db.session.flush()


def managers_of(org_id: int) -> Sequence[OrgManager]:
    """Manager rows with their users, owner first then by seniority (one query)."""
    get_org(org_id)
    return db.session.scalars(
        select(OrgManager)
        .join(Organization, Organization.id == OrgManager.org_id)
        .options(joinedload(OrgManager.user))
        .where(OrgManager.org_id == org_id)
        .order_by((OrgManager.user_id != Organization.owner_id), OrgManager.id)
    ).all()


def _org_rows(
    model: type[OrgManager] | type[Follow], user_id: int, term: str | None = None
) -> Sequence[OrgManager | Follow]:
    """One page of a user's `model` rows (OrgManager or Follow) with the organization
    detail loaded."""
    query: Select = (
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
    return db.session.scalars(paginate(query)).all()


def managed_rows(user_id: int, term: str | None = None) -> Sequence[OrgManager | Follow]:
    """The manager rows of a user, optionally of organizations matching a name."""
    return _org_rows(OrgManager, user_id, term)


def followed_rows(user_id: int) -> Sequence[OrgManager | Follow]:
    return _org_rows(Follow, user_id)


def follow(org_id: int, user: User | None, person_id: int | None) -> Follow:
    """The calling student (`user`), or the student an admin names, follows an
    organization; following twice is the 400 the app treats as success."""
    if user is not None:
        follower_id = user.id
    elif person_id is None:
        raise forbidden("管理员代为关注时须指明 person。")
    else:
        follower_id = get_student(person_id, "person").id
    get_org(org_id)
    row = Follow(org_id=org_id, user_id=follower_id)
    db.session.add(row)
    flush_or(bad_request(DUPLICATE_FOLLOW, non_field_errors=[DUPLICATE_FOLLOW]))
    return row


def unfollow(org_id: int, user_id: int) -> None:
    """Idempotent, like the first version: not following, or an organization that is
    gone (deleted while the app's page was open), is not an error (204)."""
    db.session.execute(delete(Follow).where(Follow.org_id == org_id, Follow.user_id == user_id))
    db.session.flush()


def relation(org_id: int, user_id: int) -> dict[str, bool]:
    """The caller's `{isFollower, isManager, isOwner}` for the organization page."""
    org = get_org(org_id)
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
