"""Helpers shared by the activity tests."""

from datetime import timedelta

from sqlalchemy import select

from reedsailing.core.timeutil import now
from reedsailing.extensions import db
from reedsailing.models import Delivery, Notice
from tests.factories import make_address, make_category


def notices_of(notice_type):
    """`[(recipient user ids sorted, act_id, content)]` of every notice of that type."""
    result = []
    for notice in db.session.scalars(select(Notice).where(Notice.type == notice_type).order_by(Notice.id)):
        users = sorted(db.session.scalars(select(Delivery.user_id).where(Delivery.notice_id == notice.id)))
        result.append((users, notice.act_id, notice.content))
    return result


def all_recipients():
    """Every (type, user id) pair of every delivery."""
    rows = db.session.execute(
        select(Notice.type, Delivery.user_id).join(Delivery, Delivery.notice_id == Notice.id)
    )
    return sorted(tuple(row) for row in rows)


def notice_types_of(user):
    return [
        notice.type
        for notice in db.session.scalars(
            db.select(Notice)
            .join(Delivery, Delivery.notice_id == Notice.id)
            .where(Delivery.user_id == user.id)
        )
    ]


def fmt(moment):
    return moment.strftime("%Y-%m-%dT%H:%M")


def create_body(owner=None, block=5, org=None, **overrides):
    """A body like the mini-program's new-act page sends."""
    begin = now() + timedelta(days=3)
    body = {
        "id": -1,
        "name": "周末羽毛球",
        "begin_time": fmt(begin),
        "end_time": fmt(begin + timedelta(hours=2)),
        "contain": "30",
        "description": "一起来打羽毛球，新手友好",
        "review": False,
        "owner": owner.id if owner is not None else None,
        "type": make_category().id,
        "org": (str(org.id) if hasattr(org, "id") else org) if org is not None else None,
        "location": make_address().id,
        "block": block,
    }
    body.update(overrides)
    return body
