"""The two clients against a site started as deploy/ describes: nginx with the shipped
site file (TLS swapped for a loopback port, paths for temporary directories) in front of
`python wsgi.py` configured from deploy/reedsailing.env.example. The console's pages and
`/charts/` are served, and today's mini-program gets its notices over `/ws/link/<id>/`
(docs/clients.md)."""

import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import requests
import websocket

from config import TestConfig
from reedsailing.core import auth
from tests.factories import make_admin, make_user
from tests.support.server import ServerProcess
from tests.support.smtp_sink import free_port

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]

ROOT = Path(__file__).resolve().parents[1]
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)


def template_env():
    """The production template's settings, minus the ones naming this host's secrets."""
    text = (ROOT / "deploy/reedsailing.env.example").read_text(encoding="utf-8")
    values = dict(re.findall(r"^([A-Z][A-Z0-9_]*)=(.*)$", text, re.M))
    return {key: value for key, value in values.items() if "<" not in value}


def test_the_shipped_template_serves_todays_app_while_the_code_default_stays_off():
    assert template_env()["LEGACY_WS_ENABLED"] == "true"
    assert 'env_bool("LEGACY_WS_ENABLED", False)' in (ROOT / "config.py").read_text(encoding="utf-8")


def site_config(app_port, port, console, uploads):
    """deploy/nginx-reedsailing.conf on loopback: no TLS, one upstream, temp paths."""
    site = (ROOT / "deploy/nginx-reedsailing.conf").read_text(encoding="utf-8")
    site = re.sub(r"\n    server 127\.0\.0\.1:\d+;", "", site)
    site = site.replace("    ip_hash;", f"    ip_hash;\n    server 127.0.0.1:{app_port};")
    site = re.sub(r"server \{\n    listen 80;.*?\n\}\n", "", site, flags=re.S)  # the redirect
    site = site.replace("    listen 443 ssl;", f"    listen 127.0.0.1:{port};")
    site = re.sub(r"\n    (listen \[::\]:443 ssl|http2 on|ssl_[a-z_]+ [^;]*);", "", site)
    assert "ssl" not in site and "location /charts/ " in site
    site = site.replace("/var/lib/reedsailing/uploads/", f"{uploads}/")
    return site.replace("/srv/reedsailing-console", str(console))


@pytest.fixture
def site(tmp_path, database_url):
    if NGINX is None:
        pytest.skip("needs nginx")
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
    }
    server = ServerProcess(env).start()
    port = free_port()
    (tmp_path / "site.conf").write_text(site_config(server.port, port, console, uploads), encoding="utf-8")
    temp = " ".join(
        f"{kind}_temp_path {tmp_path}/{kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    (tmp_path / "nginx.conf").write_text(
        # as root the workers would run as `nobody`, who cannot read pytest's temp dirs
        ("user root;\n" if os.geteuid() == 0 else "")
        + f"worker_processes 1; pid {tmp_path}/nginx.pid; error_log {tmp_path}/error.log;\n"
        "events { worker_connections 64; }\n"
        f"http {{ include /etc/nginx/mime.types; access_log off; {temp} include {tmp_path}/site.conf; }}\n",
        encoding="utf-8",
    )
    nginx = subprocess.Popen(
        [NGINX, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if nginx.poll() is not None:
            server.stop()
            pytest.fail(f"nginx exited: {nginx.stderr.read().decode(errors='replace')}")
        try:
            requests.get(f"{url}/api/health/", timeout=1)
            break
        except requests.ConnectionError:
            time.sleep(0.1)
    yield url, port
    nginx.terminate()
    nginx.wait(timeout=10)
    server.stop()


def test_console_pages_charts_and_api_through_nginx(site):
    url, _ = site
    make_admin("root", "correct horse")
    home = requests.get(f"{url}/", timeout=5)
    assert home.status_code == 200 and "首页" in home.text  # charset utf-8 from the site
    assert "登录" in requests.get(f"{url}/login.html", timeout=5).text
    assert requests.get(f"{url}/.git/config", timeout=5).status_code == 404
    assert requests.get(f"{url}/nothing-here.html", timeout=5).status_code == 404
    charts = requests.get(f"{url}/charts/", timeout=5)
    assert charts.status_code == 200 and charts.headers["Content-Type"].startswith("text/html")
    form = {"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"}
    wrong = requests.post(
        f"{url}/api/adminLogIn/",
        data=json.dumps({"username": "root", "password": "x"}),
        headers=form,
        timeout=5,
    )
    assert wrong.status_code == 200 and wrong.json()["success"] == "false"
    token = requests.post(
        f"{url}/api/adminLogIn/",
        data=json.dumps({"username": "root", "password": "correct horse"}),
        headers=form,
        timeout=5,
    ).json()["token"]
    search = requests.get(
        f'{url}/api/feedbacks/search/?{{"content":"夜间"}}', headers={"token": token}, timeout=5
    )
    assert search.status_code == 200 and search.json() == []


def test_todays_miniprogram_gets_its_unread_list_over_the_legacy_socket(site):
    _, port = site
    student = make_user()
    assert auth.issue_user_token(student)
    ws = websocket.create_connection(f"ws://127.0.0.1:{port}/ws/link/{student.id}/", timeout=10)
    try:
        assert json.loads(ws.recv()) == []  # the full unread list, on connect
        ws.send("This is a test from the client")  # the app's greeting is ignored
        ws.send(json.dumps([student.id]))  # a relay of __receivers__
        assert json.loads(ws.recv()) == []
    finally:
        ws.close()
