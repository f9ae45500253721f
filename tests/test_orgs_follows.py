"""Following organizations (incl. concurrent follows)."""

import threading

from sqlalchemy import func, select

from reedsailing.extensions import db
from reedsailing.models import Follow
from tests.factories import follow, headers, make_admin, make_org, make_user

FOLLOWS = "/api/users/followed_organizations/"


def test_follow_unfollow_and_duplicate(client):
    user, other = make_user(), make_user()
    org = make_org()
    response = client.post(FOLLOWS, json={"org": str(org.id), "person": user.id}, headers=headers(user))
    assert response.status_code == 201
    assert set(response.json) == {"id", "org", "person"}
    assert (response.json["org"], response.json["person"]) == (org.id, user.id)
    duplicate = client.post(FOLLOWS, json={"org": str(org.id), "person": user.id}, headers=headers(user))
    assert duplicate.status_code == 400
    assert duplicate.json["non_field_errors"] == ["已关注该组织。"]
    assert (
        client.post(FOLLOWS, json={"org": org.id, "person": other.id}, headers=headers(user)).status_code
        == 403
    )
    assert (
        client.post(FOLLOWS, json={"org": 999999, "person": user.id}, headers=headers(user)).status_code
        == 404
    )
    assert client.post(FOLLOWS, json={"person": user.id}, headers=headers(user)).status_code == 400
    assert client.post(FOLLOWS, json={"org": "abc"}, headers=headers(user)).status_code == 400
    assert client.delete(f"{FOLLOWS}?user={user.id}&org={org.id}", headers=headers(other)).status_code == 403
    assert client.delete(f"{FOLLOWS}?user={user.id}&org={org.id}", headers=headers(user)).status_code == 204
    assert client.delete(f"{FOLLOWS}?user={user.id}&org={org.id}", headers=headers(user)).status_code == 204
    # an organization that is gone: 204 like any unfollow (the contract's answer)
    assert client.delete(f"{FOLLOWS}?user={user.id}&org=999999", headers=headers(user)).status_code == 204
    assert client.delete(f"{FOLLOWS}?user={user.id}", headers=headers(user)).status_code == 400
    assert db.session.scalar(select(func.count(Follow.id))) == 0
    admin = make_admin()
    assert (
        client.post(FOLLOWS, json={"org": org.id, "person": other.id}, headers=headers(admin)).status_code
        == 201
    )
    assert client.post(FOLLOWS, json={"org": org.id}, headers=headers(admin)).status_code == 403


def test_concurrent_follows_leave_one_row(app):
    user = make_user()
    org = make_org()
    token_headers = headers(user)
    body = {"org": str(org.id), "person": user.id}
    workers = 8
    barrier = threading.Barrier(workers)
    statuses = []

    def follow_once():
        client = app.test_client()
        barrier.wait()
        response = client.post(FOLLOWS, json=body, headers=token_headers)
        statuses.append((response.status_code, response.json))

    threads = [threading.Thread(target=follow_once) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    codes = sorted(code for code, _ in statuses)
    assert codes == [201] + [400] * (workers - 1), statuses
    assert all(body["non_field_errors"] == ["已关注该组织。"] for code, body in statuses if code == 400)
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Follow.id)).where(Follow.org_id == int(body["org"]))) == 1


def test_followed_orgs_list(client, count_queries):
    user, other = make_user(), make_user()
    for index in range(31):
        follow(make_org(name=f"关注{index}"), user)
    follow(make_org(), other)
    with count_queries() as counter:
        response = client.get(f"{FOLLOWS}{user.id}/", headers=headers(user))
    assert response.status_code == 200 and len(response.json) == 31
    assert counter.count <= 3
    first = response.json[0]
    assert set(first) == {"org"} and first["org"]["name"] == "关注0"
    assert first["org"]["owner"]["id"] and first["org"]["block"] == {"id": 1, "name": "社团"}
    assert client.get(f"{FOLLOWS}{user.id}/", headers=headers(other)).status_code == 403
    assert len(client.get(f"{FOLLOWS}{user.id}", headers=headers(make_admin())).json) == 31
