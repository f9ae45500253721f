"""The server modes of `python wsgi.py` (README "Server modes"), each as a real process:
a python-socketio client connected to it receives a notice that another process (as the
scheduler) stores and publishes through Redis. Also what the entry points print: a bad
setting names the variable, the CLI prints no development banner."""

import os
import subprocess
import sys
import uuid

import pytest
import requests
import socketio as socketio_client

from config import TestConfig
from reedsailing.security import auth
from tests.factories import make_activity, make_user
from tests.support.notifying import NON_SERVER_SCRIPT, Inbox
from tests.support.server import ROOT, ServerProcess

pytestmark = pytest.mark.slow  # every test starts `python wsgi.py` or `manage.py`

MODES = ["eventlet", "gevent", "threading"]


@pytest.mark.redis
@pytest.mark.timeout(120)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("transport", ["websocket", "polling"])
def test_a_notice_reaches_a_client_of_each_server_mode_through_redis(
    mode, transport, redis_url, database_url
):
    metrics_token = uuid.uuid4().hex
    env = {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": TestConfig.SECRET_KEY,
        "SOCKETIO_CHANNEL": f"reedsailing-test-{uuid.uuid4().hex}",
        "LEGACY_WS_ENABLED": "false",
        "METRICS_TOKEN": metrics_token,
        "LOG_LEVEL": "INFO",
    }
    user = make_user()
    activity = make_activity(name="篮球赛")
    server = ServerProcess(env, async_mode=mode).start(timeout=60)
    client = socketio_client.Client(reconnection=False)
    inbox = Inbox()
    client.on("notifications", lambda payload: inbox.add("notifications", payload))
    client.on("notification", lambda payload: inbox.add("notification", payload))
    try:
        health = requests.get(f"{server.url}/api/health/", timeout=10)
        assert health.json()["redis"] == "ok"
        # threading is served by gunicorn, never by Werkzeug's development server
        assert "Werkzeug" not in health.headers.get("Server", ""), health.headers
        client.connect(
            server.url,
            auth={"token": auth.issue_user_token(user)},
            transports=[transport],
            wait_timeout=15,
        )
        assert inbox.wait_for(lambda n, p: n == "notifications") == [("notifications", [])]

        subprocess.run(
            [sys.executable, "-c", NON_SERVER_SCRIPT, str(user.id), str(activity.id)],
            cwd=ROOT,
            env={**server.env, "SOCKETIO_ASYNC_MODE": "threading", "LOG_LEVEL": "WARNING"},
            check=True,
            timeout=60,
            capture_output=True,
        )
        pushes = inbox.wait_for(lambda n, p: n == "notification")
        assert [p["content"] for _, p in pushes] == ["您参与的活动'篮球赛'即将开始，请准时参加\n"], (
            server.log_tail()
        )

        metrics = requests.get(
            f"{server.url}/metrics", headers={"Authorization": f"Bearer {metrics_token}"}, timeout=10
        )
        assert metrics.status_code == 200
        assert "reedsailing_socketio_connections 1.0" in metrics.text
        assert (
            'reedsailing_http_requests_total{method="GET",route="/api/health/",status="200"}' in metrics.text
        )
    finally:
        client.disconnect()
        server.stop()
    log = server.log_tail(20000)
    assert "reedsailing.access: GET /api/health/ 200" in log
    assert "Traceback" not in log, log


def run(args, **env):
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env={**os.environ, "LOG_LEVEL": "INFO", "WECHAT_APPID": "", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("script", ["wsgi.py", "manage.py"])
def test_a_bad_setting_names_the_variable_without_a_traceback(script):
    result = run([script, "--help"], PORT="80x")
    assert result.returncode != 0
    assert "PORT='80x' is not a whole number" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unknown_server_mode_is_refused_by_name():
    result = run(["wsgi.py"], SOCKETIO_ASYNC_MODE="tornado")
    assert result.returncode != 0
    assert "SOCKETIO_ASYNC_MODE='tornado'" in result.stderr


def test_the_cli_prints_no_development_banner(tmp_path):
    result = run(["manage.py", "--help"], DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite'}")
    assert result.returncode == 0, result.stderr
    assert "doctor" in result.stdout and "admins" in result.stdout and "openapi" in result.stdout
    assert "DEVELOPMENT LOGIN MODE" not in result.stdout + result.stderr


def test_the_server_prints_the_development_banner(tmp_path):
    server = ServerProcess(
        {"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}", "WECHAT_APPID": "", "LOG_LEVEL": "INFO"},
        async_mode="threading",
    ).start(timeout=60)
    server.stop()
    assert "DEVELOPMENT LOGIN MODE" in server.log_tail(20000)


# (mode, longest query string that must reach the app, what a 20,000-character one gets)
LONG_URLS = [
    # eventlet reads request lines up to 16 KiB: above what the nginx site forwards
    # (8k over HTTP/1.1; over HTTP/2 an 8k Huffman-coded path, up to ~13,000 characters)
    ("eventlet", 13000, "json"),
    ("gevent", 8000, "json"),  # its 8 KiB, refused with the API's JSON body
    ("threading", 8000, "html"),  # gunicorn's maximum, 8190; its own HTML page (api.md §1.5)
]


@pytest.mark.slow
@pytest.mark.timeout(120)
@pytest.mark.parametrize("mode,reaches,refusal", LONG_URLS)
def test_a_long_url_gets_the_apis_json_414_from_python_wsgi_py(mode, reaches, refusal, database_url):
    """Issue 25: a 20,000-character query string got eventlet's 414 with an empty body.
    Served directly, eventlet and gevent now answer it like the API; a URL the nginx
    site lets through reaches the app in every mode."""
    from reedsailing.core.errors import DEFAULT_DETAILS

    env = {"DATABASE_URL": database_url, "REDIS_URL": "", "SECRET_KEY": "long-url-test"}
    server = ServerProcess(env, async_mode=mode).start(timeout=60)
    try:
        allowed = requests.get(f"{server.url}/api/health/?q={'a' * reaches}", timeout=10)
        assert allowed.status_code == 200 and allowed.json()["database"] == "ok"
        if mode == "eventlet":  # a header line as long as nginx forwards over HTTP/2
            big = requests.get(f"{server.url}/api/health/", headers={"X-Big": "a" * 13000}, timeout=10)
            assert big.status_code == 200
        refused = requests.get(f"{server.url}/api/activities/?q={'a' * 20000}", timeout=10)
        assert refused.status_code == 414
        if refusal == "json":
            assert refused.headers["Content-Type"] == "application/json"
            assert refused.json() == {"detail": DEFAULT_DETAILS[414]}
        else:
            assert refused.headers["Content-Type"] == "text/html"
    finally:
        server.stop()


def test_the_servers_own_414_says_what_the_app_says():
    """reedsailing/serve.py writes the refusal before the app exists: the same text."""
    from reedsailing import serve
    from reedsailing.core.errors import DEFAULT_DETAILS

    assert DEFAULT_DETAILS[414] == serve.URL_TOO_LONG
