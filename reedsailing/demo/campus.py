"""`python manage.py demo-data`: a realistic, reproducible campus for demos, the
Swagger UI and the benchmarks.

Everything random comes from one `random.Random(seed)`, so the same seed, sizes and
`--start` give the same rows (ids included, on an empty database). Rows are built in
memory first and written with Core `insert()` executemany in chunks, in foreign-key
order, so a `large` campus (20,000 users, 100,000 participations) takes seconds, not
the minutes one ORM object at a time would.

Demo students log in with openid `demo-<n>` (n = 1..users): in development login mode
(no WECHAT_APPID) `POST /api/userLogin/ {"code": "demo-7"}` is student 7.
"""

import random
from datetime import datetime, timedelta
from decimal import Decimal

import click
from sqlalchemy import func, insert, select

from reedsailing.demo import words as text
from reedsailing.demo.notices import build_notices
from reedsailing.demo.sizes import DEFAULT_SEED, SEMESTER_DAYS, default_start, split
from reedsailing.extensions import db
from reedsailing.models import (
    Activity,
    Address,
    Category,
    Comment,
    Delivery,
    Follow,
    Notice,
    Organization,
    OrgManager,
    Participation,
    User,
)
from reedsailing.models.blocks import BOYA, CLUB, PERSONAL, UNION, VOLUNTEER
from reedsailing.seed import seed as seed_fixed_rows
from reedsailing.seed import system_user

ORG_SPLIT = ((CLUB, 40), (UNION, 30), (VOLUNTEER, 30))
ACTIVITY_SPLIT = ((CLUB, 25), (BOYA, 25), (UNION, 15), (VOLUNTEER, 15), (PERSONAL, 20))
CHUNK = 2000


class DemoCampus:
    """Builds the rows of one campus; `write()` inserts them."""

    def __init__(self, sizes, seed=DEFAULT_SEED, start=None):
        self.sizes = sizes
        self.rng = random.Random(seed)
        start = start or default_start()
        self.start = datetime(start.year, start.month, start.day)
        self.rows = {}
        self._keywords = {}

    # ---- ids -------------------------------------------------------------------------
    def _next_ids(self):
        def after(model):
            return (db.session.scalar(select(func.max(model.id))) or 0) + 1

        return {model: after(model) for model in (User, Address, Organization, Activity, Notice)}

    def keywords(self, name, description):
        key = (name, description)
        if key not in self._keywords:
            # imported here: jieba costs ~150 MB, which server processes must not pay
            # just because this CLI is registered
            from reedsailing.activities.services.keywords import extract_keywords

            self._keywords[key] = extract_keywords(name, description)
        return self._keywords[key]

    # ---- building --------------------------------------------------------------------
    def build(self):
        rng = self.rng
        self.base = self._next_ids()
        self.system_id = system_user().id
        self.categories = {c.name: c.id for c in db.session.scalars(select(Category).order_by(Category.id))}
        self._users(rng)
        self._addresses()
        self._orgs(rng)
        self._follows(rng)
        self._activities(rng)
        self._participations(rng)
        self._comments(rng)
        self.rows[Notice], self.rows[Delivery] = build_notices(self, rng)
        return self.rows

    def _users(self, rng):
        base, rows = self.base[User], []
        for n in range(1, self.sizes.users + 1):
            name = rng.choice(text.SURNAMES) + "".join(
                rng.choice(text.GIVEN) for _ in range(rng.choice((1, 2)))
            )
            rows.append(
                {
                    "id": base + n - 1,
                    "openid": f"demo-{n}",
                    "name": name,
                    "email": f"demo{n}@buaa.edu.cn" if rng.random() < 0.8 else None,
                    "sign": rng.choice(text.SIGNS) or None,
                    "contact": f"QQ {rng.randrange(10**8, 10**10)}" if rng.random() < 0.3 else None,
                    "follow_boya": rng.random() < 0.3,
                    "is_system": False,
                    "created_at": self.start - timedelta(days=rng.randrange(1, 1200)),
                }
            )
        self.rows[User] = rows
        self.user_ids = [row["id"] for row in rows]
        self.user_names = {row["id"]: row["name"] for row in rows}

    def _addresses(self):
        base = self.base[Address]
        self.rows[Address] = [
            {
                "id": base + i,
                "name": name,
                "longitude": Decimal(f"{lng:.6f}"),
                "latitude": Decimal(f"{lat:.6f}"),
            }
            for i, (name, lng, lat) in enumerate(text.PLACES)
        ]
        self.places = [(row["id"], row["name"]) for row in self.rows[Address]]

    def _orgs(self, rng):
        orgs, managers, names = [], [], set()
        self.orgs_by_block = {block: [] for block, _ in ORG_SPLIT}
        self.managers_of = {}
        if not self.user_ids:
            self.rows[Organization] = self.rows[OrgManager] = []
            return
        for block, count in split(self.sizes.orgs, ORG_SPLIT):
            for _ in range(count):
                kind = rng.choice(text.ORG_KINDS[block])
                name = rng.choice(text.ORG_PREFIXES) + kind
                while name in names:
                    name = f"{rng.choice(text.ORG_PREFIXES)}{kind}{rng.randrange(2, 100)}"
                names.add(name)
                org_id = self.base[Organization] + len(orgs)
                owner = rng.choice(self.user_ids)
                team = [owner] + [
                    u for u in rng.sample(self.user_ids, min(3, len(self.user_ids))) if u != owner
                ][: rng.randrange(0, 4)]
                orgs.append(
                    {
                        "id": org_id,
                        "name": name,
                        "description": rng.choice(text.ORG_DESCRIPTIONS).format(name=name, kind=kind),
                        "create_time": self.start - timedelta(days=rng.randrange(30, 1500)),
                        "avatar": None,
                        "owner_id": owner,
                        "block_id": block,
                    }
                )
                managers.extend({"org_id": org_id, "user_id": uid} for uid in team)
                self.managers_of[org_id] = team
                self.orgs_by_block[block].append((org_id, name))
        self.rows[Organization], self.rows[OrgManager] = orgs, managers

    def _pairs(self, rng, count, left, right):
        """`count` distinct random (left, right) pairs (fewer if there are not that many)."""
        count = min(count, len(left) * len(right))
        chosen, seen = [], set()
        while len(chosen) < count:
            pair = (rng.choice(left), rng.choice(right))
            if pair not in seen:
                seen.add(pair)
                chosen.append(pair)
        return chosen

    def _follows(self, rng):
        org_ids = [row["id"] for row in self.rows[Organization]]
        pairs = (
            self._pairs(rng, self.sizes.follows, org_ids, self.user_ids) if org_ids and self.user_ids else []
        )
        self.rows[Follow] = [{"org_id": org, "user_id": user} for org, user in pairs]

    def _activity_text(self, rng, block, org_name):
        if block == BOYA:
            category = "讲座" if rng.random() < 0.8 else rng.choice(("学术", "文艺"))
        else:
            category = rng.choice(list(text.ACTIVITY_NAMES))
        place = rng.choice(self.places)
        name = rng.choice(text.ACTIVITY_NAMES[category]).format(
            topic=rng.choice(text.TOPICS),
            sport=rng.choice(text.SPORTS),
            art=rng.choice(text.ARTS),
            service=rng.choice(text.SERVICES),
            place=place[1],
            n=rng.randrange(1, 13),
        )
        description = rng.choice(text.ACTIVITY_DESCRIPTIONS).format(
            name=name, place=place[1], org=org_name or "一苇以航"
        )
        return category, name[:100], description or None, place[0]

    def _activities(self, rng):
        rows = []
        for block, count in split(self.sizes.activities, ACTIVITY_SPLIT):
            for _ in range(count):
                org_id = org_name = None
                if block == BOYA:
                    owner = self.system_id
                elif block == PERSONAL or not self.orgs_by_block.get(block):
                    owner = rng.choice(self.user_ids)
                else:
                    org_id, org_name = rng.choice(self.orgs_by_block[block])
                    owner = rng.choice(self.managers_of[org_id])
                category, name, description, address = self._activity_text(rng, block, org_name)
                begin = self.start + timedelta(
                    days=rng.randrange(SEMESTER_DAYS), hours=rng.randrange(8, 21), minutes=rng.choice((0, 30))
                )
                act_id = self.base[Activity] + len(rows)
                rows.append(
                    {
                        "id": act_id,
                        "name": name,
                        "description": description,
                        "begin_time": begin,
                        "end_time": begin + timedelta(minutes=rng.choice((60, 90, 120, 180, 240))),
                        "pub_time": begin - timedelta(days=rng.randrange(1, 15), hours=rng.randrange(24)),
                        "contain": rng.choice((20, 30, 50, 80, 100, 150, 200)),
                        "joined_count": 0,
                        "review": False,
                        "avatar": None,
                        "keywords": self.keywords(name, description),
                        "owner_id": owner,
                        "category_id": self.categories.get(category),
                        "org_id": org_id,
                        "address_id": address,
                        "block_id": block,
                        "boya_course_id": f"demo{act_id}" if block == BOYA else None,
                        "reminded_at": None,
                    }
                )
        self.rows[Activity] = rows

    def _participations(self, rng):
        # Students join through the app only outside 博雅 (its courses are booked on the 博雅 site).
        joinable = [row for row in self.rows[Activity] if row["block_id"] != BOYA]
        capacity = sum(row["contain"] for row in joinable)
        target = min(self.sizes.participations, capacity, len(joinable) * len(self.user_ids))
        rows, seen = [], set()
        while len(rows) < target:
            act, user = rng.choice(joinable), rng.choice(self.user_ids)
            if (act["id"], user) in seen or act["joined_count"] >= act["contain"]:
                continue
            seen.add((act["id"], user))
            act["joined_count"] += 1
            joined = act["pub_time"] + timedelta(minutes=rng.randrange(1, 60 * 24))
            rows.append({"act_id": act["id"], "user_id": user, "joined_at": min(joined, act["begin_time"])})
        self.rows[Participation] = rows

    def _comments(self, rng):
        parts = self.rows[Participation]
        ends = {row["id"]: row["end_time"] for row in self.rows[Activity]}
        chosen = sorted(rng.sample(range(len(parts)), min(self.sizes.comments, len(parts))))
        scores = ("0", "3.0", "3.5", "4.0", "4.5", "5.0")
        self.rows[Comment] = [
            {
                "act_id": parts[i]["act_id"],
                "user_id": parts[i]["user_id"],
                "content": rng.choice(text.COMMENTS),
                "score": Decimal(rng.choices(scores, weights=(1, 1, 2, 4, 4, 3))[0]),
                "pub_time": ends[parts[i]["act_id"]] + timedelta(hours=rng.randrange(1, 72)),
            }
            for i in chosen
        ]

    # ---- writing ---------------------------------------------------------------------
    def write(self, progress=None):
        """Insert every built row (FK order, chunked executemany); returns counts per table."""
        counts = {}
        for model, rows in self.rows.items():
            for i in range(0, len(rows), CHUNK):
                chunk = rows[i : i + CHUNK]
                db.session.execute(insert(model.__table__), chunk)
                if progress is not None:
                    progress.update(len(chunk))
            counts[model.__tablename__] = len(rows)
        return counts


def populate(sizes, seed=DEFAULT_SEED, start=None, show_progress=False):
    """Seed, then add a demo campus to an empty database; returns counts per table.
    The caller commits (the CLI command, a benchmark's set-up)."""
    from tqdm import tqdm

    seed_fixed_rows()
    if db.session.scalar(select(func.count(User.id)).where(User.is_system.is_(False))):
        raise click.ClickException("the database already has users: demo-data fills an empty database")
    campus = DemoCampus(sizes, seed=seed, start=start)
    campus.build()
    total = sum(len(rows) for rows in campus.rows.values())
    with tqdm(total=total, unit="row", desc="demo-data", disable=not show_progress) as bar:
        return campus.write(bar)
