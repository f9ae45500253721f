"""WeChat login against a fake WeChat server over real HTTP, and the token rules."""

import pytest
from itsdangerous import URLSafeTimedSerializer

from reedsailing.extensions import db
from reedsailing.models import User
from reedsailing.security import auth
from tests.factories import headers, make_user

LOGIN_FIELDS = {
    "status",
    "token",
    "id",
    "userExist",
    "email",
    "name",
    "sign",
    "avatar",
    "contact",
    "follow_boya",
}


def test_first_login_creates_the_user_and_answers_the_contract_fields(client, fake_wechat):
    response = client.post("/api/userLogin/", json={"code": "code-1"})
    assert response.status_code == 200
    body = response.json
    assert set(body) == LOGIN_FIELDS
    assert body["token"] and body["userExist"] == 0 and body["email"] is None
    assert body["follow_boya"] is False
    user = db.session.get(User, body["id"])
    assert user.openid == "openid-code-1"
    assert ("/sns/jscode2session", fake_wechat.requests[-1][1]) == (
        "/sns/jscode2session",
        {
            "appid": "wx-test-appid",
            "secret": "wx-test-secret",
            "js_code": "code-1",
            "grant_type": "authorization_code",
        },
    )


def test_second_login_finds_the_same_user_and_both_tokens_work(client, fake_wechat):
    first = client.post("/api/userLogin/", json={"code": "same"}).json
    second = client.post("/api/userLogin/", json={"code": "same"}).json
    assert second["id"] == first["id"] and second["userExist"] == 1
    for token in (first["token"], second["token"]):
        response = client.get(f"/api/users/{first['id']}", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200


def test_invalid_code_is_a_400_with_detail_and_wechat_code(client, fake_wechat):
    response = client.post("/api/userLogin/", json={"code": "invalid-code"})
    assert response.status_code == 400
    assert response.json["code"] == 40029 and "detail" in response.json
    assert db.session.query(User).filter_by(openid="openid-invalid-code").count() == 0


def test_unreachable_wechat_is_a_502_not_a_crash(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "WECHAT_APPID", "wx")
    monkeypatch.setitem(app.config, "WECHAT_API_BASE", "http://127.0.0.1:9")
    monkeypatch.setitem(app.config, "WECHAT_TIMEOUT_SECONDS", 1)
    response = client.post("/api/userLogin/", json={"code": "x"})
    assert response.status_code == 502 and response.json["detail"]


def test_development_login_mode_uses_the_code_as_openid(client):
    body = client.post("/api/userLogin/", json={"code": "dev-user"}).json
    assert db.session.get(User, body["id"]).openid == "dev-user"


def test_the_system_account_cannot_log_in(client):
    response = client.post("/api/userLogin/", json={"code": "system:boya"})
    assert response.status_code == 400


@pytest.mark.parametrize(
    "body",
    [{}, {"code": ""}, {"code": None}, {"code": 12}, {"code": ["a"]}, {"code": "x" * 129}],
)
def test_malformed_login_bodies_are_400_with_detail(client, body):
    response = client.post("/api/userLogin/", json=body)
    assert response.status_code == 400
    assert response.json["detail"]
    assert "code" in response.json


@pytest.mark.parametrize("raw", [b"not json", b"[1, 2]", b"null", b"\xff\xfe"])
def test_non_object_bodies_are_400(client, raw):
    response = client.post("/api/userLogin/", data=raw, content_type="application/json")
    assert response.status_code == 400 and response.json["detail"]


def test_missing_token_is_401_and_garbage_token_is_401(client):
    user = make_user()
    assert client.get(f"/api/users/{user.id}/").status_code == 401
    response = client.get(f"/api/users/{user.id}/", headers={"Authorization": "Bearer forged"})
    assert response.status_code == 401 and response.json == {"detail": "非法token"}
    # A header without a scheme is still read (the first version's quirk), not a 500.
    assert client.get(f"/api/users/{user.id}/", headers={"Authorization": ""}).status_code == 401


def test_token_signed_with_another_key_is_refused(client):
    user = make_user()
    forged = URLSafeTimedSerializer("another-key", salt=auth.USER_SALT).dumps({"u": user.id})
    response = client.get(f"/api/users/{user.id}/", headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401


def test_token_expires_after_token_ttl_days(client, app, clock):
    user = make_user()
    token_headers = headers(user)
    assert client.get(f"/api/users/{user.id}/", headers=token_headers).status_code == 200
    clock.advance(days=app.config["TOKEN_TTL_DAYS"])
    assert client.get(f"/api/users/{user.id}/", headers=token_headers).status_code == 200
    clock.advance(1)
    assert client.get(f"/api/users/{user.id}/", headers=token_headers).status_code == 401


def test_token_of_a_deleted_user_is_refused(client):
    user = make_user()
    token_headers = headers(user)
    db.session.delete(user)
    db.session.commit()
    assert client.get("/api/show/", headers=token_headers).status_code == 200  # public route
    assert client.get("/api/users/1/", headers=token_headers).status_code == 401


def test_user_token_is_not_an_admin_token(client):
    user = make_user()
    token = auth.issue_user_token(user)
    assert client.get("/api/users/", headers={"Token": token}).status_code == 401
    assert client.get("/api/users/", headers={"Authorization": f"Bearer {token}"}).status_code == 403
