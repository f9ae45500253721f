"""The optional legacy bridge: the first mini-program's plain WebSocket at /ws/link/<uid>/,
served by real server processes in both async modes (threading: tests and `flask run`
style; eventlet: production `python wsgi.py`)."""

import json
import uuid

import pytest
import requests
import websocket

from config import TestConfig
from reedsailing.extensions import db
from reedsailing.messages import texts
from reedsailing.messages.services import notify
from tests.factories import headers, make_activity, make_user
from tests.support.notifying import NotifyingServerProcess
from tests.support.server import ServerProcess

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]


def env_for(database_url, redis_url=None, channel=None):
    env = {
        "DATABASE_URL": database_url,
        "SECRET_KEY": TestConfig.SECRET_KEY,
        "LEGACY_WS_ENABLED": "true",
        "REDIS_URL": redis_url or "",
    }
    if channel:
        env["SOCKETIO_CHANNEL"] = channel
    return env


def open_legacy(server, user_id):
    ws = websocket.create_connection(f"ws://127.0.0.1:{server.port}/ws/link/{user_id}/", timeout=10)
    return ws


def receive_list(ws):
    frame = ws.recv()
    data = json.loads(frame)
    assert isinstance(data, list), frame
    return data


def test_bridge_is_off_by_default(client):
    user = make_user()
    response = client.get(f"/ws/link/{user.id}/", headers={"Upgrade": "websocket", "Connection": "Upgrade"})
    assert response.status_code == 404


@pytest.mark.parametrize("async_mode", ["threading", "eventlet"])
def test_legacy_socket_gets_full_unread_list_on_connect_push_and_relay(database_url, async_mode, client):
    user, other = make_user(), make_user()
    activity = make_activity(name="篮球赛")
    old = notify(texts.ACT_STARTING, [user.id], activity=activity)
    db.session.commit()
    server = NotifyingServerProcess(env_for(database_url), async_mode=async_mode).start()
    ws = open_legacy(server, user.id)
    other_ws = open_legacy(server, other.id)
    try:
        first = receive_list(ws)
        assert [n["id"] for n in first] == [old.id]
        assert set(first[0]) == {"id", "type", "time", "content", "act", "org"}
        assert receive_list(other_ws) == []

        # The app's greeting is not JSON: ignored, the socket stays open.
        ws.send("This is a test from the client")
        ws.send('{"not": "a list"}')

        # A notice committed by a REST request on this process: the full list, newest first.
        response = requests.post(
            f"{server.url}/api/test-only/notify/", json={"users": [user.id], "act": activity.id}, timeout=10
        )
        assert response.json() == {"__receivers__": [user.id]}
        pushed = receive_list(ws)
        assert [n["type"] for n in pushed] == [1, 11]
        assert pushed[0]["content"] == "您参与的活动'篮球赛'内容发生了改变，请及时查看\n"

        # Mark one read over REST, then relay `__receivers__` as the app does.
        requests.put(
            f"{server.url}/api/notifications/read/{user.id}/",
            json={"notifications": [old.id]},
            headers=headers(user),
            timeout=10,
        ).raise_for_status()
        other_ws.send(json.dumps([user.id]))
        assert [n["id"] for n in receive_list(ws)] == [pushed[0]["id"]]
        # The other user was never named: nothing was sent to it.
        other_ws.settimeout(0.3)
        with pytest.raises(websocket.WebSocketTimeoutException):
            other_ws.recv()
    finally:
        ws.close()
        other_ws.close()
        server.stop()


def test_plain_http_to_legacy_path_is_400(database_url):
    server = ServerProcess(env_for(database_url), async_mode="threading").start()
    try:
        response = requests.get(f"{server.url}/ws/link/1/", timeout=10)
        assert response.status_code == 400
        assert response.json()["detail"]
        assert requests.get(f"{server.url}/api/health/", timeout=10).status_code == 200
    finally:
        server.stop()


@pytest.mark.redis
def test_legacy_push_crosses_processes_through_redis(database_url, redis_url):
    user = make_user()
    activity = make_activity(name="篮球赛")
    env = env_for(database_url, redis_url, channel=f"reedsailing-test-{uuid.uuid4().hex}")
    first = NotifyingServerProcess(env).start()
    try:
        second = ServerProcess(env).start()
        try:
            ws = open_legacy(second, user.id)
            try:
                assert receive_list(ws) == []
                requests.post(
                    f"{first.url}/api/test-only/notify/",
                    json={"users": [user.id], "act": activity.id},
                    timeout=10,
                ).raise_for_status()
                pushed = receive_list(ws)
                assert [n["type"] for n in pushed] == [1]
                # A relay frame sent to process 1 reaches the socket held by process 2.
                relay = open_legacy(first, user.id + 1000)
                try:
                    assert receive_list(relay) == []
                    relay.send(json.dumps([user.id]))
                    assert receive_list(ws) == pushed
                finally:
                    relay.close()
            finally:
                ws.close()
        finally:
            second.stop()
    finally:
        first.stop()
