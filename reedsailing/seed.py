"""Rows every installation needs: the fixed blocks, starter categories and the 博雅
system account. Idempotent: running it twice changes nothing."""

from sqlalchemy import select

from reedsailing.extensions import db
from reedsailing.models import Block, Category, User
from reedsailing.models.blocks import SEED_BLOCKS

STARTER_CATEGORIES = ("讲座", "运动", "文艺", "学术", "竞赛", "志愿服务", "社交", "其他")
SYSTEM_OPENID = "system:boya"
SYSTEM_NAME = "博雅课程"


def seed():
    """Create what is missing; returns a dict of how many rows each kind gained."""
    added = {"blocks": 0, "categories": 0, "system_user": 0}
    existing = {block.id: block for block in db.session.scalars(select(Block))}
    for block_id, name in SEED_BLOCKS.items():
        if block_id not in existing:
            db.session.add(Block(id=block_id, name=name))
            added["blocks"] += 1
    names = set(db.session.scalars(select(Category.name)))
    for name in STARTER_CATEGORIES:
        if name not in names:
            db.session.add(Category(name=name))
            added["categories"] += 1
    if system_user() is None:
        db.session.add(User(openid=SYSTEM_OPENID, name=SYSTEM_NAME, is_system=True))
        added["system_user"] += 1
    db.session.flush()
    return added


def system_user():
    """The account that owns imported 博雅 courses (created by `seed`)."""
    return db.session.execute(select(User).where(User.openid == SYSTEM_OPENID)).scalar_one_or_none()
