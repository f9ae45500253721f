"""Organization applications, organizations and ownership (docs/api.md §8).

Every function is one unit of work: it checks, writes, notifies through
`messages.services.notify` and commits. Races are settled by the database: the unique
`pending_name` / `organizations.name` indexes and conditional UPDATEs, never by a
read-then-write.
"""

from sqlalchemy import exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from reedsailing.core.errors import ApiError, bad_request, forbidden, not_found
from reedsailing.extensions import db
from reedsailing.images import storage
from reedsailing.messages import texts
from reedsailing.messages.services import notify
from reedsailing.models import Activity, Organization, OrgApplication, OrgManager, User
from reedsailing.models.organizations import APPROVED, PENDING

ORG_NAME_TAKEN = "已经存在该名称的组织。"
APPLICATION_PENDING = "已经存在该名称组织的申请。"


def field_error(field, message):
    """400 `{field: [message]}` whose `detail` is the bare message (the app shows it)."""
    return ApiError(400, message, **{field: [message]})


def unknown_pk(field, pk):
    return field_error(field, f"无效主键 “{pk}” － 对象不存在。")


def org_query():
    """Organizations with owner and block loaded (the detail shape, one query)."""
    return select(Organization).options(joinedload(Organization.owner), joinedload(Organization.block))


def get_org(org_id, detail=False):
    """The organization or 404; `detail=True` also loads what `OrgSchema` nests."""
    if detail:
        org = db.session.scalars(org_query().where(Organization.id == org_id)).first()
    else:
        org = db.session.get(Organization, org_id)
    if org is None:
        raise not_found("未找到组织。")
    return org


def get_student(user_id, field):
    """A real student (not the 博雅 system account) named by a body field, or 400."""
    user = db.session.get(User, user_id)
    if user is None or user.is_system:
        raise unknown_pk(field, user_id)
    return user


def require_verified(user, whose="该用户"):
    if not user.verified:
        raise bad_request(f"{whose}尚未完成邮箱认证。")


def _name_taken(name, except_org_id=None):
    query = select(exists().where(Organization.name == name))
    if except_org_id is not None:
        query = select(exists().where(Organization.name == name, Organization.id != except_org_id))
    return db.session.scalar(query)


# ---- applications -----------------------------------------------------------------


def apply(user, data):
    """A verified student asks for a new organization; one pending application per name."""
    if not user.verified:
        raise forbidden("请先完成邮箱认证再申请创建组织。")
    name = data["name"].strip()
    if not name:
        raise field_error("name", "该字段不能为空。")
    if _name_taken(name):
        raise field_error("name", ORG_NAME_TAKEN)
    application = OrgApplication(
        name=name,
        pending_name=name,
        description=data["description"],
        user_id=user.id,
        block_id=data["block"],
        status=PENDING,
    )
    db.session.add(application)
    try:
        db.session.commit()
    except IntegrityError as error:
        # `pending_name` is unique: another pending application (maybe a concurrent
        # one) already holds this name.
        db.session.rollback()
        raise field_error("name", APPLICATION_PENDING) from error
    return application


def get_application(application_id, detail=False):
    query = select(OrgApplication).where(OrgApplication.id == application_id)
    if detail:
        query = query.options(joinedload(OrgApplication.user), joinedload(OrgApplication.block))
    application = db.session.scalars(query).first()
    if application is None:
        raise not_found("未找到该组织申请。")
    return application


def decide(application_id, status):
    """Approve (1) or reject (2) a pending application; returns (application, org|None).

    The status flip is a conditional UPDATE, so of two admins deciding at once exactly
    one wins and the other gets "already decided". Approval creates the organization
    (applicant = owner and manager, description copied) in the same transaction.
    """
    application = get_application(application_id)
    flipped = db.session.execute(
        update(OrgApplication)
        .where(OrgApplication.id == application.id, OrgApplication.status == PENDING)
        .values(status=status, pending_name=None)
    ).rowcount
    if not flipped:
        db.session.rollback()
        raise bad_request("该组织申请已审批。")
    org = None
    if status == APPROVED:
        if _name_taken(application.name):
            db.session.rollback()
            raise field_error("name", ORG_NAME_TAKEN)
        org = Organization(
            name=application.name,
            description=application.description,
            owner_id=application.user_id,
            block_id=application.block_id,
        )
        db.session.add(org)
        try:
            db.session.flush()
        except IntegrityError as error:
            db.session.rollback()
            raise field_error("name", ORG_NAME_TAKEN) from error
        db.session.add(OrgManager(org_id=org.id, user_id=application.user_id))
        notify(texts.ORG_APPLY_RESULT, [application.user_id], org=org, approved=True)
    else:
        # There is no organization to link: the application lends its name to the text.
        notify(texts.ORG_APPLY_RESULT, [application.user_id], org=application, org_id=None)
    db.session.commit()
    db.session.refresh(application)
    return application, org


# ---- organizations ----------------------------------------------------------------


def create_org(data):
    """An admin creates an organization directly; its owner becomes a manager."""
    owner = get_student(data["owner"], "owner")
    name = data["name"].strip()
    if not name:
        raise field_error("name", "该字段不能为空。")
    if _name_taken(name):
        raise field_error("name", ORG_NAME_TAKEN)
    org = Organization(
        name=name,
        description=data.get("description"),
        avatar=data.get("avatar"),
        owner_id=owner.id,
        block_id=data["block"],
    )
    db.session.add(org)
    try:
        db.session.flush()
        db.session.add(OrgManager(org_id=org.id, user_id=owner.id))
        db.session.commit()
    except IntegrityError as error:
        db.session.rollback()
        raise field_error("name", ORG_NAME_TAKEN) from error
    return org


def update_org(org, changes):
    """Managers edit name, description and avatar (partial); a replaced upload is removed."""
    if "name" in changes:
        changes["name"] = changes["name"].strip()
        if not changes["name"]:
            raise field_error("name", "该字段不能为空。")
        if _name_taken(changes["name"], except_org_id=org.id):
            raise field_error("name", ORG_NAME_TAKEN)
    old_avatar = org.avatar
    for key, value in changes.items():
        setattr(org, key, value)
    try:
        db.session.commit()
    except IntegrityError as error:
        db.session.rollback()
        raise field_error("name", ORG_NAME_TAKEN) from error
    if "avatar" in changes and changes["avatar"] != old_avatar:
        storage.remove_url(old_avatar)
    return org


def delete_org(org):
    avatar = org.avatar
    db.session.delete(org)
    db.session.commit()
    storage.remove_url(avatar)


def transfer_ownership(org, new_owner_id):
    """Make another verified student the owner; they become a manager too (notice 7)."""
    new_owner = get_student(new_owner_id, "owner")
    if new_owner.id == org.owner_id:
        raise bad_request("该用户已是此组织负责人。")
    require_verified(new_owner)
    moved = db.session.execute(
        update(Organization)
        .where(Organization.id == org.id, Organization.owner_id == org.owner_id)
        .values(owner_id=new_owner.id)
    ).rowcount
    if not moved:
        db.session.rollback()
        raise ApiError(409, "组织负责人刚被修改，请刷新后重试。")
    ensure_manager(org.id, new_owner.id)
    notify(texts.BECOME_OWNER, [new_owner.id], org=org)
    db.session.commit()
    return new_owner


def ensure_manager(org_id, user_id):
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


def block_in_use(block_id):
    """True when organizations, activities or applications still belong to the block."""
    return db.session.scalar(
        select(
            exists().where(Organization.block_id == block_id)
            | exists().where(Activity.block_id == block_id)
            | exists().where(OrgApplication.block_id == block_id)
        )
    )
