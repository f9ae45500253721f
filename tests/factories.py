"""Test data builders. Each commits and returns the model; call inside the app context
that the autouse fixture pushes."""

import itertools
from datetime import timedelta
from decimal import Decimal

from reedsailing.core.timeutil import now
from reedsailing.extensions import db
from reedsailing.models import (
    Activity,
    Address,
    Admin,
    Category,
    Comment,
    Follow,
    Organization,
    OrgManager,
    Participation,
    User,
)
from reedsailing.models.blocks import CLUB, PERSONAL
from reedsailing.security import auth

_counter = itertools.count(1)


def _n():
    return next(_counter)


def make_user(name=None, email=None, verified=True, **fields):
    n = _n()
    user = User(
        openid=f"openid-test-{n}",
        name=name if name is not None else f"同学{n}",
        email=email if email is not None else (f"student{n}@buaa.edu.cn" if verified else None),
        **fields,
    )
    db.session.add(user)
    db.session.commit()
    return user


def make_admin(username=None, password="admin-password"):
    admin = Admin(username=username or f"admin{_n()}")
    admin.set_password(password)
    db.session.add(admin)
    db.session.commit()
    return admin


def headers(principal):
    """Request headers that authenticate `principal` (a User or an Admin)."""
    if isinstance(principal, Admin):
        return {"Token": auth.issue_admin_token(principal)}
    return {"Authorization": f"Bearer {auth.issue_user_token(principal)}"}


def make_org(owner=None, block_id=CLUB, name=None, managers=(), **fields):
    owner = owner or make_user()
    org = Organization(name=name or f"组织{_n()}", owner_id=owner.id, block_id=block_id, **fields)
    db.session.add(org)
    db.session.flush()
    db.session.add(OrgManager(org_id=org.id, user_id=owner.id))
    for manager in managers:
        db.session.add(OrgManager(org_id=org.id, user_id=manager.id))
    db.session.commit()
    return org


def make_address(name=None):
    address = Address(
        name=name or f"地点{_n()}", longitude=Decimal("116.347256"), latitude=Decimal("39.981891")
    )
    db.session.add(address)
    db.session.commit()
    return address


def make_category(name=None):
    category = Category(name=name or f"分类{_n()}")
    db.session.add(category)
    db.session.commit()
    return category


def make_activity(owner=None, org=None, block_id=None, begin=None, end=None, contain=50, name=None, **fields):
    """An activity starting in a day by default (block: the org's, else 个人)."""
    if org is not None:
        owner = owner or db.session.get(User, org.owner_id)
        block_id = block_id or org.block_id
    owner = owner or make_user()
    begin = begin or now() + timedelta(days=1)
    end = end or begin + timedelta(hours=2)
    address = fields.pop("location", None) or make_address()
    activity = Activity(
        name=name or f"活动{_n()}",
        begin_time=begin,
        end_time=end,
        contain=contain,
        description=fields.pop("description", "一次活动"),
        owner_id=owner.id,
        org_id=org.id if org is not None else None,
        block_id=block_id or PERSONAL,
        address_id=address.id,
        **fields,
    )
    db.session.add(activity)
    db.session.commit()
    return activity


def join(activity, user):
    db.session.add(Participation(act_id=activity.id, user_id=user.id))
    activity.joined_count = (activity.joined_count or 0) + 1
    db.session.commit()


def follow(org, user):
    db.session.add(Follow(org_id=org.id, user_id=user.id))
    db.session.commit()


def make_comment(activity, user, content="很好", score="4.5"):
    comment = Comment(act_id=activity.id, user_id=user.id, content=content, score=Decimal(score))
    db.session.add(comment)
    db.session.commit()
    return comment
