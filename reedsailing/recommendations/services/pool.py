"""What every user's ranking shares, kept per process: the catalog (the open activities'
answer rows and scoring columns, every organization's answer) and the pool over it
(popularity + nearness, follower counts), rebuilt when the data versions they read change
(docs/caching.md)."""

import math
import threading
from collections import OrderedDict
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Row
from sqlalchemy.orm import joinedload

from reedsailing.activities.answers import ANSWER_TABLES, activity_rows
from reedsailing.activities.services.listing import fetch
from reedsailing.core.schemas import orgs_schema
from reedsailing.core.timeutil import now
from reedsailing.extensions import db
from reedsailing.models import Activity, Comment, Follow, Organization

W_PARTICIPANTS, W_SCORE, W_NEARNESS = 0.6, 0.4, 1.5


def _nearness(begin: datetime, moment: datetime) -> float:
    if begin <= moment:
        return 1.0
    days = (begin - moment).total_seconds() / 86400
    return 1.0 / (1.0 + days / 7.0)


class Catalog:
    """The activities not ended at `built` (answer rows and scoring columns) and every
    organization's answer: changes only when an activity answer's tables change."""

    def __init__(self) -> None:
        self.built = now()
        rows = fetch(
            activity_rows()
            .add_columns(
                Activity.category_id.label("rec_category"),
                Activity.org_id.label("rec_org"),
                Activity.owner_id.label("rec_owner"),
            )
            .where(Activity.end_time >= self.built)
        )
        self.rows = {row.id: row for row in rows}
        # (id, category, keywords, org, owner, begin, end)
        self.activities = [
            (
                row.id,
                row.rec_category,
                tuple(set((row.keywords or "").split())),
                row.rec_org,
                row.rec_owner,
                row.begin_time,
                row.end_time,
            )
            for row in rows
        ]
        orgs = db.session.scalars(
            select(Organization).options(joinedload(Organization.owner), joinedload(Organization.block))
        ).all()
        self.orgs = {org.id: answer for org, answer in zip(orgs, orgs_schema.dump(orgs), strict=True)}


class Pool:
    """What every user's ranking shares at `built` (the ranking's moment): the catalog's
    activities not ended then, each with its popularity + nearness; every
    organization's follower count. Cheap next to the catalog: three narrow queries."""

    def __init__(self, catalog: Catalog) -> None:
        self.built = now()
        self.catalog = catalog
        open_ids = select(Activity.id).where(Activity.end_time >= catalog.built)
        counts = dict(
            db.session.execute(
                select(Activity.id, Activity.joined_count).where(Activity.id.in_(open_ids))
            ).all()
        )
        averages: dict[int, Any] = dict(
            db.session.execute(
                select(Comment.act_id, func.avg(Comment.score))
                .where(Comment.score > 0, Comment.act_id.in_(open_ids))
                .group_by(Comment.act_id)
            ).all()
        )
        # (id, category, keywords, org, owner, begin, joined count, popularity + nearness)
        self.candidates = []
        for activity_id, category_id, keywords, org_id, owner_id, begin, end in catalog.activities:
            if end < self.built:
                continue
            joined_count = counts.get(activity_id) or 0
            base = (
                W_PARTICIPANTS * math.log1p(joined_count)
                + W_SCORE * float(averages.get(activity_id) or 0) / 5
            )
            base += W_NEARNESS * _nearness(begin, self.built)
            self.candidates.append(
                (activity_id, category_id, keywords, org_id, owner_id, begin, joined_count, base)
            )
        self.followers = db.session.execute(
            select(Organization.id, func.count(Follow.id))
            .outerjoin(Follow, Follow.org_id == Organization.id)
            .group_by(Organization.id)
            .order_by(Organization.id)
        ).all()
        self.rows, self.orgs = catalog.rows, catalog.orgs
        self.answers: OrderedDict[tuple[Any, ...], Answer] = OrderedDict()


Answer = tuple[list[tuple[Row[Any], float]], list[dict[str, Any]]]
# What the catalog reads (the activity answer's tables) and what else the pool reads: a
# write to any of them rebuilds that part (core/versions.py).
CATALOG_SCOPES = tuple(sorted(ANSWER_TABLES))
POPULARITY_SCOPES = ("activities.joined_count", "comments", "follows")
# ... and the user's own rows: a write to them forgets the kept answers.
USER_SCOPES = ("comments", "follows", "participations")
POOL_SECONDS = 60
MAX_KEPT_ANSWERS = 2000
_catalogs: dict[tuple[str, ...], Catalog] = {}
_pools: dict[tuple[str, ...], Pool] = {}
_building = threading.Lock()


def _fresh(pool: Pool | None) -> bool:
    return pool is not None and (now() - pool.built).total_seconds() < POOL_SECONDS


def pool(versions: dict[str, str] | None) -> Pool:
    """The pool of these data versions (built by one request of this process), at most
    `POOL_SECONDS` old; its catalog is rebuilt only when an activity answer changed."""
    if versions is None:  # no data_versions table: nothing can be kept
        return Pool(Catalog())
    catalog_key = tuple(versions[scope] for scope in CATALOG_SCOPES)
    pool_key = catalog_key + tuple(versions[scope] for scope in POPULARITY_SCOPES)
    found = _pools.get(pool_key)
    if _fresh(found):
        return found  # type: ignore[return-value]
    with _building:
        found = _pools.get(pool_key)
        if not _fresh(found):
            catalog = _catalogs.get(catalog_key)
            if catalog is None:
                _catalogs.clear()  # only the newest versions are ever asked for again
                catalog = _catalogs[catalog_key] = Catalog()
            _pools.clear()
            found = _pools[pool_key] = Pool(catalog)
    return found  # type: ignore[return-value]
