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

Cost: a fixed number of queries whatever the size of the data (the test asserts it):
the user's joined / commented / followed rows, one light scan of the candidates'
scoring columns, one grouped average of scores, one grouped follower count, and one
query each to load the chosen activities and organizations with their nested objects.
"""

import math
from collections import Counter, defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Row
from sqlalchemy.orm import joinedload

from reedsailing.activities.schemas import activity_rows
from reedsailing.activities.services.listing import fetch
from reedsailing.core.timeutil import now
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


def build_interests(user_id: int) -> Interests:
    interests = Interests()
    joined = db.session.execute(
        select(Activity.category_id, Activity.keywords)
        .join(Participation, Participation.act_id == Activity.id)
        .where(Participation.user_id == user_id)
    ).all()
    for category_id, keywords in joined:
        interests.add(category_id, keywords, W_JOINED)
    commented = db.session.execute(
        select(Activity.category_id, Activity.keywords, Comment.score)
        .join(Comment, Comment.act_id == Activity.id)
        .where(Comment.user_id == user_id)
    ).all()
    for category_id, keywords, score in commented:
        interests.add(category_id, keywords, W_COMMENTED + float(score or 0) / 5)
    interests.followed_orgs = set(db.session.scalars(select(Follow.org_id).where(Follow.user_id == user_id)))
    if interests.followed_orgs:
        sample = db.session.execute(
            select(Activity.category_id, Activity.keywords)
            .where(Activity.org_id.in_(interests.followed_orgs))
            .order_by(Activity.pub_time.desc(), Activity.id.desc())
            .limit(FOLLOWED_SAMPLE)
        ).all()
        for category_id, keywords in sample:
            interests.add(category_id, keywords, W_FOLLOWED)
    return interests.finish()


def _nearness(begin: datetime, moment: datetime) -> float:
    if begin <= moment:
        return 1.0
    days = (begin - moment).total_seconds() / 86400
    return 1.0 / (1.0 + days / 7.0)


def recommend(user_id: int) -> tuple[list[tuple[Row[Any], float]], list[Organization]]:
    """`(activities, orgs)`: `(row, suitability)` of the chosen activities, best first,
    and the chosen organizations."""
    moment = now()
    interests = build_interests(user_id)
    joined = select(Participation.act_id).where(Participation.user_id == user_id)
    open_filter = (Activity.end_time >= moment, Activity.owner_id != user_id, Activity.id.not_in(joined))
    candidates = db.session.execute(
        select(
            Activity.id,
            Activity.category_id,
            Activity.keywords,
            Activity.org_id,
            Activity.joined_count,
            Activity.begin_time,
        ).where(*open_filter)
    ).all()
    averages: dict[int, Any] = dict(
        db.session.execute(
            select(Comment.act_id, func.avg(Comment.score))
            .join(Activity, Activity.id == Comment.act_id)
            .where(Comment.score > 0, *open_filter)
            .group_by(Comment.act_id)
        ).all()
    )
    scored = []
    org_interest: dict[int, list[float]] = {}
    org_upcoming: Counter[int] = Counter()
    for activity_id, category_id, keywords, org_id, joined_count, begin in candidates:
        interest = interests.interest(category_id, keywords, org_id)
        popularity = W_PARTICIPANTS * math.log1p(joined_count or 0)
        popularity += W_SCORE * float(averages.get(activity_id) or 0) / 5
        suitability = interest + popularity + W_NEARNESS * _nearness(begin, moment)
        scored.append((-suitability, begin, activity_id, suitability))
        if org_id is not None:
            org_interest.setdefault(org_id, []).append(interest)
            org_upcoming[org_id] += joined_count or 0
    scored.sort()
    chosen = [(activity_id, suitability) for _, _, activity_id, suitability in scored[:MAX_ACTIVITIES]]
    return _load_activities(chosen), _rank_orgs(interests, org_interest, org_upcoming)


def _load_activities(chosen: list[tuple[int, float]]) -> list[tuple[Row[Any], float]]:
    if not chosen:
        return []
    rows = fetch(activity_rows().where(Activity.id.in_([activity_id for activity_id, _ in chosen])))
    by_id = {row.id: row for row in rows}
    return [
        (by_id[activity_id], round(suitability, 4))
        for activity_id, suitability in chosen
        if activity_id in by_id
    ]


def _rank_orgs(
    interests: Interests, org_interest: dict[int, list[float]], org_upcoming: "Counter[int]"
) -> list[Organization]:
    followers = db.session.execute(
        select(Organization.id, func.count(Follow.id))
        .outerjoin(Follow, Follow.org_id == Organization.id)
        .group_by(Organization.id)
    ).all()
    ranked = []
    for org_id, follower_count in followers:
        if org_id in interests.followed_orgs:
            continue
        best = sorted(org_interest.get(org_id, ()), reverse=True)[:3]
        score = sum(best) + 0.5 * math.log1p(follower_count) + 0.3 * math.log1p(org_upcoming[org_id])
        ranked.append((-score, org_id))
    ranked.sort()
    ids = [org_id for _, org_id in ranked[:MAX_ORGS]]
    if not ids:
        return []
    orgs = db.session.scalars(
        select(Organization)
        .where(Organization.id.in_(ids))
        .options(joinedload(Organization.owner), joinedload(Organization.block))
    ).all()
    by_id = {org.id: org for org in orgs}
    return [by_id[org_id] for org_id in ids if org_id in by_id]
