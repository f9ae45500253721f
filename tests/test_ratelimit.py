"""Abuse of login, mail codes and check-in codes is answered with 429 and a detail."""

from datetime import timedelta

import pytest

from config import TestConfig
from reedsailing import create_app
from reedsailing.core.timeutil import now
from reedsailing.security.ratelimit import limiter
from tests.factories import headers, join, make_activity, make_user


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


def test_check_in_guesses_are_limited_per_student_not_per_address(limited_app):
    """A lecture hall checks in from one address: only each student's guesses count."""
    client = limited_app.test_client()
    with limited_app.app_context():
        begin = now() - timedelta(minutes=5)
        act = make_activity(begin=begin, end=begin + timedelta(hours=1))
        guesser, other = make_user(), make_user()
        join(act, guesser)
        join(act, other)
        path = f"/api/activities/{act.id}/checkin/"
        statuses = [
            client.post(path, json={"code": "000000"}, headers=headers(guesser)).status_code
            for _ in range(11)
        ]
        assert statuses[:10] == [400] * 10 and statuses[10] == 429
        assert client.post(path, json={"code": "000000"}, headers=headers(other)).status_code == 400
