"""Joining, leaving, participants, counts and relations (docs/api.md §12)."""

from datetime import timedelta

import pytest

from reedsailing.core.timeutil import now
from reedsailing.extensions import db
from reedsailing.models import Activity, Participation
from reedsailing.models.blocks import BOYA, CLUB
from tests.acts_support import all_recipients, notices_of
from tests.factories import headers, join, make_activity, make_admin, make_org, make_user


def _join(client, user, act, person=None):
    body = {"person": person if person is not None else user.id, "act": str(act.id)}
    return client.post("/api/activities/participants/", json=body, headers=headers(user))


def _count(act):
    db.session.expire_all()
    stored = db.session.get(Activity, act.id)
    rows = db.session.query(Participation).filter_by(act_id=act.id).count()
    assert stored.joined_count == rows
    return rows


def test_join_answers_201_and_counts(client):
    user = make_user()
    act = make_activity(contain=2)
    response = _join(client, user, act)
    assert response.status_code == 201
    assert set(response.json) == {"id", "act", "person"}
    assert (response.json["act"], response.json["person"]) == (act.id, user.id)
    assert client.get(f"/api/activities/joined_numbers/{act.id}/", headers=headers(user)).json == {
        "number": 1
    }
    assert _count(act) == 1


def test_duplicate_and_full(client):
    user = make_user()
    act = make_activity(contain=1)
    assert _join(client, user, act).status_code == 201
    response = _join(client, user, act)
    assert response.status_code == 400 and response.json == {"detail": "不可重复加入活动。"}
    response = _join(client, make_user(), act)
    assert response.status_code == 400 and response.json == {"detail": "活动人数已满。"}
    assert _count(act) == 1


def test_cannot_join_ended_or_boya_or_for_someone_else(client):
    user = make_user()
    moment = now()
    ended = make_activity(begin=moment - timedelta(days=2), end=moment - timedelta(days=1))
    response = _join(client, user, ended)
    assert response.status_code == 400 and response.json["detail"]
    boya = make_activity(block_id=BOYA)
    assert _join(client, user, boya).status_code == 400
    act = make_activity()
    other = make_user()
    response = _join(client, user, act, person=other.id)
    assert response.status_code == 403
    assert (
        client.post(
            "/api/activities/participants/", json={"person": 1, "act": act.id}, headers=headers(make_admin())
        ).status_code
        == 403
    )
    response = client.post(
        "/api/activities/participants/", json={"person": user.id, "act": 999999}, headers=headers(user)
    )
    assert response.status_code == 404
    for body in ({}, {"person": user.id}, {"person": "abc", "act": act.id}, {"person": user.id, "act": [1]}):
        response = client.post("/api/activities/participants/", json=body, headers=headers(user))
        assert response.status_code == 400 and response.json["detail"], body
    assert _count(act) == 0 and _count(ended) == 0 and _count(boya) == 0


def test_self_leave_is_quiet(client):
    user = make_user()
    act = make_activity()
    join(act, user)
    path = f"/api/activities/participants/?person={user.id}&act={act.id}&operator={user.id}"
    response = client.delete(path, headers=headers(user))
    assert response.status_code == 200 and response.json == {}
    assert _count(act) == 0
    assert all_recipients() == []
    assert client.delete(path, headers=headers(user)).status_code == 404
    # the place is free again
    assert _join(client, user, act).status_code == 201


def test_manager_removal_tells_only_that_person(client):
    manager = make_user()
    org = make_org(block_id=CLUB, managers=[manager])
    act = make_activity(org=org, name="读书会")
    victim, bystander = make_user(), make_user()
    join(act, victim)
    join(act, bystander)
    path = f"/api/activities/participants/?person={victim.id}&act={act.id}&operator={manager.id}"
    response = client.delete(path, headers=headers(manager))
    assert response.status_code == 200 and response.json == {"__receivers__": [victim.id]}
    assert notices_of(3) == [([victim.id], act.id, "您已被管理员从活动'读书会'中移除\n")]
    assert all_recipients() == [(3, victim.id)]
    assert _count(act) == 1


@pytest.mark.parametrize("who", ["participant", "stranger", "other_org_manager"])
def test_removal_denied(client, who):
    owner = make_user()
    act = make_activity(owner=owner)
    victim = make_user()
    join(act, victim)
    caller = make_user()
    if who == "participant":
        join(act, caller)
    elif who == "other_org_manager":
        make_org(managers=[caller])
    path = f"/api/activities/participants/?person={victim.id}&act={act.id}&operator={caller.id}"
    assert client.delete(path, headers=headers(caller)).status_code == 403
    assert _count(act) == 2 - (who != "participant")


def test_removal_with_forged_operator_or_bad_query(client):
    owner = make_user()
    act = make_activity(owner=owner)
    victim = make_user()
    join(act, victim)
    forged = f"/api/activities/participants/?person={victim.id}&act={act.id}&operator={victim.id}"
    assert client.delete(forged, headers=headers(owner)).status_code == 403
    for query in ("", f"?person={victim.id}", f"?person=x&act={act.id}", f"?person={victim.id}&act=999999"):
        response = client.delete(f"/api/activities/participants/{query}", headers=headers(owner))
        assert response.status_code in (400, 404) and response.json["detail"], query
    # the owner and admins remove without an operator too
    response = client.delete(
        f"/api/activities/participants/?person={victim.id}&act={act.id}", headers=headers(make_admin())
    )
    assert response.status_code == 200 and response.json == {"__receivers__": [victim.id]}


def test_participant_list_for_owner_managers_and_admins_only(client):
    manager = make_user()
    org = make_org(block_id=CLUB, managers=[manager])
    act = make_activity(org=org)
    a, b = make_user(), make_user()
    join(act, a)
    join(act, b)
    for reader in (db.session.get(type(a), org.owner_id), manager, make_admin()):
        response = client.get(f"/api/activities/{act.id}/participants/", headers=headers(reader))
        assert response.status_code == 200
        assert [item["person"]["id"] for item in response.json] == [a.id, b.id]
        person = response.json[0]["person"]
        assert "openid" not in person and person["email"] != a.email and "***@" in person["email"]
    for outsider in (a, make_user()):
        assert (
            client.get(f"/api/activities/{act.id}/participants/", headers=headers(outsider)).status_code
            == 403
        )
    assert client.get("/api/activities/999999/participants/", headers=headers(manager)).status_code == 404


def test_user_act_relation(client):
    owner, manager, member, stranger = make_user(), make_user(), make_user(), make_user()
    org = make_org(owner=owner, block_id=CLUB, managers=[manager])
    act = make_activity(org=org, owner=manager)
    join(act, member)

    def relation(user):
        response = client.post(
            "/api/userActRelation/", json={"user": user.id, "act": str(act.id)}, headers=headers(user)
        )
        assert response.status_code == 200
        return response.json

    assert relation(manager) == {"hasJoined": False, "underReview": False, "isOwner": True, "isManager": True}
    assert relation(owner)["isManager"] is True and relation(owner)["isOwner"] is False
    assert relation(member) == {"hasJoined": True, "underReview": False, "isOwner": False, "isManager": False}
    assert relation(stranger)["isManager"] is False
    assert (
        client.post(
            "/api/userActRelation/", json={"user": owner.id, "act": act.id}, headers=headers(stranger)
        ).status_code
        == 403
    )
    assert (
        client.post(
            "/api/userActRelation/", json={"user": stranger.id, "act": 999999}, headers=headers(stranger)
        ).status_code
        == 404
    )
    assert (
        client.post(
            "/api/userActRelation/", json={"user": stranger.id}, headers=headers(stranger)
        ).status_code
        == 400
    )


def test_joined_numbers_unknown_is_404(client):
    assert (
        client.get("/api/activities/joined_numbers/999999/", headers=headers(make_user())).status_code == 404
    )
