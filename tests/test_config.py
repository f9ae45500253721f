"""Start-up rules of the configuration."""

import pytest

import config
from config import Config
from reedsailing import create_app


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
    [("true", True), ("1", True), ("YES", True), ("no", False), ("0", False), ("false", False), ("", True)],
)
def test_boolean_settings_accept_the_usual_spellings(monkeypatch, raw, expected):
    monkeypatch.setenv("SOME_FLAG", raw)
    assert config.env_bool("SOME_FLAG", True) is expected
