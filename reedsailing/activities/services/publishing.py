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

from sqlalchemy import CursorResult, delete, select, update

from reedsailing.activities.services.keywords import extract_keywords
from reedsailing.core.db import get_or_404, get_or_field_error
from reedsailing.core.errors import field_error, forbidden, not_found
from reedsailing.core.timeutil import now
from reedsailing.extensions import db
from reedsailing.feeds.services import record_cancellation
from reedsailing.messages.services import notify
from reedsailing.messages.texts import ACT_CANCEL, ACT_CONTENT
from reedsailing.models import Activity, Address, Admin, Block, Category, Organization, Participation, User
from reedsailing.models.blocks import BOYA, ORG_BLOCKS, PERSONAL
from reedsailing.participation.services import promote
from reedsailing.security.permissions import can_manage_activity, is_org_manager
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


def create_activity(user: User | None, admin: Admin | None, data: dict[str, Any]) -> int:
    """Insert an activity for the caller; returns its id."""
    owner = _owner_for(user, data.get("owner"))
    block = get_or_field_error(Block, "block", data["block"])
    category = _optional(Category, "type", data.get("type"))
    address = get_or_field_error(Address, "location", data["location"])
    org = _optional(Organization, "org", data.get("org"))
    if block.id == BOYA and admin is None:
        raise forbidden("博雅活动只能由系统导入。")
    if org is not None and org.block_id != block.id:
        raise field_error("org", "组织与版块不匹配。")
    if org is None and block.id in ORG_BLOCKS and admin is None:
        # Admins may: the console hides its organization field for a block without
        # organizations and shows any 400 as "活动已存在" (docs/clients.md).
        raise field_error("org", "该版块的活动必须属于一个组织。")
    if org is not None and admin is None and not is_org_manager(owner.id, org.id):
        raise forbidden("只有组织的管理员才能以组织名义发布活动。")
    if block.id not in ORG_BLOCKS and block.id not in (BOYA, PERSONAL) and admin is None:
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
    db.session.commit()
    return activity.id


def cancel_activities(activities: list[Activity], leaving_user_id: int | None = None) -> None:
    """Tell the participants of activities about to be deleted (notice 2), inside the
    caller's transaction; `leaving_user_id` (a user being deleted) is not told."""
    for activity in activities:
        receivers = [uid for uid in participant_ids(activity.id) if uid != leaving_user_id]
        notify(ACT_CANCEL, receivers, activity=activity, activity_id=None)


def participant_ids(activity_id: int) -> list[int]:
    return list(
        db.session.scalars(
            select(Participation.user_id)
            .where(Participation.act_id == activity_id)
            .order_by(Participation.user_id)
        )
    )


def _managed(user: User | None, admin: Admin | None, activity_id: int) -> Activity:
    activity = get_or_404(Activity, activity_id, NOT_FOUND)
    if not can_manage_activity(user, admin, activity):
        raise forbidden("只有活动的发起者或组织管理员才能执行该操作。")
    return activity


def update_activity(
    user: User | None, admin: Admin | None, activity_id: int, data: dict[str, Any]
) -> list[int]:
    """Apply an edit; returns the participants told about it."""
    activity = _managed(user, admin, activity_id)
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
        db.session.rollback()
        joined = db.session.scalar(select(Activity.joined_count).where(Activity.id == activity_id))
        raise field_error("contain", f"人数上限不能少于已报名的人数（{joined}）。")
    receivers = participant_ids(activity_id)
    db.session.expire(activity)
    notify(ACT_CONTENT, receivers, activity=activity)
    admitted = promote(activity_id)  # a raised capacity admits the waiting list (notice 12)
    db.session.commit()
    return receivers + admitted


def delete_activity(user: User | None, admin: Admin | None, activity_id: int) -> list[int]:
    """Tell the participants, then delete the activity (its joins and comments go with it)."""
    activity = _managed(user, admin, activity_id)
    receivers = participant_ids(activity_id)
    notify(ACT_CANCEL, receivers, activity=activity, activity_id=None)
    record_cancellation(activity, receivers)  # the calendar feeds show it canceled
    result = cast("CursorResult[Any]", db.session.execute(delete(Activity).where(Activity.id == activity_id)))
    if result.rowcount == 0:  # someone else deleted it meanwhile
        db.session.rollback()
        raise not_found(NOT_FOUND)
    db.session.commit()
    return receivers
