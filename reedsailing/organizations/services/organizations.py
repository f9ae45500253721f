"""Organizations and their ownership (docs/api.md §8).

Every write is one unit of work: it checks, writes, notifies through
`messages.services.notify` and commits. Races are settled by the database: the unique
`organizations.name` index and conditional UPDATEs, never by a read-then-write.
"""

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import CursorResult, Select, exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from reedsailing.activities.services.cancelling import cancel_activity
from reedsailing.core.db import flush_or, get_or_404, get_or_field_error, on_commit
from reedsailing.core.errors import ApiError, bad_request, field_error, forbidden, required_text, unknown_pk
from reedsailing.core.queries import contains, paginate
from reedsailing.extensions import db
from reedsailing.feeds.services import forget_organization
from reedsailing.images import storage
from reedsailing.messages import texts
from reedsailing.messages.services import notify
from reedsailing.models import Activity, Block, Organization, OrgManager, User
from reedsailing.security.permissions import is_org_manager
from reedsailing.security.principal import Principal

ORG_NAME_TAKEN = "已经存在该名称的组织。"
ORG_NOT_FOUND = "未找到组织。"
DETAIL = (joinedload(Organization.owner), joinedload(Organization.block))


def org_query() -> Select[Organization]:
    """Organizations with owner and block loaded (the detail shape, one query)."""
    return select(Organization).options(*DETAIL)


def get_org(org_id: int, detail: bool = False) -> Organization:
    """The organization or 404; `detail=True` also loads what `OrgSchema` nests."""
    return get_or_404(Organization, org_id, ORG_NOT_FOUND, options=DETAIL if detail else ())


def get_student(user_id: int, field: str) -> User:
    """A real student (not the 博雅 system account) named by a body field, or 400."""
    user = get_or_field_error(User, field, user_id)
    if user.is_system:
        raise unknown_pk(field, user_id)
    return user


def require_verified(user: User, whose: str = "该用户") -> None:
    if not user.verified:
        raise bad_request(f"{whose}尚未完成邮箱认证。")


def require_manager(principal: Principal, org: Organization) -> None:
    """Admins and the organization's managers edit it."""
    if not principal.is_admin and not is_org_manager(principal.user_id, org.id):
        raise forbidden("只有组织管理员可以修改组织信息。")


def require_owner(principal: Principal, org: Organization) -> None:
    """Admins and the organization's owner hand it over and appoint managers."""
    if not principal.is_admin and not principal.is_user(org.owner_id):
        raise forbidden("只有组织负责人可以进行此操作。")


def refuse_taken_name(name: str, except_org_id: int | None = None) -> None:
    """400 `name` when another organization has the name (the check before the index)."""
    condition = [Organization.name == name]
    if except_org_id is not None:
        condition.append(Organization.id != except_org_id)
    if db.session.scalar(select(exists().where(*condition))):
        raise field_error("name", ORG_NAME_TAKEN)


def add_org(org: Organization) -> Organization:
    """Insert `org` and make its owner a manager, inside the caller's transaction.

    Flushed at once because the caller's notice links the new id; a name clash (a
    concurrent request that slipped past `refuse_taken_name`) is 400 `name`.
    """
    db.session.add(org)
    try:
        db.session.flush()
    except IntegrityError as error:
        raise field_error("name", ORG_NAME_TAKEN) from error
    db.session.add(OrgManager(org_id=org.id, user_id=org.owner_id))
    return org


def list_orgs(term: str | None = None, block_id: int | None = None) -> Sequence[Organization]:
    """One page of organizations by id, optionally of one block and/or matching a name."""
    query = org_query()
    if block_id is not None:
        get_or_404(Block, block_id, "未找到版块。")
        query = query.where(Organization.block_id == block_id)
    if term is not None:
        query = query.where(contains(Organization.name, term))
    return db.session.scalars(paginate(query.order_by(Organization.id))).all()


def create_org(data: dict[str, Any]) -> Organization:
    """An admin creates an organization directly; its owner becomes a manager."""
    owner = get_student(data["owner"], "owner")
    name = required_text(data["name"])
    refuse_taken_name(name)
    org = add_org(
        Organization(
            name=name,
            description=data.get("description"),
            avatar=data.get("avatar"),
            owner_id=owner.id,
            block_id=data["block"],
        )
    )
    db.session.flush()
    return org


def update_org(principal: Principal, org_id: int, changes: dict[str, Any]) -> Organization:
    """Managers edit name, description and avatar (partial); a replaced upload is removed.

    Returns the organization with what `OrgSchema` nests loaded.
    """
    org = get_org(org_id)
    require_manager(principal, org)
    if "name" in changes:
        changes["name"] = required_text(changes["name"])
        refuse_taken_name(changes["name"], except_org_id=org.id)
    old_avatar = org.avatar
    for key, value in changes.items():
        setattr(org, key, value)
    flush_or(field_error("name", ORG_NAME_TAKEN))
    if "avatar" in changes and changes["avatar"] != old_avatar:
        on_commit(lambda: storage.remove_owned(old_avatar, "orgs", org_id))
    return get_org(org_id, detail=True)


def delete_org(org_id: int) -> None:
    """An admin deletes an organization; each of its activities is cancelled first
    (cancelling.cancel_activity: notice 2, the feeds' record)."""
    org = get_org(org_id)
    avatar = org.avatar
    for activity in db.session.scalars(
        select(Activity).where(Activity.org_id == org.id).order_by(Activity.id)
    ):
        cancel_activity(activity)
    # The organization's feed goes with it; its participants' feeds keep the cancellations.
    forget_organization(org.id)
    db.session.delete(org)
    db.session.flush()
    on_commit(lambda: storage.remove_owned(avatar, "orgs", org_id))


def transfer_ownership(principal: Principal, org_id: int, new_owner_id: int) -> User:
    """Make another verified student the owner; they become a manager too (notice 7)."""
    org = get_org(org_id)
    require_owner(principal, org)
    new_owner = get_student(new_owner_id, "owner")
    if new_owner.id == org.owner_id:
        raise bad_request("该用户已是此组织负责人。")
    require_verified(new_owner)
    moved = cast(
        CursorResult,
        db.session.execute(
            update(Organization)
            .where(Organization.id == org.id, Organization.owner_id == org.owner_id)
            .values(owner_id=new_owner.id)
        ),
    ).rowcount
    if not moved:
        raise ApiError(409, "组织负责人刚被修改，请刷新后重试。")
    _ensure_manager(org.id, new_owner.id)
    notify(texts.BECOME_OWNER, [new_owner.id], org=org)
    db.session.flush()
    return new_owner


def _ensure_manager(org_id: int, user_id: int) -> None:
    """Add a manager row unless there is one (inside the caller's transaction)."""
    has_row = db.session.scalar(
        select(exists().where(OrgManager.org_id == org_id, OrgManager.user_id == user_id))
    )
    if has_row:
        return
    try:
        with db.session.begin_nested():
            db.session.add(OrgManager(org_id=org_id, user_id=user_id))
    except IntegrityError:
        pass  # a concurrent request added the same row: the outcome is the same
