"""Joining and leaving activities (docs/api.md §12, docs/signup.md).

Capacity is enforced by the database, not by a read-then-insert (the first version
overbooked under load): one transaction runs

    UPDATE activities SET joined_count = joined_count + 1
     WHERE id = :id AND joined_count < contain

and inserts the participation only when that UPDATE changed a row. Concurrent joins
queue on the row lock (MariaDB) or the database write lock (SQLite), and each sees the
count the previous one committed. The unique (act, user) constraint turns a double
join into a rollback of both statements.

A full activity answers "活动人数已满。" unless the request asks for the waiting list
(`waitlist: true`); an activity with `review: true` turns a join into a join request.
Both run under the activity row lock (waitlist.lock_activity), as do leaves and
removals, which admit the first in line in the same transaction.
"""

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import CursorResult, delete, exists, select, update
from sqlalchemy.orm import joinedload

from reedsailing.core.db import commit_or, get_or_404
from reedsailing.core.errors import bad_request, forbidden, not_found
from reedsailing.core.timeutil import now
from reedsailing.extensions import db
from reedsailing.messages.services import notify
from reedsailing.messages.texts import REMOVED_FROM_ACT
from reedsailing.models import Activity, Admin, JoinRequest, Participation, User
from reedsailing.models.blocks import BOYA
from reedsailing.models.signup import DECLINED, PENDING, WAITING
from reedsailing.participation.services.waitlist import (
    drop_request,
    lock_activity,
    position,
    promote,
    request_of,
    take_place,
)
from reedsailing.security.permissions import can_manage_activity

NOT_FOUND = "未找到该活动。"
FULL = "活动人数已满。"
DUPLICATE = "不可重复加入活动。"
ALREADY = {
    WAITING: "您已在该活动的候补名单中。",
    PENDING: "您加入该活动的申请正在审核中。",
    DECLINED: "您加入该活动的申请已被拒绝。",
}


def has_joined(activity_id: int, user_id: int) -> bool:
    return bool(
        db.session.scalar(
            select(exists().where(Participation.act_id == activity_id, Participation.user_id == user_id))
        )
    )


def join(user: User, activity_id: int, waitlist: bool = False) -> tuple[Participation | None, dict[str, Any]]:
    """Add the caller to the activity, its waiting list or its join requests.

    Returns `(participation, {})` for a join, `(None, {state, position})` for a place
    on the waiting list (`waitlist` asked for it) or a join request (`review`).
    """
    user_id = user.id
    activity = get_or_404(Activity, activity_id, NOT_FOUND)
    if activity.block_id == BOYA:
        raise bad_request("博雅活动请在博雅系统中报名。")
    if activity.end_time < now():
        raise bad_request("活动已结束，不能加入。")
    if has_joined(activity_id, user_id):
        raise bad_request(DUPLICATE)
    if activity.review:
        return _queue(activity_id, user_id, PENDING)
    db.session.rollback()  # end the read transaction: the UPDATE below starts a fresh one
    if not take_place(activity_id):
        db.session.rollback()
        get_or_404(Activity, activity_id, NOT_FOUND)
        if not waitlist:
            raise bad_request(FULL)
        return _queue(activity_id, user_id, WAITING)
    participation = Participation(act_id=activity_id, user_id=user_id)
    db.session.add(participation)
    # Never both joined and queued (a request left over from a time the activity needed
    # approval): the row lock is ours, so this follows the lock order.
    drop_request(activity_id, user_id, WAITING, PENDING, DECLINED)
    # A concurrent join of the same user wins the unique constraint: the rollback also
    # undoes our +1.
    commit_or(bad_request(DUPLICATE))
    return participation, {}


def _queue(activity_id: int, user_id: int, state: str) -> tuple[Participation | None, dict[str, Any]]:
    """Put the student on the waiting list or make a join request, under the row lock.

    A place freed since the full answer is taken instead (the list only holds students
    of a full activity).
    """
    db.session.rollback()
    lock_activity(activity_id)
    if has_joined(activity_id, user_id):
        db.session.rollback()
        raise bad_request(DUPLICATE)
    existing = request_of(activity_id, user_id)
    if existing is not None:
        db.session.rollback()
        raise bad_request(ALREADY[existing.state])
    if state == WAITING and take_place(activity_id):
        participation = Participation(act_id=activity_id, user_id=user_id)
        db.session.add(participation)
        commit_or(bad_request(DUPLICATE))
        return participation, {}
    entry = JoinRequest(act_id=activity_id, user_id=user_id, state=state)
    db.session.add(entry)
    db.session.flush()
    place = position(activity_id, entry.id) if state == WAITING else None
    commit_or(bad_request(ALREADY[state]))
    return None, {"state": state, "position": place}


def leave(
    user: User | None, admin: Admin | None, activity_id: int, person_id: int, operator_id: int | None
) -> list[int]:
    """Remove `person_id` from the activity; returns who was told.

    The caller themself leaves quietly (nobody is told); the owner, an organization
    manager or an admin removing someone else tells that person (notice 3), the answer
    then lists them in `__receivers__`. `operator`, when sent, must be the caller. The
    freed place goes to the first on the waiting list (notice 12, also a receiver).
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
    admitted = promote(activity_id)
    told = [] if self_leave else [person_id]
    if told:
        notify(REMOVED_FROM_ACT, told, activity=activity)
    db.session.commit()
    return told + admitted


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
    """`{hasJoined, underReview, isOwner, isManager}` of the caller and the activity;
    `underReview` is true while the caller's join request waits for a decision."""
    activity = get_or_404(Activity, activity_id, NOT_FOUND)
    is_owner = activity.owner_id == user.id
    is_manager: bool = can_manage_activity(user, None, activity)
    pending = request_of(activity_id, user.id)
    return {
        "hasJoined": has_joined(activity_id, user.id),
        "underReview": pending is not None and pending.state == PENDING,
        "isOwner": is_owner,
        "isManager": is_manager,
    }
