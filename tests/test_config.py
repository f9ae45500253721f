"""Start-up rules of the configuration."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

import config
from config import Config
from reedsailing import create_app

ROOT = Path(__file__).resolve().parents[1]


def test_production_database_without_secret_key_refuses_to_start():
    class Production(Config):
        SECRET_KEY = None
        SQLALCHEMY_DATABASE_URI = "mysql+pymysql://root@127.0.0.1:3306/nowhere?charset=utf8mb4"

    with pytest.raises(RuntimeError, match="SECRET_KEY is not set"):
        create_app(Production)


def test_development_login_refuses_to_start_on_a_production_database(app, restore_extensions):
    production = {
        "TESTING": False,
        "SQLALCHEMY_DATABASE_URI": "mysql+pymysql://reedsailing@127.0.0.1:1/reedsailing",
        "SECRET_KEY": "a-configured-secret",
        "WECHAT_APPID": "",
    }
    with pytest.raises(RuntimeError, match="WECHAT_APPID.*ALLOW_DEV_LOGIN"):
        create_app(type("Production", (Config,), production))
    allowed = create_app(type("Allowed", (Config,), {**production, "ALLOW_DEV_LOGIN": True}))
    assert allowed.config["ALLOW_DEV_LOGIN"] is True
    wechat_app = create_app(type("WithWeChat", (Config,), {**production, "WECHAT_APPID": "wx-real"}))
    assert wechat_app.config["WECHAT_APPID"] == "wx-real"


def test_embedded_quick_start_generates_and_keeps_a_secret_key(tmp_path, monkeypatch):
    import reedsailing

    monkeypatch.setattr(reedsailing, "INSTANCE_DIR", tmp_path)

    class QuickStart(Config):
        SECRET_KEY = None
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'quick.db'}"

    first = create_app(QuickStart).config["SECRET_KEY"]
    second = create_app(QuickStart).config["SECRET_KEY"]
    assert first == second and len(first) >= 32
    assert (tmp_path / "secret_key").read_text().strip() == first


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("true", True),
        ("1", True),
        ("YES", True),
        ("On", True),
        (" yes ", True),
        ("no", False),
        ("0", False),
        ("false", False),
        ("OFF", False),
        ("", True),
        ("  ", True),
    ],
)
def test_boolean_settings_accept_the_usual_spellings(monkeypatch, raw, expected):
    monkeypatch.setenv("SOME_FLAG", raw)
    assert config.env_bool("SOME_FLAG", True).value() is expected


@pytest.mark.parametrize("raw", ["ture", "enabled", "2", "nein", "true!"])
def test_a_boolean_setting_refuses_anything_else_by_name(monkeypatch, raw):
    """A typo must not quietly turn rate limits (or anything else) off."""
    monkeypatch.setenv("RATELIMIT_ENABLED", raw)
    with pytest.raises(config.SettingError, match=rf"setting RATELIMIT_ENABLED='{raw}' is not true or false"):
        config.load_settings(Config)
    monkeypatch.setenv("CACHE_ENABLED", raw)  # TestConfig fixes RATELIMIT_ENABLED, not this one
    with pytest.raises(config.SettingError, match=rf"setting CACHE_ENABLED='{raw}' is not true or false"):
        create_app(config.TestConfig)


def test_settings_are_read_when_the_app_is_created(monkeypatch):
    """Not when config.py is imported: a class attribute reads its variable each time,
    and a subclass's own value wins over the variable."""
    monkeypatch.setenv("PORT", "8123")
    monkeypatch.setenv("CORS_ORIGINS", "https://a.example, https://b.example")

    class Fixed(config.TestConfig):
        CORS_ORIGINS = ["https://fixed.example"]

    assert config.Config.PORT == 8123
    assert config.load_settings(config.Config)["CORS_ORIGINS"] == ["https://a.example", "https://b.example"]
    assert create_app(Fixed).config["CORS_ORIGINS"] == ["https://fixed.example"]
    monkeypatch.setenv("PORT", "80x")
    with pytest.raises(config.SettingError, match="setting PORT='80x' is not a whole number"):
        create_app(config.TestConfig)


@pytest.mark.slow  # starts a Python process
def test_a_bad_environment_still_imports_and_fails_at_app_creation():
    script = (
        "from config import SettingError, TestConfig\n"
        "import reedsailing\n"
        "try:\n"
        "    reedsailing.create_app(TestConfig)\n"
        "except SettingError as error:\n"
        "    print(error)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**os.environ, "PORT": "80x", "LOG_LEVEL": "WARNING"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "setting PORT='80x' is not a whole number (see README, Configuration)"
