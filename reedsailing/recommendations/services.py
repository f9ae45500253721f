"""Recommendations for the home page: `{acts: [...], orgs: [...]}`.

How an activity is ranked (everything is deterministic; ties break on begin time, then id):

1. Candidates: activities that have not ended, that the user has not joined and does
   not own.
2. The user's interests, built from what they did, each source with a weight:
   joined activities (3), commented activities (2, plus the score they gave / 5) and the
   recent activities of organizations they follow (1). Every source adds its weight to
   its activity's category and to each of its stored jieba keywords
   (`Activity.keywords`, extracted at write time). Both tallies are normalized to
   shares (0..1).
3. suitability = 4 * category share
               + 6 * sum of the shares of the candidate's keywords (capped at 1)
               + 2 if the candidate belongs to a followed organization
               + 0.6 * ln(1 + participants) + 0.4 * (average score / 5, rated comments only)
               + 1.5 * nearness, nearness = 1 for a running activity, else
                 1 / (1 + days until it begins / 7)
   A brand-new user has no interests, so the ranking falls back to popularity and
   nearness: popular upcoming activities.
4. Organizations the user does not follow are ranked by the suitability of their best
   three candidate activities (their interest part only) plus 0.5 * ln(1 + followers)
   plus 0.3 * ln(1 + upcoming participants). With no interests that is popularity.

Cost (docs/caching.md): what is the same for every user is kept per process: a catalog
(the open activities' answer rows and scoring columns, every organization's answer),
rebuilt when an activity answer's tables change; and a pool over it (popularity:
participants and average score; follower counts), rebuilt when a data version it reads
changes and at least every `POOL_SECONDS`; its build moment is "now" for the ranking
(which activities have ended, nearness), so time moves in steps of at most
`POOL_SECONDS`, while a committed write shows at once. A request reads the versions and
the user's own rows (one UNION query) and ranks the pool in Python; its answer is a pure
function of the pool and the user's rows, so it is also kept per user until a version
changes. 3 SQL statements with the token look-up, whatever the size of the campus.
"""

import heapq
import math
import threading
from collections import Counter, OrderedDict, defaultdict
from datetime import datetime
from itertools import repeat
from typing import Any

from sqlalchemy import func, literal, null, select, union_all
from sqlalchemy.engine import Row
from sqlalchemy.orm import joinedload

from reedsailing.activities.answers import ANSWER_TABLES, activity_rows
from reedsailing.activities.services.listing import fetch
from reedsailing.core.schemas import orgs_schema
from reedsailing.core.timeutil import now
from reedsailing.core.versions import read_versions
from reedsailing.extensions import db
from reedsailing.models import Activity, Comment, Follow, Organization, Participation

MAX_ACTIVITIES = 20
MAX_ORGS = 10
FOLLOWED_SAMPLE = 300  # recent activities of followed organizations that shape the interests

W_JOINED, W_COMMENTED, W_FOLLOWED = 3.0, 2.0, 1.0
W_CATEGORY, W_KEYWORDS, W_FOLLOWED_ORG = 4.0, 6.0, 2.0
W_PARTICIPANTS, W_SCORE, W_NEARNESS = 0.6, 0.4, 1.5


class Interests:
    """Normalized tallies of the categories and keywords a user cares about."""

    def __init__(self) -> None:
        self.categories: defaultdict[int, float] = defaultdict(float)
        self.keywords: defaultdict[str, float] = defaultdict(float)
        self.followed_orgs: set[int] = set()
        self.category_share: dict[int, float] = {}
        self.keyword_share: dict[str, float] = {}

    def add(self, category_id: int | None, keywords: str | None, weight: float) -> None:
        if category_id is not None:
            self.categories[category_id] += weight
        for word in (keywords or "").split():
            self.keywords[word] += weight

    def finish(self) -> "Interests":
        self.category_share = _shares(self.categories)
        self.keyword_share = _shares(self.keywords)
        return self

    def interest(self, category_id: int | None, keywords: str | None, org_id: int | None) -> float:
        score = W_CATEGORY * self.category_share.get(category_id, 0.0) if category_id is not None else 0.0
        matched = sum(self.keyword_share.get(word, 0.0) for word in set((keywords or "").split()))
        score += W_KEYWORDS * min(matched, 1.0)
        if org_id is not None and org_id in self.followed_orgs:
            score += W_FOLLOWED_ORG
        return score


def _shares(counter: dict[Any, float]) -> dict[Any, float]:
    total = sum(counter.values())
    return {key: value / total for key, value in counter.items()} if total else {}


def build_interests(user_id: int) -> tuple[Interests, set[int]]:
    """The user's interests and the ids of the activities they joined, in one query."""
    joined = (
        select(
            literal("j").label("kind"),
            Activity.id,
            Activity.category_id,
            Activity.keywords,
            null().label("score"),
        )
        .join(Participation, Participation.act_id == Activity.id)
        .where(Participation.user_id == user_id)
    )
    commented = (
        select(literal("c"), Activity.id, Activity.category_id, Activity.keywords, Comment.score)
        .join(Comment, Comment.act_id == Activity.id)
        .where(Comment.user_id == user_id)
    )
    followed = select(Follow.org_id).where(Follow.user_id == user_id)
    orgs = select(literal("f"), Follow.org_id, null(), null(), null()).where(Follow.user_id == user_id)
    sample = (
        select(Activity.id, Activity.category_id, Activity.keywords)
        .where(Activity.org_id.in_(followed))
        .order_by(Activity.pub_time.desc(), Activity.id.desc())
        .limit(FOLLOWED_SAMPLE)
        .subquery()
    )
    recent = select(literal("s"), sample.c.id, sample.c.category_id, sample.c.keywords, null())
    interests, joined_ids = Interests(), set()
    for kind, key, category_id, keywords, score in db.session.execute(
        union_all(joined, commented, orgs, recent)
    ):
        if kind == "j":
            joined_ids.add(key)
            interests.add(category_id, keywords, W_JOINED)
        elif kind == "c":
            interests.add(category_id, keywords, W_COMMENTED + float(score or 0) / 5)
        elif kind == "f":
            interests.followed_orgs.add(key)
        else:
            interests.add(category_id, keywords, W_FOLLOWED)
    return interests.finish(), joined_ids


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


def recommend(user_id: int) -> Answer:
    """`(activities, orgs)`: `(row, suitability)` of the chosen activities, best first,
    and the answers of the chosen organizations."""
    versions = read_versions(db.session.connection(), (*CATALOG_SCOPES, *POPULARITY_SCOPES, *USER_SCOPES))
    shared = pool(versions)
    key = (user_id, tuple(sorted((versions or {}).items())))
    kept = shared.answers.get(key)
    if kept is not None:
        return kept
    interests, joined = build_interests(user_id)
    answer = _rank(shared, user_id, interests, joined)
    if versions is not None:
        shared.answers[key] = answer
        while len(shared.answers) > MAX_KEPT_ANSWERS:
            shared.answers.popitem(last=False)
    return answer


def _rank(shared: Pool, user_id: int, interests: Interests, joined: set[int]) -> Answer:
    category_share, keyword_share = interests.category_share, interests.keyword_share
    followed, zero = interests.followed_orgs, repeat(0.0)
    scored = []
    org_interest: dict[int, list[float]] = {}
    org_upcoming: Counter[int] = Counter()
    for activity_id, category_id, keywords, org_id, owner_id, begin, joined_count, base in shared.candidates:
        if owner_id == user_id or activity_id in joined:
            continue
        interest = W_CATEGORY * category_share.get(category_id, 0.0) if category_id is not None else 0.0
        if keyword_share:
            interest += W_KEYWORDS * min(sum(map(keyword_share.get, keywords, zero)), 1.0)
        if org_id is not None and org_id in followed:
            interest += W_FOLLOWED_ORG
        suitability = interest + base
        scored.append((-suitability, begin, activity_id, suitability))
        if org_id is not None:
            org_interest.setdefault(org_id, []).append(interest)
            org_upcoming[org_id] += joined_count
    chosen = heapq.nsmallest(MAX_ACTIVITIES, scored)
    activities = [
        (shared.rows[activity_id], round(suitability, 4)) for _, _, activity_id, suitability in chosen
    ]
    return activities, _rank_orgs(shared, interests, org_interest, org_upcoming)


def _rank_orgs(
    shared: Pool, interests: Interests, org_interest: dict[int, list[float]], org_upcoming: "Counter[int]"
) -> list[dict[str, Any]]:
    ranked = []
    for org_id, follower_count in shared.followers:
        if org_id in interests.followed_orgs:
            continue
        best = sorted(org_interest.get(org_id, ()), reverse=True)[:3]
        score = sum(best) + 0.5 * math.log1p(follower_count) + 0.3 * math.log1p(org_upcoming[org_id])
        ranked.append((-score, org_id))
    ranked.sort()
    return [shared.orgs[org_id] for _, org_id in ranked[:MAX_ORGS] if org_id in shared.orgs]
