"""Comments and scores (docs/api.md §13)."""

import pytest

from reedsailing.extensions import db
from reedsailing.models import Comment
from reedsailing.models.blocks import BOYA, CLUB
from tests.acts_support import all_recipients, notices_of
from tests.factories import headers, join, make_activity, make_admin, make_comment, make_org, make_user


def _post(client, caller, activity, **fields):
    body = {"user": caller.id, "content": "很不错", "act": str(activity.id), "score": 4.5, **fields}
    return client.post("/api/activities/comments/", json=body, headers=headers(caller))


def test_participant_comments_and_owner_gets_notice_5(client):
    owner = make_user()
    act = make_activity(owner=owner, name="读书会")
    author = make_user(name="小王")
    join(act, author)
    other_participant = make_user()
    join(act, other_participant)
    response = _post(client, author, act)
    assert response.status_code == 201
    body = response.json
    assert body["__receivers__"] == [owner.id]
    assert (body["act"], body["user"], body["content"]) == (act.id, author.id, "很不错")
    assert float(body["score"]) == 4.5 and "T" in body["pub_time"]
    assert notices_of(5) == [([owner.id], act.id, "用户'小王'评论了您管理的活动'读书会'：\n很不错\n")]
    assert all_recipients() == [(5, owner.id)]


def test_one_comment_per_user_and_activity(client):
    act = make_activity()
    author = make_user()
    join(act, author)
    assert _post(client, author, act).status_code == 201
    response = _post(client, author, act, content="再来一条")
    assert response.status_code == 400 and response.json["detail"]
    assert db.session.query(Comment).count() == 1


def test_only_participants_comment_except_boya(client):
    outsider = make_user()
    act = make_activity()
    assert _post(client, outsider, act).status_code == 403
    boya = make_activity(block_id=BOYA)
    response = _post(client, outsider, boya)
    assert response.status_code == 201
    assert "__receivers__" not in response.json
    assert notices_of(5) == []
    unverified = make_user(verified=False)
    assert _post(client, unverified, make_activity(block_id=BOYA)).status_code == 403
    assert _post(client, outsider, act, user=make_user().id).status_code == 403
    assert (
        client.post(
            "/api/activities/comments/", json={"act": act.id, "score": 1}, headers=headers(make_admin())
        ).status_code
        == 403
    )


@pytest.mark.parametrize("score", [5.5, -0.5, 4.3, "abc", "NaN", [], True, "1e3"])
def test_score_must_be_half_steps_between_0_and_5(client, score):
    act = make_activity()
    author = make_user()
    join(act, author)
    response = _post(client, author, act, score=score)
    assert response.status_code == 400 and "score" in response.json


@pytest.mark.parametrize("score, stored", [(0, "0.0"), ("3.5", "3.5"), (5, "5.0"), ("2", "2.0")])
def test_score_accepts_numbers_and_strings(client, score, stored):
    act = make_activity()
    author = make_user()
    join(act, author)
    response = _post(client, author, act, score=score)
    assert response.status_code == 201 and response.json["score"] == stored


def test_malformed_comment(client):
    act = make_activity()
    author = make_user()
    join(act, author)
    for fields in ({"content": "长" * 501}, {"act": "x"}, {"act": 999999}, {"content": 5}):
        response = _post(client, author, act, **fields)
        assert response.status_code in (400, 404) and response.json["detail"], fields


def test_read_by_id_including_the_double_slash_path(client):
    act = make_activity()
    author = make_user()
    comment = make_comment(act, author, content="好", score="3.5")
    for path in (f"/api/activities/comments/{comment.id}/", f"/api//activities/comments/{comment.id}/"):
        response = client.get(path, headers=headers(author))
        assert response.status_code == 200
        assert response.json["content"] == "好" and float(response.json["score"]) == 3.5
    assert client.get("/api//activities/comments/999999/", headers=headers(author)).status_code == 404


def test_edit_by_author_tells_owner_notice_10(client):
    owner = make_user()
    act = make_activity(owner=owner, name="读书会")
    author = make_user(name="小李")
    comment = make_comment(act, author)
    response = client.put(
        f"/api/activities/comments/{comment.id}/",
        json={"content": "改了", "score": 2},
        headers=headers(author),
    )
    assert response.status_code == 200
    assert response.json["content"] == "改了" and float(response.json["score"]) == 2
    assert response.json["__receivers__"] == [owner.id]
    assert notices_of(10) == [([owner.id], act.id, "用户'小李'在您管理的活动'读书会'中修改了评论：\n改了\n")]
    assert all_recipients() == [(10, owner.id)]
    boya_comment = make_comment(make_activity(block_id=BOYA), author)
    response = client.put(
        f"/api/activities/comments/{boya_comment.id}/",
        json={"content": "x", "score": 1},
        headers=headers(author),
    )
    assert response.status_code == 200 and "__receivers__" not in response.json
    assert len(notices_of(10)) == 1


def test_edit_denied_to_others_and_malformed(client):
    owner = make_user()
    act = make_activity(owner=owner)
    author = make_user()
    comment = make_comment(act, author)
    for someone in (owner, make_user()):
        response = client.put(
            f"/api/activities/comments/{comment.id}/", json={"content": "x"}, headers=headers(someone)
        )
        assert response.status_code == 403
    response = client.put(
        f"/api/activities/comments/{comment.id}/", json={"score": 9}, headers=headers(author)
    )
    assert response.status_code == 400
    assert (
        client.put("/api/activities/comments/999999/", json={"score": 1}, headers=headers(author)).status_code
        == 404
    )
    assert notices_of(10) == []


def test_delete_roles(client):
    owner = make_user()
    manager = make_user()
    # The publisher of an organization's activity manages it while a manager (README "Security").
    org = make_org(block_id=CLUB, managers=[manager, owner])
    act = make_activity(org=org, owner=owner)
    comments = [make_comment(act, make_user()) for _ in range(4)]
    stranger = make_user()
    assert (
        client.delete(f"/api/activities/comments/{comments[0].id}/", headers=headers(stranger)).status_code
        == 403
    )
    author = db.session.get(type(stranger), comments[0].user_id)
    assert (
        client.delete(f"/api/activities/comments/{comments[0].id}/", headers=headers(author)).status_code
        == 204
    )
    assert (
        client.delete(f"/api/activities/comments/{comments[1].id}/", headers=headers(owner)).status_code
        == 204
    )
    assert (
        client.delete(f"/api/activities/comments/{comments[2].id}/", headers=headers(manager)).status_code
        == 204
    )
    assert (
        client.delete(
            f"/api/activities/comments/{comments[3].id}/", headers=headers(make_admin())
        ).status_code
        == 204
    )
    assert (
        client.delete(f"/api/activities/comments/{comments[3].id}/", headers=headers(owner)).status_code
        == 404
    )
    assert db.session.query(Comment).count() == 0


def test_activity_comment_list_shows_authors(client):
    act = make_activity()
    a = make_user(name="甲")
    make_comment(act, a, content="一")
    make_comment(act, make_user(name="乙"), content="二", score="0")
    make_comment(make_activity(), a)
    response = client.get(f"/api/activities/{act.id}/comments/", headers=headers(a))
    assert response.status_code == 200
    assert [c["content"] for c in response.json] == ["一", "二"]
    first = response.json[0]
    assert set(first) == {"id", "content", "score", "pub_time", "act", "user"}
    assert (
        first["user"]["name"] == "甲" and "openid" not in first["user"] and "***@" in first["user"]["email"]
    )
    assert client.get("/api/activities/999999/comments/", headers=headers(a)).status_code == 404


def test_user_comment_lookup(client):
    act = make_activity()
    a = make_user()
    comment = make_comment(act, a)
    response = client.get(f"/api/activities/{act.id}/users/{a.id}/comments", headers=headers(a))
    assert response.status_code == 200 and response.json["id"] == comment.id
    response = client.get(f"/api/activities/{act.id}/users/{make_user().id}/comments/", headers=headers(a))
    assert response.status_code == 404 and response.json["id"] == -1


def test_console_list_and_search_are_admin_only(client):
    admin = make_admin()
    act = make_activity()
    make_comment(act, make_user(), content="Great 50%")
    make_comment(act, make_user(), content="一般")
    response = client.get("/api/activities/comments/", headers=headers(admin))
    assert response.status_code == 200 and len(response.json) == 2
    assert response.json[0]["act"]["id"] == act.id and response.json[0]["user"]["id"]
    found = client.get("/api/activities/comments/search/?query=great", headers=headers(admin)).json
    assert [c["content"] for c in found] == ["Great 50%"]
    found = client.post(
        "/api/activities/comments/search/", json={"query": "50%"}, headers=headers(admin)
    ).json
    assert [c["content"] for c in found] == ["Great 50%"]
    assert client.get("/api/activities/comments/search/", headers=headers(admin)).status_code == 400
    student = make_user()
    assert client.get("/api/activities/comments/", headers=headers(student)).status_code == 403
    assert client.get("/api/activities/comments/search/?query=a", headers=headers(student)).status_code == 403
