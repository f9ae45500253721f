"""`manage.py demo-data`: counts as asked, consistent rows, the same campus twice."""

from collections import Counter

from sqlalchemy import func, select

from reedsailing.demo.sizes import PRESETS, split
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
from reedsailing.models.blocks import BOYA
from tests.conftest import wipe_database

SIZES = [
    "--users",
    "60",
    "--orgs",
    "10",
    "--activities",
    "40",
    "--participations",
    "150",
    "--comments",
    "40",
    "--follows",
    "50",
    "--notices",
    "25",
]
ARGS = ["demo-data", *SIZES, "--start", "2021-09-06", "--no-progress"]


def run(app, *extra):
    result = app.test_cli_runner().invoke(args=[*ARGS, *extra])
    assert result.exit_code == 0, result.output
    return result


def count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def snapshot():
    """The campus in natural keys (ids of seeded rows differ between runs on MariaDB)."""
    openid = dict(db.session.execute(select(User.id, User.openid)).all())
    category = dict(db.session.execute(select(Category.id, Category.name)).all())
    org = dict(db.session.execute(select(Organization.id, Organization.name)).all())
    place = dict(db.session.execute(select(Address.id, Address.name)).all())
    acts = db.session.scalars(
        select(Activity).order_by(Activity.begin_time, Activity.name, Activity.id)
    ).all()
    act_key = {a.id: (a.name, a.begin_time) for a in acts}
    return {
        "users": sorted(
            db.session.execute(select(User.openid, User.name, User.email, User.follow_boya)).all()
        ),
        "orgs": sorted(
            (o.name, o.block_id, openid[o.owner_id]) for o in db.session.scalars(select(Organization))
        ),
        "acts": [
            (
                a.name,
                a.description,
                a.begin_time,
                a.end_time,
                a.contain,
                a.joined_count,
                a.block_id,
                openid[a.owner_id],
                org.get(a.org_id),
                category.get(a.category_id),
                place[a.address_id],
                a.keywords,
            )
            for a in acts
        ],
        "joins": sorted(
            (act_key[p.act_id], openid[p.user_id]) for p in db.session.scalars(select(Participation))
        ),
        "comments": sorted(
            (act_key[c.act_id], openid[c.user_id], c.content, str(c.score))
            for c in db.session.scalars(select(Comment))
        ),
        "notices": sorted((n.type, n.content, n.time) for n in db.session.scalars(select(Notice))),
    }


def test_counts_match_the_options(app):
    run(app)
    assert count(User, User.is_system.is_(False)) == 60
    assert count(Organization) == 10
    assert count(Activity) == 40
    assert count(Participation) == 150
    assert count(Comment) == 40
    assert count(Follow) == 50
    assert count(Notice) == 25
    assert count(Delivery) >= 25
    # blocks: organizations 40/30/30 over 1/3/4, activities 25/25/15/15/20 over 1-5
    orgs = Counter(db.session.scalars(select(Organization.block_id)))
    assert orgs == {1: 4, 3: 3, 4: 3}
    acts = Counter(db.session.scalars(select(Activity.block_id)))
    assert acts == {1: 10, 2: 10, 3: 6, 4: 6, 5: 8}


def test_rows_are_consistent(app):
    run(app)
    joined = dict(
        db.session.execute(select(Participation.act_id, func.count()).group_by(Participation.act_id)).all()
    )
    for act in db.session.scalars(select(Activity)):
        assert act.joined_count == joined.get(act.id, 0) <= act.contain
        assert act.end_time > act.begin_time
        assert act.keywords is not None
        if act.block_id == BOYA:
            assert act.org_id is None and act.id not in joined
        elif act.block_id in (1, 3, 4):
            org = db.session.get(Organization, act.org_id)
            assert org.block_id == act.block_id
            assert count(OrgManager, OrgManager.org_id == org.id, OrgManager.user_id == act.owner_id) == 1
    for org in db.session.scalars(select(Organization)):
        assert count(OrgManager, OrgManager.org_id == org.id, OrgManager.user_id == org.owner_id) == 1
    # every comment is by a participant, and the demo students log in as demo-<n>
    for comment in db.session.scalars(select(Comment)):
        assert count(
            Participation, Participation.act_id == comment.act_id, Participation.user_id == comment.user_id
        )
    assert count(User, User.openid == "demo-1") == 1
    assert count(User, User.openid == "demo-60") == 1
    assert count(Activity, Activity.name.contains("讲座")) > 0


def test_same_seed_same_campus_other_seed_another(app):
    run(app)
    first = snapshot()
    wipe_database()
    run(app)
    assert snapshot() == first
    wipe_database()
    run(app, "--seed", "7")
    assert snapshot()["acts"] != first["acts"]


def test_refuses_a_database_with_users(app):
    run(app)
    result = app.test_cli_runner().invoke(args=ARGS)
    assert result.exit_code != 0
    assert "already has users" in result.output


def test_presets_have_the_issue_sizes():
    small, large = PRESETS["small"], PRESETS["large"]
    assert (
        small.users,
        small.orgs,
        small.activities,
        small.participations,
        small.comments,
        small.follows,
    ) == (
        2000,
        100,
        1000,
        10000,
        3000,
        3000,
    )
    assert large.users == 20000 and large.participations == 100000
    assert split(100, ((1, 40), (3, 30), (4, 30))) == [(1, 40), (3, 30), (4, 30)]
    assert sum(n for _, n in split(7, ((1, 25), (2, 25), (3, 15), (4, 15), (5, 20)))) == 7
