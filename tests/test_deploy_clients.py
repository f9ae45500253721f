"""The two clients against a site started as deploy/ describes: nginx with the shipped
site file (TLS swapped for a loopback port, paths for temporary directories) in front of
`python wsgi.py` configured from deploy/reedsailing.env.example. The console's pages and
`/charts/` are served, and today's mini-program gets its notices over `/ws/link/<id>/`
(docs/clients.md)."""

import json
import os
import re
import ssl
import time
from pathlib import Path

import pytest
import requests
import websocket

from config import TestConfig
from reedsailing.security import auth
from tests.deploy.site import NO_NGINX, Nginx, find_nginx
from tests.factories import make_admin, make_user
from tests.support.server import ServerProcess
from tests.support.smtp_sink import free_port

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(120),
    pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning"),
]

ROOT = Path(__file__).resolve().parents[1]


def template_env():
    """The production template's settings, minus the ones naming this host's secrets."""
    text = (ROOT / "deploy/reedsailing.env.example").read_text(encoding="utf-8")
    values = dict(re.findall(r"^([A-Z][A-Z0-9_]*)=(.*)$", text, re.M))
    return {key: value for key, value in values.items() if "<" not in value}


def test_the_shipped_template_serves_todays_app_while_the_code_default_stays_off():
    assert template_env()["LEGACY_WS_ENABLED"] == "true"
    assert 'env_bool("LEGACY_WS_ENABLED", False)' in (ROOT / "config.py").read_text(encoding="utf-8")


def site_config(tmp_path, app_port, port, console, uploads):
    """deploy/nginx-reedsailing.conf as the deployment test renders it: TLS with a
    throw-away certificate on `port`, one process, temporary paths."""
    from tests.deploy.site import make_certificate, render_site

    cert, key = make_certificate(tmp_path)
    return render_site(
        ports=[app_port],
        http_port=free_port(),
        https_port=port,
        cert=cert,
        key=key,
        uploads=uploads,
        console=console,
        server_name="127.0.0.1",
    )


@pytest.fixture
def site(tmp_path, database_url):
    if find_nginx() is None:
        pytest.skip(NO_NGINX)
    console, uploads = tmp_path / "console", tmp_path / "uploads"
    (console / ".git").mkdir(parents=True)
    uploads.mkdir()
    (console / "index.html").write_text("<title>首页-一苇以航</title>", encoding="utf-8")
    (console / "login.html").write_text("<title>登录-一苇以航</title>", encoding="utf-8")
    (console / ".git" / "config").write_text("[core]", encoding="utf-8")
    env = {
        **template_env(),
        "DATABASE_URL": database_url,
        "SECRET_KEY": TestConfig.SECRET_KEY,
        "REDIS_URL": "",
        "UPLOAD_FOLDER": str(uploads),
        "MAIL_SERVER": "",
        "WECHAT_APPID": "",
        "RATELIMIT_ENABLED": "false",
        "ALLOW_DEV_LOGIN": "true",  # a test installation: development login on MariaDB too
    }
    server = ServerProcess(env).start()
    port = free_port()
    # the suite's self-contained main file (tests/deploy/site.py): none of the machine's
    # modules-enabled/ or mime.types; as root the workers would run as `nobody`, who
    # cannot read pytest's temp dirs
    nginx = Nginx(
        tmp_path,
        site_config(tmp_path, server.port, port, console, uploads),
        access_log=False,
        user="root" if os.geteuid() == 0 else None,
    )
    try:
        nginx.start()
    except RuntimeError as error:
        server.stop()
        pytest.fail(str(error))
    url = f"https://127.0.0.1:{port}"
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            requests.get(f"{url}/api/health/", timeout=1, verify=False)
            break
        except requests.ConnectionError:
            time.sleep(0.1)
    yield url, port
    nginx.stop()
    server.stop()


def test_console_pages_charts_and_api_through_nginx(site):
    url, _ = site
    make_admin("root", "correct horse")
    home = requests.get(f"{url}/", timeout=5, verify=False)
    assert home.status_code == 200 and "首页" in home.text  # charset utf-8 from the site
    assert "登录" in requests.get(f"{url}/login.html", timeout=5, verify=False).text
    assert requests.get(f"{url}/.git/config", timeout=5, verify=False).status_code == 404
    assert requests.get(f"{url}/nothing-here.html", timeout=5, verify=False).status_code == 404
    charts = requests.get(f"{url}/charts/", timeout=5, verify=False)
    assert charts.status_code == 200 and charts.headers["Content-Type"].startswith("text/html")
    form = {"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"}
    wrong = requests.post(
        f"{url}/api/adminLogIn/",
        data=json.dumps({"username": "root", "password": "x"}),
        headers=form,
        timeout=5,
        verify=False,
    )
    assert wrong.status_code == 200 and wrong.json()["success"] == "false"
    token = requests.post(
        f"{url}/api/adminLogIn/",
        data=json.dumps({"username": "root", "password": "correct horse"}),
        headers=form,
        timeout=5,
        verify=False,
    ).json()["token"]
    search = requests.get(
        f'{url}/api/feedbacks/search/?{{"content":"夜间"}}', headers={"token": token}, timeout=5, verify=False
    )
    assert search.status_code == 200 and search.json() == []


def test_todays_miniprogram_gets_its_unread_list_over_the_legacy_socket(site):
    _, port = site
    student = make_user()
    assert auth.issue_user_token(student)
    ws = websocket.create_connection(
        f"wss://127.0.0.1:{port}/ws/link/{student.id}/", timeout=10, sslopt={"cert_reqs": ssl.CERT_NONE}
    )
    try:
        assert json.loads(ws.recv()) == []  # the full unread list, on connect
        ws.send("This is a test from the client")  # the app's greeting is ignored
        ws.send(json.dumps([student.id]))  # a relay of __receivers__
        assert json.loads(ws.recv()) == []
    finally:
        ws.close()


def _raw_https(port, head, timeout=10, host=True):
    """Send `head` (request line and headers, no body) over TLS: (status, content type,
    body). `host=False`: without the Host header HTTP/1.1 requires."""
    import http.client

    connection = http.client.HTTPSConnection(
        "127.0.0.1", port, timeout=timeout, context=ssl._create_unverified_context()
    )
    method, target, *headers = head
    connection.putrequest(method, target, skip_host=not host, skip_accept_encoding=True)
    for name, value in headers:
        connection.putheader(name, value)
    connection.endheaders()
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, response.getheader("Content-Type"), body


def test_what_nginx_refuses_itself_is_json_with_a_detail(site):
    """A 20,000-character query string, a header line over nginx's 8k buffers, a body
    over client_max_body_size and a malformed request are refused by nginx before any
    process sees them; they answer like the API, `{"detail": ...}` (docs/api.md §1.5),
    not with nginx's HTML page."""
    from reedsailing.core.errors import DEFAULT_DETAILS

    url, port = site
    long_url = requests.get(f"{url}/api/activities/?q={'a' * 20000}", timeout=10, verify=False)
    assert (long_url.status_code, long_url.headers["Content-Type"]) == (414, "application/json")
    assert long_url.json() == {"detail": DEFAULT_DETAILS[414]}
    assert long_url.headers["X-Content-Type-Options"] == "nosniff"  # the site's headers too
    big_header = requests.get(f"{url}/api/health/", headers={"X-Big": "a" * 9000}, timeout=10, verify=False)
    assert (big_header.status_code, big_header.headers["Content-Type"]) == (400, "application/json")
    assert big_header.json() == {"detail": "请求头过大。"}
    status, kind, body = _raw_https(port, ("POST", "/api/upload/", ("Content-Length", str(17 * 1024 * 1024))))
    assert (status, kind, json.loads(body)) == (413, "application/json", {"detail": DEFAULT_DETAILS[413]})
    status, kind, body = _raw_https(port, ("GET", "/api/health/"), host=False)  # malformed: no Host
    assert (status, kind, json.loads(body)) == (400, "application/json", {"detail": DEFAULT_DETAILS[400]})
    # below nginx's limit the URL reaches the process, which reads longer ones (16 KiB)
    near_limit = requests.get(f"{url}/api/health/?q={'a' * 8000}", timeout=10, verify=False)
    assert near_limit.status_code == 200 and near_limit.json()["database"] == "ok"
    # and what a process answers passes through as it is
    unknown = requests.get(f"{url}/api/nothing-here/", timeout=10, verify=False)
    assert (unknown.status_code, unknown.json()) == (404, {"detail": "未找到。"})


def test_nginx_without_a_process_answers_json_502(tmp_path):
    if find_nginx() is None:
        pytest.skip(NO_NGINX)
    (tmp_path / "console").mkdir()
    (tmp_path / "uploads").mkdir()
    port = free_port()
    nobody = free_port()  # no process listens there
    nginx = Nginx(
        tmp_path,
        site_config(tmp_path, nobody, port, tmp_path / "console", tmp_path / "uploads"),
        access_log=False,
        user="root" if os.geteuid() == 0 else None,
    ).start()
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                answer = requests.get(f"https://127.0.0.1:{port}/api/health/", timeout=5, verify=False)
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        assert (answer.status_code, answer.headers["Content-Type"]) == (502, "application/json")
        assert answer.json() == {"detail": "服务暂时不可用。"}
    finally:
        nginx.stop()
