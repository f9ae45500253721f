"""Capacity under load: 200 concurrent joins for 50 places against a real server process
(`python wsgi.py`, eventlet) sharing this test's database (the SQLite file, or the
MariaDB of DATABASE_URL)."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import requests
from sqlalchemy import func, insert, select

from reedsailing import auth
from reedsailing.extensions import db
from reedsailing.models import Activity, Participation, User
from reedsailing.timeutil import now
from tests.factories import make_activity
from tests.support.server import ServerProcess

PLACES = 50
JOINERS = 200


@pytest.fixture
def server(app):
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri in ("sqlite://", "sqlite:///:memory:"):
        pytest.skip("needs a database file or server shared with the server process")
    process = ServerProcess(
        {"DATABASE_URL": uri, "SECRET_KEY": app.config["SECRET_KEY"], "REDIS_URL": ""}
    ).start()
    try:
        yield process
    finally:
        process.stop()


@pytest.mark.slow
def test_200_concurrent_joins_fill_exactly_50_places(server):
    act_id = make_activity(contain=PLACES, begin=now() + timedelta(days=1)).id
    db.session.execute(
        insert(User),
        [{"openid": f"race-{i}", "name": f"抢位{i}", "email": f"race{i}@buaa.edu.cn"} for i in range(JOINERS)],
    )
    db.session.commit()
    users = db.session.scalars(select(User).where(User.openid.like("race-%"))).all()
    assert len(users) == JOINERS
    jobs = [(user.id, auth.issue_user_token(user)) for user in users]
    url = f"{server.url}/api/activities/participants/"

    def attempt(job):
        user_id, token = job
        response = requests.post(
            url, json={"person": user_id, "act": str(act_id)}, headers={"Authorization": f"Bearer {token}"}, timeout=60
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
    rows = db.session.scalar(select(func.count()).select_from(Participation).where(Participation.act_id == act_id))
    assert rows == PLACES
    assert db.session.get(Activity, act_id).joined_count == PLACES
    assert sorted(body["person"] for body in created) == sorted(
        db.session.scalars(select(Participation.user_id).where(Participation.act_id == act_id))
    )
