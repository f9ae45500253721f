"""Notices over REST: mark read (the mini-program's call) and list (for polling clients).

Nothing here creates a notice or shows anyone else's: notices are made only by
`services.notify()` from the features that trigger them.
"""

from reedsailing.apidocs.spec import doc
from reedsailing.core.http import load, query_params
from reedsailing.core.schemas import EmptySchema, notice_schema
from reedsailing.messages import services
from reedsailing.messages.blueprint import bp
from reedsailing.messages.schemas import (
    NoticeListQuery,
    NoticeWithReadSchema,
    ReadBody,
    notice_list_query,
    read_body,
)
from reedsailing.security import auth


@bp.put("/notifications/read/<int:user_id>/")
@doc(body=ReadBody, response=EmptySchema)
@auth.user_required
def mark_read(user_id):
    """Mark the caller's own notices read (ids of other users' notices are ignored)."""
    auth.require_self(user_id)
    services.mark_read(user_id, load(read_body)["notifications"])
    return {}


@bp.get("/notifications/")
@doc(query=NoticeListQuery, response=NoticeWithReadSchema, many=True)
@auth.user_required
def list_notices():
    """The caller's notices, newest first (`?unread=1` for unread only; `?limit=&offset=`)."""
    args = notice_list_query.load(query_params())
    rows = services.notices_of(
        auth.current_user().id, unread_only=args["unread"], limit=args.get("limit"), offset=args["offset"]
    )
    return [{**notice_schema.dump(notice), "read": read} for notice, read in rows]
