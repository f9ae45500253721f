"""Super admins: login, creating admins (never self-service), the console's identify call."""

import logging

from reedsailing.extensions import db
from reedsailing.models import Admin
from tests.factories import headers, make_admin, make_user
from tests.support.apps import limited_app


def test_admin_logs_in_and_uses_the_token_header(client):
    make_admin("root", "correct horse")
    response = client.post("/api/adminLogIn/", json={"username": "root", "password": "correct horse"})
    assert response.status_code == 200
    assert response.json["success"] == "true" and response.json["token"]
    token = response.json["token"]
    assert client.get("/api/users/", headers={"Token": token}).status_code == 200
    assert client.get("/api/users/", headers={"token": token}).status_code == 200  # the console's lowercase


def test_wrong_password_is_refused_with_detail(client):
    """HTTP 200 as the first version: the console reads any other status as 网络错误."""
    make_admin("root", "correct horse")
    response = client.post("/api/adminLogIn/", json={"username": "root", "password": "wrong"})
    assert response.status_code == 200 and "token" not in response.json
    assert response.json["success"] == "false" and response.json["detail"]
    response = client.post("/api/adminLogIn/", json={"username": "nobody", "password": "wrong"})
    assert response.status_code == 200 and response.json["success"] == "false"


def test_admin_login_failures_are_limited_per_username_and_logged(app, restore_extensions, caplog):
    limited = limited_app(
        app,
        RATELIMIT_ADMIN_LOGIN_PER_ADDRESS="100/minute",
        RATELIMIT_ADMIN_LOGIN_FAILURES="3/minute",
    )
    client = limited.test_client()
    admin, other = make_admin(password="right-password"), make_admin(password="other-password")
    # Correct logins are not failures: they never lock anybody out.
    for _ in range(4):
        assert (
            client.post(
                "/api/adminLogIn/", json={"username": admin.username, "password": "right-password"}
            ).status_code
            == 200
        )
    caplog.set_level(logging.WARNING, logger="reedsailing.admin.services")
    for _ in range(3):
        wrong = client.post("/api/adminLogIn/", json={"username": admin.username, "password": "guess"})
        assert wrong.status_code != 429
    locked = client.post("/api/adminLogIn/", json={"username": admin.username, "password": "right-password"})
    assert locked.status_code == 429 and locked.json["detail"]
    # Another account is not locked by the failures against this one.
    ok = client.post("/api/adminLogIn/", json={"username": other.username, "password": "other-password"})
    assert ok.status_code == 200
    failures = [r.getMessage() for r in caplog.records if "admin login failed" in r.getMessage()]
    assert len(failures) == 3 and all(admin.username in line for line in failures)
    assert not any("guess" in line for line in failures)  # never the password


def test_admin_login_attempts_are_limited_per_client_address(app, restore_extensions):
    limited = limited_app(
        app,
        RATELIMIT_ADMIN_LOGIN_PER_ADDRESS="3/minute",
        RATELIMIT_ADMIN_LOGIN_FAILURES="100/minute",
    )
    client = limited.test_client()
    statuses = [
        client.post("/api/adminLogIn/", json={"username": f"nobody{i}", "password": "x"}).status_code
        for i in range(4)
    ]
    assert 429 not in statuses[:3] and statuses[3] == 429


def test_the_token_reveals_no_password(client):
    make_admin("root", "correct horse")
    token = client.post("/api/adminLogIn/", json={"username": "root", "password": "correct horse"}).json[
        "token"
    ]
    import base64

    payload = token.split(".")[0]
    decoded = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    assert b"correct" not in decoded and b"horse" not in decoded


def test_changing_the_password_ends_old_tokens(client):
    admin = make_admin("root", "correct horse")
    old = headers(admin)
    admin.set_password("another password")
    db.session.commit()
    assert client.get("/api/users/", headers=old).status_code == 401


def test_only_an_admin_registers_an_admin(client):
    anonymous = client.post("/api/register/", json={"username": "evil", "password": "12345678"})
    assert anonymous.status_code == 401
    student = client.post(
        "/api/register/", json={"username": "evil", "password": "12345678"}, headers=headers(make_user())
    )
    assert student.status_code == 403
    admin = make_admin()
    created = client.post(
        "/api/register/", json={"username": "second", "password": "12345678"}, headers=headers(admin)
    )
    assert created.status_code == 201 and created.json["success"] == "true"
    duplicate = client.post(
        "/api/register/", json={"username": "second", "password": "12345678"}, headers=headers(admin)
    )
    assert duplicate.status_code == 400 and "username" in duplicate.json
    assert db.session.query(Admin).filter_by(username="evil").count() == 0
    short = client.post(
        "/api/register/", json={"username": "third", "password": "123"}, headers=headers(admin)
    )
    assert short.status_code == 400


def test_identify_tells_the_console_whether_its_token_is_valid(client):
    admin = make_admin("root")
    token = headers(admin)["Token"]
    assert client.post("/api/identify/", json={"token": token}).json == {"status": 1, "name": "root"}
    assert client.post("/api/identify/", json={"token": "garbage"}).json == {"status": 0, "name": ""}
    user_token = headers(make_user())["Authorization"].split()[1]
    assert client.post("/api/identify/", json={"token": user_token}).json["status"] == 0
    assert client.post("/api/identify/", json={}).status_code == 400


def test_create_admin_cli(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-admin", "clerk", "--password", "long enough"])
    assert result.exit_code == 0, result.output
    admin = db.session.query(Admin).filter_by(username="clerk").one()
    assert admin.check_password("long enough") and admin.password_hash != "long enough"
    again = runner.invoke(args=["create-admin", "clerk", "--password", "long enough"])
    assert again.exit_code != 0
    prompted = runner.invoke(args=["create-admin", "prompted"], input="secret-pass\nsecret-pass\n")
    assert prompted.exit_code == 0, prompted.output
    short = runner.invoke(args=["create-admin", "shorty", "--password", "123"])
    assert short.exit_code != 0
