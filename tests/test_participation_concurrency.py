"""Capacity under load: 200 concurrent joins for 50 places against a real server process
(`python wsgi.py`, eventlet) sharing this test's database (the SQLite file, or the
MariaDB of TEST_DATABASE_URL)."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import requests
from sqlalchemy import func, insert, select

from reedsailing.core.timeutil import now
from reedsailing.extensions import db
from reedsailing.models import Activity, Participation, User
from reedsailing.security import auth
from tests.factories import make_activity

PLACES = 50
JOINERS = 200


@pytest.mark.slow
def test_200_concurrent_joins_fill_exactly_50_places(server):
    act_id = make_activity(contain=PLACES, begin=now() + timedelta(days=1)).id
    db.session.execute(
        insert(User),
        [
            {"openid": f"race-{i}", "name": f"抢位{i}", "email": f"race{i}@buaa.edu.cn"}
            for i in range(JOINERS)
        ],
    )
    db.session.commit()
    users = db.session.scalars(select(User).where(User.openid.like("race-%"))).all()
    assert len(users) == JOINERS
    jobs = [(user.id, auth.issue_user_token(user)) for user in users]
    url = f"{server.url}/api/activities/participants/"

    def attempt(job):
        user_id, token = job
        response = requests.post(
            url,
            json={"person": user_id, "act": str(act_id)},
            headers={"Authorization": f"Bearer {token}"},
            timeout=60,
        )
        return response.status_code, response.json()

    with ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(attempt, jobs))

    created = [body for status, body in results if status == 201]
    full = [body for status, body in results if status == 400]
    others = [(status, body) for status, body in results if status not in (201, 400)]
    assert others == []
    assert len(created) == PLACES
    assert len(full) == JOINERS - PLACES
    assert all(body == {"detail": "活动人数已满。"} for body in full)
    db.session.expire_all()
    rows = db.session.scalar(
        select(func.count()).select_from(Participation).where(Participation.act_id == act_id)
    )
    assert rows == PLACES
    assert db.session.get(Activity, act_id).joined_count == PLACES
    assert sorted(body["person"] for body in created) == sorted(
        db.session.scalars(select(Participation.user_id).where(Participation.act_id == act_id))
    )


@pytest.mark.slow
def test_joins_and_leaves_of_one_activity_never_deadlock(server):
    """16 students joining and leaving one activity at once: every answer is a clean 2xx
    and the count matches the rows (join and leave lock the activity row first, so they
    queue instead of deadlocking on MariaDB)."""
    act_id = make_activity(contain=1000, begin=now() + timedelta(days=1)).id
    db.session.execute(
        insert(User),
        [{"openid": f"churn-{i}", "name": f"来回{i}", "email": f"churn{i}@buaa.edu.cn"} for i in range(16)],
    )
    db.session.commit()
    users = db.session.scalars(select(User).where(User.openid.like("churn-%"))).all()
    jobs = [(user.id, auth.issue_user_token(user)) for user in users]
    base = f"{server.url}/api/activities/participants/"

    def churn(job):
        user_id, token = job
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {token}"
        statuses = []
        for _ in range(25):
            statuses.append(
                session.post(base, json={"person": user_id, "act": act_id}, timeout=60).status_code
            )
            statuses.append(
                session.delete(
                    f"{base}?person={user_id}&act={act_id}&operator={user_id}", timeout=60
                ).status_code
            )
        return statuses

    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = [status for result in pool.map(churn, jobs) for status in result]
    assert sorted(set(statuses)) == [200, 201]
    db.session.expire_all()
    rows = db.session.scalar(
        select(func.count()).select_from(Participation).where(Participation.act_id == act_id)
    )
    assert rows == 0 and db.session.get(Activity, act_id).joined_count == 0
