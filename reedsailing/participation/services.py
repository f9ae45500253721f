"""Joining and leaving activities (docs/api.md §12).

Capacity is enforced by the database, not by a read-then-insert (the first version
overbooked under load): one transaction runs

    UPDATE activities SET joined_count = joined_count + 1
     WHERE id = :id AND joined_count < contain

and inserts the participation only when that UPDATE changed a row. Concurrent joins
queue on the row lock (MariaDB) or the database write lock (SQLite), and each sees the
count the previous one committed. The unique (act, user) constraint turns a double
join into a rollback of both statements.
"""

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import CursorResult, delete, exists, select, update
from sqlalchemy.orm import joinedload

from reedsailing.core.db import commit_or, get_or_404
from reedsailing.core.errors import bad_request, forbidden, not_found
from reedsailing.core.permissions import can_manage_activity
from reedsailing.core.timeutil import now
from reedsailing.extensions import db
from reedsailing.messages.services import notify
from reedsailing.messages.texts import REMOVED_FROM_ACT
from reedsailing.models import Activity, Admin, Participation, User
from reedsailing.models.blocks import BOYA

NOT_FOUND = "未找到该活动。"
FULL = "活动人数已满。"
DUPLICATE = "不可重复加入活动。"


def has_joined(activity_id: int, user_id: int) -> bool:
    return bool(
        db.session.scalar(
            select(exists().where(Participation.act_id == activity_id, Participation.user_id == user_id))
        )
    )


def join(user: User, activity_id: int) -> Participation:
    """Add the caller to the activity; returns the Participation."""
    user_id = user.id
    activity = get_or_404(Activity, activity_id, NOT_FOUND)
    if activity.block_id == BOYA:
        raise bad_request("博雅活动请在博雅系统中报名。")
    if activity.end_time < now():
        raise bad_request("活动已结束，不能加入。")
    if has_joined(activity_id, user_id):
        raise bad_request(DUPLICATE)
    db.session.rollback()  # end the read transaction: the UPDATE below starts a fresh one
    taken = cast(
        "CursorResult[Any]",
        db.session.execute(
            update(Activity)
            .where(Activity.id == activity_id, Activity.joined_count < Activity.contain)
            .values(joined_count=Activity.joined_count + 1)
            .execution_options(synchronize_session=False)
        ),
    )
    if taken.rowcount == 0:
        db.session.rollback()
        get_or_404(Activity, activity_id, NOT_FOUND)
        raise bad_request(FULL)
    participation = Participation(act_id=activity_id, user_id=user_id)
    db.session.add(participation)
    # A concurrent join of the same user wins the unique constraint: the rollback also
    # undoes our +1.
    commit_or(bad_request(DUPLICATE))
    return participation


def leave(
    user: User | None, admin: Admin | None, activity_id: int, person_id: int, operator_id: int | None
) -> list[int]:
    """Remove `person_id` from the activity; returns who was told.

    The caller themself leaves quietly (nobody is told); the owner, an organization
    manager or an admin removing someone else tells that person (notice 3), the answer
    then lists them in `__receivers__`. `operator`, when sent, must be the caller.
    """
    if user is not None and operator_id is not None and operator_id != user.id:
        raise forbidden("operator 必须是当前用户。")
    activity = get_or_404(Activity, activity_id, NOT_FOUND)
    self_leave = user is not None and user.id == person_id
    if not self_leave and not can_manage_activity(user, admin, activity):
        raise forbidden("只有活动的发起者或组织管理员才能移除参与者。")
    # The activity row first, then the participation: the same lock order as join(), so
    # a join and a leave of one activity queue on the row instead of deadlocking.
    db.session.execute(
        update(Activity)
        .where(Activity.id == activity_id, Activity.joined_count > 0)
        .values(joined_count=Activity.joined_count - 1)
        .execution_options(synchronize_session=False)
    )
    removed = cast(
        "CursorResult[Any]",
        db.session.execute(
            delete(Participation).where(
                Participation.act_id == activity_id, Participation.user_id == person_id
            )
        ),
    )
    if removed.rowcount == 0:
        db.session.rollback()  # also undoes the decrement
        raise not_found("该用户未参加该活动。")
    if self_leave:
        db.session.commit()
        return []
    notify(REMOVED_FROM_ACT, [person_id], activity=activity)
    db.session.commit()
    return [person_id]


def participants(user: User | None, admin: Admin | None, activity_id: int) -> Sequence[Participation]:
    """The participants (owner, organization managers and admins only), in join order."""
    activity = get_or_404(Activity, activity_id, NOT_FOUND)
    if not can_manage_activity(user, admin, activity):
        raise forbidden("只有活动的发起者或组织管理员才能查看参与者。")
    return db.session.scalars(
        select(Participation)
        .where(Participation.act_id == activity_id)
        .order_by(Participation.id)
        .options(joinedload(Participation.user))
    ).all()


def joined_number(activity_id: int) -> int:
    return get_or_404(Activity, activity_id, NOT_FOUND).joined_count


def relation(user: User, activity_id: int) -> dict[str, bool]:
    """`{hasJoined, underReview, isOwner, isManager}` of the caller and the activity."""
    activity = get_or_404(Activity, activity_id, NOT_FOUND)
    is_owner = activity.owner_id == user.id
    is_manager: bool = can_manage_activity(user, None, activity)
    return {
        "hasJoined": has_joined(activity_id, user.id),
        "underReview": False,
        "isOwner": is_owner,
        "isManager": is_manager,
    }
