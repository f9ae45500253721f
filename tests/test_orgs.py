"""Organizations: read, edit, delete, lists and searches, ownership, managers."""

from sqlalchemy import select

from reedsailing.extensions import db
from reedsailing.messages import texts
from reedsailing.models import Activity, Organization, OrgManager
from reedsailing.models.blocks import CLUB, UNION
from tests.acts_support import fmt, notice_types_of
from tests.factories import (
    follow,
    headers,
    join,
    make_activity,
    make_address,
    make_admin,
    make_org,
    make_user,
)
from tests.test_orgs_applications import notices_of

ORG_KEYS = {"id", "name", "description", "create_time", "avatar", "owner", "block"}
USER_KEYS = {"id", "name", "avatar", "email", "sign", "contact", "follow_boya"}


def test_org_detail_shape_and_unknown_id(client):
    owner = make_user(name="社长", email="leader@buaa.edu.cn")
    org = make_org(owner=owner, name="篮球社", description="打球")
    reader = make_user()
    response = client.get(f"/api/organizations/{org.id}/", headers=headers(reader))
    assert response.status_code == 200
    body = response.json
    assert set(body) == ORG_KEYS
    assert body["name"] == "篮球社" and body["description"] == "打球" and "T" in body["create_time"]
    assert set(body["owner"]) == USER_KEYS and body["owner"]["name"] == "社长"
    assert body["owner"]["email"] == "l***@buaa.edu.cn"
    assert body["block"] == {"id": 1, "name": "社团"}
    assert client.get("/api/organizations/999999/", headers=headers(reader)).status_code == 404
    assert client.get("/api/organizations/abc/", headers=headers(reader)).status_code == 404
    assert client.get(f"/api/organizations/{org.id}/").status_code == 401


def test_lists_and_searches_use_constant_queries(client, count_queries):
    reader = make_user()
    for index in range(32):
        make_org(name=f"社团{index}", block_id=UNION if index % 2 else 1)
    make_org(name="100%_真")
    cases = [
        ("get", "/api/organizations/", None, 33),
        ("post", "/api/organizations/search/", {"name": "社团"}, 32),
        ("get", "/api/blocks/organizations/3/", None, 16),
        ("get", "/api/blocks/organizations/1", None, 17),
        ("post", "/api/blocks/organizations/search/1/", {"name": "社团"}, 16),
    ]
    for method, url, body, expected in cases:
        with count_queries() as counter:
            response = getattr(client, method)(url, json=body, headers=headers(reader))
        assert response.status_code == 200, url
        assert len(response.json) == expected, url
        assert set(response.json[0]) == ORG_KEYS
        # the token's user, the block (404 check) or the organization, the rows
        assert counter.count <= 3, (url, counter.statements)
    literal = client.post("/api/organizations/search/", json={"name": "%_"}, headers=headers(reader))
    assert [org["name"] for org in literal.json] == ["100%_真"]
    assert client.post("/api/organizations/search/", json={"name": "无"}, headers=headers(reader)).json == []
    assert client.post("/api/organizations/search/", json={}, headers=headers(reader)).status_code == 400
    assert client.get("/api/blocks/organizations/99/", headers=headers(reader)).status_code == 404
    paged = client.get("/api/organizations/?limit=5&offset=30", headers=headers(reader)).json
    assert len(paged) == 3


def test_managers_edit_org_others_cannot(client, tmp_path):
    owner, manager, stranger = make_user(), make_user(), make_user()
    org = make_org(owner=owner, managers=[manager], name="旧名")
    make_org(name="别人的名字")
    url = f"/api/organizations/{org.id}/"
    body = {"name": "新名", "description": "新简介", "avatar": "/icon/person.png"}
    assert client.put(url, json=body, headers=headers(stranger)).status_code == 403
    response = client.put(url, json=body, headers=headers(manager))
    assert response.status_code == 200
    assert set(response.json) == ORG_KEYS
    assert (response.json["name"], response.json["description"], response.json["avatar"]) == (
        "新名",
        "新简介",
        "/icon/person.png",
    )
    assert client.put(url, json={"name": "新名"}, headers=headers(owner)).status_code == 200
    taken = client.put(url, json={"name": "别人的名字"}, headers=headers(owner))
    assert taken.status_code == 400 and taken.json["name"] == ["已经存在该名称的组织。"]
    assert (
        client.put(url, json={"description": "只改简介"}, headers=headers(make_admin())).json["name"]
        == "新名"
    )
    for bad in ({"name": ""}, {"name": "n" * 51}, {"description": 5}):
        response = client.put(url, json=bad, headers=headers(owner))
        assert response.status_code == 400 and response.json["detail"]
    assert client.put("/api/organizations/999999/", json=body, headers=headers(owner)).status_code == 404


def test_admin_creates_and_deletes_orgs(client):
    admin, owner, student = make_admin(), make_user(), make_user()
    body = {"name": "新社团", "owner": owner.id, "block": 4, "description": "d"}
    assert client.post("/api/organizations/", json=body, headers=headers(student)).status_code == 403
    response = client.post("/api/organizations/", json=body, headers=headers(admin))
    assert response.status_code == 201
    assert (
        set(response.json) == ORG_KEYS and response.json["owner"] == owner.id and response.json["block"] == 4
    )
    org_id = response.json["id"]
    assert db.session.scalars(select(OrgManager.user_id).where(OrgManager.org_id == org_id)).all() == [
        owner.id
    ]
    assert client.post("/api/organizations/", json=body, headers=headers(admin)).json["name"] == [
        "已经存在该名称的组织。"
    ]
    assert client.post(
        "/api/organizations/", json={**body, "name": "x", "owner": 999999}, headers=headers(admin)
    ).json["owner"]
    assert (
        client.post(
            "/api/organizations/", json={**body, "name": "x", "block": 2}, headers=headers(admin)
        ).status_code
        == 400
    )
    make_activity(org=db.session.get(Organization, org_id))
    assert client.delete(f"/api/organizations/{org_id}/", headers=headers(owner)).status_code == 403
    assert client.delete(f"/api/organizations/{org_id}/", headers=headers(admin)).status_code == 204
    assert db.session.get(Organization, org_id) is None
    assert db.session.scalar(select(Activity.id).where(Activity.org_id == org_id)) is None
    assert client.delete(f"/api/organizations/{org_id}/", headers=headers(admin)).status_code == 404


def test_deleting_an_organization_tells_its_participants(client):
    admin = make_admin()
    org = make_org()
    fan = make_user()
    join(make_activity(org=org), fan)
    assert client.delete(f"/api/organizations/{org.id}/", headers=headers(admin)).status_code in (200, 204)
    assert texts.ACT_CANCEL in notice_types_of(fan)


def test_transfer_ownership(client):
    owner, heir, manager, unverified = make_user(), make_user(), make_user(), make_user(verified=False)
    org = make_org(owner=owner, managers=[manager], name="棋社")
    url = f"/api/organizations/owner/{org.id}"
    assert client.post(url, json={"owner": heir.id}, headers=headers(manager)).status_code == 403
    assert client.post(url, json={"owner": heir.id}, headers=headers(heir)).status_code == 403
    assert client.post(url, json={"owner": unverified.id}, headers=headers(owner)).status_code == 400
    assert client.post(url, json={"owner": 999999}, headers=headers(owner)).json["owner"]
    assert client.post(url, json={}, headers=headers(owner)).status_code == 400
    assert client.post(url, json={"owner": owner.id}, headers=headers(owner)).status_code == 400
    response = client.post(url, json={"owner": heir.id}, headers=headers(owner))
    assert response.status_code == 200
    assert response.json == {"owner": heir.id, "__receivers__": [heir.id]}
    db.session.expire_all()
    assert db.session.get(Organization, org.id).owner_id == heir.id
    managers = set(db.session.scalars(select(OrgManager.user_id).where(OrgManager.org_id == org.id)))
    assert managers == {owner.id, heir.id, manager.id}
    assert notices_of(heir) == [(7, org.id, "您被转让成为'棋社'组织的负责人\n")]
    assert notices_of(owner) == [] and notices_of(manager) == []
    # The old owner is an ordinary manager now; an admin may still move it on.
    assert client.post(url, json={"owner": owner.id}, headers=headers(owner)).status_code == 403
    assert client.post(url, json={"owner": manager.id}, headers=headers(make_admin())).status_code == 200
    assert (
        client.post(
            "/api/organizations/owner/999999/", json={"owner": heir.id}, headers=headers(owner)
        ).status_code
        == 404
    )


def test_managers_added_listed_and_removed(client, count_queries):
    owner, manager, newcomer, unverified = make_user(), make_user(), make_user(), make_user(verified=False)
    org = make_org(owner=owner, managers=[manager], name="剧社")
    body = {"org": str(org.id), "person": newcomer.id}
    assert client.post("/api/organizations/managers/", json=body, headers=headers(manager)).status_code == 403
    response = client.post("/api/organizations/managers", json=body, headers=headers(owner))
    assert response.status_code == 201
    assert set(response.json) == {"id", "org", "person", "__receivers__"}
    assert (response.json["org"], response.json["person"], response.json["__receivers__"]) == (
        org.id,
        newcomer.id,
        [newcomer.id],
    )
    assert notices_of(newcomer) == [(8, org.id, "您成为'剧社'组织的管理员\n")]
    duplicate = client.post("/api/organizations/managers/", json=body, headers=headers(owner))
    assert duplicate.status_code == 400 and duplicate.json == {"detail": "该用户已是此组织管理员。"}
    assert (
        client.post(
            "/api/organizations/managers/", json={**body, "person": unverified.id}, headers=headers(owner)
        ).status_code
        == 400
    )
    assert client.post(
        "/api/organizations/managers/", json={**body, "person": 999999}, headers=headers(owner)
    ).json["person"]
    assert (
        client.post(
            "/api/organizations/managers/", json={**body, "org": "999999"}, headers=headers(owner)
        ).status_code
        == 404
    )
    assert (
        client.post(
            "/api/organizations/managers/", json={"org": "x", "person": 1}, headers=headers(owner)
        ).status_code
        == 400
    )

    for _ in range(30):
        extra = make_user()
        db.session.add(OrgManager(org_id=org.id, user_id=extra.id))
    db.session.commit()
    with count_queries() as counter:
        listed = client.get(f"/api/organizations/managers/{org.id}", headers=headers(newcomer))
    assert listed.status_code == 200 and len(listed.json) == 33
    assert counter.count <= 3
    assert listed.json[0]["person"]["id"] == owner.id
    assert set(listed.json[0]) == {"person"} and set(listed.json[0]["person"]) == USER_KEYS
    assert client.get("/api/organizations/managers/999999", headers=headers(owner)).status_code == 404

    remove = f"/api/organizations/managers/?user={newcomer.id}&org={org.id}"
    assert client.delete(remove, headers=headers(manager)).status_code == 403
    response = client.delete(remove, headers=headers(owner))
    assert response.status_code == 200 and response.json == {"__receivers__": [newcomer.id]}
    assert notices_of(newcomer)[-1] == (9, org.id, "您被'剧社'组织的负责人移除了管理员身份\n")
    assert client.delete(remove, headers=headers(owner)).status_code == 404
    owner_row = client.delete(
        f"/api/organizations/managers/?user={owner.id}&org={org.id}", headers=headers(make_admin())
    )
    assert owner_row.status_code == 400 and owner_row.json["detail"]
    assert (
        client.delete(f"/api/organizations/managers/?user={owner.id}", headers=headers(owner)).status_code
        == 400
    )
    assert (
        client.delete(f"/api/organizations/managers/?user=x&org={org.id}", headers=headers(owner)).status_code
        == 400
    )


def test_a_removed_manager_loses_control_of_the_activities_they_published(client):
    owner, manager, participant = make_user(), make_user(), make_user()
    org = make_org(owner=owner, managers=[manager], block_id=CLUB)
    activity = make_activity(org=org, owner=manager)
    join(activity, participant)
    removed = client.delete(
        f"/api/organizations/managers/?user={manager.id}&org={org.id}", headers=headers(owner)
    )
    assert removed.status_code == 200
    as_manager = headers(manager)
    begin = activity.begin_time
    edit = {
        "name": "改名",
        "begin_time": fmt(begin),
        "end_time": fmt(activity.end_time),
        "contain": 10,
        "location": make_address().id,
        "block": CLUB,
    }
    assert client.put(f"/api/activities/{activity.id}/", json=edit, headers=as_manager).status_code == 403
    assert client.get(f"/api/activities/{activity.id}/participants/", headers=as_manager).status_code == 403
    kick = f"/api/activities/participants/?person={participant.id}&act={activity.id}&operator={manager.id}"
    assert client.delete(kick, headers=as_manager).status_code == 403
    assert client.delete(f"/api/activities/{activity.id}/", headers=as_manager).status_code == 403
    relation = client.post(
        "/api/userActRelation/", json={"user": manager.id, "act": activity.id}, headers=as_manager
    )
    assert relation.json["isOwner"] is True and relation.json["isManager"] is False
    # The activity stays the organization's; its managers keep control.
    assert client.put(f"/api/activities/{activity.id}/", json=edit, headers=headers(owner)).status_code == 200
    db.session.expire_all()
    assert db.session.get(Activity, activity.id).org_id == org.id


def test_managed_orgs_of_a_user(client, count_queries):
    user, other = make_user(), make_user()
    for index in range(31):
        make_org(owner=user, name=f"我的组织{index}")
    make_org(owner=other)
    with count_queries() as counter:
        response = client.get(f"/api/users/managed_organizations/{user.id}/", headers=headers(user))
    assert response.status_code == 200 and len(response.json) == 31
    assert counter.count <= 3
    assert set(response.json[0]) == {"org"} and set(response.json[0]["org"]) == ORG_KEYS
    assert response.json[0]["org"]["block"]["id"] == 1
    with count_queries() as counter:
        found = client.post(
            f"/api/users/managed_organizations/search/{user.id}/",
            json={"name": "组织3"},
            headers=headers(user),
        )
    assert counter.count <= 3
    assert sorted(item["org"]["name"] for item in found.json) == ["我的组织3", "我的组织30"]
    assert (
        client.get(f"/api/users/managed_organizations/{user.id}/", headers=headers(other)).status_code == 403
    )
    assert (
        client.post(
            f"/api/users/managed_organizations/search/{user.id}/", json={"name": "x"}, headers=headers(other)
        ).status_code
        == 403
    )
    assert (
        client.get(f"/api/users/managed_organizations/{user.id}/", headers=headers(make_admin())).status_code
        == 200
    )
    assert (
        client.post(
            f"/api/users/managed_organizations/search/{user.id}/", json={}, headers=headers(user)
        ).status_code
        == 400
    )


def test_relation_flags(client):
    owner, manager, fan, stranger = make_user(), make_user(), make_user(), make_user()
    org = make_org(owner=owner, managers=[manager])
    follow(org, fan)
    follow(org, owner)

    def relation(caller, **body):
        return client.post(
            "/api/userOrgRelation/",
            json={"user": caller.id, "org": str(org.id), **body},
            headers=headers(caller),
        )

    assert relation(owner).json == {"isFollower": True, "isManager": True, "isOwner": True}
    assert relation(manager).json == {"isFollower": False, "isManager": True, "isOwner": False}
    assert relation(fan).json == {"isFollower": True, "isManager": False, "isOwner": False}
    assert relation(stranger).json == {"isFollower": False, "isManager": False, "isOwner": False}
    assert relation(stranger, user=fan.id).status_code == 403
    missing = relation(stranger, org="999999")
    assert missing.status_code == 404 and missing.json["detail"]
    assert relation(stranger, org="abc").status_code == 400
    assert (
        client.post("/api/userOrgRelation/", json={"org": org.id}, headers=headers(make_admin())).status_code
        == 403
    )
