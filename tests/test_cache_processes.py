"""Cached answers across processes (docs/caching.md): two real server processes share
the database and the Redis cache; a write through either process (or a process outside
the servers, as the scheduler) shows in the next read on the other one. Needs Redis
(REDIS_URL); MariaDB when DATABASE_URL is set, otherwise a SQLite file both open."""

import subprocess
import sys
import uuid

import pytest
import requests

from config import TestConfig
from reedsailing.models.blocks import CLUB
from tests.factories import headers, make_activity, make_org, make_user
from tests.support.server import ROOT, ServerProcess

pytestmark = [pytest.mark.redis, pytest.mark.slow, pytest.mark.timeout(120)]

OUTSIDE_WRITE = """
import sys
from reedsailing import create_app
from reedsailing.extensions import db
from reedsailing.models import Activity

app = create_app()
with app.app_context():
    db.session.get(Activity, int(sys.argv[1])).name = sys.argv[2]
    db.session.commit()
"""


@pytest.fixture
def servers(redis_url, database_url):
    env = {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": TestConfig.SECRET_KEY,
        "SOCKETIO_CHANNEL": f"reedsailing-test-{uuid.uuid4().hex}",
        "LEGACY_WS_ENABLED": "false",
        "RATELIMIT_ENABLED": "false",
        "ALLOW_DEV_LOGIN": "true",  # the writer process below builds the app too
    }
    started = []
    try:
        started.append(ServerProcess(env).start())
        started.append(ServerProcess(env).start())
        yield started, env
    finally:
        for server in started:
            server.stop()


def test_a_write_on_one_process_shows_on_the_other(servers):
    (first, second), env = servers
    reader, owner = make_user(), make_user()
    org = make_org(owner=owner, block_id=CLUB)
    activity = make_activity(org=org, name="旧名字")
    paths = [
        f"/api/blocks/activities/status/{CLUB}/",
        f"/api/organizations/activities/{org.id}/",
        f"/api/activities/{activity.id}/",
    ]

    def names(server):
        answers = [requests.get(server.url + path, headers=headers(reader), timeout=10) for path in paths]
        assert all(answer.status_code == 200 for answer in answers)
        status, listing, detail = (answer.json() for answer in answers)
        return (
            [item["name"] for item in status["unstart"]],
            [item["name"] for item in listing],
            detail["name"],
        )

    assert names(first) == names(second) == (["旧名字"], ["旧名字"], "旧名字")
    etag = requests.get(second.url + paths[2], headers=headers(reader), timeout=10).headers["ETag"]

    # 1. Edit through process 1; process 2 (which has the old answer cached) sees it.
    body = {
        "name": "新名字",
        "begin_time": activity.begin_time.strftime("%Y-%m-%dT%H:%M"),
        "end_time": activity.end_time.strftime("%Y-%m-%dT%H:%M"),
        "contain": 5,
        "location": activity.address_id,
    }
    response = requests.put(
        first.url + f"/api/activities/{activity.id}/", json=body, headers=headers(owner), timeout=10
    )
    assert response.status_code == 200, response.text
    assert names(second) == (["新名字"], ["新名字"], "新名字")
    revalidated = requests.get(
        second.url + paths[2], headers={**headers(reader), "If-None-Match": etag}, timeout=10
    )
    assert revalidated.status_code == 200 and revalidated.headers["ETag"] != etag

    # 2. A process outside the servers (the scheduler, the CLI) writes; both see it.
    subprocess.run(
        [sys.executable, "-c", OUTSIDE_WRITE, str(activity.id), "第三个名字"],
        cwd=ROOT,
        env={**env, "PATH": "/usr/bin:/bin"},
        check=True,
        timeout=60,
    )
    assert names(first) == names(second) == (["第三个名字"], ["第三个名字"], "第三个名字")

    # 3. The owner renames themself on process 2: the nested owner changes on process 1.
    response = requests.put(
        second.url + f"/api/users/{owner.id}/",
        json={"name": "新的发布者"},
        headers=headers(owner),
        timeout=10,
    )
    assert response.status_code == 200, response.text
    detail = requests.get(first.url + paths[2], headers=headers(reader), timeout=10).json()
    assert detail["owner"]["name"] == "新的发布者"
