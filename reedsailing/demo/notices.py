"""The demo campus's notices: what the features would have told its students."""

import random
from datetime import datetime, timedelta
from typing import Any, Protocol

from reedsailing.demo import words as text
from reedsailing.demo.sizes import SEMESTER_DAYS, Sizes
from reedsailing.messages import texts
from reedsailing.models import Activity, Notice, Organization, Participation, User
from reedsailing.models.blocks import BOYA

MAX_BOYA_NOTICES = 20


class Campus(Protocol):
    """What the notices read of the campus being built (`DemoCampus`, demo/campus.py,
    which calls `build_notices` last): declared here so this module needs not import it."""

    sizes: Sizes
    rows: dict[Any, list[dict[str, Any]]]
    base: dict[Any, int]
    start: datetime
    system_id: int
    user_ids: list[int]
    user_names: dict[int, str]
    managers_of: dict[int, list[int]]


def build_notices(campus: Campus, rng: random.Random) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Notice rows and their delivery rows, from the campus's activities, organizations and people."""
    acts = campus.rows[Activity]
    participants: dict[int, list[int]] = {}
    for row in campus.rows[Participation]:
        participants.setdefault(row["act_id"], []).append(row["user_id"])
    followers = [row["id"] for row in campus.rows[User] if row["follow_boya"]]
    boya = [row for row in acts if row["block_id"] == BOYA]
    joined = [row for row in acts if row["id"] in participants]
    orgs = campus.rows[Organization]
    notices: list[dict[str, Any]] = []
    deliveries: list[dict[str, Any]] = []
    boya_notices = 0  # each reaches every follower: a few keep `large` at a sane size
    attempts = 20 * campus.sizes.notices if acts else 0
    while len(notices) < campus.sizes.notices and attempts:
        attempts -= 1
        kind = rng.choices(
            (
                texts.NEW_BOYA,
                texts.ACT_CONTENT,
                texts.ACT_COMMENTED,
                texts.BECOME_MANAGER,
                texts.ACT_STARTING,
            ),
            weights=(1, 6, 6, 2, 5),
        )[0]
        act, org, names = None, None, {}
        if kind == texts.NEW_BOYA and boya and followers and boya_notices < MAX_BOYA_NOTICES:
            boya_notices += 1
            act, recipients = rng.choice(boya), followers
        elif kind == texts.BECOME_MANAGER and orgs:
            org = rng.choice(orgs)
            recipients = [rng.choice(campus.managers_of[org["id"]])]
        elif kind == texts.ACT_COMMENTED:
            act = rng.choice(acts)
            commenter = rng.choice(campus.user_ids)
            names = {"user": campus.user_names[commenter], "comment": rng.choice(text.COMMENTS)}
            recipients = [act["owner_id"]] if act["owner_id"] != campus.system_id else []
        elif joined:
            kind = kind if kind in (texts.ACT_CONTENT, texts.ACT_STARTING) else texts.ACT_CONTENT
            act = rng.choice(joined)
            recipients = participants[act["id"]]
        else:
            continue
        if not recipients:
            continue
        notice_id = campus.base[Notice] + len(notices)
        when = (act or {}).get("pub_time") or campus.start + timedelta(days=rng.randrange(SEMESTER_DAYS))
        notices.append(
            {
                "id": notice_id,
                "type": kind,
                "time": when + timedelta(hours=rng.randrange(1, 48)),
                "content": texts.render(
                    kind, act=(act or {}).get("name", ""), org=(org or {}).get("name", ""), **names
                ),
                "act_id": act["id"] if act else None,
                "org_id": org["id"] if org else None,
            }
        )
        deliveries.extend(
            {"notice_id": notice_id, "user_id": uid, "read": rng.random() < 0.7}
            for uid in sorted(set(recipients))
        )
    return notices, deliveries
