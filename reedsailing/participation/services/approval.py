"""Join requests of activities that need approval (`review: true`, docs/signup.md).

A join becomes a pending request; the owner, organization managers and admins approve
(the student joins if there is a place; notice 13) or decline (notice 14). A declined
student may ask again only when the decline said so (`allowAgain`): otherwise the
declined request stays and blocks a new one.
"""

from typing import Any, cast

from sqlalchemy import CursorResult, update

from reedsailing.core.db import flush_or
from reedsailing.core.errors import bad_request, not_found
from reedsailing.extensions import db
from reedsailing.messages.services import notify
from reedsailing.messages.texts import JOIN_APPROVED, JOIN_DECLINED
from reedsailing.models import JoinRequest, Participation
from reedsailing.models.signup import DECLINED, PENDING
from reedsailing.participation.services.waitlist import (
    drop_request,
    requests_in,
    take_place,
)
from reedsailing.security.permissions import contact_shown_to, organized_activity
from reedsailing.security.principal import Principal

NO_REQUEST = "该用户没有待审核的加入申请。"
FULL = "活动人数已满。"


def pending_requests(principal: Principal, activity_id: int) -> list[dict[str, Any]]:
    """The pending requests, oldest first (organizers), each with `contact_shown` by the
    one rule (asking to join is not having joined)."""
    organized_activity(principal, activity_id)
    entries = requests_in(activity_id, PENDING)
    shown = contact_shown_to(principal, [entry.user_id for entry in entries])
    return [
        {
            "user": entry.user,
            "state": entry.state,
            "created_at": entry.created_at,
            "contact_shown": entry.user_id in shown,
        }
        for entry in entries
    ]


def approve(principal: Principal, activity_id: int, person_id: int) -> list[int]:
    """Admit the student: a place is taken like a join (the conditional UPDATE, which is
    also the row lock), the request goes. Returns the student told (notice 13)."""
    activity = organized_activity(principal, activity_id)
    taken = take_place(activity_id)
    if not drop_request(activity_id, person_id, PENDING):
        raise not_found(NO_REQUEST)
    if not taken:
        raise bad_request(FULL)
    db.session.add(Participation(act_id=activity_id, user_id=person_id))
    notify(JOIN_APPROVED, [person_id], activity=activity)
    flush_or(bad_request("该用户已经加入了该活动。"))
    return [person_id]


def decline(principal: Principal, activity_id: int, person_id: int, allow_again: bool) -> list[int]:
    """Refuse the request; returns the student told (notice 14)."""
    activity = organized_activity(principal, activity_id)
    if allow_again:
        changed = drop_request(activity_id, person_id, PENDING)
    else:
        result = cast(
            "CursorResult[Any]",
            db.session.execute(
                update(JoinRequest)
                .where(
                    JoinRequest.act_id == activity_id,
                    JoinRequest.user_id == person_id,
                    JoinRequest.state == PENDING,
                )
                .values(state=DECLINED)
                .execution_options(synchronize_session=False)
            ),
        )
        changed = result.rowcount > 0
    if not changed:
        raise not_found(NO_REQUEST)
    notify(JOIN_DECLINED, [person_id], activity=activity)
    db.session.flush()
    return [person_id]


def allow_again(principal: Principal, activity_id: int, person_id: int) -> None:
    """Forget a decline, so the student may ask again."""
    organized_activity(principal, activity_id)
    if not drop_request(activity_id, person_id, DECLINED):
        raise not_found("该用户没有被拒绝的加入申请。")
    db.session.flush()
