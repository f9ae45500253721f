"""Organization applications: apply, decide (HTTP and CLI), notices."""

from sqlalchemy import select

from reedsailing.extensions import db
from reedsailing.models import Delivery, Notice, Organization, OrgApplication, OrgManager
from tests.factories import headers, make_admin, make_org, make_user


def notices_of(user):
    rows = db.session.execute(
        select(Notice).join(Delivery, Delivery.notice_id == Notice.id).where(Delivery.user_id == user.id)
    ).scalars()
    return [(n.type, n.org_id, n.content) for n in rows]


def apply(client, caller, **body):
    payload = {"name": "摄影社", "description": "拍照", "user": caller.id, "block": 1, **body}
    return client.post("/api/organizations/applications", json=payload, headers=headers(caller))


def test_verified_student_applies_without_trailing_slash(client):
    user = make_user()
    response = apply(client, user, block="3")
    assert response.status_code == 201
    body = response.json
    assert set(body) == {"id", "name", "description", "pub_time", "status", "user", "block"}
    assert body["status"] == 0 and body["user"] == user.id and body["block"] == 3
    assert "T" in body["pub_time"]


def test_application_rules(client):
    user, other = make_user(), make_user()
    make_org(name="已有组织")
    assert apply(client, user, name="已有组织").json == {
        "name": ["已经存在该名称的组织。"],
        "detail": "已经存在该名称的组织。",
    }
    assert apply(client, user).status_code == 201
    duplicate = apply(client, other)
    assert duplicate.status_code == 400 and duplicate.json["name"] == ["已经存在该名称组织的申请。"]
    assert apply(client, user, name="别的", block=2).status_code == 400
    assert apply(client, user, name="别的", block=5).json["block"]
    assert apply(client, user, name="别的", user=other.id).status_code == 403
    unverified = make_user(verified=False)
    assert apply(client, unverified, name="别的", user=unverified.id).status_code == 403
    admin = make_admin()
    assert (
        client.post(
            "/api/organizations/applications/",
            json={"name": "x", "description": "y", "block": 1},
            headers=headers(admin),
        ).status_code
        == 403
    )
    for bad in (
        {"name": "", "description": "d", "block": 1},
        {"description": "d", "block": 1},
        {"name": "n" * 51, "description": "d", "block": 1},
        {"name": "n", "block": 1},
        {"name": "n", "description": "d", "block": "abc"},
    ):
        response = client.post("/api/organizations/applications/", json=bad, headers=headers(user))
        assert response.status_code == 400 and response.json["detail"]
    assert (
        client.post("/api/organizations/applications/", data="[1]", headers=headers(user)).status_code == 400
    )


def test_approval_creates_org_with_owner_manager_and_notice(client):
    user, bystander = make_user(), make_user()
    app_id = apply(client, user, description="我们拍照").json["id"]
    admin = make_admin()
    response = client.put(
        f"/api/organizations/applications/verifications/{app_id}/",
        json={"status": "1"},
        headers=headers(admin),
    )
    assert response.status_code == 201
    assert response.json["status"] == 1 and response.json["__receivers__"] == [user.id]
    org = db.session.scalars(select(Organization).where(Organization.name == "摄影社")).one()
    assert (org.owner_id, org.block_id, org.description) == (user.id, 1, "我们拍照")
    assert db.session.scalars(select(OrgManager.user_id).where(OrgManager.org_id == org.id)).all() == [
        user.id
    ]
    assert notices_of(user) == [(6, org.id, "您创建'摄影社'组织的申请已经通过\n")]
    assert notices_of(bystander) == []
    again = client.put(
        f"/api/organizations/applications/verifications/{app_id}/", json={"status": 2}, headers=headers(admin)
    )
    assert again.status_code == 400 and again.json == {"detail": "该组织申请已审批。"}
    # The name is free for a new application only as long as no organization holds it.
    assert apply(client, bystander).json["name"] == ["已经存在该名称的组织。"]


def test_rejection_notifies_without_org_and_frees_the_name(client):
    user = make_user()
    app_id = apply(client, user).json["id"]
    admin = make_admin()
    response = client.put(
        f"/api/organizations/applications/verifications/{app_id}", json={"status": 2}, headers=headers(admin)
    )
    assert response.status_code == 200
    assert response.json == {"status": 2, "__receivers__": [user.id]}
    assert notices_of(user) == [(6, None, "您创建'摄影社'组织的申请被拒绝了\n")]
    assert db.session.scalar(select(Organization.id)) is None
    assert apply(client, user).status_code == 201


def test_decision_input_roles_and_unknown_ids(client):
    user = make_user()
    app_id = apply(client, user).json["id"]
    admin = make_admin()
    url = f"/api/organizations/applications/verifications/{app_id}/"
    for bad in ({}, {"status": 0}, {"status": 3}, {"status": "x"}):
        response = client.put(url, json=bad, headers=headers(admin))
        assert response.status_code == 400 and response.json["detail"]
    assert client.put(url, json={"status": 1}, headers=headers(user)).status_code == 403
    assert client.put(url, json={"status": 1}).status_code == 401
    assert (
        client.put(
            "/api/organizations/applications/verifications/999999/",
            json={"status": 1},
            headers=headers(admin),
        ).status_code
        == 404
    )
    assert db.session.get(OrgApplication, app_id).status == 0


def test_approval_refused_when_an_admin_created_the_name_meanwhile(client):
    user = make_user()
    app_id = apply(client, user).json["id"]
    make_org(name="摄影社")
    response = client.put(
        f"/api/organizations/applications/verifications/{app_id}/",
        json={"status": 1},
        headers=headers(make_admin()),
    )
    assert response.status_code == 400 and response.json["name"] == ["已经存在该名称的组织。"]
    assert db.session.get(OrgApplication, app_id).status == 0
    assert notices_of(user) == []


def test_admin_lists_reads_and_deletes_applications(client, count_queries):
    admin = make_admin()
    users = [make_user() for _ in range(30)]
    for index, user in enumerate(users):
        apply(client, user, name=f"社团{index}")
    with count_queries() as counter:
        response = client.get("/api/organizations/applications/", headers=headers(admin))
    assert response.status_code == 200 and len(response.json) == 30
    assert counter.count <= 3
    first = response.json[0]
    assert set(first) == {"id", "name", "description", "pub_time", "status", "user", "block"}
    assert first["user"]["id"] == users[0].id and first["block"] == {"id": 1, "name": "社团"}
    assert "openid" not in first["user"]
    assert client.get("/api/organizations/applications/?status=1", headers=headers(admin)).json == []
    assert client.get("/api/organizations/applications/?status=9", headers=headers(admin)).status_code == 400
    one = client.get(f"/api/organizations/applications/{first['id']}/", headers=headers(admin))
    assert one.json == first
    assert client.get("/api/organizations/applications/", headers=headers(users[0])).status_code == 403
    assert (
        client.delete(
            f"/api/organizations/applications/{first['id']}/", headers=headers(users[0])
        ).status_code
        == 403
    )
    assert (
        client.delete(f"/api/organizations/applications/{first['id']}/", headers=headers(admin)).status_code
        == 204
    )
    assert (
        client.get(f"/api/organizations/applications/{first['id']}/", headers=headers(admin)).status_code
        == 404
    )


def test_cli_lists_pending_and_decides(app, client):
    user = make_user(name="小明")
    app_id = apply(client, user).json["id"]
    other_id = apply(client, user, name="棋社").json["id"]
    runner = app.test_cli_runner()
    result = runner.invoke(args=["orgs", "pending"])
    assert result.exit_code == 0
    assert (
        f"#{app_id}  摄影社" in result.output
        and "小明" in result.output
        and f"#{other_id}  棋社" in result.output
    )
    result = runner.invoke(args=["orgs", "decide", str(app_id), "approve"])
    assert result.exit_code == 0, result.output
    assert "approved" in result.output
    org = db.session.scalars(select(Organization).where(Organization.name == "摄影社")).one()
    assert org.owner_id == user.id
    result = runner.invoke(args=["orgs", "decide", str(other_id), "reject"])
    assert result.exit_code == 0 and "rejected" in result.output
    assert [n[0] for n in notices_of(user)] == [6, 6]
    again = runner.invoke(args=["orgs", "decide", str(app_id), "reject"])
    assert again.exit_code != 0 and "该组织申请已审批。" in again.output
    assert runner.invoke(args=["orgs", "decide", "99999", "approve"]).exit_code != 0
    assert runner.invoke(args=["orgs", "decide", str(app_id), "maybe"]).exit_code != 0
    assert "no pending applications" in runner.invoke(args=["orgs", "pending"]).output
