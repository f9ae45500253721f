"""Notices over REST: `PUT /api/notifications/read/<uid>/` and `GET /api/notifications/`."""

import pytest

from reedsailing.extensions import db
from reedsailing.messages import texts
from reedsailing.messages.services import notify
from reedsailing.models import Delivery
from tests.factories import headers, make_activity, make_admin, make_user


def tell(user_ids, notice_type=texts.ACT_STARTING, **kwargs):
    if "act" not in kwargs:
        kwargs.setdefault("act_id", None)
    notice = notify(notice_type, user_ids, **kwargs)
    db.session.commit()
    return notice


def unread_ids(user):
    return {d.notice_id for d in db.session.query(Delivery).filter_by(user_id=user.id, read=False)}


def put_read(client, uid, body, principal):
    return client.put(f"/api/notifications/read/{uid}/", json=body, headers=headers(principal))


# --- PUT /api/notifications/read/<uid>/ ---------------------------------------------------


def test_read_marks_callers_notices_and_answers_empty_object(client):
    alice, bob = make_user(), make_user()
    mine, shared, theirs = tell([alice.id]), tell([alice.id, bob.id]), tell([bob.id])

    response = put_read(
        client, alice.id, {"notifications": [mine.id, str(shared.id), theirs.id, 999999]}, alice
    )

    assert response.status_code == 200
    assert response.get_json() == {}
    assert unread_ids(alice) == set()
    assert unread_ids(bob) == {shared.id, theirs.id}
    again = put_read(client, alice.id, {"notifications": [mine.id]}, alice)  # the app re-sends read ids
    assert again.status_code == 200 and again.get_json() == {}


def test_read_for_another_uid_is_forbidden(client):
    alice, bob = make_user(), make_user()
    notice = tell([bob.id])
    response = put_read(client, bob.id, {"notifications": [notice.id]}, alice)
    assert response.status_code == 403
    assert response.json["detail"]
    assert unread_ids(bob) == {notice.id}


def test_read_needs_a_student_token(client):
    user = make_user()
    notice = tell([user.id])
    anonymous = client.put(f"/api/notifications/read/{user.id}/", json={"notifications": [notice.id]})
    assert anonymous.status_code == 401
    assert put_read(client, user.id, {"notifications": [notice.id]}, make_admin()).status_code == 403
    assert unread_ids(user) == {notice.id}


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"notifications": None},
        {"notifications": "1,2"},
        {"notifications": [1, "x"]},
        {"notifications": [0]},
        {"notifications": [2**40]},
        {"notifications": [{"id": 1}]},
        {"notifications": list(range(1, 5002))},
        [1, 2],
        "not json",
    ],
)
def test_read_with_malformed_body_is_400(client, body):
    user = make_user()
    notice = tell([user.id])
    if body == "not json":
        response = client.put(
            f"/api/notifications/read/{user.id}/",
            data="{nope",
            content_type="application/json",
            headers=headers(user),
        )
    else:
        response = put_read(client, user.id, body, user)
    assert response.status_code == 400
    assert response.json["detail"]
    assert unread_ids(user) == {notice.id}


def test_read_of_unknown_path_uid_is_403_not_500(client):
    user = make_user()
    assert put_read(client, 2**31 - 1, {"notifications": [1]}, user).status_code == 403
    assert put_read(client, 2**40, {"notifications": [1]}, user).status_code == 403


# --- GET /api/notifications/ ---------------------------------------------------


def test_list_shows_callers_notices_newest_first_with_read_state(client):
    user, other = make_user(), make_user()
    activity = make_activity(name="篮球赛")
    first = tell([user.id], texts.ACT_CONTENT, activity=activity)
    second = tell([user.id, other.id])
    tell([other.id])
    put_read(client, user.id, {"notifications": [first.id]}, user)

    response = client.get("/api/notifications/", headers=headers(user))

    assert response.status_code == 200
    assert response.json == [
        {
            "id": second.id,
            "type": 11,
            "time": second.time.strftime("%Y-%m-%dT%H:%M:%S"),
            "content": "您参与的活动''即将开始，请准时参加\n",
            "act": None,
            "org": None,
            "read": False,
        },
        {
            "id": first.id,
            "type": 1,
            "time": first.time.strftime("%Y-%m-%dT%H:%M:%S"),
            "content": "您参与的活动'篮球赛'内容发生了改变，请及时查看\n",
            "act": activity.id,
            "org": None,
            "read": True,
        },
    ]


def test_list_unread_filter_and_paging(client):
    user = make_user()
    notices = [tell([user.id]) for _ in range(5)]
    put_read(client, user.id, {"notifications": [notices[4].id, notices[2].id]}, user)

    def ids(query):
        response = client.get(f"/api/notifications/{query}", headers=headers(user))
        assert response.status_code == 200
        return [n["id"] for n in response.json]

    newest_first = [n.id for n in reversed(notices)]
    assert ids("") == newest_first
    assert ids("?unread=1") == [notices[3].id, notices[1].id, notices[0].id]
    assert ids("?unread=true&limit=2") == [notices[3].id, notices[1].id]
    assert ids("?unread=1&limit=2&offset=2") == [notices[0].id]
    assert ids("?unread=0&limit=2&offset=1") == newest_first[1:3]


@pytest.mark.parametrize("query", ["?limit=0", "?limit=x", "?offset=-1", "?unread=maybe"])
def test_list_with_bad_query_is_400(client, query):
    user = make_user()
    response = client.get(f"/api/notifications/{query}", headers=headers(user))
    assert response.status_code == 400
    assert response.json["detail"]


def test_list_needs_a_student(client):
    assert client.get("/api/notifications/").status_code == 401
    assert client.get("/api/notifications/", headers=headers(make_admin())).status_code == 403


def test_list_is_constant_queries(client, count_queries):
    user = make_user()
    tell([user.id])
    with count_queries() as few:
        assert len(client.get("/api/notifications/", headers=headers(user)).json) == 1
    for _ in range(40):
        tell([user.id])
    with count_queries() as many:
        assert len(client.get("/api/notifications/", headers=headers(user)).json) == 41
    assert many.count == few.count <= 2


def test_old_debug_routes_are_gone(client):
    user = make_user()
    for path in ("/api/test/notifications/", "/api/test/read/notifications/"):
        assert client.get(path, headers=headers(user)).status_code in (404, 405)
        assert client.post(path, json={"type": 1, "content": "x"}, headers=headers(user)).status_code in (
            404,
            405,
        )
