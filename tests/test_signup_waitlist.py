"""The waiting list and join approval (docs/signup.md, docs/api.md §21)."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from reedsailing.core.timeutil import now
from reedsailing.extensions import db
from reedsailing.models import Activity, JoinRequest, Participation
from reedsailing.models.blocks import CLUB
from tests.acts_support import fmt, notices_of
from tests.factories import headers, join, make_activity, make_address, make_admin, make_org, make_user
from tests.support.realtime import connect, events

JOIN = "/api/activities/participants/"


def _join(client, user, act, **extra):
    return client.post(JOIN, json={"person": user.id, "act": act.id, **extra}, headers=headers(user))


def _leave(client, caller, act, person):
    return client.delete(f"{JOIN}?person={person.id}&act={act.id}", headers=headers(caller))


def _state(act):
    """(participant ids in join order, waiting ids in order, pending ids), checking the count."""
    db.session.expire_all()
    joined = list(
        db.session.scalars(
            select(Participation.user_id).where(Participation.act_id == act.id).order_by(Participation.id)
        )
    )
    assert db.session.get(Activity, act.id).joined_count == len(joined)

    def of(state):
        return list(
            db.session.scalars(
                select(JoinRequest.user_id)
                .where(JoinRequest.act_id == act.id, JoinRequest.state == state)
                .order_by(JoinRequest.id)
            )
        )

    waiting = of("waiting")
    assert not set(joined) & set(waiting), "a student both joined and waiting"
    return joined, waiting, of("pending")


def _full(contain=1):
    act = make_activity(contain=contain)
    for _ in range(contain):
        join(act, make_user())
    return act


# ---- the waiting list ---------------------------------------------------------------


def test_full_activity_answers_as_before_without_opt_in(client):
    act = _full()
    response = _join(client, make_user(), act)
    assert (response.status_code, response.json) == (400, {"detail": "活动人数已满。"})
    response = _join(client, make_user(), act, waitlist=False)
    assert (response.status_code, response.json) == (400, {"detail": "活动人数已满。"})
    assert _state(act)[1] == []


def test_opt_in_puts_the_student_in_line_with_a_position(client):
    act = _full()
    first, second = make_user(), make_user()
    response = _join(client, first, act, waitlist=True)
    assert (response.status_code, response.json) == (
        202,
        {"act": act.id, "person": first.id, "state": "waiting", "position": 1},
    )
    assert _join(client, second, act, waitlist=True).json["position"] == 2
    mine = client.get(f"/api/activities/{act.id}/signup/", headers=headers(second))
    assert mine.json == {"state": "waiting", "position": 2}
    again = _join(client, second, act, waitlist=True)
    assert (again.status_code, again.json) == (400, {"detail": "您已在该活动的候补名单中。"})
    assert _state(act)[1] == [first.id, second.id]


def test_opt_in_with_a_free_place_simply_joins(client):
    act = make_activity(contain=2)
    user = make_user()
    response = _join(client, user, act, waitlist=True)
    assert response.status_code == 201 and set(response.json) == {"id", "act", "person"}
    assert _state(act) == ([user.id], [], [])


def test_leave_admits_the_first_in_line_and_tells_them(app, client):
    act = _full(contain=2)
    leaver = db.session.get(Participation, db.session.scalar(select(Participation.id).limit(1))).user_id
    first, second = make_user(), make_user()
    _join(client, first, act, waitlist=True)
    _join(client, second, act, waitlist=True)
    sio = connect(app, client, first)
    sio.get_received()
    from reedsailing.models import User

    response = _leave(client, db.session.get(User, leaver), act, db.session.get(User, leaver))
    assert response.status_code == 200 and response.json == {"__receivers__": [first.id]}
    joined, waiting, _ = _state(act)
    assert first.id in joined and leaver not in joined and waiting == [second.id]
    pushed = events(sio, "notification")
    assert [(n["type"], n["act"]) for n in pushed] == [(12, act.id)]
    assert pushed[0]["content"] == f"您已从候补名单中递补加入活动'{act.name}'，请准时参加\n"
    assert client.get(f"/api/activities/{act.id}/signup/", headers=headers(second)).json == {
        "state": "waiting",
        "position": 1,
    }
    assert client.get(f"/api/activities/{act.id}/signup/", headers=headers(first)).json == {
        "state": "joined",
        "position": None,
    }


def test_leave_without_a_waiting_list_answers_as_before(client):
    act = make_activity(contain=3)
    user = make_user()
    join(act, user)
    response = _leave(client, user, act, user)
    assert (response.status_code, response.json) == (200, {})


def test_removal_admits_and_both_are_receivers(client):
    owner = make_user()
    act = make_activity(owner=owner, contain=1)
    removed, waiting = make_user(), make_user()
    join(act, removed)
    _join(client, waiting, act, waitlist=True)
    response = _leave(client, owner, act, removed)
    assert response.status_code == 200
    assert sorted(response.json["__receivers__"]) == sorted([removed.id, waiting.id])
    assert _state(act) == ([waiting.id], [], [])
    assert [n[0] for n in notices_of(3)] == [[removed.id]]
    assert [n[0] for n in notices_of(12)] == [[waiting.id]]


def test_raising_capacity_admits_as_many_as_new_places(client):
    owner = make_user()
    act = make_activity(owner=owner, contain=1)
    join(act, make_user())
    line = [make_user() for _ in range(4)]
    for student in line:
        assert _join(client, student, act, waitlist=True).status_code == 202
    body = {
        "name": act.name,
        "begin_time": fmt(act.begin_time),
        "end_time": fmt(act.end_time),
        "contain": 3,
        "location": make_address().id,
    }
    response = client.put(f"/api/activities/{act.id}/", json=body, headers=headers(owner))
    assert response.status_code == 200, response.json
    joined, waiting, _ = _state(act)
    assert joined[1:] == [line[0].id, line[1].id] and waiting == [line[2].id, line[3].id]
    assert notices_of(12)[0][0] == sorted([line[0].id, line[1].id])


def test_student_leaves_the_list(client):
    act = _full()
    first, second = make_user(), make_user()
    _join(client, first, act, waitlist=True)
    _join(client, second, act, waitlist=True)
    assert client.delete(f"/api/activities/{act.id}/signup/", headers=headers(first)).status_code == 204
    assert _state(act)[1] == [second.id]
    again = client.delete(f"/api/activities/{act.id}/signup/", headers=headers(first))
    assert again.status_code == 404
    assert client.get(f"/api/activities/{act.id}/signup/", headers=headers(first)).json["state"] == "none"


def test_waiting_list_is_for_organizers_only(client):
    manager = make_user()
    org = make_org(block_id=CLUB, managers=[manager])
    act = make_activity(org=org, contain=1)
    join(act, make_user())
    student = make_user(name="排队的人")
    _join(client, student, act, waitlist=True)
    for caller in (manager, make_admin()):
        response = client.get(f"/api/activities/{act.id}/waitlist/", headers=headers(caller))
        assert response.status_code == 200
        assert [(e["position"], e["person"]["name"]) for e in response.json] == [(1, "排队的人")]
        assert "***@" in response.json[0]["person"]["email"]
    assert client.get(f"/api/activities/{act.id}/waitlist/", headers=headers(student)).status_code == 403
    assert client.get(f"/api/activities/{act.id}/waitlist/").status_code == 401
    assert client.get("/api/activities/999999/waitlist/", headers=headers(manager)).status_code == 404


def test_signup_state_needs_a_student_and_an_activity(client):
    assert client.get("/api/activities/1/signup/").status_code == 401
    assert client.get("/api/activities/999999/signup/", headers=headers(make_user())).status_code == 404
    assert client.get("/api/activities/1/signup/", headers=headers(make_admin())).status_code in (401, 403)


@pytest.mark.parametrize("flag", ["maybe", 3, [1]])
def test_waitlist_flag_must_be_a_boolean(client, flag):
    act = _full()
    response = _join(client, make_user(), act, waitlist=flag)
    assert response.status_code == 400 and "waitlist" in response.json


def test_ended_activity_has_no_waiting_list(client):
    act = make_activity(contain=1, begin=now() - timedelta(hours=3), end=now() - timedelta(hours=1))
    response = _join(client, make_user(), act, waitlist=True)
    assert (response.status_code, response.json) == (400, {"detail": "活动已结束，不能加入。"})


# ---- join approval --------------------------------------------------------------------


def test_review_turns_a_join_into_a_request(client):
    act = make_activity(review=True, contain=5)
    student = make_user()
    response = _join(client, student, act)
    assert (response.status_code, response.json) == (
        202,
        {"act": act.id, "person": student.id, "state": "pending", "position": None},
    )
    assert _state(act) == ([], [], [student.id])
    relation = client.post(
        "/api/userActRelation/", json={"user": student.id, "act": act.id}, headers=headers(student)
    )
    assert relation.json["underReview"] is True and relation.json["hasJoined"] is False
    again = _join(client, student, act)
    assert (again.status_code, again.json) == (400, {"detail": "您加入该活动的申请正在审核中。"})


def test_owner_approves_and_the_student_joins(client):
    owner = make_user()
    act = make_activity(owner=owner, review=True, contain=5)
    student = make_user()
    _join(client, student, act)
    listed = client.get(f"/api/activities/{act.id}/requests/", headers=headers(owner))
    assert [r["person"]["id"] for r in listed.json] == [student.id]
    response = client.post(f"/api/activities/{act.id}/requests/{student.id}/approve/", headers=headers(owner))
    assert (response.status_code, response.json) == (200, {"__receivers__": [student.id]})
    assert _state(act) == ([student.id], [], [])
    assert notices_of(13) == [([student.id], act.id, f"您加入活动'{act.name}'的申请已经通过\n")]
    twice = client.post(f"/api/activities/{act.id}/requests/{student.id}/approve/", headers=headers(owner))
    assert twice.status_code == 404


def test_capacity_counts_approved_participants_only(client):
    owner = make_user()
    act = make_activity(owner=owner, review=True, contain=1)
    a, b = make_user(), make_user()
    assert _join(client, a, act).status_code == 202
    assert _join(client, b, act).status_code == 202  # requests do not take places
    assert (
        client.post(f"/api/activities/{act.id}/requests/{a.id}/approve/", headers=headers(owner)).status_code
        == 200
    )
    full = client.post(f"/api/activities/{act.id}/requests/{b.id}/approve/", headers=headers(owner))
    assert (full.status_code, full.json) == (400, {"detail": "活动人数已满。"})
    assert _state(act) == ([a.id], [], [b.id])


def test_decline_blocks_a_new_request_unless_allowed(client):
    owner = make_user()
    act = make_activity(owner=owner, review=True)
    student, other = make_user(), make_user()
    _join(client, student, act)
    _join(client, other, act)
    response = client.post(
        f"/api/activities/{act.id}/requests/{student.id}/decline/", json={}, headers=headers(owner)
    )
    assert (response.status_code, response.json) == (200, {"__receivers__": [student.id]})
    assert notices_of(14)[0][2] == f"您加入活动'{act.name}'的申请被拒绝了\n"
    blocked = _join(client, student, act)
    assert (blocked.status_code, blocked.json) == (400, {"detail": "您加入该活动的申请已被拒绝。"})
    assert (
        client.get(f"/api/activities/{act.id}/signup/", headers=headers(student)).json["state"] == "declined"
    )
    assert client.delete(f"/api/activities/{act.id}/signup/", headers=headers(student)).status_code == 404
    # the organizer forgets the decline: the student may ask again
    assert (
        client.delete(f"/api/activities/{act.id}/requests/{student.id}/", headers=headers(owner)).status_code
        == 204
    )
    assert _join(client, student, act).status_code == 202
    # a decline with allowAgain leaves nothing behind
    response = client.post(
        f"/api/activities/{act.id}/requests/{other.id}/decline/",
        json={"allowAgain": True},
        headers=headers(owner),
    )
    assert response.status_code == 200
    assert _join(client, other, act).status_code == 202


def test_request_routes_are_for_organizers_only(client):
    owner = make_user()
    act = make_activity(owner=owner, review=True)
    student = make_user()
    _join(client, student, act)
    for path in (f"requests/{student.id}/approve/", f"requests/{student.id}/decline/"):
        response = client.post(f"/api/activities/{act.id}/{path}", json={}, headers=headers(student))
        assert response.status_code == 403
    assert client.get(f"/api/activities/{act.id}/requests/", headers=headers(student)).status_code == 403
    assert client.post(f"/api/activities/{act.id}/requests/{student.id}/approve/").status_code == 401
    missing = client.post(f"/api/activities/{act.id}/requests/999999/approve/", headers=headers(owner))
    assert missing.status_code == 404
    bad = client.post(
        f"/api/activities/{act.id}/requests/{student.id}/decline/",
        json={"allowAgain": "maybe"},
        headers=headers(owner),
    )
    assert bad.status_code == 400 and "allowAgain" in bad.json
    assert (
        client.post(
            f"/api/activities/{act.id}/requests/{student.id}/approve/", headers=headers(make_admin())
        ).status_code
        == 200
    )


def test_student_takes_back_a_request(client):
    act = make_activity(review=True)
    student = make_user()
    _join(client, student, act)
    assert client.delete(f"/api/activities/{act.id}/signup/", headers=headers(student)).status_code == 204
    assert _state(act) == ([], [], [])


def test_publish_and_edit_accept_review(client):
    owner = make_user()
    body = {
        "name": "需要审核的活动",
        "begin_time": fmt(now() + timedelta(days=2)),
        "end_time": fmt(now() + timedelta(days=2, hours=2)),
        "contain": 10,
        "location": make_address().id,
        "block": 5,
        "review": True,
    }
    created = client.post("/api/activities/", json=body, headers=headers(owner))
    assert created.status_code in (200, 201), created.json
    act_id = created.json["id"]
    assert db.session.get(Activity, act_id).review is True
    edit = {key: value for key, value in body.items() if key != "block"} | {"review": False}
    assert client.put(f"/api/activities/{act_id}/", json=edit, headers=headers(owner)).status_code == 200
    db.session.expire_all()
    assert db.session.get(Activity, act_id).review is False
    # an edit that does not send review keeps it
    db.session.get(Activity, act_id).review = True
    db.session.commit()
    edit.pop("review")
    assert client.put(f"/api/activities/{act_id}/", json=edit, headers=headers(owner)).status_code == 200
    db.session.expire_all()
    assert db.session.get(Activity, act_id).review is True


def test_the_api_document_lists_the_new_routes(client):
    spec = client.get("/apispec_1.json").json
    paths = spec["paths"]
    join_answers = paths["/api/activities/participants/"]["post"]["responses"]
    assert {"201", "202", "400"} <= set(join_answers)
    assert "waitlist" in spec["components"]["schemas"]["JoinBody"]["properties"]
    for path, method in [
        ("/api/activities/{activity_id}/signup/", "get"),
        ("/api/activities/{activity_id}/signup/", "delete"),
        ("/api/activities/{activity_id}/waitlist/", "get"),
        ("/api/activities/{activity_id}/requests/", "get"),
        ("/api/activities/{activity_id}/requests/{person_id}/approve/", "post"),
        ("/api/activities/{activity_id}/requests/{person_id}/decline/", "post"),
        ("/api/activities/{activity_id}/checkin/open/", "post"),
        ("/api/activities/{activity_id}/checkin/", "post"),
        ("/api/activities/{activity_id}/attendance/{person_id}/", "put"),
        ("/api/charts/attendance_rates/", "get"),
    ]:
        assert {"401", "403"} <= set(paths[path][method]["responses"]), path
    qr = paths["/api/activities/{activity_id}/checkin/qrcode/"]["get"]["responses"]["200"]
    assert list(qr["content"]) == ["image/png"]
    sheet = paths["/api/activities/{activity_id}/sheet/"]["get"]["responses"]["200"]
    assert "text/csv" in sheet["content"] and any("spreadsheetml" in media for media in sheet["content"])
