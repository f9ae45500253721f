"""Across processes: two real server processes (eventlet) share the database and Redis;
a client on process 2 receives what process 1 and a non-server process (as the
scheduler) notify. Needs Redis (REDIS_URL); the database is MariaDB when
TEST_DATABASE_URL is set, otherwise a SQLite file all the processes open."""

import subprocess
import sys
import uuid

import pytest
import requests
import socketio as socketio_client

from config import TestConfig
from reedsailing.security import auth
from tests.factories import make_activity, make_user
from tests.support.notifying import NON_SERVER_SCRIPT, Inbox, NotifyingServerProcess
from tests.support.server import ROOT, ServerProcess

pytestmark = [pytest.mark.redis, pytest.mark.slow, pytest.mark.timeout(120)]


@pytest.fixture
def shared_env(redis_url, database_url):
    return {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": TestConfig.SECRET_KEY,
        # A channel of our own: Redis pub/sub ignores the database number.
        "SOCKETIO_CHANNEL": f"reedsailing-test-{uuid.uuid4().hex}",
        "LEGACY_WS_ENABLED": "false",
    }


@pytest.fixture
def servers(shared_env):
    started = []
    try:
        started.append(NotifyingServerProcess(shared_env).start())
        started.append(ServerProcess(shared_env).start())
        yield started
    finally:
        for server in started:
            server.stop()


def connect_client(url, user):
    inbox = Inbox()
    client = socketio_client.Client(reconnection=False)
    client.on("notification", lambda payload: inbox.add("notification", payload))
    client.on("notifications", lambda payload: inbox.add("notifications", payload))
    client.connect(
        url, auth={"token": auth.issue_user_token(user)}, transports=["websocket"], wait_timeout=10
    )
    return client, inbox


def test_client_on_process_2_receives_notices_from_process_1_and_a_non_server_process(servers, shared_env):
    first, second = servers
    user, bystander = make_user(), make_user()
    activity = make_activity(name="篮球赛")
    client, inbox = connect_client(second.url, user)
    watcher, watcher_inbox = connect_client(second.url, bystander)
    try:
        assert inbox.wait_for(lambda n, p: n == "notifications") == [("notifications", [])]

        # 1. A REST request to process 1 notifies; process 2 pushes it.
        response = requests.post(
            f"{first.url}/api/test-only/notify/", json={"users": [user.id], "act": activity.id}, timeout=10
        )
        assert response.status_code == 200
        (rest_push,) = inbox.wait_for(lambda n, p: n == "notification")
        assert rest_push[1]["content"] == "您参与的活动'篮球赛'内容发生了改变，请及时查看\n"
        assert rest_push[1]["act"] == activity.id

        # 2. A separate non-server process (as the scheduler) notifies and exits.
        env = {**second.env, "SOCKETIO_ASYNC_MODE": "threading", "LOG_LEVEL": "WARNING"}
        subprocess.run(
            [sys.executable, "-c", NON_SERVER_SCRIPT, str(user.id), str(activity.id)],
            cwd=ROOT,
            env=env,
            check=True,
            timeout=60,
            capture_output=True,
        )
        pushes = inbox.wait_for(lambda n, p: n == "notification" and p["type"] == 11)
        assert [p["content"] for _, p in pushes] == ["您参与的活动'篮球赛'即将开始，请准时参加\n"]

        # Both are stored unread, and `read` on process 2 marks them.
        ids = [rest_push[1]["id"], pushes[0][1]["id"]]
        assert client.call("read", {"ids": ids}, timeout=10) == {"read": 2}
        # The bystander connected to the same process got nothing but its own (empty) list.
        assert watcher_inbox.events == [("notifications", [])]
    finally:
        client.disconnect()
        watcher.disconnect()


def test_refused_connection_on_a_real_server_says_why(shared_env):
    server = ServerProcess(shared_env).start()
    errors = []
    client = socketio_client.Client(reconnection=False)
    client.on("connect_error", errors.append)
    try:
        with pytest.raises(socketio_client.exceptions.ConnectionError):
            client.connect(server.url, auth={"token": "forged"}, transports=["websocket"], wait_timeout=10)
    finally:
        server.stop()
    assert errors == [{"message": "非法token"}]
