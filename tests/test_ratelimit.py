"""Abuse of login and mail codes is answered with 429 and a detail."""

import pytest

from config import TestConfig
from reedsailing import create_app
from reedsailing.core.ratelimit import limiter
from tests.factories import headers, make_user


@pytest.fixture
def limited_app(app):
    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = app.config["SQLALCHEMY_DATABASE_URI"]
        RATELIMIT_ENABLED = True
        RATELIMIT_STORAGE_URI = "memory://"
        RATELIMIT_LOGIN_PER_ADDRESS = "3/minute"
        RATELIMIT_MAIL_PER_USER = "2/minute"
        RATELIMIT_MAIL_PER_EMAIL = "100/minute"
        VERIFY_RESEND_SECONDS = 0

    limited = create_app(Config)
    yield limited
    limiter.reset()
    # Leave the shared limiter bound to the session app again.
    limiter.init_app(app)


def test_login_is_limited_per_client_address(limited_app):
    client = limited_app.test_client()
    statuses = [client.post("/api/userLogin/", json={"code": f"c{i}"}).status_code for i in range(5)]
    assert statuses[:3] == [200, 200, 200]
    assert statuses[3] == 429
    response = client.post("/api/userLogin/", json={"code": "c9"})
    assert response.status_code == 429 and response.json["detail"]


def test_mail_codes_are_limited_per_user(limited_app):
    client = limited_app.test_client()
    with limited_app.app_context():
        user = make_user(verified=False)
        auth_headers = headers(user)
    statuses = [
        client.post("/api/sendVerify/", json={"email": f"s{i}@buaa.edu.cn"}, headers=auth_headers).status_code
        for i in range(3)
    ]
    assert statuses == [200, 200, 429]
