"""`recommend()`: the user's interests over the shared pool, ranked (steps 1, 3 and 4 of
recommendations/services/__init__.py); each answer kept per user until a version changes."""

import heapq
import math
from collections import Counter
from itertools import repeat
from typing import Any

from reedsailing.core.versions import read_versions
from reedsailing.extensions import db
from reedsailing.recommendations.services.interests import (
    W_CATEGORY,
    W_FOLLOWED_ORG,
    W_KEYWORDS,
    Interests,
    build_interests,
)
from reedsailing.recommendations.services.pool import (
    CATALOG_SCOPES,
    MAX_KEPT_ANSWERS,
    POPULARITY_SCOPES,
    USER_SCOPES,
    Answer,
    Pool,
    pool,
)

MAX_ACTIVITIES = 20
MAX_ORGS = 10


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
