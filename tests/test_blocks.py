"""Blocks, categories and addresses."""

from sqlalchemy import select

from reedsailing.extensions import db
from reedsailing.models import Activity, Address, Block, Category, OrgApplication
from tests.factories import (
    headers,
    make_activity,
    make_address,
    make_admin,
    make_category,
    make_org,
    make_user,
)
from tests.support.apps import limited_app


def test_blocks_read_by_anyone_logged_in(client):
    user = make_user()
    response = client.get("/api/blocks/", headers=headers(user))
    assert response.status_code == 200
    assert response.json[:5] == [
        {"id": 1, "name": "社团"},
        {"id": 2, "name": "博雅"},
        {"id": 3, "name": "学生会"},
        {"id": 4, "name": "志愿"},
        {"id": 5, "name": "个人"},
    ]
    assert client.get("/api/blocks/3", headers=headers(user)).json == {"id": 3, "name": "学生会"}
    assert client.get("/api/blocks/99/", headers=headers(user)).status_code == 404
    assert client.get("/api/blocks/").status_code == 401


def test_only_admins_write_blocks(client):
    user, admin = make_user(), make_admin()
    assert client.post("/api/blocks/", json={"name": "新版块"}, headers=headers(user)).status_code == 403
    created = client.post("/api/blocks/", json={"name": "新版块"}, headers=headers(admin))
    assert created.status_code == 201 and set(created.json) == {"id", "name"}
    block_id = created.json["id"]
    assert client.post("/api/blocks/", json={"name": "社团"}, headers=headers(admin)).json["name"] == [
        "已经存在该名称的版块。"
    ]
    for bad in ({}, {"name": ""}, {"name": "  "}, {"name": "x" * 51}):
        answer = client.post("/api/blocks/", json=bad, headers=headers(admin))
        assert answer.status_code == 400 and answer.json["detail"]
    url = f"/api/blocks/{block_id}/"
    assert client.put(url, json={"name": "改名"}, headers=headers(user)).status_code == 403
    assert client.put(url, json={"name": "改名"}, headers=headers(admin)).json == {
        "id": block_id,
        "name": "改名",
    }
    assert client.put(url, json={"name": "改名"}, headers=headers(admin)).status_code == 200  # its own name
    assert client.put(url, json={"name": "博雅"}, headers=headers(admin)).status_code == 400
    assert client.put("/api/blocks/999/", json={"name": "x"}, headers=headers(admin)).status_code == 404
    assert client.delete(url, headers=headers(user)).status_code == 403
    assert client.delete(url, headers=headers(admin)).status_code == 204
    assert client.delete(url, headers=headers(admin)).status_code == 404


def test_blocks_in_use_or_fixed_are_not_deleted(client):
    admin = make_admin()
    fixed = client.delete("/api/blocks/5/", headers=headers(admin))
    assert fixed.status_code == 400 and fixed.json["detail"]
    for fill in ("org", "activity", "application"):
        block = Block(name=f"临时{fill}")
        db.session.add(block)
        db.session.commit()
        if fill == "org":
            make_org(block_id=block.id)
        elif fill == "activity":
            make_activity(block_id=block.id)
        else:
            db.session.add(
                OrgApplication(name="n", description="d", user_id=make_user().id, block_id=block.id)
            )
            db.session.commit()
        answer = client.delete(f"/api/blocks/{block.id}/", headers=headers(admin))
        assert answer.status_code == 400 and "不能删除" in answer.json["detail"]
    assert db.session.scalar(select(Activity.id)) is not None


def test_categories(client, count_queries):
    user, admin = make_user(), make_admin()
    created = client.post("/api/activities/categories/", json={"name": "桌游"}, headers=headers(user))
    assert created.status_code == 201
    assert set(created.json) == {"id", "name"} and created.json["name"] == "桌游"
    duplicate = client.post("/api/activities/categories/", json={"name": "桌游"}, headers=headers(user))
    assert duplicate.status_code == 400 and duplicate.json["name"] == ["已经存在该名称的分类。"]
    assert (
        client.post("/api/activities/categories/", json={"name": ""}, headers=headers(user)).status_code
        == 400
    )
    for index in range(30):
        make_category(f"类{index}")
    with count_queries() as counter:
        listed = client.get("/api/activities/categories/", headers=headers(user))
    assert len(listed.json) >= 31 and counter.count <= 2
    url = f"/api/activities/categories/{created.json['id']}/"
    assert client.put(url, json={"name": "棋牌"}, headers=headers(user)).status_code == 403
    assert client.put(url, json={"name": "棋牌"}, headers=headers(admin)).json == {
        "id": created.json["id"],
        "name": "棋牌",
    }
    assert client.put(url, json={"name": "棋牌"}, headers=headers(admin)).status_code == 200
    assert client.put(url, json={"name": "类1"}, headers=headers(admin)).status_code == 400
    assert (
        client.put(
            "/api/activities/categories/999999/", json={"name": "x"}, headers=headers(admin)
        ).status_code
        == 404
    )
    activity = make_activity(category_id=created.json["id"])
    assert client.delete(url, headers=headers(user)).status_code == 403
    deleted = client.delete(url, headers=headers(admin))
    assert deleted.status_code == 200 and deleted.json == {}
    db.session.expire_all()
    kept = db.session.get(Activity, activity.id)
    assert kept is not None and kept.category_id is None
    assert db.session.get(Category, created.json["id"]) is None
    assert client.delete(url, headers=headers(admin)).status_code == 404


def test_addresses(client, count_queries):
    user, admin = make_user(), make_admin()
    created = client.post(
        "/api/activities/addresses/",
        json={"name": "新主楼", "longitude": 116.347256, "latitude": "39.981891"},
        headers=headers(user),
    )
    assert created.status_code == 201
    assert created.json == {
        "id": created.json["id"],
        "name": "新主楼",
        "longitude": "116.347256",
        "latitude": "39.981891",
    }
    for bad in (
        {"name": "x", "longitude": 181, "latitude": 0},
        {"name": "x", "longitude": 0, "latitude": -91},
        {"name": "x", "longitude": "east", "latitude": 0},
        {"name": "x", "longitude": True, "latitude": 0},
        {"longitude": 1, "latitude": 1},
        {"name": "", "longitude": 1, "latitude": 1},
        {"name": "x", "latitude": 1},
    ):
        answer = client.post("/api/activities/addresses/", json=bad, headers=headers(user))
        assert answer.status_code == 400 and answer.json["detail"], bad
    for _ in range(30):
        make_address()
    with count_queries() as counter:
        listed = client.get("/api/activities/addresses/", headers=headers(user))
    assert len(listed.json) == 31 and counter.count <= 2
    url = f"/api/activities/addresses/{created.json['id']}/"
    assert client.put(url, json={"name": "新新主楼"}, headers=headers(user)).status_code == 403
    updated = client.put(url, json={"name": "新新主楼", "latitude": 40}, headers=headers(admin))
    assert updated.json["name"] == "新新主楼" and updated.json["latitude"] == "40.000000"
    assert client.put(url, json={"latitude": 100}, headers=headers(admin)).status_code == 400
    used = make_address()
    activity = make_activity(location=used)
    in_use = client.delete(f"/api/activities/addresses/{used.id}/", headers=headers(admin))
    assert in_use.status_code == 400 and in_use.json["detail"] == "该地址仍被活动使用，不能删除。"
    assert db.session.get(Activity, activity.id) is not None
    assert client.delete(url, headers=headers(user)).status_code == 403
    assert client.delete(url, headers=headers(admin)).status_code == 204
    assert db.session.get(Address, created.json["id"]) is None
    assert client.delete(url, headers=headers(admin)).status_code == 404


def test_only_verified_students_add_categories_and_addresses(client):
    unverified, verified = make_user(verified=False), make_user()
    address = {"name": "新主楼", "longitude": "116.347256", "latitude": "39.981891"}
    assert (
        client.post(
            "/api/activities/categories/", json={"name": "桌游"}, headers=headers(unverified)
        ).status_code
        == 403
    )
    assert (
        client.post("/api/activities/addresses/", json=address, headers=headers(unverified)).status_code
        == 403
    )
    assert (
        client.post(
            "/api/activities/categories/", json={"name": "桌游"}, headers=headers(verified)
        ).status_code
        == 201
    )
    assert (
        client.post("/api/activities/addresses/", json=address, headers=headers(verified)).status_code == 201
    )


def test_shared_list_writes_are_rate_limited(app, restore_extensions):
    limited = limited_app(
        app,
        RATELIMIT_SHARED_WRITES_PER_USER="2/minute",
    )
    client = limited.test_client()
    with limited.app_context():
        student_headers = headers(make_user())
    statuses = [
        client.post(
            "/api/activities/categories/", json={"name": f"分类{i}"}, headers=student_headers
        ).status_code
        for i in range(3)
    ]
    assert statuses == [201, 201, 429]
