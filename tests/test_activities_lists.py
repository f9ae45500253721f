"""Activity lists, status partitions, searches and the month calendar (docs/api.md §11, §14)."""

from datetime import datetime, timedelta

import pytest
from sqlalchemy import insert

from reedsailing.core.timeutil import now
from reedsailing.extensions import db
from reedsailing.models import Activity, Comment, Participation
from reedsailing.models.blocks import BOYA, CLUB, PERSONAL
from tests.factories import (
    follow,
    headers,
    join,
    make_activity,
    make_address,
    make_admin,
    make_category,
    make_org,
    make_user,
)


def _names(items, key=lambda item: item["name"]):
    return sorted(key(item) for item in items)


def test_status_partition_by_block_and_org(client):
    user = make_user()
    org = make_org(block_id=CLUB)
    moment = now()
    make_activity(org=org, name="将来", begin=moment + timedelta(days=1))
    make_activity(org=org, name="进行中", begin=moment - timedelta(hours=1), end=moment + timedelta(hours=1))
    make_activity(org=org, name="已结束", begin=moment - timedelta(days=2), end=moment - timedelta(days=1))
    make_activity(name="个人的", begin=moment + timedelta(days=1))
    response = client.get(f"/api/organizations/activities/status/{org.id}/", headers=headers(user))
    assert response.status_code == 200
    data = response.json
    assert set(data) == {"unstart", "cur", "end"}
    assert [a["name"] for a in data["unstart"]] == ["将来"]
    assert [a["name"] for a in data["cur"]] == ["进行中"]
    assert [a["name"] for a in data["end"]] == ["已结束"]
    first = data["unstart"][0]
    assert first["org"]["name"] == org.name and first["block"] == {"id": CLUB, "name": "社团"}
    assert first["location"]["name"] and first["owner"]["id"] == org.owner_id
    personal = client.get(f"/api/blocks/activities/status/{PERSONAL}/", headers=headers(user)).json
    assert [a["name"] for a in personal["unstart"]] == ["个人的"] and personal["cur"] == personal["end"] == []
    assert client.get(f"/api/blocks/activities/status/{BOYA}/", headers=headers(user)).json == {
        "unstart": [],
        "cur": [],
        "end": [],
    }
    assert len(client.get(f"/api/organizations/activities/{org.id}/", headers=headers(user)).json) == 3
    assert len(client.get(f"/api/blocks/activities/{CLUB}/", headers=headers(user)).json) == 3


def test_searches_in_every_place(client):
    user = make_user()
    org = make_org(block_id=CLUB, owner=user)
    a = make_activity(org=org, name="Python 编程夜")
    make_activity(org=org, name="篮球")
    b = make_activity(owner=user, name="python 自学小组")
    join(a, user)
    h = headers(user)
    assert _names(client.post("/api/activities/search/", json={"name": "PYTHON"}, headers=h).json) == [
        "Python 编程夜",
        "python 自学小组",
    ]
    assert _names(
        client.post(f"/api/organizations/activities/search/{org.id}/", json={"name": "py"}, headers=h).json
    ) == ["Python 编程夜"]
    assert _names(
        client.post(f"/api/blocks/activities/search/{PERSONAL}/", json={"name": "py"}, headers=h).json
    ) == ["python 自学小组"]
    assert _names(
        client.post(f"/api/users/released_activities/search/{user.id}/", json={"name": "py"}, headers=h).json
    ) == ["Python 编程夜", "python 自学小组"]
    joined = client.post(f"/api/users/joined_acts/search/{user.id}/", json={"name": "编程"}, headers=h).json
    assert [item["act"]["id"] for item in joined] == [a.id]
    assert (
        client.post(f"/api/users/joined_acts/search/{user.id}/", json={"name": "zzz"}, headers=h).json == []
    )
    for path in (
        "/api/activities/search/",
        f"/api/organizations/activities/search/{org.id}/",
        f"/api/blocks/activities/search/{PERSONAL}/",
        f"/api/users/released_activities/search/{user.id}/",
        f"/api/users/joined_acts/search/{user.id}/",
    ):
        response = client.post(path, json={}, headers=h)
        assert response.status_code == 400 and "name" in response.json, path
        response = client.post(path, json={"name": 5}, headers=h)
        assert response.status_code == 400, path
    assert b.id


def test_unknown_block_and_org_are_404(client):
    h = headers(make_user())
    for path in (
        "/api/blocks/activities/status/99/",
        "/api/blocks/activities/99/",
        "/api/organizations/activities/status/99999/",
        "/api/organizations/activities/99999/",
    ):
        assert client.get(path, headers=h).status_code == 404, path
    assert (
        client.post("/api/organizations/activities/search/99999/", json={"name": "x"}, headers=h).status_code
        == 404
    )


def test_released_and_joined_status(client):
    user = make_user()
    moment = now()
    mine = make_activity(owner=user, begin=moment - timedelta(hours=1), end=moment + timedelta(hours=1))
    other = make_activity(begin=moment - timedelta(days=3), end=moment - timedelta(days=2))
    join(other, user)
    released = client.get(f"/api/users/released_activities/status/{user.id}/", headers=headers(user)).json
    assert [a["id"] for a in released["cur"]] == [mine.id] and released["unstart"] == released["end"] == []
    assert [
        a["id"] for a in client.get(f"/api/users/released_activities/{user.id}/", headers=headers(user)).json
    ] == [mine.id]
    joined = client.get(f"/api/users/joined_acts/status/{user.id}/", headers=headers(user)).json
    assert joined["end"][0]["act"]["id"] == other.id and joined["end"][0]["act"]["location"]["id"]
    assert joined["unstart"] == joined["cur"] == []
    assert [
        i["act"]["id"] for i in client.get(f"/api/users/joined_acts/{user.id}/", headers=headers(user)).json
    ] == [other.id]


def test_self_only_lists_deny_others(client):
    owner, other = make_user(), make_user()
    admin = make_admin()
    for path in (
        f"/api/users/released_activities/{owner.id}/",
        f"/api/users/released_activities/status/{owner.id}/",
        f"/api/users/followed_organizations/activities/{owner.id}/",
        f"/api/users/joined_acts/{owner.id}/",
        f"/api/users/joined_acts/status/{owner.id}/",
        f"/api/users/joined_acts/{owner.id}/2021/6/",
        f"/api/recommended/{owner.id}/",
    ):
        response = client.get(path, headers=headers(other))
        assert response.status_code == 403 and response.json["detail"], path
        assert client.get(path).status_code == 401
    for path in (
        f"/api/users/released_activities/search/{owner.id}/",
        f"/api/users/joined_acts/search/{owner.id}/",
    ):
        assert client.post(path, json={"name": "a"}, headers=headers(other)).status_code == 403
    # admins read joined lists (the console), not a student's own released lists
    assert client.get(f"/api/users/joined_acts/{owner.id}/", headers=headers(admin)).status_code == 200
    assert (
        client.get(f"/api/users/released_activities/{owner.id}/", headers=headers(admin)).status_code == 403
    )
    assert client.get("/api/users/joined_acts/999999/", headers=headers(admin)).status_code == 404


def test_followed_org_activities_newest_published_first(client):
    user = make_user()
    followed, ignored = make_org(), make_org()
    follow(followed, user)
    moment = now()
    old = make_activity(org=followed, name="旧", pub_time=moment - timedelta(days=3))
    new = make_activity(org=followed, name="新", pub_time=moment - timedelta(hours=1))
    middle = make_activity(org=followed, name="中", pub_time=moment - timedelta(days=1))
    make_activity(org=ignored)
    make_activity(owner=user)
    response = client.get(f"/api/users/followed_organizations/activities/{user.id}/", headers=headers(user))
    assert response.status_code == 200
    assert [a["id"] for a in response.json] == [new.id, middle.id, old.id]
    assert response.json[0]["org"]["avatar"] is None and response.json[0]["type"] is None


# ---- calendar -----------------------------------------------------------------------


def _joined_at(user, *moments):
    acts = []
    for moment in moments:
        act = make_activity(begin=moment, end=moment + timedelta(hours=1))
        join(act, user)
        acts.append(act)
    return acts


def test_calendar_month_edges(client):
    user = make_user()
    h = headers(user)
    first, last, before, after, jan = _joined_at(
        user,
        datetime(2021, 12, 1, 0, 0),
        datetime(2021, 12, 31, 23, 59),
        datetime(2021, 11, 30, 23, 59),
        datetime(2022, 1, 1, 0, 0),
        datetime(2022, 1, 15, 9, 30),
    )
    make_activity(begin=datetime(2021, 12, 10, 10, 0))  # not joined
    dec = client.get(f"/api/users/joined_acts/{user.id}/2021/12/", headers=h)
    assert dec.status_code == 200
    assert set(dec.json) == {"2021-12-01", "2021-12-31"}
    assert [a["id"] for a in dec.json["2021-12-01"]] == [first.id]
    assert [a["id"] for a in dec.json["2021-12-31"]] == [last.id]
    january = client.get(f"/api/users/joined_acts/{user.id}/2022/1/", headers=h).json
    assert set(january) == {"2022-01-01", "2022-01-15"}
    assert [a["id"] for a in january["2022-01-01"]] == [after.id]
    assert client.get(f"/api/users/joined_acts/{user.id}/2022/01/", headers=h).json == january
    assert list(client.get(f"/api/users/joined_acts/{user.id}/2021/11/", headers=h).json) == ["2021-11-30"]
    assert client.get(f"/api/users/joined_acts/{user.id}/2021/6/", headers=h).json == {}
    assert before.id and jan.id


def test_calendar_groups_several_a_day_and_feb_29(client):
    user = make_user()
    a, b = _joined_at(user, datetime(2024, 2, 29, 8, 0), datetime(2024, 2, 29, 20, 0))
    data = client.get(f"/api/users/joined_acts/{user.id}/2024/2/", headers=headers(user)).json
    assert [x["id"] for x in data["2024-02-29"]] == [a.id, b.id]


@pytest.mark.parametrize("tail", ["2021/13/", "2021/0/", "0/5/", "2021/x/", "2021/-1/", "99999999999/1/"])
def test_calendar_invalid_month_is_a_client_error(client, tail):
    user = make_user()
    response = client.get(f"/api/users/joined_acts/{user.id}/{tail}", headers=headers(user))
    assert response.status_code in (400, 404)
    assert "detail" in response.json


# ---- constant query counts ----------------------------------------------------------


def _bulk_activities(count, owner, org, participant):
    """`count` activities in three time buckets, all joined and commented by `participant`."""
    category = make_category()
    address = make_address()
    moment = now()
    rows = []
    for i in range(count):
        begin = moment + timedelta(days=(i % 3) - 1, hours=-1 if i % 3 == 1 else 0)
        rows.append(
            {
                "name": f"活动{i}",
                "begin_time": begin,
                "end_time": begin + timedelta(hours=2 if i % 3 == 1 else 1),
                "pub_time": moment - timedelta(minutes=i),
                "contain": 10,
                "joined_count": 1,
                "description": "d",
                "review": False,
                "owner_id": owner.id,
                "category_id": category.id,
                "org_id": org.id,
                "address_id": address.id,
                "block_id": org.block_id,
            }
        )
    db.session.execute(insert(Activity), rows)
    ids = [a.id for a in db.session.query(Activity.id).filter(Activity.org_id == org.id)]
    db.session.execute(insert(Participation), [{"act_id": i, "user_id": participant.id} for i in ids])
    db.session.execute(
        insert(Comment),
        [{"act_id": ids[0], "user_id": make_user().id, "content": "c", "score": 4} for _ in range(1)],
    )
    db.session.commit()
    return ids


def _measure(client, count_queries, method, path, user, json=None):
    with count_queries() as counter:
        response = client.open(path, method=method, json=json, headers=headers(user))
    assert response.status_code == 200, (path, response.json)
    return counter.count, response.json


def test_lists_use_a_constant_number_of_queries(client, count_queries):
    owner = make_user()
    org = make_org(owner=owner, block_id=CLUB)
    follow(org, owner)
    ids = _bulk_activities(200, owner, org, owner)
    year, month = now().year, now().month
    paths = [
        ("GET", f"/api/blocks/activities/status/{CLUB}/", None),
        ("GET", f"/api/blocks/activities/{CLUB}/", None),
        ("POST", f"/api/blocks/activities/search/{CLUB}/", {"name": "活动"}),
        ("GET", f"/api/organizations/activities/status/{org.id}/", None),
        ("GET", f"/api/organizations/activities/{org.id}/", None),
        ("POST", f"/api/organizations/activities/search/{org.id}/", {"name": "活动"}),
        ("POST", "/api/activities/search/", {"name": "活动"}),
        ("GET", "/api/activities/", None),
        ("GET", f"/api/users/joined_acts/status/{owner.id}/", None),
        ("GET", f"/api/users/joined_acts/{owner.id}/", None),
        ("POST", f"/api/users/joined_acts/search/{owner.id}/", {"name": "活动"}),
        ("GET", f"/api/users/joined_acts/{owner.id}/{year}/{month}/", None),
        ("GET", f"/api/users/released_activities/status/{owner.id}/", None),
        ("GET", f"/api/users/released_activities/{owner.id}/", None),
        ("POST", f"/api/users/released_activities/search/{owner.id}/", {"name": "活动"}),
        ("GET", f"/api/users/followed_organizations/activities/{owner.id}/", None),
        ("GET", f"/api/activities/{ids[0]}/comments/", None),
        ("GET", f"/api/activities/{ids[0]}/participants/", None),
    ]
    for method, path, body in paths:
        queries, data = _measure(client, count_queries, method, path, owner, body)
        # the token's user, the data versions, the block or organization, the rows
        assert queries <= 4, (path, queries)
        if isinstance(data, dict) and "unstart" in data:
            assert sum(len(v) for v in data.values()) == 200, path
        elif "comments" not in path and "participants" not in path and "/20" not in path:
            assert len(data) == 200, path
