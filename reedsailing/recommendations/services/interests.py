"""A user's interests: the categories and keywords of what they joined, commented on and
of their followed organizations' recent activities (the ranking's step 2, see
recommendations/services/__init__.py)."""

from collections import defaultdict
from typing import Any

from sqlalchemy import literal, null, select, union_all

from reedsailing.extensions import db
from reedsailing.models import Activity, Comment, Follow, Participation

FOLLOWED_SAMPLE = 300  # recent activities of followed organizations that shape the interests

W_JOINED, W_COMMENTED, W_FOLLOWED = 3.0, 2.0, 1.0
W_CATEGORY, W_KEYWORDS, W_FOLLOWED_ORG = 4.0, 6.0, 2.0


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
