"""Notices over REST: mark read (the mini-program's call) and list (for polling clients).

Nothing here creates a notice or shows anyone else's: notices are made only by
`services.notify()` from the features that trigger them.
"""

from flask import Blueprint, request
from marshmallow import fields, validate

from reedsailing.core import auth
from reedsailing.core.apidoc import doc
from reedsailing.core.fields import Id, Schema
from reedsailing.core.http import load
from reedsailing.core.queries import PageQuery
from reedsailing.core.schemas import EmptySchema, NoticeSchema
from reedsailing.messages import services

bp = Blueprint("messages", __name__, url_prefix="/api")
MAX_READ_IDS = 5000


class ReadBody(Schema):
    notifications = fields.List(
        Id(),
        required=True,
        validate=validate.Length(max=MAX_READ_IDS, error=f"一次最多标记 {MAX_READ_IDS} 条通知。"),
    )


class NoticeListQuery(PageQuery):
    unread = fields.Boolean(load_default=False)


class NoticeWithReadSchema(NoticeSchema):
    read = fields.Boolean()


read_body = ReadBody()
notice_list_query = NoticeListQuery()


@bp.put("/notifications/read/<int:uid>/")
@doc(body=ReadBody, response=EmptySchema)
@auth.user_required
def mark_read(uid):
    """Mark the caller's own notices read (ids of other users' notices are ignored)."""
    auth.require_self(uid)
    ids = load(read_body)["notifications"]
    services.mark_read(uid, ids)
    return {}


@bp.get("/notifications/")
@doc(query=NoticeListQuery, response=NoticeWithReadSchema, many=True)
@auth.user_required
def list_notices():
    """The caller's notices, newest first (`?unread=1` for unread only; `?limit=&offset=`)."""
    args = notice_list_query.load(request.args)
    return services.notices_of(
        auth.current_user().id, unread_only=args["unread"], limit=args.get("limit"), offset=args["offset"]
    )
