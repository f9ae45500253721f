"""A place in an activity: who holds one, and freeing one (docs/signup.md).

`free_place` is the one owner of "a student stops holding a place": the student's own
leave, a removal by an organizer, and the deletion of a student all go through it, so
every path lowers the count and admits the first in line the same way.
"""

from typing import Any, cast

from sqlalchemy import CursorResult, delete, select, update

from reedsailing.extensions import db
from reedsailing.models import Activity, Participation
from reedsailing.participation.services.waitlist import promote


def participant_ids(activity_id: int) -> list[int]:
    """The ids of the activity's participants, ascending (the one participants query)."""
    return list(
        db.session.scalars(
            select(Participation.user_id)
            .where(Participation.act_id == activity_id)
            .order_by(Participation.user_id)
        )
    )


def free_place(activity_id: int, person_id: int) -> list[int] | None:
    """Take `person_id` out of the activity and give the place to the first in line.

    Returns who was admitted (each told with notice 12), or None when the student held
    no place (nothing changed). Lock order: the activity row first (the decrement), then
    the participation, then the waiting list, as join() takes them, so a join and a
    leave of one activity queue on the row instead of deadlocking.
    """
    lowered = cast(
        "CursorResult[Any]",
        db.session.execute(
            update(Activity)
            .where(Activity.id == activity_id, Activity.joined_count > 0)
            .values(joined_count=Activity.joined_count - 1)
            .execution_options(synchronize_session=False)
        ),
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
        if lowered.rowcount:  # the count was lowered for nobody: put it back
            db.session.execute(
                update(Activity)
                .where(Activity.id == activity_id)
                .values(joined_count=Activity.joined_count + 1)
                .execution_options(synchronize_session=False)
            )
        return None
    return promote(activity_id)
