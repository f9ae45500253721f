"""The waiting list and promotions (docs/signup.md).

Every change that frees a place (a leave, a removal, a raised capacity) admits the first
in line in its own transaction, under the activity's row lock:

    lock order: activity row -> participations -> join requests (everywhere)

so two promotions of one activity queue on the row, never admit one student twice and
never fill more places than there are. The rule that keeps the list honest: a student
waits only while the activity is full, so a join that finds a free place never jumps
the queue.
"""

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import CursorResult, delete, func, insert, select, update
from sqlalchemy.orm import joinedload

from reedsailing.core.db import get_or_404
from reedsailing.core.errors import not_found
from reedsailing.core.timeutil import now
from reedsailing.extensions import db
from reedsailing.messages.services import notify
from reedsailing.messages.texts import ADMITTED_FROM_WAITLIST
from reedsailing.models import Activity, JoinRequest, Participation, User
from reedsailing.models.signup import PENDING, WAITING
from reedsailing.security.permissions import contact_shown_to, organized_activity
from reedsailing.security.principal import Principal

NOT_FOUND = "未找到该活动。"


def lock_activity(activity_id: int) -> None:
    """Take the activity's row lock for the rest of the transaction.

    A write that changes nothing: on MariaDB it holds the row's exclusive lock, on
    SQLite the database write lock; reads after it see what the previous holder
    committed.
    """
    db.session.execute(
        update(Activity)
        .where(Activity.id == activity_id)
        .values(joined_count=Activity.joined_count)
        .execution_options(synchronize_session=False)
    )


def take_place(activity_id: int) -> bool:
    """Count one more participant if there is a place: the capacity rule (and the row
    lock) as one conditional UPDATE; False when the activity is full."""
    taken = cast(
        "CursorResult[Any]",
        db.session.execute(
            update(Activity)
            .where(Activity.id == activity_id, Activity.joined_count < Activity.contain)
            .values(joined_count=Activity.joined_count + 1)
            .execution_options(synchronize_session=False)
        ),
    )
    return taken.rowcount > 0


def drop_request(activity_id: int, user_id: int, *states: str) -> bool:
    """Delete the student's request if it is in one of `states`; False when none was."""
    removed = cast(
        "CursorResult[Any]",
        db.session.execute(
            delete(JoinRequest).where(
                JoinRequest.act_id == activity_id,
                JoinRequest.user_id == user_id,
                JoinRequest.state.in_(states),
            )
        ),
    )
    return removed.rowcount > 0


def promote(activity_id: int) -> list[int]:
    """Admit waiting students into the free places; returns who was admitted (notice 12).

    The caller holds the activity row lock (lock_activity or its own UPDATE of the row)
    and commits.
    """
    joined, contain = db.session.execute(
        select(Activity.joined_count, Activity.contain).where(Activity.id == activity_id).with_for_update()
    ).one()
    free = contain - joined
    if free <= 0:
        return []
    heads = db.session.execute(
        select(JoinRequest.id, JoinRequest.user_id)
        .where(JoinRequest.act_id == activity_id, JoinRequest.state == WAITING)
        .order_by(JoinRequest.id)
        .limit(free)
        .with_for_update()
    ).all()
    if not heads:
        return []
    admitted = [user_id for _, user_id in heads]
    db.session.execute(delete(JoinRequest).where(JoinRequest.id.in_([request_id for request_id, _ in heads])))
    moment = now()
    db.session.execute(
        insert(Participation),
        [{"act_id": activity_id, "user_id": user_id, "joined_at": moment} for user_id in admitted],
    )
    db.session.execute(
        update(Activity)
        .where(Activity.id == activity_id)
        .values(joined_count=Activity.joined_count + len(admitted))
        .execution_options(synchronize_session=False)
    )
    activity = db.session.get(Activity, activity_id, populate_existing=True)
    notify(ADMITTED_FROM_WAITLIST, admitted, activity=activity)
    return admitted


def request_of(activity_id: int, user_id: int) -> JoinRequest | None:
    return db.session.scalars(
        select(JoinRequest).where(JoinRequest.act_id == activity_id, JoinRequest.user_id == user_id)
    ).one_or_none()


def position(activity_id: int, request_id: int) -> int:
    """1 for the first in line."""
    return int(
        db.session.scalar(
            select(func.count())
            .select_from(JoinRequest)
            .where(
                JoinRequest.act_id == activity_id,
                JoinRequest.state == WAITING,
                JoinRequest.id <= request_id,
            )
        )
        or 0
    )


def my_signup(user: User, activity_id: int) -> dict[str, Any]:
    """The caller's place: `{state, position}`; state is joined, waiting, pending,
    declined or none; position only while waiting."""
    get_or_404(Activity, activity_id, NOT_FOUND)
    if db.session.scalar(
        select(Participation.id).where(Participation.act_id == activity_id, Participation.user_id == user.id)
    ):
        return {"state": "joined", "position": None}
    found = request_of(activity_id, user.id)
    if found is None:
        return {"state": "none", "position": None}
    place = position(activity_id, found.id) if found.state == WAITING else None
    return {"state": found.state, "position": place}


def withdraw(user: User, activity_id: int) -> None:
    """Leave the waiting list or take back a pending request (a decline stays)."""
    get_or_404(Activity, activity_id, NOT_FOUND)
    if not drop_request(activity_id, user.id, WAITING, PENDING):
        raise not_found("您不在该活动的候补名单或申请中。")
    db.session.flush()


def requests_in(activity_id: int, state: str) -> Sequence[JoinRequest]:
    """The requests of one state with their students, oldest first (the waiting order)."""
    return db.session.scalars(
        select(JoinRequest)
        .where(JoinRequest.act_id == activity_id, JoinRequest.state == state)
        .order_by(JoinRequest.id)
        .options(joinedload(JoinRequest.user))
    ).all()


def waiting_list(principal: Principal, activity_id: int) -> list[dict[str, Any]]:
    """The waiting list in order, `[{person, position, created_at}]` (organizers);
    `contact_shown` per entry, by the one rule (waiting is not having joined)."""
    organized_activity(principal, activity_id)
    entries = requests_in(activity_id, WAITING)
    shown = contact_shown_to(principal, [entry.user_id for entry in entries])
    return [
        {
            "person": entry.user,
            "position": index,
            "created_at": entry.created_at,
            "contact_shown": entry.user_id in shown,
        }
        for index, entry in enumerate(entries, start=1)
    ]
