"""Creating, editing and canceling activities (docs/api.md §11).

Rules (docs/api.md §11; §19 lists what changed):
- create: the caller owns the activity (a body `owner` naming someone else is 403);
  block 5 (个人) is open to verified students, blocks 1/3/4 to managers of an `org` of
  that block (admins may leave `org` out), block 2 (博雅) only to admins (and the import); `begin < end` always;
  keywords are computed before the row is written, so a failure writes nothing.
- edit: only name, times, contain, description, type and location change; `contain`
  can never drop below the participants (a conditional UPDATE, so a join racing the
  edit cannot overbook); participants get notice 1; a raised capacity admits the
  waiting list in the same transaction (docs/signup.md); `review` changes when sent.
- delete: participants get notice 2 (no activity link, it is about to go); the calendar
  feeds keep a record of the cancellation.
"""

from typing import Any, TypeVar, cast

from sqlalchemy import CursorResult, select, update

from reedsailing.activities.services.cancelling import cancel_activity
from reedsailing.activities.services.keywords import extract_keywords
from reedsailing.core.db import get_or_field_error
from reedsailing.core.errors import field_error, forbidden
from reedsailing.core.timeutil import now
from reedsailing.extensions import db
from reedsailing.messages.services import notify
from reedsailing.messages.texts import ACT_CONTENT
from reedsailing.models import Activity, Address, Block, Category, Organization, User
from reedsailing.models.blocks import BOYA, ORG_BLOCKS, PERSONAL
from reedsailing.participation.services import promote
from reedsailing.participation.services.places import participant_ids
from reedsailing.security.permissions import is_org_manager, organized_activity
from reedsailing.security.principal import Principal
from reedsailing.seed import system_user

NOT_FOUND = "未找到该活动。"
Row = TypeVar("Row")


def _optional(model: type[Row], field: str, pk: int | None) -> Row | None:
    return None if pk is None else get_or_field_error(model, field, pk)


def _check_times(begin: Any, end: Any) -> None:
    if begin >= end:
        raise field_error("begin_time/end_time", "活动开始时间应早于结束时间。")


def _owner_for(user: User | None, owner_id: int | None) -> User:
    """The owner of a new activity: the calling student, or whom an admin names."""
    if user is not None:
        if owner_id is not None and owner_id != user.id:
            raise forbidden("只能以自己的身份发布活动。")
        if not user.verified:
            raise forbidden("请先完成邮箱认证。")
        return user
    if owner_id is None:
        owner = system_user()
        if owner is None:
            raise field_error("owner", "该字段是必填项。")
        return owner
    return get_or_field_error(User, "owner", owner_id)


def create_activity(principal: Principal, data: dict[str, Any]) -> int:
    """Insert an activity for the caller; returns its id."""
    owner = _owner_for(principal.user, data.get("owner"))
    block = get_or_field_error(Block, "block", data["block"])
    category = _optional(Category, "type", data.get("type"))
    address = get_or_field_error(Address, "location", data["location"])
    org = _optional(Organization, "org", data.get("org"))
    if block.id == BOYA and not principal.is_admin:
        raise forbidden("博雅活动只能由系统导入。")
    if org is not None and org.block_id != block.id:
        raise field_error("org", "组织与版块不匹配。")
    if org is None and block.id in ORG_BLOCKS and not principal.is_admin:
        # Admins may: the console hides its organization field for a block without
        # organizations and shows any 400 as "活动已存在" (docs/clients.md).
        raise field_error("org", "该版块的活动必须属于一个组织。")
    if org is not None and not principal.is_admin and not is_org_manager(owner.id, org.id):
        raise forbidden("只有组织的管理员才能以组织名义发布活动。")
    if block.id not in ORG_BLOCKS and block.id not in (BOYA, PERSONAL) and not principal.is_admin:
        raise forbidden("不能在该版块发布活动。")
    _check_times(data["begin_time"], data["end_time"])
    activity = Activity(
        name=data["name"],
        begin_time=data["begin_time"],
        end_time=data["end_time"],
        contain=data["contain"],
        joined_count=0,
        description=data.get("description"),
        review=bool(data.get("review", False)),
        avatar=data.get("avatar"),
        keywords=extract_keywords(data["name"], data.get("description")),
        owner_id=owner.id,
        category_id=category.id if category else None,
        org_id=org.id if org else None,
        address_id=address.id,
        block_id=block.id,
    )
    db.session.add(activity)
    db.session.flush()
    return activity.id


def update_activity(principal: Principal, activity_id: int, data: dict[str, Any]) -> list[int]:
    """Apply an edit; returns the participants told about it."""
    activity = organized_activity(principal, activity_id)
    category = _optional(Category, "type", data.get("type"))
    address = get_or_field_error(Address, "location", data["location"])
    _check_times(data["begin_time"], data["end_time"])
    values: dict[str, Any] = {
        "name": data["name"],
        "begin_time": data["begin_time"],
        "end_time": data["end_time"],
        "contain": data["contain"],
        "description": data.get("description"),
        "category_id": category.id if category else None,
        "address_id": address.id,
        "keywords": extract_keywords(data["name"], data.get("description")),
        # the calendar feeds' SEQUENCE and LAST-MODIFIED (docs/api.md §22)
        "sequence": Activity.sequence + 1,
        "modified_at": now(),
    }
    if data.get("review") is not None:
        values["review"] = data["review"]
    if data["begin_time"] != activity.begin_time:
        values["reminded_at"] = None  # a moved activity is reminded again before its new start
    # The capacity rule is part of the UPDATE itself: a join committed between a read
    # and this write cannot leave more participants than places.
    result = cast(
        "CursorResult[Any]",
        db.session.execute(
            update(Activity)
            .where(Activity.id == activity_id, Activity.joined_count <= data["contain"])
            .values(**values)
            .execution_options(synchronize_session=False)
        ),
    )
    if result.rowcount == 0:
        joined = db.session.scalar(select(Activity.joined_count).where(Activity.id == activity_id))
        raise field_error("contain", f"人数上限不能少于已报名的人数（{joined}）。")
    receivers = participant_ids(activity_id)
    db.session.expire(activity)
    notify(ACT_CONTENT, receivers, activity=activity)
    admitted = promote(activity_id)  # a raised capacity admits the waiting list (notice 12)
    db.session.flush()
    return receivers + admitted


def delete_activity(principal: Principal, activity_id: int) -> list[int]:
    """Cancel the activity (cancelling.cancel_activity); returns who was told."""
    return cancel_activity(organized_activity(principal, activity_id))
