"""Mail verification through a real SMTP sink (aiosmtpd on loopback)."""

import logging
import re
from datetime import timedelta

import pytest

from reedsailing.extensions import db
from reedsailing.models import EmailCode, User
from tests.factories import headers, make_user


def code_from(message):
    return re.search(r"验证码是 ([0-9a-f]{6})", message["body"]).group(1)


def send(client, user, email="zhangsan@buaa.edu.cn"):
    return client.post("/api/sendVerify/", json={"email": email}, headers=headers(user))


def test_code_is_mailed_and_binds_the_address(client, smtp_sink):
    user = make_user(verified=False)
    response = send(client, user)
    assert response.status_code == 200 and response.json["status"] == 0
    [message] = smtp_sink.wait_for(1)
    assert message["to"] == ["zhangsan@buaa.edu.cn"]
    response = client.post(
        "/api/verify/",
        json={"email": "zhangsan@buaa.edu.cn", "verifyCode": code_from(message), "id": user.id},
        headers=headers(user),
    )
    assert response.status_code == 200 and response.json == {"status": 0, "detail": "Valid Code"}
    assert client.get(f"/api/users/{user.id}", headers=headers(user)).json["email"] == "zhangsan@buaa.edu.cn"


def test_wrong_code_is_400_with_status_1(client, smtp_sink):
    user = make_user(verified=False)
    send(client, user)
    smtp_sink.wait_for(1)
    response = client.post(
        "/api/verify/",
        json={"email": "zhangsan@buaa.edu.cn", "verifyCode": "zzzzzz", "id": user.id},
        headers=headers(user),
    )
    assert response.status_code == 400
    assert response.json == {"status": 1, "detail": "验证码错误"}
    assert db.session.get(User, user.id).email is None


def test_attempts_are_bounded(client, smtp_sink):
    user = make_user(verified=False)
    send(client, user)
    code = code_from(smtp_sink.wait_for(1)[0])
    body = {"email": "zhangsan@buaa.edu.cn", "verifyCode": "000000", "id": user.id}
    for _ in range(5):
        client.post("/api/verify/", json=body, headers=headers(user))
    body["verifyCode"] = code
    response = client.post("/api/verify/", json=body, headers=headers(user))
    assert response.status_code == 400 and "次数" in response.json["detail"]


def test_code_belongs_to_the_user_it_was_sent_for(client, smtp_sink):
    alice, mallory = make_user(verified=False), make_user(verified=False)
    send(client, alice)
    code = code_from(smtp_sink.wait_for(1)[0])
    response = client.post(
        "/api/verify/",
        json={"email": "zhangsan@buaa.edu.cn", "verifyCode": code, "id": mallory.id},
        headers=headers(mallory),
    )
    assert response.status_code == 400
    response = client.post(
        "/api/verify/",
        json={"email": "zhangsan@buaa.edu.cn", "verifyCode": code, "id": alice.id},
        headers=headers(mallory),
    )
    assert response.status_code == 403


def test_code_expires(client, smtp_sink):
    user = make_user(verified=False)
    send(client, user)
    code = code_from(smtp_sink.wait_for(1)[0])
    row = db.session.query(EmailCode).one()
    row.expires_at -= timedelta(minutes=6)
    db.session.commit()
    response = client.post(
        "/api/verify/",
        json={"email": "zhangsan@buaa.edu.cn", "verifyCode": code, "id": user.id},
        headers=headers(user),
    )
    assert response.status_code == 400


def test_code_is_single_use(client, smtp_sink):
    user = make_user(verified=False)
    send(client, user)
    code = code_from(smtp_sink.wait_for(1)[0])
    body = {"email": "zhangsan@buaa.edu.cn", "verifyCode": code, "id": user.id}
    assert client.post("/api/verify/", json=body, headers=headers(user)).status_code == 200
    assert client.post("/api/verify/", json=body, headers=headers(user)).status_code == 400


def test_resend_within_60_seconds_is_refused(client, smtp_sink):
    user = make_user(verified=False)
    assert send(client, user).status_code == 200
    response = send(client, user)
    assert response.status_code == 429 and response.json["detail"]
    assert len(smtp_sink.wait_for(2, timeout=0.5)) == 1
    # Another address is another code.
    assert send(client, user, "lisi@buaa.edu.cn").status_code == 200


@pytest.mark.parametrize(
    "email", ["someone@qq.com", "no-at-sign", "a@buaa.edu.cn.evil.com", "x" * 90 + "@buaa.edu.cn"]
)
def test_only_university_addresses(client, smtp_sink, email):
    user = make_user(verified=False)
    response = send(client, user, email)
    assert response.status_code == 400 and response.json["detail"]
    assert smtp_sink.wait_for(1, timeout=0.2) == []


def test_an_address_bound_to_another_account_is_refused(client, smtp_sink):
    make_user(email="taken@buaa.edu.cn")
    user = make_user(verified=False)
    response = send(client, user, "taken@buaa.edu.cn")
    assert response.status_code == 400


def test_failed_mail_answers_503_and_allows_a_retry(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setattr(app.extensions["mail"], "server", "127.0.0.1")
    monkeypatch.setattr(app.extensions["mail"], "port", 9)
    monkeypatch.setitem(app.config, "MAIL_TIMEOUT_SECONDS", 1)
    user = make_user(verified=False)
    assert send(client, user).status_code == 503
    assert db.session.query(EmailCode).count() == 0


def test_without_mail_server_the_code_is_logged(client, caplog):
    user = make_user(verified=False)
    assert send(client, user).status_code == 200
    assert "zhangsan@buaa.edu.cn" in caplog.text


def test_verification_codes_are_not_logged_for_real_accounts(client, fake_wechat, caplog):
    caplog.set_level(logging.DEBUG)
    student = make_user(verified=False)
    sent = client.post("/api/sendVerify/", json={"email": "someone@buaa.edu.cn"}, headers=headers(student))
    assert sent.status_code == 200
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "someone@buaa.edu.cn" in logged and "验证码是" not in logged


def test_user_register_sets_name_and_avatar_of_the_caller_only(client):
    user, other = make_user(name=""), make_user(name="别人")
    body = {"id": user.id, "userInfo": {"nickName": "小明", "avatarUrl": "https://wx/a.png", "gender": 1}}
    response = client.post("/api/userRegister/", json=body, headers=headers(user))
    assert response.status_code == 200 and response.json == {"status": 0}
    assert db.session.get(User, user.id).name == "小明"
    body["id"] = other.id
    assert client.post("/api/userRegister/", json=body, headers=headers(user)).status_code == 403
    assert db.session.get(User, other.id).name == "别人"
