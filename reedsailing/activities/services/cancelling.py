"""The one way an activity goes away (docs/api.md §11, §22).

Deleting an activity, an organization or a student all cancel activities through
`cancel_activity`, so each of them tells the participants once (notice 2), leaves
`STATUS:CANCELLED` in the calendar feeds and removes the picture after the commit.
"""

from typing import Any, cast

from sqlalchemy import CursorResult, delete

from reedsailing.core.db import on_commit
from reedsailing.core.errors import not_found
from reedsailing.extensions import db
from reedsailing.feeds.services import record_cancellation
from reedsailing.images import storage
from reedsailing.messages.services import notify
from reedsailing.messages.texts import ACT_CANCEL
from reedsailing.models import Activity
from reedsailing.participation.services.places import participant_ids

NOT_FOUND = "未找到该活动。"


def cancel_activity(activity: Activity, *, spare: int | None = None) -> list[int]:
    """Tell the participants (notice 2, linking no activity: it is about to go), record
    the cancellation for the feeds, delete the row (its joins, requests and comments go
    with it). `spare`: a participant not to tell (a student being deleted). Returns who
    was told; 404 when someone else deleted it meanwhile."""
    told = [uid for uid in participant_ids(activity.id) if uid != spare]
    notify(ACT_CANCEL, told, activity=activity, activity_id=None)
    record_cancellation(activity, told)
    avatar, activity_id = activity.avatar, activity.id
    result = cast("CursorResult[Any]", db.session.execute(delete(Activity).where(Activity.id == activity_id)))
    if result.rowcount == 0:
        raise not_found(NOT_FOUND)
    on_commit(lambda: storage.remove_owned(avatar, "acts", activity_id))
    return told
