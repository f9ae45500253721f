"""The deployment files stay in step with config.py: every setting is documented in the
README table and listed in both env templates (tell whoever adds a setting)."""

import re
from pathlib import Path

import pytest

from config import Config

ROOT = Path(__file__).resolve().parents[1]
SETTING = re.compile(r"\benv(?:_bool|_int|_float|_list|_choice)?\(\s*\"([A-Z][A-Z0-9_]*)\"")


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
    assert "ip_hash;" in nginx
    web = (ROOT / "deploy/reedsailing-web@.service").read_text(encoding="utf-8")
    assert "Environment=PORT=%i" in web and "wsgi.py" in web
    scheduler = (ROOT / "deploy/reedsailing-scheduler.service").read_text(encoding="utf-8")
    assert "manage.py scheduler" in scheduler
    # EnvironmentFile= overrides Environment=: the template must not pin a PORT
    assert not re.search(
        r"^PORT=", (ROOT / "deploy/reedsailing.env.example").read_text(encoding="utf-8"), re.M
    )
