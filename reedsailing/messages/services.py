"""The one way any part of the system tells users something.

`notify()` adds a Notice and one Delivery row per recipient to the caller's
transaction; the push happens after that transaction commits (an `after_commit`
hook), so a rolled-back change pushes nothing and a committed notice is always pushed
(or, if the user is offline, delivered as unread on their next connect). A notice of
a type with a WeChat subscribe-message template also writes, in the same transaction,
the subscribe messages the scheduler sends later (docs/notices.md, "Outside the app").
"""

import logging
from collections.abc import Iterable
from typing import Any, cast

from flask import has_app_context
from sqlalchemy import CursorResult, event, insert, select, update
from sqlalchemy.orm import Session

from reedsailing.core.schemas import notice_schema, notices_schema
from reedsailing.extensions import db, socketio
from reedsailing.integrations.mail import send_many_in_background
from reedsailing.messages import legacy
from reedsailing.messages.texts import render
from reedsailing.models import Activity, Delivery, Notice, Organization, OrgApplication, User
from reedsailing.ops.observability import NOTICES_PUSHED
from reedsailing.subscriptions import services as subscriptions

log = logging.getLogger(__name__)
PENDING_KEY = "reedsailing.pending_pushes"
PENDING_MAIL_KEY = "reedsailing.pending_mails"
MAIL_SUBJECTS = {4: "【一苇以航】新博雅通知"}
_FROM_OBJECT = object()


def notify(
    notice_type: int,
    recipient_ids: Iterable[int | None],
    *,
    activity: Activity | None = None,
    org: Organization | OrgApplication | None = None,  # an application lends its name (rejections)
    activity_id: Any = _FROM_OBJECT,
    org_id: Any = _FROM_OBJECT,
    mail: bool = False,
    **names: Any,
) -> Notice | None:
    """Store notice `notice_type` for `recipient_ids` in the current transaction.

    `activity` / `org` are the linked objects: their names fill the text and their ids
    are the notice's links, unless `activity_id=None` / `org_id=None` say otherwise (type 2
    links no activity, as the activity is about to go).
    Returns the Notice, or None when there is nobody to tell. Constant number of
    queries whatever the number of recipients; the caller commits. With `mail=True`
    the text is also mailed, after commit and in the background, to the recipients
    who verified an address.
    """
    recipients = sorted({int(uid) for uid in recipient_ids if uid is not None})
    if not recipients:
        return None
    if activity is not None:
        names.setdefault("act", activity.name)
    if org is not None:
        names.setdefault("org", org.name)
    if activity_id is _FROM_OBJECT:
        activity_id = activity.id if activity is not None else None
    if org_id is _FROM_OBJECT:
        org_id = org.id if org is not None else None
    notice = Notice(type=notice_type, content=render(notice_type, **names), act_id=activity_id, org_id=org_id)
    db.session.add(notice)
    db.session.flush()
    db.session.execute(
        insert(Delivery),
        [{"notice_id": notice.id, "user_id": uid, "read": False} for uid in recipients],
    )
    subscriptions.queue(notice, recipients, activity, names.get("act", ""))
    payload = notice_schema.dump(notice)
    db.session.info.setdefault(PENDING_KEY, []).append((payload, recipients))
    if mail:
        addresses = db.session.scalars(
            select(User.email).where(User.id.in_(recipients), User.email.is_not(None))
        ).all()
        subject = MAIL_SUBJECTS.get(notice_type, "【一苇以航】通知")
        db.session.info.setdefault(PENDING_MAIL_KEY, []).extend(
            (address, subject, notice.content) for address in addresses
        )
    return notice


def room_of(user_id: int) -> str:
    """The Socket.IO room of one user's connections."""
    return f"user:{user_id}"


def unread_notices(user_id: int) -> list[dict[str, Any]]:
    """The user's unread notices, newest first, as the socket sends them (one query)."""
    return notices_schema.dump([notice for notice, _ in notices_of(user_id, unread_only=True)])


def notices_of(
    user_id: int, *, unread_only: bool = False, limit: int | None = None, offset: int = 0
) -> list[tuple[Notice, bool]]:
    """The user's notices with their read state, newest first (one query)."""
    statement = (
        select(Notice, Delivery.read)
        .join(Delivery, Delivery.notice_id == Notice.id)
        .where(Delivery.user_id == user_id)
        .order_by(Notice.id.desc())
    )
    if unread_only:
        statement = statement.where(Delivery.read.is_(False))
    if limit is not None:
        statement = statement.limit(limit)
    if offset:
        statement = statement.offset(offset)
    return [(notice, bool(read)) for notice, read in db.session.execute(statement)]


def mark_read(user_id: int, notice_ids: Iterable[int]) -> int:
    """Mark the user's own deliveries of `notice_ids` read; returns how many changed.

    Ids of other users' notices match no row and are ignored. Idempotent.
    """
    ids = sorted({int(i) for i in notice_ids})
    if not ids:
        return 0
    statement = (
        update(Delivery)
        .where(Delivery.user_id == user_id, Delivery.notice_id.in_(ids), Delivery.read.is_(False))
        .values(read=True)
    )
    result = cast(CursorResult[Any], db.session.execute(statement))
    db.session.flush()
    return result.rowcount


def push(payload: dict[str, Any], recipients: Iterable[int]) -> None:
    """Emit one committed notice to each recipient's room (through Redis when configured),
    and refresh their legacy WebSockets when that bridge is on."""
    rooms = [room_of(uid) for uid in recipients]
    if rooms:
        # One emit for every recipient: one Redis publish per notice, so a Redis that
        # does not answer costs one timeout (REDIS_SOCKET_TIMEOUT_SECONDS), not one each.
        try:
            socketio.emit("notification", payload, to=rooms)
            NOTICES_PUSHED.inc(len(rooms))
        except Exception:  # a broken queue must not turn a committed change into a 500
            log.exception("push of notice %s to %d users failed", payload.get("id"), len(rooms))
    if has_app_context():
        legacy.announce(recipients)


@event.listens_for(Session, "after_commit")
def _push_after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint released (the event fires for those too): not committed yet
    pending = session.info.pop(PENDING_KEY, None)
    for payload, recipients in pending or ():
        push(payload, recipients)
    mails = session.info.pop(PENDING_MAIL_KEY, None)
    if mails:
        send_many_in_background(mails)


@event.listens_for(Session, "after_soft_rollback")
def _forget_after_rollback(session: Session, previous_transaction: Any) -> None:
    if previous_transaction.parent is None:
        session.info.pop(PENDING_KEY, None)
        session.info.pop(PENDING_MAIL_KEY, None)
