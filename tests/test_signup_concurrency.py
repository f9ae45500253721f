"""The waiting list under load, against a real server process (`python wsgi.py`,
eventlet) sharing this test's database (the SQLite file, or the MariaDB of
DATABASE_URL): never over capacity, never two promotions for one place, never a
student both waiting and joined (docs/signup.md)."""

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import func, insert, select

from reedsailing.extensions import db
from reedsailing.models import Activity, Delivery, JoinRequest, Notice, Participation, User
from reedsailing.security import auth
from tests.factories import make_activity

JOIN = "/api/activities/participants/"


def _students(prefix, n):
    db.session.execute(
        insert(User),
        [
            {"openid": f"{prefix}-{i}", "name": f"{prefix}{i}", "email": f"{prefix}{i}@buaa.edu.cn"}
            for i in range(n)
        ],
    )
    db.session.commit()
    users = db.session.scalars(select(User).where(User.openid.like(f"{prefix}-%")).order_by(User.id)).all()
    return [(user.id, auth.issue_user_token(user)) for user in users]


def _queue(running, act_id, job):
    """`waitlist: true` join of one student: (status, answer)."""
    user_id, token = job
    response = requests.post(
        f"{running.url}{JOIN}",
        json={"person": user_id, "act": act_id, "waitlist": True},
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )
    return response.status_code, response.json()


def _rows(act_id):
    db.session.expire_all()
    joined = set(db.session.scalars(select(Participation.user_id).where(Participation.act_id == act_id)))
    waiting = list(
        db.session.scalars(
            select(JoinRequest.user_id)
            .where(JoinRequest.act_id == act_id, JoinRequest.state == "waiting")
            .order_by(JoinRequest.id)
        )
    )
    activity = db.session.get(Activity, act_id)
    assert activity.joined_count == len(joined) <= activity.contain
    assert not joined & set(waiting)
    assert len(set(waiting)) == len(waiting)
    return joined, waiting


@pytest.mark.slow
def test_200_concurrent_joins_fill_the_places_and_queue_the_rest(server):
    act_id = make_activity(contain=50).id
    jobs = _students("line", 200)

    with ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(lambda job: _queue(server, act_id, job), jobs))

    assert sorted({status for status, _ in results}) == [201, 202]
    created = [body["person"] for status, body in results if status == 201]
    queued = [body for status, body in results if status == 202]
    assert len(created) == 50 and len(queued) == 150
    assert sorted(body["position"] for body in queued) == list(range(1, 151))
    joined, waiting = _rows(act_id)
    assert joined == set(created)
    # the answered positions are the stored order
    assert [body["person"] for body in sorted(queued, key=lambda body: body["position"])] == waiting


@pytest.mark.slow
def test_concurrent_leaves_promote_exactly_as_many_as_left(server):
    act_id = make_activity(contain=30).id
    members = _students("member", 30)
    line = _students("waiter", 40)
    late = _students("late", 20)
    db.session.execute(insert(Participation), [{"act_id": act_id, "user_id": uid} for uid, _ in members])
    db.session.execute(
        insert(JoinRequest), [{"act_id": act_id, "user_id": uid, "state": "waiting"} for uid, _ in line]
    )
    db.session.get(Activity, act_id).joined_count = 30
    db.session.commit()
    leavers = members[:20]

    def leave(job):
        user_id, token = job
        response = requests.delete(
            f"{server.url}{JOIN}?person={user_id}&act={act_id}",
            headers={"Authorization": f"Bearer {token}"},
            timeout=60,
        )
        return "leave", response.status_code, response.json()

    def join_late(job):
        return "join", *_queue(server, act_id, job)

    with ThreadPoolExecutor(max_workers=40) as pool:
        futures = [pool.submit(leave, job) for job in leavers] + [pool.submit(join_late, job) for job in late]
        results = [future.result() for future in futures]

    assert all(status == 200 for kind, status, _ in results if kind == "leave"), results
    # A late joiner either found a place freed with nobody waiting (never here: 40 wait)
    # or queued behind the original line.
    assert all(status == 202 for kind, status, _ in results if kind == "join"), results
    admitted = [uid for kind, _, body in results if kind == "leave" for uid in body.get("__receivers__", [])]
    assert sorted(admitted) == sorted(uid for uid, _ in line[:20])  # first come, first admitted
    joined, waiting = _rows(act_id)
    assert len(joined) == 30
    assert joined == {uid for uid, _ in members[20:]} | {uid for uid, _ in line[:20]}
    assert waiting[:20] == [uid for uid, _ in line[20:]] and sorted(waiting[20:]) == sorted(
        uid for uid, _ in late
    )
    told = db.session.scalars(
        select(Delivery.user_id).join(Notice, Notice.id == Delivery.notice_id).where(Notice.type == 12)
    ).all()
    assert sorted(told) == sorted(admitted)
    assert db.session.scalar(select(func.count()).select_from(Notice).where(Notice.type == 12)) == 20
