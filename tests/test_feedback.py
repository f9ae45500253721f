"""Feedback: students send it as themselves; admins list, search, read and delete it."""

from sqlalchemy import func, select

from reedsailing.extensions import db
from reedsailing.models import Feedback
from tests.factories import headers, make_admin, make_user


def test_feedback_is_tied_to_the_caller(client):
    user, other = make_user(), make_user()
    response = client.post(
        "/api/feedbacks/", json={"user": user.id, "content": "很好用\n联系方式：qq"}, headers=headers(user)
    )
    assert response.status_code == 201
    assert set(response.json) == {"id", "content", "pub_time", "user"}
    assert response.json["user"] == user.id
    assert (
        client.post(
            "/api/feedbacks/", json={"user": other.id, "content": "冒名"}, headers=headers(user)
        ).status_code
        == 403
    )
    assert (
        client.post("/api/feedbacks/", json={"content": "无 user 字段"}, headers=headers(user)).json["user"]
        == user.id
    )
    for bad in ({}, {"content": ""}, {"content": "x" * 501}, {"content": 5}):
        answer = client.post("/api/feedbacks/", json=bad, headers=headers(user))
        assert answer.status_code == 400 and answer.json["detail"]
    assert (
        client.post("/api/feedbacks/", json={"content": "admin"}, headers=headers(make_admin())).status_code
        == 403
    )
    assert db.session.scalar(select(func.count(Feedback.id))) == 2


def test_admins_list_search_read_and_delete_feedback(client, count_queries):
    admin = make_admin()
    users = [make_user() for _ in range(3)]
    for index in range(30):
        db.session.add(
            Feedback(content=f"反馈{index} {'bug' if index % 3 == 0 else 'ok'}", user_id=users[index % 3].id)
        )
    db.session.commit()
    with count_queries() as counter:
        listed = client.get("/api/feedbacks/", headers=headers(admin))
    assert listed.status_code == 200 and len(listed.json) == 30 and counter.count <= 2
    assert set(listed.json[0]) == {"id", "content", "pub_time", "user"}
    with count_queries() as counter:
        found = client.get("/api/feedbacks/search/?content=BUG", headers=headers(admin))
    assert found.status_code == 200 and len(found.json) == 10 and counter.count <= 2
    assert found.json[0]["user"] == users[0].id  # a plain value: the console's table shows it as is
    by_user = client.get(f"/api/feedbacks/search/?content=bug&user={users[0].id}", headers=headers(admin))
    assert len(by_user.json) == 10
    assert len(client.get(f"/api/feedbacks/user/{users[1].id}/search/", headers=headers(admin)).json) == 10
    assert client.get("/api/feedbacks/search/?user=x", headers=headers(admin)).status_code == 400
    one_id = listed.json[0]["id"]
    assert client.get(f"/api/feedbacks/{one_id}/", headers=headers(admin)).json == listed.json[0]
    for url in ("/api/feedbacks/", "/api/feedbacks/search/?content=a", f"/api/feedbacks/{one_id}/"):
        assert client.get(url, headers=headers(users[0])).status_code == 403
    assert client.delete(f"/api/feedbacks/{one_id}/", headers=headers(users[0])).status_code == 403
    assert client.delete(f"/api/feedbacks/{one_id}/", headers=headers(admin)).status_code == 204
    assert client.get(f"/api/feedbacks/{one_id}/", headers=headers(admin)).status_code == 404
    assert client.delete(f"/api/feedbacks/{one_id}/", headers=headers(admin)).status_code == 404
