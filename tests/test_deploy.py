"""The deployment files stay in step with config.py: every setting is documented in the
README table and listed in both env templates (tell whoever adds a setting)."""

import re
from pathlib import Path

import pytest

from config import Config

ROOT = Path(__file__).resolve().parents[1]
SETTING = re.compile(r"\benv(?:_bool|_int|_float|_list|_choice)?\(\s*\"([A-Z][A-Z0-9_]*)\"")
# The deployment's checks run nginx, bash and server processes; its quick file checks go
# with them, out of `make test-fast`.
pytestmark = pytest.mark.slow


def settings():
    return sorted(set(SETTING.findall((ROOT / "config.py").read_text(encoding="utf-8"))))


def section(name):
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    found = re.search(rf"<!-- section: {name} -->(.*?)<!-- /section: {name} -->", text, re.S)
    return found.group(1)


def test_config_has_settings():
    assert {"SECRET_KEY", "DATABASE_URL", "REDIS_URL", "UPLOAD_FOLDER", "BYKC_RSA_PUBLIC_KEY"} <= set(
        settings()
    )


def test_every_setting_is_in_the_readme_table():
    rows = set(re.findall(r"^\| `([A-Z][A-Z0-9_]*)` \|", section("configuration"), re.M))
    missing = [name for name in settings() if name not in rows]
    assert not missing, f"add these to the README configuration table: {missing}"


@pytest.mark.parametrize("template", [".env.example", "deploy/reedsailing.env.example"])
def test_every_setting_is_in_the_env_templates(template):
    text = (ROOT / template).read_text(encoding="utf-8")
    listed = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]*)=", text, re.M))
    missing = [name for name in settings() if name not in listed]
    assert not missing, f"add these to {template}: {missing}"


def test_templates_hold_no_real_secret():
    for template in (".env.example", "deploy/reedsailing.env.example"):
        values = dict(re.findall(r"^([A-Z_]+)=(.*)$", (ROOT / template).read_text(encoding="utf-8"), re.M))
        for name in ("SECRET_KEY", "WECHAT_SECRET", "MAIL_PASSWORD", "BYKC_PASSWORD"):
            assert values.get(name, "") in ("",) or values[name].startswith("<"), (template, name)


def test_nginx_and_units_fit_the_app():
    nginx = (ROOT / "deploy/nginx-reedsailing.conf").read_text(encoding="utf-8")
    body_mb = int(re.search(r"client_max_body_size (\d+)m;", nginx).group(1))
    assert body_mb >= Config.MAX_UPLOAD_MB
    for location in (
        "/api/",
        "/socket.io/",
        "/ws/",
        "/uploads/",
        "/apidocs/",
        "= /apispec_1.json",
    ):
        assert f"location {location} " in nginx, location
    assert nginx.count("proxy_set_header Upgrade $http_upgrade;") == 2
    web = (ROOT / "deploy/reedsailing-web@.service").read_text(encoding="utf-8")
    assert "Environment=PORT=%i" in web and "wsgi.py" in web
    scheduler = (ROOT / "deploy/reedsailing-scheduler.service").read_text(encoding="utf-8")
    assert "manage.py scheduler" in scheduler
    # EnvironmentFile= overrides Environment=: the template must not pin a PORT
    assert not re.search(
        r"^PORT=", (ROOT / "deploy/reedsailing.env.example").read_text(encoding="utf-8"), re.M
    )


def test_nginx_balances_rest_and_routes_polling_by_session_id():
    """REST is balanced over every process (no ip_hash: a campus NAT would pin it to one);
    Socket.IO long-polling follows the process named in the session id, and the map lists
    exactly the processes of the upstream."""
    nginx = (ROOT / "deploy/nginx-reedsailing.conf").read_text(encoding="utf-8")
    upstream = re.search(r"upstream reedsailing \{(.*?)\n\}", nginx, re.S).group(1)
    assert re.search(r"^\s*least_conn;", upstream, re.M) and not re.search(r"^\s*ip_hash;", nginx, re.M)
    servers = re.findall(r"^\s*server (127\.0\.0\.1:(\d+));", upstream, re.M)
    routes = re.findall(r'^\s*"~\^(\d+)\\\."\s+(127\.0\.0\.1:\d+);', nginx, re.M)
    assert servers and sorted((port, addr) for addr, port in servers) == sorted(routes)
    assert "proxy_pass http://$socketio_backend;" in nginx
    assert re.search(r"^\s*gzip_types [^;]*application/json", nginx, re.M)
    assert "location = /charts/ " in nginx
    # works on nginx < 1.25.1 too (Debian 12 has 1.22): no `http2 on;`
    assert not re.search(r"^\s*http2 on;", nginx, re.M)


@pytest.mark.slow
def test_a_server_process_names_itself_in_its_session_ids(tmp_path):
    """What the nginx map routes long-polling on: `python wsgi.py` hands out Engine.IO
    session ids "<PORT>." (or "<SOCKETIO_NODE>.") followed by the random id."""
    import json

    import requests

    from tests.support.server import ServerProcess

    env = {"DATABASE_URL": f"sqlite:///{tmp_path}/node.db", "SECRET_KEY": "node-test-secret"}
    for overrides, prefix in (({}, None), ({"SOCKETIO_NODE": "hostb-8001"}, "hostb-8001")):
        server = ServerProcess({**env, **overrides}).start()
        try:
            sids = set()
            for _ in range(2):
                body = requests.get(f"{server.url}/socket.io/?EIO=4&transport=polling", timeout=10).text
                sids.add(json.loads(body[1:])["sid"])
        finally:
            server.stop()
        expected = f"{prefix or server.port}."
        assert len(sids) == 2 and all(
            sid.startswith(expected) and len(sid) > len(expected) + 10 for sid in sids
        )


def test_rendered_site_passes_nginx_t(tmp_path):
    """`nginx -t` on the shipped site as .ci/deploy-test renders it (skipped without nginx;
    .ci/deploy-test installs it and runs the whole deployment)."""
    import shutil

    from tests.deploy.site import Nginx, make_certificate, render_site

    if not (shutil.which("nginx") or Path("/usr/sbin/nginx").exists()) or not shutil.which("openssl"):
        pytest.skip("needs nginx and openssl (.ci/deploy-test installs nginx)")
    cert, key = make_certificate(tmp_path)
    (tmp_path / "uploads").mkdir()
    (tmp_path / "console").mkdir()
    site = render_site(
        ports=[18001, 18002, 18003],
        http_port=18080,
        https_port=18443,
        cert=cert,
        key=key,
        uploads=tmp_path / "uploads",
        console=tmp_path / "console",
    )
    ok, output = Nginx(tmp_path, site).test()
    assert ok, output


def test_the_env_template_can_be_sourced_by_bash(tmp_path):
    """The README loads it with `set -a; . reedsailing.env` (and systemd reads it too):
    a value with `;`, spaces or `<` must be quoted, or bash runs part of it as a command."""
    import subprocess

    text = (ROOT / "deploy/reedsailing.env.example").read_text(encoding="utf-8")
    filled = re.sub(r"<[^>\n]*>", "placeholder", text)  # what the operator fills in
    env_file = tmp_path / "reedsailing.env"
    env_file.write_text(filled, encoding="utf-8")
    result = subprocess.run(
        ["bash", "-c", f'set -a; . "{env_file}"; echo "$RATELIMIT_ADMIN_LOGIN_PER_ADDRESS"'],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0 and not result.stderr, result.stderr
    assert result.stdout.strip() == "10/minute;100/day"
