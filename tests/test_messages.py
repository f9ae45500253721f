"""Notices over Socket.IO and REST: who may connect, what each user receives, read state,
and the mails that go with them."""

import os
import socket
import subprocess
import sys
import time

import pytest
from itsdangerous import URLSafeTimedSerializer

from config import Config
from reedsailing.extensions import db, socketio
from reedsailing.messages import texts
from reedsailing.messages.services import notify
from reedsailing.models import Delivery, Notice, User
from reedsailing.security import auth
from tests.factories import headers, make_activity, make_admin, make_org, make_user
from tests.support.realtime import connect, events
from tests.support.server import ROOT
from tests.support.smtp_sink import SmtpSink

NOTICE_KEYS = {"id", "type", "time", "content", "act", "org"}


def tell(user_ids, notice_type=texts.ACT_STARTING, **kwargs):
    if "act" not in kwargs:
        kwargs.setdefault("act_id", None)
    notice = notify(notice_type, user_ids, **kwargs)
    db.session.commit()
    return notice


# --- connecting -----------------------------------------------------------------


def test_connect_without_token_is_refused(app, client):
    sio = connect(app, client)
    assert not sio.is_connected()


@pytest.mark.parametrize("token", ["forged", "", "a.b.c"])
def test_connect_with_forged_token_is_refused(app, client, token):
    sio = connect(app, client, token=token)
    assert not sio.is_connected()


def test_token_signed_with_another_key_is_refused(app, client):
    user = make_user()
    forged = URLSafeTimedSerializer("not-our-key", salt=auth.USER_SALT).dumps({"u": user.id})
    assert not connect(app, client, token=forged).is_connected()


def test_expired_token_is_refused(app, client, monkeypatch):
    user = make_user()
    token = auth.issue_user_token(user)
    monkeypatch.setitem(app.config, "TOKEN_TTL_DAYS", -1)
    assert not connect(app, client, token=token).is_connected()


def test_deleted_user_is_refused(app, client):
    user = make_user()
    token = auth.issue_user_token(user)
    db.session.delete(user)
    db.session.commit()
    assert not connect(app, client, token=token).is_connected()


def test_admin_token_is_refused(app, client):
    admin = make_admin()
    assert not connect(app, client, token=auth.issue_admin_token(admin)).is_connected()


def test_token_in_query_string_is_accepted(app, client):
    user = make_user()
    sio = socketio.test_client(
        app, query_string=f"token={auth.issue_user_token(user)}", flask_test_client=client
    )
    assert sio.is_connected()
    assert events(sio, "notifications") == [[]]


def test_connect_sends_unread_list_newest_first(app, client):
    user, other = make_user(), make_user()
    org = make_org(name="航模社")
    first = tell([user.id, other.id], texts.BECOME_MANAGER, org=org)
    second = tell([user.id], texts.ACT_STARTING)
    read = tell([user.id])
    db.session.query(Delivery).filter_by(notice_id=read.id, user_id=user.id).update({"read": True})
    db.session.commit()
    tell([other.id])  # someone else's

    sio = connect(app, client, user)

    assert sio.is_connected()
    (unread,) = events(sio, "notifications")
    assert [n["id"] for n in unread] == [second.id, first.id]
    assert all(set(n) == NOTICE_KEYS for n in unread)
    assert unread[1] == {
        "id": first.id,
        "type": 8,
        "time": first.time.strftime("%Y-%m-%dT%H:%M:%S"),
        "content": "您成为'航模社'组织的管理员\n",
        "act": None,
        "org": org.id,
    }


def test_unread_list_on_connect_is_constant_queries(app, client, count_queries):
    user = make_user()
    tell([user.id])
    with count_queries() as few:
        connect(app, client, user)
    for _ in range(30):
        tell([user.id])
    with count_queries() as many:
        sio = connect(app, client, user)
    assert len(events(sio, "notifications")[0]) == 31
    assert many.count == few.count <= 3


# --- live pushes ------------------------------------------------------------------


def test_committed_notice_is_pushed_live_to_its_recipients_only(app, client):
    alice, bob, carol = make_user(), make_user(), make_user()
    activity = make_activity(name="篮球赛")
    sockets = {u.id: connect(app, client, u) for u in (alice, bob, carol)}
    for sio in sockets.values():
        sio.get_received()

    notice = notify(texts.ACT_CONTENT, [alice.id, bob.id], activity=activity)
    db.session.commit()

    expected = {
        "id": notice.id,
        "type": 1,
        "time": notice.time.strftime("%Y-%m-%dT%H:%M:%S"),
        "content": "您参与的活动'篮球赛'内容发生了改变，请及时查看\n",
        "act": activity.id,
        "org": None,
    }
    assert events(sockets[alice.id], "notification") == [expected]
    assert events(sockets[bob.id], "notification") == [expected]
    assert sockets[carol.id].get_received() == []


def test_nothing_is_pushed_before_commit_or_after_rollback(app, client):
    user = make_user()
    sio = connect(app, client, user)
    sio.get_received()

    notify(texts.ACT_STARTING, [user.id], activity_id=None)
    db.session.flush()
    assert sio.get_received() == []
    db.session.rollback()
    assert sio.get_received() == []
    assert db.session.query(Notice).count() == 0

    # A later, unrelated commit must not push the rolled-back notice either.
    make_user()
    assert sio.get_received() == []
    sio.emit("sync")
    assert events(sio, "notifications") == [[]]


def test_user_never_receives_another_users_notices(app, client):
    alice, bob = make_user(), make_user()
    tell([bob.id])
    alice_socket = connect(app, client, alice)
    assert events(alice_socket, "notifications") == [[]]
    tell([bob.id])
    assert alice_socket.get_received() == []
    # Naming another user's room from the client does nothing: there is no join event.
    alice_socket.emit("join", {"room": f"user:{bob.id}"})
    tell([bob.id])
    assert alice_socket.get_received() == []


def test_push_after_rest_read_keeps_list_in_sync(app, client):
    user = make_user()
    sio = connect(app, client, user)
    sio.get_received()
    first, second = tell([user.id]), tell([user.id])
    assert [n["id"] for n in events(sio, "notification")] == [first.id, second.id]

    response = client.put(
        f"/api/notifications/read/{user.id}/", json={"notifications": [first.id]}, headers=headers(user)
    )
    assert response.status_code == 200
    assert response.json == {}
    sio.emit("sync")
    assert [[n["id"] for n in lst] for lst in events(sio, "notifications")] == [[second.id]]


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


@pytest.mark.slow
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


# --- client events ------------------------------------------------------------------


def test_read_marks_own_notices_and_ignores_others(app, client):
    alice, bob = make_user(), make_user()
    mine, shared, theirs = tell([alice.id]), tell([alice.id, bob.id]), tell([bob.id])
    sio = connect(app, client, alice)

    ack = sio.emit("read", {"ids": [mine.id, shared.id, theirs.id, 999999]}, callback=True)

    assert ack == {"read": 2}
    assert sio.emit("read", {"ids": [mine.id]}, callback=True) == {"read": 0}  # idempotent
    unread_of = {
        uid: {d.notice_id for d in db.session.query(Delivery).filter_by(user_id=uid, read=False)}
        for uid in (alice.id, bob.id)
    }
    assert unread_of == {alice.id: set(), bob.id: {shared.id, theirs.id}}


@pytest.mark.parametrize(
    "payload",
    [
        None,
        [1, 2],
        "ids",
        5,
        {},
        {"ids": "1"},
        {"ids": [1, "2"]},
        {"ids": [True]},
        {"ids": [0]},
        {"ids": [2**40]},
        {"ids": [1.5]},
        {"ids": list(range(1, 6002))},
    ],
)
def test_read_with_malformed_payload_acks_an_error(app, client, payload):
    user = make_user()
    notice = tell([user.id])
    sio = connect(app, client, user)
    ack = sio.emit("read", payload, callback=True)
    assert set(ack) == {"error"} and ack["error"]
    assert sio.is_connected()
    assert sio.emit("read", {"ids": [notice.id]}, callback=True) == {"read": 1}


def test_sync_re_emits_unread_list(app, client):
    user = make_user()
    sio = connect(app, client, user)
    assert events(sio, "notifications") == [[]]
    notice = tell([user.id])
    sio.get_received()
    sio.emit("sync")
    (unread,) = events(sio, "notifications")
    assert [n["id"] for n in unread] == [notice.id]
    sio.emit("read", {"ids": [notice.id]}, callback=True)
    sio.emit("sync")
    assert events(sio, "notifications") == [[]]


def test_handler_failure_is_logged_and_acked_not_crashed(app, client, monkeypatch, caplog):
    from reedsailing.messages import events as socket_events

    user = make_user()
    sio = connect(app, client, user)

    def broken(*args):
        raise RuntimeError("database went away")

    monkeypatch.setattr(socket_events, "mark_read", broken)
    ack = sio.emit("read", {"ids": [1]}, callback=True)
    assert ack == {"error": "服务器内部错误。"}
    assert "socket event 'read'" in caplog.text
    assert sio.is_connected()


def test_user_deleted_while_connected_reads_nothing(app, client):
    user = make_user()
    notice = tell([user.id])
    sio = connect(app, client, user)
    db.session.delete(db.session.get(User, user.id))
    db.session.commit()
    assert sio.emit("read", {"ids": [notice.id]}, callback=True) == {"read": 0}


# --- fan-out ------------------------------------------------------------------


def test_fan_out_to_2000_recipients_is_constant_queries(app, client, count_queries):
    db.session.execute(
        User.__table__.insert(),
        [{"openid": f"fan-{i}", "name": f"粉丝{i}", "follow_boya": True} for i in range(2000)],
    )
    db.session.commit()
    ids = [uid for (uid,) in db.session.query(User.id).filter(User.openid.like("fan-%"))]
    listener = connect(app, client, db.session.get(User, ids[-1]))
    listener.get_received()
    few_ids = ids[:2]
    course = make_activity(name="航空史")

    with count_queries() as few:
        tell(few_ids, texts.NEW_BOYA, activity=course)
    with count_queries() as many:
        notice = tell(ids, texts.NEW_BOYA, activity=course)

    assert many.count == few.count <= 4
    assert db.session.query(Delivery).filter_by(notice_id=notice.id, read=False).count() == 2000
    assert [n["id"] for n in events(listener, "notification")] == [notice.id]
    sample = connect(app, client, db.session.get(User, ids[1234]))
    assert [n["id"] for n in events(sample, "notifications")[0]] == [notice.id]


# --- mail ------------------------------------------------------------------------


def test_mail_reaches_verified_recipients_and_a_failure_does_not_stop_others(app, smtp_sink, caplog):
    good = make_user(email="good@buaa.edu.cn")
    bad = make_user(email="reject-me@buaa.edu.cn")
    other = make_user(email="other@buaa.edu.cn")
    unverified = make_user(verified=False)
    course = make_activity(name="航空史")

    notify(texts.NEW_BOYA, [bad.id, good.id, unverified.id, other.id], activity=course, mail=True)
    assert smtp_sink.messages == []  # nothing is mailed before commit
    db.session.commit()

    messages = smtp_sink.wait_for(2)
    assert sorted(m["to"][0] for m in messages) == ["good@buaa.edu.cn", "other@buaa.edu.cn"]
    assert all(m["subject"] == "【一苇以航】新博雅通知" for m in messages)
    assert all("有新的博雅'航空史', 如有需要请及时报名" in m["body"] for m in messages)
    deadline = time.monotonic() + 5
    while "mail to reject-me@buaa.edu.cn failed" not in caplog.text and time.monotonic() < deadline:
        time.sleep(0.02)
    assert "mail to reject-me@buaa.edu.cn failed" in caplog.text


def test_rolled_back_notice_is_not_mailed(app, smtp_sink):
    user = make_user(email="good@buaa.edu.cn")
    course = make_activity(name="航空史")
    notify(texts.NEW_BOYA, [user.id], activity=course, mail=True)
    db.session.rollback()
    make_user()  # a later commit
    assert smtp_sink.wait_for(1, timeout=0.3) == []


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


@pytest.mark.slow
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


def test_mail_defaults_to_submission_with_starttls():
    assert (Config.MAIL_PORT, Config.MAIL_USE_TLS, Config.MAIL_USE_SSL) == (587, True, False)
