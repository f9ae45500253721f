"""Who may read or change which user, who sees a contact; admin-only routes, deleting users."""

import pytest

from reedsailing.extensions import db
from reedsailing.messages import texts
from reedsailing.models import Activity, Organization, User
from reedsailing.models.blocks import CLUB
from tests.acts_support import notice_types_of
from tests.factories import headers, join, make_activity, make_admin, make_comment, make_org, make_user

USER_FIELDS = {"id", "name", "avatar", "email", "sign", "contact", "follow_boya"}


def test_own_profile_shows_the_whole_email(client):
    user = make_user(email="zhangsan@buaa.edu.cn")
    body = client.get(f"/api/users/{user.id}", headers=headers(user)).json
    assert set(body) == USER_FIELDS
    assert body["email"] == "zhangsan@buaa.edu.cn"


def test_user_reads_own_profile_without_trailing_slash(client):
    user = make_user(name="张三")
    response = client.get(f"/api/users/{user.id}", headers=headers(user))
    assert response.status_code == 200
    assert response.json["name"] == "张三"


def test_another_users_email_is_masked_and_openid_never_shown(client):
    me, other = make_user(), make_user(email="zhangsan@buaa.edu.cn")
    body = client.get(f"/api/users/{other.id}/", headers=headers(me)).json
    assert body["email"] == "z***@buaa.edu.cn"
    assert "openid" not in body


def test_admin_sees_the_whole_email(client):
    other = make_user(email="zhangsan@buaa.edu.cn")
    body = client.get(f"/api/users/{other.id}/", headers=headers(make_admin())).json
    assert body["email"] == "zhangsan@buaa.edu.cn"


def test_contact_is_seen_only_by_the_user_admins_and_their_activities_managers(client):
    student = make_user(contact="13800000000")
    stranger, organiser, admin = make_user(), make_user(), make_admin()
    activity = make_activity(owner=organiser)
    make_comment(make_activity(), student)

    def contact_seen_by(principal):
        return client.get(f"/api/users/{student.id}/", headers=headers(principal)).json["contact"]

    assert contact_seen_by(stranger) is None
    assert contact_seen_by(organiser) is None  # not before the student joins
    assert contact_seen_by(student) == contact_seen_by(admin) == "13800000000"
    join(activity, student)
    assert contact_seen_by(organiser) == "13800000000"
    assert contact_seen_by(stranger) is None
    people = client.get(f"/api/activities/{activity.id}/participants/", headers=headers(organiser)).json
    assert people[0]["person"]["contact"] == "13800000000"
    assert "13800000000" not in client.post(
        "/api/activities/search/", json={}, headers=headers(stranger)
    ).get_data(as_text=True)


@pytest.mark.parametrize(
    "path", ["/api/users/999999/", "/api/users/-1", "/api/users/abc/", "/api/users/99999999999999999999/"]
)
def test_unknown_users_are_404(client, path):
    response = client.get(path, headers=headers(make_user()))
    assert response.status_code == 404 and response.json["detail"]


def test_the_system_account_is_not_a_visible_user(client):
    system = db.session.query(User).filter_by(is_system=True).one()
    assert client.get(f"/api/users/{system.id}/", headers=headers(make_user())).status_code == 404


def test_profile_update_is_partial_and_answers_200(client):
    user = make_user(name="小明", sign="签名", contact="微信 abc")
    response = client.put(
        f"/api/users/{user.id}/", json={"follow_boya": True, "name": ""}, headers=headers(user)
    )
    assert response.status_code == 200
    assert response.json["follow_boya"] is True
    assert response.json["name"] == "小明" and response.json["sign"] == "签名"
    response = client.put(
        f"/api/users/{user.id}/",
        json={"name": "新名字", "sign": "新签名", "contact": "qq 1", "avatar": "https://wx/b.png"},
        headers=headers(user),
    )
    assert response.status_code == 200
    assert {k: response.json[k] for k in ("name", "sign", "contact", "avatar")} == {
        "name": "新名字",
        "sign": "新签名",
        "contact": "qq 1",
        "avatar": "https://wx/b.png",
    }


def test_email_cannot_be_set_through_the_profile(client):
    user = make_user(verified=False)
    client.put(
        f"/api/users/{user.id}/", json={"email": "x@buaa.edu.cn", "openid": "evil"}, headers=headers(user)
    )
    db.session.refresh(user)
    assert user.email is None and user.openid.startswith("openid-test-")


def test_nobody_updates_someone_elses_profile(client):
    user, other = make_user(), make_user(name="别人")
    response = client.put(f"/api/users/{other.id}/", json={"name": "黑客"}, headers=headers(user))
    assert response.status_code == 403 and response.json["detail"]
    db.session.refresh(other)
    assert other.name == "别人"


@pytest.mark.parametrize(
    "body",
    [{"name": "x" * 31}, {"follow_boya": "maybe"}, {"sign": 5}, {"contact": "c" * 51}, {"avatar": ["a"]}],
)
def test_malformed_profile_updates_are_400(client, body):
    user = make_user()
    response = client.put(f"/api/users/{user.id}/", json=body, headers=headers(user))
    assert response.status_code == 400 and response.json["detail"]


def test_emoji_names_round_trip(client):
    user = make_user()
    client.put(f"/api/users/{user.id}/", json={"name": "小明😀🎉"}, headers=headers(user))
    assert client.get(f"/api/users/{user.id}", headers=headers(user)).json["name"] == "小明😀🎉"


@pytest.mark.parametrize(
    "method,path",
    [
        ("get", "/api/users/"),
        ("post", "/api/users/search/"),
        ("get", "/api/users/boya_followers/"),
        ("delete", "/api/users/{id}/"),
    ],
)
def test_admin_only_routes_refuse_students(client, method, path):
    user = make_user()
    response = getattr(client, method)(path.format(id=user.id), json={"name": "x"}, headers=headers(user))
    assert response.status_code == 403


def test_admin_lists_searches_and_deletes_users(client, count_queries):
    admin = make_admin()
    users = [make_user(name=f"张{i}") for i in range(30)]
    users[0].follow_boya = True
    db.session.commit()
    with count_queries() as counter:
        listed = client.get("/api/users/", headers=headers(admin)).json
    assert len(listed) == 30 and counter.count <= 3
    assert client.get("/api/users/?limit=5&offset=5", headers=headers(admin)).json[0]["id"] == users[5].id
    found = client.post("/api/users/search/", json={"name": "张1"}, headers=headers(admin)).json
    assert {u["name"] for u in found} == {"张1"} | {f"张1{i}" for i in range(10)}
    assert client.post("/api/users/search/", json={}, headers=headers(admin)).status_code == 400
    assert client.post("/api/users/search/", json={"name": "%"}, headers=headers(admin)).json == []
    followers = client.get("/api/users/boya_followers/", headers=headers(admin)).json
    assert [u["id"] for u in followers] == [users[0].id]
    assert client.delete(f"/api/users/{users[1].id}/", headers=headers(admin)).status_code == 204
    assert db.session.get(User, users[1].id) is None
    assert client.delete(f"/api/users/{users[1].id}/", headers=headers(admin)).status_code == 404


@pytest.mark.parametrize("query", ["?limit=0", "?limit=abc", "?offset=-1", "?limit=100000"])
def test_bad_paging_is_400(client, query):
    response = client.get(f"/api/users/{query}", headers=headers(make_admin()))
    assert response.status_code == 400 and response.json["detail"]


def test_deleting_a_user_gives_their_places_back(client):
    from tests.factories import join, make_activity

    leaver, stayer = make_user(), make_user()
    activity = make_activity(contain=2)
    join(activity, leaver)
    join(activity, stayer)
    assert client.delete(f"/api/users/{leaver.id}/", headers=headers(make_admin())).status_code == 204
    response = client.get(f"/api/activities/joined_numbers/{activity.id}/", headers=headers(stayer))
    assert response.json == {"number": 1}
    db.session.refresh(activity)
    assert activity.joined_count == 1


def test_deleting_an_organization_owner_is_refused_until_ownership_moves(client):
    admin, owner, heir = make_admin(), make_user(), make_user()
    org = make_org(owner=owner, managers=[heir])
    activity = make_activity(org=org)
    refused = client.delete(f"/api/users/{owner.id}/", headers=headers(admin))
    assert refused.status_code == 409 and org.name in refused.json["detail"]
    assert db.session.get(Activity, activity.id) is not None
    moved = client.post(
        f"/api/organizations/owner/{org.id}/", json={"owner": heir.id}, headers=headers(admin)
    )
    assert moved.status_code in (200, 201), moved.json
    assert client.delete(f"/api/users/{owner.id}/", headers=headers(admin)).status_code == 204
    db.session.expire_all()
    assert db.session.get(Organization, org.id) is not None
    kept = db.session.get(Activity, activity.id)
    assert kept is not None and kept.owner_id == heir.id


def test_deleting_a_user_keeps_organization_activities_and_tells_participants(client):
    admin, owner, leaver = make_admin(), make_user(), make_user()
    org = make_org(owner=owner, managers=[leaver], block_id=CLUB)
    org_activity = make_activity(org=org, owner=leaver)
    own_activity = make_activity(owner=leaver)
    fan, friend = make_user(), make_user()
    join(org_activity, fan)
    join(own_activity, friend)
    own_id = own_activity.id
    assert client.delete(f"/api/users/{leaver.id}/", headers=headers(admin)).status_code == 204
    db.session.expire_all()
    kept = db.session.get(Activity, org_activity.id)
    assert kept is not None and kept.owner_id == owner.id and kept.org_id == org.id
    assert db.session.get(Activity, own_id) is None
    assert texts.ACT_CANCEL in notice_types_of(friend)
    assert texts.ACT_CANCEL not in notice_types_of(fan)
