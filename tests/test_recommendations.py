"""Recommendations `GET /api/recommended/<uid>/` (docs/api.md §15)."""

from datetime import timedelta

from reedsailing.core.timeutil import now
from reedsailing.extensions import db
from reedsailing.models import Activity
from reedsailing.models.blocks import CLUB
from tests.factories import (
    follow,
    headers,
    join,
    make_activity,
    make_category,
    make_comment,
    make_org,
    make_user,
)


def _get(client, user):
    response = client.get(f"/api/recommended/{user.id}/", headers=headers(user))
    assert response.status_code == 200, response.json
    return response.json


def test_empty_system_gives_two_empty_arrays(client):
    assert _get(client, make_user()) == {"acts": [], "orgs": []}


def test_brand_new_user_gets_popular_upcoming_activities_and_orgs(client):
    moment = now()
    popular_org, quiet_org = make_org(block_id=CLUB), make_org(block_id=CLUB)
    popular = make_activity(org=popular_org, begin=moment + timedelta(days=2))
    quiet = make_activity(org=quiet_org, begin=moment + timedelta(days=2))
    ended = make_activity(begin=moment - timedelta(days=2), end=moment - timedelta(days=1))
    for _ in range(5):
        join(popular, make_user())
        follow(popular_org, make_user())
    data = _get(client, make_user())
    ids = [a["id"] for a in data["acts"]]
    assert ids[0] == popular.id and quiet.id in ids and ended.id not in ids
    first = data["acts"][0]
    assert isinstance(first["suitability"], float)
    assert (
        first["location"]["latitude"]
        and first["block"]["id"] == CLUB
        and first["org"]["name"] == popular_org.name
    )
    assert [o["id"] for o in data["orgs"]][:2] == [popular_org.id, quiet_org.id]
    assert data["orgs"][0]["owner"]["id"] == popular_org.owner_id and data["orgs"][0]["block"]["id"] == CLUB


def test_interests_rank_matching_category_and_keywords_first(client):
    user = make_user()
    sport, talk = make_category("球类运动"), make_category("学术讲座")
    moment = now()
    past = make_activity(
        category_id=sport.id,
        name="羽毛球比赛",
        description="羽毛球 双打 比赛",
        keywords="羽毛球 双打 比赛",
        begin=moment - timedelta(days=5),
        end=moment - timedelta(days=4),
    )
    join(past, user)
    make_comment(past, user, score="5")
    match = make_activity(
        category_id=sport.id, name="羽毛球新手赛", keywords="羽毛球 新手", begin=moment + timedelta(days=6)
    )
    popular_other = make_activity(
        category_id=talk.id, name="经济学讲座", keywords="经济学 讲座", begin=moment + timedelta(days=1)
    )
    for _ in range(3):
        join(popular_other, make_user())
    joined_upcoming = make_activity(category_id=sport.id, keywords="羽毛球", begin=moment + timedelta(days=1))
    join(joined_upcoming, user)
    own = make_activity(owner=user, category_id=sport.id, keywords="羽毛球")
    ids = [a["id"] for a in _get(client, user)["acts"]]
    assert ids[0] == match.id
    assert popular_other.id in ids
    assert joined_upcoming.id not in ids and own.id not in ids and past.id not in ids


def test_followed_orgs_shape_interests_and_are_not_recommended_again(client):
    user = make_user()
    followed, similar = make_org(block_id=CLUB), make_org(block_id=CLUB)
    follow(followed, user)
    moment = now()
    make_activity(
        org=followed, keywords="摄影 外拍", begin=moment - timedelta(days=9), end=moment - timedelta(days=8)
    )
    from_followed = make_activity(org=followed, keywords="会议", begin=moment + timedelta(days=20))
    photo = make_activity(org=similar, keywords="摄影 夜景", begin=moment + timedelta(days=20))
    unrelated = make_activity(keywords="编程", begin=moment + timedelta(days=20))
    data = _get(client, user)
    ids = [a["id"] for a in data["acts"]]
    assert ids.index(from_followed.id) < ids.index(unrelated.id)
    assert ids.index(photo.id) < ids.index(unrelated.id)
    assert [o["id"] for o in data["orgs"]] == [similar.id]


def test_deterministic(client):
    user = make_user()
    for i in range(15):
        make_activity(begin=now() + timedelta(days=1 + i % 3))
    assert _get(client, user) == _get(client, user)


def test_bounded_number_of_queries(client, count_queries):
    user = make_user()
    org = make_org()
    follow(org, user)
    category = make_category()

    def grow(n):
        for i in range(n):
            act = make_activity(org=org if i % 2 else None, category_id=category.id, keywords="音乐 合唱")
            if i % 5 == 0:
                join(act, user)
                make_comment(act, user)

    grow(10)
    make_org()
    with count_queries() as small:
        client.get(f"/api/recommended/{user.id}/", headers=headers(user))
    grow(40)
    make_org()
    make_org()
    with count_queries() as large:
        response = client.get(f"/api/recommended/{user.id}/", headers=headers(user))
    assert response.status_code == 200 and len(response.json["acts"]) == 20
    assert large.count == small.count <= 10
    assert db.session.query(Activity).count() == 50


def test_self_only(client):
    user = make_user()
    assert client.get(f"/api/recommended/{make_user().id}/", headers=headers(user)).status_code == 403
    assert client.get("/api/recommended/999999/", headers=headers(user)).status_code == 403
