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
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import joinedload

from reedsailing.core.db import flush_or, get_or_404
from reedsailing.core.errors import bad_request, forbidden, not_found
from reedsailing.core.timeutil import now
from reedsailing.extensions import db
from reedsailing.messages.services import notify
from reedsailing.messages.texts import REMOVED_FROM_ACT
from reedsailing.models import Activity, JoinRequest, Participation, User
from reedsailing.models.blocks import BOYA
from reedsailing.models.signup import DECLINED, PENDING, WAITING
from reedsailing.participation.services.places import free_place
from reedsailing.participation.services.waitlist import (
    drop_request,
    lock_activity,
    position,
    request_of,
    take_place,
)
from reedsailing.security.permissions import can_manage_activity, organized_activity
from reedsailing.security.principal import Principal

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
    if not take_place(activity_id):
        get_or_404(Activity, activity_id, NOT_FOUND)  # still there (deleted meanwhile: 404)?
        if not waitlist:
            raise bad_request(FULL)
        return _queue(activity_id, user_id, WAITING)
    participation = Participation(act_id=activity_id, user_id=user_id)
    db.session.add(participation)
    # Never both joined and queued (a request left over from a time the activity needed
    # approval): the row lock is ours, so this follows the lock order.
    drop_request(activity_id, user_id, WAITING, PENDING, DECLINED)
    # A concurrent join of the same user wins the unique constraint: the error rolls the
    # unit back, our +1 with it.
    flush_or(bad_request(DUPLICATE))
    return participation, {}


def _queue(activity_id: int, user_id: int, state: str) -> tuple[Participation | None, dict[str, Any]]:
    """Put the student on the waiting list or make a join request, under the row lock.

    A place freed since the full answer is taken instead (the list only holds students
    of a full activity). Reads after the lock see what the previous holder committed
    (READ COMMITTED on MariaDB, the write lock on SQLite).
    """
    lock_activity(activity_id)
    if has_joined(activity_id, user_id):
        raise bad_request(DUPLICATE)
    existing = request_of(activity_id, user_id)
    if existing is not None:
        raise bad_request(ALREADY[existing.state])
    if state == WAITING and take_place(activity_id):
        participation = Participation(act_id=activity_id, user_id=user_id)
        db.session.add(participation)
        flush_or(bad_request(DUPLICATE))
        return participation, {}
    entry = JoinRequest(act_id=activity_id, user_id=user_id, state=state)
    db.session.add(entry)
    flush_or(bad_request(ALREADY[state]))
    place = position(activity_id, entry.id) if state == WAITING else None
    return None, {"state": state, "position": place}


def leave(principal: Principal, activity_id: int, person_id: int, operator_id: int | None) -> list[int]:
    """Remove `person_id` from the activity; returns who was told.

    The caller themself leaves quietly (nobody is told); the owner, an organization
    manager or an admin removing someone else tells that person (notice 3), the answer
    then lists them in `__receivers__`. `operator`, when sent, must be the caller. The
    freed place goes to the first on the waiting list (notice 12, also a receiver).
    """
    if principal.user is not None and operator_id is not None and not principal.is_user(operator_id):
        raise forbidden("operator 必须是当前用户。")
    activity = get_or_404(Activity, activity_id, NOT_FOUND)
    self_leave = principal.is_user(person_id)
    if not self_leave and not can_manage_activity(principal, activity):
        raise forbidden("只有活动的发起者或组织管理员才能移除参与者。")
    admitted = free_place(activity_id, person_id)
    if admitted is None:
        raise not_found("该用户未参加该活动。")
    told = [] if self_leave else [person_id]
    if told:
        notify(REMOVED_FROM_ACT, told, activity=activity)
    db.session.flush()
    return told + admitted


def participants(principal: Principal, activity_id: int) -> Sequence[Participation]:
    """The participants (owner, organization managers and admins only), in join order."""
    organized_activity(principal, activity_id, "只有活动的发起者或组织管理员才能查看参与者。")
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
    is_manager: bool = can_manage_activity(Principal(user=user), activity)
    pending = request_of(activity_id, user.id)
    return {
        "hasJoined": has_joined(activity_id, user.id),
        "underReview": pending is not None and pending.state == PENDING,
        "isOwner": is_owner,
        "isManager": is_manager,
    }
