"""Issue 12: what an attacker or a bad day would find, one test per item (README "Security")."""

import io
import logging
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from flask import request
from PIL import Image

from config import Config, TestConfig
from reedsailing import create_app
from reedsailing.core import store
from reedsailing.extensions import db, socketio
from reedsailing.integrations import wechat
from reedsailing.messages import texts
from reedsailing.models import Activity, Delivery, Notice, Organization
from reedsailing.models.blocks import CLUB
from reedsailing.security.ratelimit import limiter
from tests.acts_support import fmt
from tests.factories import (
    headers,
    join,
    make_activity,
    make_address,
    make_admin,
    make_comment,
    make_org,
    make_user,
)
from tests.support.smtp_sink import SmtpSink
from tests.test_images import files_in, upload

ROOT = Path(__file__).resolve().parents[1]


def fresh_app(session_app, **settings):
    """A second app on the session's database with some settings changed."""
    attributes = {"SQLALCHEMY_DATABASE_URI": session_app.config["SQLALCHEMY_DATABASE_URI"], **settings}
    return create_app(type("HardeningConfig", (TestConfig,), attributes))


def limited_app(session_app, **limits):
    """A second app with rate limits on (in memory) and `limits` set."""
    return fresh_app(session_app, RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://", **limits)


@pytest.fixture
def restore_extensions(app):
    """Creating another app rebinds the shared limiter and Socket.IO server: undo it."""
    server, options = socketio.server, dict(socketio.server_options)
    yield
    limiter.reset()
    limiter.init_app(app)
    socketio.server, socketio.server_options = server, options


def notice_types_of(user):
    return [
        notice.type
        for notice in db.session.scalars(
            db.select(Notice)
            .join(Delivery, Delivery.notice_id == Notice.id)
            .where(Delivery.user_id == user.id)
        )
    ]


# ---- 1. admin password guessing ------------------------------------------------------


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


# ---- 2. avatars that point at other people's files -----------------------------------


def test_avatar_urls_never_delete_another_organizations_file(app, client):
    alice, mallory = make_user(), make_user()
    victim, own = make_org(owner=alice), make_org(owner=mallory)
    uploaded = upload(client, f"/api/organizations/{victim.id}/avatar/", alice, jpeg_bytes())
    assert uploaded.status_code == 200
    victim_url = uploaded.json["img"]
    victim_file = victim_url.rsplit("/", 1)[1]
    # Mallory points her organization's avatar at Alice's file, then replaces it.
    pointed = client.put(
        f"/api/organizations/{own.id}/", json={"avatar": victim_url}, headers=headers(mallory)
    )
    assert pointed.status_code == 200
    assert upload(client, f"/api/organizations/{own.id}/avatar/", mallory, jpeg_bytes()).status_code == 200
    assert (
        client.put(
            f"/api/organizations/{own.id}/", json={"avatar": None}, headers=headers(mallory)
        ).status_code
        == 200
    )
    # ... and does the same through an activity's picture.
    activity = make_activity(owner=mallory, avatar=victim_url)
    assert (
        client.delete(f"/api/activities/{activity.id}/avatar/", headers=headers(mallory)).status_code == 204
    )
    assert victim_file in files_in(app, "orgs")
    assert client.get(f"/uploads/orgs/{victim_file}").status_code == 200
    # Alice's own replacement still removes her old file.
    assert upload(client, f"/api/organizations/{victim.id}/avatar/", alice, jpeg_bytes()).status_code == 200
    assert victim_file not in files_in(app, "orgs")


# ---- 3 and 8b. image bombs, phone originals, EXIF ------------------------------------


def jpeg_bytes(size=(64, 48), exif=None):
    image = Image.linear_gradient("L").resize(size).convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90, **({"exif": exif} if exif is not None else {}))
    return buffer.getvalue()


def gif_bomb(size=(1000, 1000), frames=40):
    images = [Image.new("P", size, color=index % 2) for index in range(frames)]
    for image in images:
        image.putpalette([0, 0, 0, 255, 255, 255] * 128)
    buffer = io.BytesIO()
    images[0].save(buffer, "GIF", save_all=True, append_images=images[1:], duration=50, loop=0)
    return buffer.getvalue()


def test_animated_image_bombs_are_refused_before_decoding(app, client):
    owner = make_user()
    org = make_org(owner=owner)
    bomb = gif_bomb()
    assert len(bomb) < app.config["MAX_UPLOAD_MB"] * 1024 * 1024
    before = files_in(app, "orgs")
    started = time.monotonic()
    response = upload(client, f"/api/organizations/{org.id}/avatar/", owner, bomb, filename="a.gif")
    assert response.status_code == 400 and "动图" in response.json["detail"]
    assert time.monotonic() - started < 2
    assert files_in(app, "orgs") == before


def test_a_small_animation_stays_animated(client):
    owner = make_user()
    org = make_org(owner=owner)
    response = upload(
        client, f"/api/organizations/{org.id}/avatar/", owner, gif_bomb((64, 64), 10), filename="a.gif"
    )
    assert response.status_code == 200
    served = client.get(response.json["img"].replace("http://testserver", ""))
    with Image.open(io.BytesIO(served.data)) as image:
        assert image.format == "GIF" and image.n_frames == 10


def test_phone_originals_are_scaled_down_and_lose_their_exif(app, client):
    owner = make_user()
    org = make_org(owner=owner)
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0112] = 6  # Orientation: rotate 90° to show upright
    gps = exif.get_ifd(0x8825)
    gps[2] = (39.0, 58.0, 53.0)  # GPSLatitude
    gps[4] = (116.0, 20.0, 50.0)  # GPSLongitude
    original = jpeg_bytes((4000, 3000), exif=exif.tobytes())
    with Image.open(io.BytesIO(original)) as sent:
        assert sent.getexif().get_ifd(0x8825)
    response = upload(client, f"/api/organizations/{org.id}/avatar/", owner, original)
    assert response.status_code == 200
    served = client.get(response.json["img"].replace("http://testserver", ""))
    with Image.open(io.BytesIO(served.data)) as stored:
        assert stored.format == "JPEG"
        assert stored.size == (1440, 1920)  # upright, longest side UPLOAD_MAX_SIDE
        assert not stored.getexif()  # no GPS, no maker, no orientation left
        assert b"PhoneMaker" not in served.data


def test_too_large_uploads_get_a_toast_text(app, client):
    owner = make_user()
    org = make_org(owner=owner)
    limit = app.config["MAX_UPLOAD_MB"]
    assert limit >= 10  # phone originals fit
    body = b"\xff\xd8" + os.urandom(int((limit + 1) * 1024 * 1024))
    response = upload(client, f"/api/organizations/{org.id}/avatar/", owner, body)
    assert response.status_code == 413
    assert response.json["detail"] == f"图片过大，请选择不超过 {limit:g} MB 的图片。"


# ---- 4. request bodies -----------------------------------------------------------------


@pytest.mark.parametrize("body", ["[" * 100_000 + "]" * 100_000, '{"a":' * 40_000 + "1" + "}" * 40_000])
def test_deeply_nested_json_is_a_400(client, body):
    response = client.post("/api/userLogin/", data=body, content_type="application/json")
    assert response.status_code == 400 and response.json["detail"]


def test_json_bodies_beyond_the_limit_are_refused_unread(client):
    admin = make_admin()
    body = '{"name": "' + "x" * 400_000 + '"}'
    response = client.post(
        "/api/activities/categories/", data=body, content_type="application/json", headers=headers(admin)
    )
    assert response.status_code == 413 and response.json["detail"]


# ---- 5. development login on a production database -------------------------------------


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


# ---- 6. deleting users ------------------------------------------------------------------


def test_deleting_an_organization_owner_is_refused_until_ownership_moves(client):
    admin, owner, heir = make_admin(), make_user(), make_user()
    org = make_org(owner=owner, managers=[heir])
    activity = make_activity(org=org)
    refused = client.delete(f"/api/users/{owner.id}/", headers=headers(admin))
    assert refused.status_code == 409 and org.name in refused.json["detail"]
    assert db.session.get(Activity, activity.id) is not None
    moved = client.post(
        f"/api/organizations/owner/{org.id}/", json={"owner": heir.id}, headers=headers(admin)
    )
    assert moved.status_code in (200, 201), moved.json
    assert client.delete(f"/api/users/{owner.id}/", headers=headers(admin)).status_code == 204
    db.session.expire_all()
    assert db.session.get(Organization, org.id) is not None
    kept = db.session.get(Activity, activity.id)
    assert kept is not None and kept.owner_id == heir.id


def test_deleting_a_user_keeps_organization_activities_and_tells_participants(client):
    admin, owner, leaver = make_admin(), make_user(), make_user()
    org = make_org(owner=owner, managers=[leaver], block_id=CLUB)
    org_activity = make_activity(org=org, owner=leaver)
    own_activity = make_activity(owner=leaver)
    fan, friend = make_user(), make_user()
    join(org_activity, fan)
    join(own_activity, friend)
    own_id = own_activity.id
    assert client.delete(f"/api/users/{leaver.id}/", headers=headers(admin)).status_code == 204
    db.session.expire_all()
    kept = db.session.get(Activity, org_activity.id)
    assert kept is not None and kept.owner_id == owner.id and kept.org_id == org.id
    assert db.session.get(Activity, own_id) is None
    assert texts.ACT_CANCEL in notice_types_of(friend)
    assert texts.ACT_CANCEL not in notice_types_of(fan)


def test_deleting_an_organization_tells_its_participants(client):
    admin = make_admin()
    org = make_org()
    fan = make_user()
    join(make_activity(org=org), fan)
    assert client.delete(f"/api/organizations/{org.id}/", headers=headers(admin)).status_code in (200, 204)
    assert texts.ACT_CANCEL in notice_types_of(fan)


# ---- 7. a removed manager ---------------------------------------------------------------


def test_a_removed_manager_loses_control_of_the_activities_they_published(client):
    owner, manager, participant = make_user(), make_user(), make_user()
    org = make_org(owner=owner, managers=[manager], block_id=CLUB)
    activity = make_activity(org=org, owner=manager)
    join(activity, participant)
    removed = client.delete(
        f"/api/organizations/managers/?user={manager.id}&org={org.id}", headers=headers(owner)
    )
    assert removed.status_code == 200
    as_manager = headers(manager)
    begin = activity.begin_time
    edit = {
        "name": "改名",
        "begin_time": fmt(begin),
        "end_time": fmt(activity.end_time),
        "contain": 10,
        "location": make_address().id,
        "block": CLUB,
    }
    assert client.put(f"/api/activities/{activity.id}/", json=edit, headers=as_manager).status_code == 403
    assert client.get(f"/api/activities/{activity.id}/participants/", headers=as_manager).status_code == 403
    kick = f"/api/activities/participants/?person={participant.id}&act={activity.id}&operator={manager.id}"
    assert client.delete(kick, headers=as_manager).status_code == 403
    assert client.delete(f"/api/activities/{activity.id}/", headers=as_manager).status_code == 403
    relation = client.post(
        "/api/userActRelation/", json={"user": manager.id, "act": activity.id}, headers=as_manager
    )
    assert relation.json["isOwner"] is True and relation.json["isManager"] is False
    # The activity stays the organization's; its managers keep control.
    assert client.put(f"/api/activities/{activity.id}/", json=edit, headers=headers(owner)).status_code == 200
    db.session.expire_all()
    assert db.session.get(Activity, activity.id).org_id == org.id


# ---- 8a. contact ---------------------------------------------------------------------------


def test_contact_is_seen_only_by_the_user_admins_and_their_activities_managers(client):
    student = make_user(contact="13800000000")
    stranger, organiser, admin = make_user(), make_user(), make_admin()
    activity = make_activity(owner=organiser)
    make_comment(make_activity(), student)

    def contact_seen_by(principal):
        return client.get(f"/api/users/{student.id}/", headers=headers(principal)).json["contact"]

    assert contact_seen_by(stranger) is None
    assert contact_seen_by(organiser) is None  # not before the student joins
    assert contact_seen_by(student) == contact_seen_by(admin) == "13800000000"
    join(activity, student)
    assert contact_seen_by(organiser) == "13800000000"
    assert contact_seen_by(stranger) is None
    people = client.get(f"/api/activities/{activity.id}/participants/", headers=headers(organiser)).json
    assert people[0]["person"]["contact"] == "13800000000"
    assert "13800000000" not in client.post(
        "/api/activities/search/", json={}, headers=headers(stranger)
    ).get_data(as_text=True)


# ---- 9. shared lists ------------------------------------------------------------------------


def test_only_verified_students_add_categories_and_addresses(client):
    unverified, verified = make_user(verified=False), make_user()
    address = {"name": "新主楼", "longitude": "116.347256", "latitude": "39.981891"}
    assert (
        client.post(
            "/api/activities/categories/", json={"name": "桌游"}, headers=headers(unverified)
        ).status_code
        == 403
    )
    assert (
        client.post("/api/activities/addresses/", json=address, headers=headers(unverified)).status_code
        == 403
    )
    assert (
        client.post(
            "/api/activities/categories/", json={"name": "桌游"}, headers=headers(verified)
        ).status_code
        == 201
    )
    assert (
        client.post("/api/activities/addresses/", json=address, headers=headers(verified)).status_code == 201
    )


def test_shared_list_writes_are_rate_limited(app, restore_extensions):
    limited = limited_app(
        app,
        RATELIMIT_SHARED_WRITES_PER_USER="2/minute",
    )
    client = limited.test_client()
    with limited.app_context():
        student_headers = headers(make_user())
    statuses = [
        client.post(
            "/api/activities/categories/", json={"name": f"分类{i}"}, headers=student_headers
        ).status_code
        for i in range(3)
    ]
    assert statuses == [201, 201, 429]


# ---- 10. mails of a process that exits -----------------------------------------------------

EXITING_SENDER = """
import sys
from config import TestConfig
from reedsailing import create_app
from reedsailing.integrations.mail import send_many_in_background

class Settings(TestConfig):
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    MAIL_SERVER = "127.0.0.1"
    MAIL_PORT = int(sys.argv[1])

app = create_app(Settings)
with app.app_context():
    # What the after-commit hook of a notice with mails does; then the CLI returns.
    send_many_in_background([(f"s{i}@buaa.edu.cn", "课程提醒", "正文") for i in range(30)])
"""


def test_mails_of_a_committed_notice_are_sent_before_a_clean_exit():
    sink = SmtpSink().start()
    try:
        env = {**os.environ, "LOG_LEVEL": "WARNING"}
        env.pop("DATABASE_URL", None)
        subprocess.run(
            [sys.executable, "-c", EXITING_SENDER, str(sink.port)], cwd=ROOT, env=env, check=True, timeout=60
        )
        assert len(sink.messages) == 30
    finally:
        sink.stop()


# ---- 11. the WeChat access token ----------------------------------------------------------------


def test_the_web_process_fetches_an_access_token_itself_and_reuses_it(client, fake_wechat):
    user = make_user()
    assert wechat.stored_access_token() is None  # no scheduler has run
    for path in ("pages/index/index", "pages/act/act?id=1", "pages/act/act?id=2"):
        response = client.post("/api/qrcode/", json={"path": path}, headers=headers(user))
        assert response.status_code == 200, response.json
    assert fake_wechat.tokens_issued == 1
    assert store.get_value(wechat.ACCESS_TOKEN_KEY) == "access-token-1"


# ---- 12. smaller ones ------------------------------------------------------------------------------

SILENT_REDIS_PUSH = """
import sys, time
from config import TestConfig
from reedsailing import create_app
from reedsailing.messages.services import push

class Settings(TestConfig):
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    REDIS_URL = f"redis://127.0.0.1:{sys.argv[1]}/0"
    REDIS_SOCKET_TIMEOUT_SECONDS = 0.5

app = create_app(Settings)
with app.app_context():
    started = time.monotonic()
    push({"id": 1, "type": 1, "content": "x"}, list(range(1, 31)))
    print(round(time.monotonic() - started, 2))
"""


def test_a_redis_that_never_answers_cannot_hang_a_notice():
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(64)  # connections complete in the backlog; nothing is ever read or answered
    try:
        env = {**os.environ, "LOG_LEVEL": "CRITICAL"}
        env.pop("DATABASE_URL", None)
        result = subprocess.run(
            [sys.executable, "-c", SILENT_REDIS_PUSH, str(silent.getsockname()[1])],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert result.returncode == 0, result.stderr[-2000:]
        # one notice to 30 students: one publish, bounded by the 0.5 s timeout (and a retry)
        assert float(result.stdout.strip().splitlines()[-1]) < 5
    finally:
        silent.close()


def test_forwarded_host_is_not_trusted_and_hsts_only_over_https(app, restore_extensions):
    proxied = fresh_app(app, TRUSTED_PROXY_COUNT=1)

    @proxied.get("/probe/")
    def probe():
        return {"host": request.host, "secure": request.is_secure, "remote": request.remote_addr}

    client = proxied.test_client()
    forwarded = {
        "X-Forwarded-Host": "evil.example",
        "X-Forwarded-Proto": "https",
        "X-Forwarded-For": "10.1.2.3",
    }
    answer = client.get("/probe/", headers=forwarded)
    assert answer.json == {"host": "localhost", "secure": True, "remote": "10.1.2.3"}
    assert answer.headers["Strict-Transport-Security"].startswith("max-age=")
    plain = client.get("/probe/")
    assert "Strict-Transport-Security" not in plain.headers


def test_security_headers_on_api_answers_and_pages(client):
    for path in ("/api/health/", "/api/no-such-route/"):
        answer = client.get(path)
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        assert answer.headers["X-Frame-Options"] == "DENY"
        assert "default-src 'none'" in answer.headers["Content-Security-Policy"]
    for page in ("/apidocs/", "/charts/"):
        answer = client.get(page)
        assert answer.status_code == 200
        assert answer.headers["X-Frame-Options"] == "DENY"
        # the pages' own scripts and styles still run (tests/test_browser.py)
        assert answer.headers["Content-Security-Policy"] == "frame-ancestors 'none'"


def test_verification_codes_are_not_logged_for_real_accounts(client, fake_wechat, caplog):
    caplog.set_level(logging.DEBUG)
    student = make_user(verified=False)
    sent = client.post("/api/sendVerify/", json={"email": "someone@buaa.edu.cn"}, headers=headers(student))
    assert sent.status_code == 200
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "someone@buaa.edu.cn" in logged and "验证码是" not in logged


def test_mail_defaults_to_submission_with_starttls():
    assert (Config.MAIL_PORT, Config.MAIL_USE_TLS, Config.MAIL_USE_SSL) == (587, True, False)
