"""WeChat subscribe messages: allowances, the outbox notify() fills, and the sender,
against the fake WeChat server over real HTTP (docs/notices.md, "Outside the app")."""

import json
import os
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from reedsailing.core.timeutil import now
from reedsailing.extensions import db
from reedsailing.integrations import wechat
from reedsailing.messages import texts
from reedsailing.messages.services import notify
from reedsailing.models import Activity, Delivery, Notice, SubscribeAllowance, SubscribeMessage
from reedsailing.models.subscriptions import FAILED, PENDING, REFUSED, SENT
from reedsailing.scheduler.loop import Scheduler, default_jobs
from reedsailing.subscriptions import services
from tests.factories import headers, join, make_activity, make_user
from tests.support.smtp_sink import free_port

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = {
    texts.ACT_CONTENT: "tmpl-changed",
    texts.ACT_CANCEL: "tmpl-canceled",
    texts.REMOVED_FROM_ACT: "tmpl-removed",
    texts.NEW_BOYA: "tmpl-boya",
    texts.ACT_STARTING: "tmpl-soon",
    12: "tmpl-admitted",  # admitted from the waiting list (its notice comes with another change)
}


@pytest.fixture
def wx(app, fake_wechat, monkeypatch):
    setting = ",".join(f"{kind}={template}" for kind, template in TEMPLATES.items())
    monkeypatch.setitem(app.config, "WECHAT_SUBSCRIBE_TEMPLATES", setting)
    return fake_wechat


def allow(client, user, *templates):
    result = {"errMsg": "requestSubscribeMessage:ok", **dict.fromkeys(templates, "accept")}
    response = client.post("/api/subscriptions/", json=result, headers=headers(user))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def send(at=None, owner="test-sender"):
    return services.send_due(owner, at=at)


def outbox():
    db.session.expire_all()
    return db.session.scalars(select(SubscribeMessage).order_by(SubscribeMessage.id)).all()


def sent_to(fake):
    return sorted(body["touser"] for body in fake.subscribe_sent)


# -- allowances ------------------------------------------------------------------------


def test_the_app_reports_allowances_one_per_acceptance(client, wx):
    student = make_user()
    answer = allow(client, student, "tmpl-canceled")
    assert answer["allowances"] == {"tmpl-canceled": 1}
    assert answer["templates"]["2"] == "tmpl-canceled"
    assert answer["templates"]["12"] == "tmpl-admitted"
    result = {"tmpl-canceled": "accept", "tmpl-soon": "reject", "tmpl-unknown": "accept", "errMsg": "ok"}
    answer = client.post("/api/subscriptions/", json=result, headers=headers(student)).get_json()
    assert answer["allowances"] == {"tmpl-canceled": 2}
    assert client.get("/api/subscriptions/", headers=headers(student)).get_json()["allowances"] == {
        "tmpl-canceled": 2
    }


def test_allowances_need_a_student(client, wx):
    assert client.post("/api/subscriptions/", json={"tmpl-soon": "accept"}).status_code == 401
    assert client.post("/api/subscriptions/", data="[1]", headers=headers(make_user())).status_code == 400


def test_without_templates_nothing_is_queued(client, fake_wechat):
    student = make_user()
    assert allow(client, student, "tmpl-changed")["allowances"] == {}
    notify(texts.ACT_CONTENT, [student.id], activity=make_activity())
    db.session.commit()
    assert outbox() == []


# -- exactly one message per allowance -----------------------------------------------------


def test_each_allowance_brings_exactly_one_message(client, wx):
    once, twice, never = make_user(), make_user(), make_user()
    activity = make_activity(name="周末羽毛球", begin=now().replace(second=0) + timedelta(days=2))
    for student in (once, twice, never):
        join(activity, student)
    allow(client, once, "tmpl-changed")
    allow(client, twice, "tmpl-changed")
    allow(client, twice, "tmpl-changed")
    allow(client, never, "tmpl-soon")  # another kind's template

    for _ in range(3):
        notify(texts.ACT_CONTENT, [once.id, twice.id, never.id], activity=activity)
        db.session.commit()
        send()

    assert sent_to(wx) == sorted([once.openid, twice.openid, twice.openid])
    assert {body["template_id"] for body in wx.subscribe_sent} == {"tmpl-changed"}
    data = wx.subscribe_sent[0]["data"]
    assert data["thing1"] == {"value": "周末羽毛球"}
    assert data["time2"] == {"value": activity.begin_time.strftime("%Y-%m-%d %H:%M")}
    assert data["thing3"]["value"].startswith("您参与的活动")
    assert len(data["thing3"]["value"]) <= 20
    assert [message.state for message in outbox()] == [SENT] * 3
    remaining = db.session.scalars(select(SubscribeAllowance.remaining)).all()
    assert sorted(remaining) == [0, 0, 1]  # the unused "soon" allowance is kept
    # Every notice reached everybody in the app, allowance or not.
    assert db.session.scalar(select(func.count()).select_from(Delivery)) == 9


def test_two_notices_at_once_never_spend_one_allowance_twice(app, client, wx):
    student = make_user()
    activities = [make_activity(), make_activity()]
    allow(client, student, "tmpl-changed")
    barrier = threading.Barrier(2)
    # Plain ids, read here: the ORM objects belong to this thread's session (the request
    # above committed and expired them; a thread refreshing one would use that session's
    # connection from another thread).
    student_id, activity_ids = student.id, [a.id for a in activities]

    def notifier(activity_id):
        with app.app_context():
            barrier.wait()
            notify(texts.ACT_CONTENT, [student_id], activity=db.session.get(Activity, activity_id))
            db.session.commit()

    threads = [threading.Thread(target=notifier, args=(activity_id,)) for activity_id in activity_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(outbox()) == 1
    assert db.session.scalar(select(SubscribeAllowance.remaining)) == 0
    assert db.session.scalar(select(func.count()).select_from(Notice)) == 2


def test_a_rolled_back_notice_spends_no_allowance(client, wx):
    student = make_user()
    allow(client, student, "tmpl-removed")
    notify(texts.REMOVED_FROM_ACT, [student.id], activity=make_activity())
    db.session.rollback()
    assert outbox() == []
    assert db.session.scalar(select(SubscribeAllowance.remaining)) == 1


def test_a_canceled_activity_is_announced_after_it_is_gone(client, wx):
    owner, participant = make_user(), make_user()
    activity = make_activity(owner=owner, name="取消的讲座")
    join(activity, participant)
    allow(client, participant, "tmpl-canceled")
    assert client.delete(f"/api/activities/{activity.id}/", headers=headers(owner)).status_code == 200
    assert send().sent == 1
    (body,) = wx.subscribe_sent
    assert body["touser"] == participant.openid and body["template_id"] == "tmpl-canceled"
    assert body["data"]["thing1"] == {"value": "取消的讲座"}
    assert body["miniprogram_state"] == "formal" and "page" not in body


def test_the_page_and_state_settings_reach_wechat(client, wx, app, monkeypatch):
    monkeypatch.setitem(app.config, "WECHAT_SUBSCRIBE_PAGE", "pages/notice/notice")
    monkeypatch.setitem(app.config, "WECHAT_SUBSCRIBE_STATE", "trial")
    student = make_user()
    allow(client, student, "tmpl-soon")
    notify(texts.ACT_STARTING, [student.id], activity=make_activity())
    db.session.commit()
    send()
    assert wx.subscribe_sent[0]["page"] == "pages/notice/notice"
    assert wx.subscribe_sent[0]["miniprogram_state"] == "trial"


def test_the_reminder_job_and_the_sender_job_together(client, wx, app):
    student = make_user()
    activity = make_activity(begin=now() + timedelta(minutes=20))
    join(activity, student)
    allow(client, student, "tmpl-soon")
    scheduler = Scheduler(app, default_jobs(app.config))
    names = [job.name for job in scheduler.jobs]
    assert "subscribe-messages" in names
    scheduler.run_all()  # the token, the reminder, then its subscribe message
    assert sent_to(wx) == [student.openid]
    assert wx.subscribe_sent[0]["template_id"] == "tmpl-soon"
    scheduler.release_leases()


def test_notify_costs_the_same_queries_for_many_recipients(client, wx, count_queries):
    activity = make_activity()
    few = [make_user() for _ in range(2)]
    many = [make_user() for _ in range(30)]
    for student in few + many:
        allow(client, student, "tmpl-changed")

    def measure(students):
        ids = [s.id for s in students]
        with count_queries() as counter:
            notify(texts.ACT_CONTENT, ids, activity=activity)
            db.session.commit()
        return counter.count

    assert measure(few) == measure(many)
    assert len(outbox()) == 32


# -- WeChat failures ---------------------------------------------------------------------


def queued_for(client, student, template="tmpl-changed", kind=texts.ACT_CONTENT):
    allow(client, student, template)
    notice = notify(kind, [student.id], activity=make_activity())
    db.session.commit()
    return notice.id


def test_a_failure_is_retried_later_and_loses_nothing(client, wx):
    student = make_user()
    notice_id = queued_for(client, student)
    wx.fail_sends = 1
    summary = send()
    assert (summary.sent, summary.retrying) == (0, 1)
    (message,) = outbox()
    assert message.state == PENDING and message.attempts == 1
    assert message.last_error == "-1: system error"
    assert message.next_attempt_at > now()
    assert send().sent == 0  # not due yet
    assert db.session.get(Notice, notice_id) is not None  # the notice itself is untouched
    assert send(at=now() + timedelta(minutes=5)).sent == 1
    assert sent_to(wx) == [student.openid]
    assert outbox()[0].state == SENT and outbox()[0].last_error is None


def test_out_of_attempts_is_recorded_as_failed(client, wx, app, monkeypatch, caplog):
    monkeypatch.setitem(app.config, "WECHAT_SUBSCRIBE_MAX_ATTEMPTS", 2)
    queued_for(client, make_user())
    wx.fail_sends = 10
    send()
    send(at=now() + timedelta(hours=1))
    assert send(at=now() + timedelta(hours=2)).sent == 0
    (message,) = outbox()
    assert (message.state, message.attempts) == (FAILED, 2)
    assert "failed for good after 2 attempts" in caplog.text


def test_a_refusal_43101_is_recorded_and_not_retried(client, wx, caplog):
    caplog.set_level("INFO", logger="reedsailing.subscriptions.services")
    student = make_user()
    queued_for(client, student)
    wx.refusing_openids.add(student.openid)
    assert send().refused == 1
    assert send(at=now() + timedelta(hours=1)).refused == 0
    (message,) = outbox()
    assert message.state == REFUSED and message.last_error.startswith("43101")
    assert "refused" in caplog.text


def test_bad_data_47003_is_recorded_as_failed_at_once(client, wx, app, monkeypatch):
    monkeypatch.setitem(app.config, "WECHAT_SUBSCRIBE_FIELDS", "thing1=activity,time2=text")
    queued_for(client, make_user())
    assert send().failed == 1
    (message,) = outbox()
    assert (message.state, message.attempts) == (FAILED, 1)
    assert message.last_error.startswith("47003")
    assert wx.subscribe_sent == []


def test_an_expired_token_40001_is_fetched_again_and_the_message_sent(client, wx):
    student = make_user()
    queued_for(client, student)
    wechat.fetch_access_token()
    wx.expire_tokens()  # WeChat ended it before our copy expired
    assert send().sent == 1
    assert wx.tokens_issued == 2
    assert wechat.stored_access_token() == "access-token-2"
    paths = [path for path, _ in wx.requests]
    assert paths.count("/cgi-bin/message/subscribe/send") == 2


def test_without_a_stored_token_the_sender_fetches_one(client, wx):
    queued_for(client, make_user())
    assert wechat.stored_access_token() is None
    assert send().sent == 1
    assert wechat.stored_access_token() == "access-token-1"


def test_unreachable_wechat_is_retried(client, wx, app, monkeypatch):
    queued_for(client, make_user())
    wechat.fetch_access_token()
    monkeypatch.setitem(app.config, "WECHAT_API_BASE", f"http://127.0.0.1:{free_port()}")
    assert send().retrying == 1
    assert "unreachable" in outbox()[0].last_error
    monkeypatch.setitem(app.config, "WECHAT_API_BASE", wx.base_url)
    assert send(at=now() + timedelta(minutes=5)).sent == 1


def test_an_unexpected_error_leaves_the_message_for_a_retry(client, wx, monkeypatch):
    queued_for(client, make_user())

    def broken_store(*args, **kwargs):
        raise RuntimeError("the store is down")

    monkeypatch.setattr(wechat.store, "set_value", broken_store)
    assert send().retrying == 1
    assert "the store is down" in outbox()[0].last_error


def test_a_claim_left_by_a_dead_sender_is_taken_back(client, wx):
    queued_for(client, make_user())
    (message,) = outbox()
    message.state, message.claimed_at, message.claimed_by = "sending", now() - timedelta(hours=1), "dead"
    db.session.commit()
    assert send().sent == 1


# -- two senders ---------------------------------------------------------------------------


def many_queued(client, count):
    students = [make_user() for _ in range(count)]
    activity = make_activity()
    for student in students:
        allow(client, student, "tmpl-changed")
    notify(texts.ACT_CONTENT, [s.id for s in students], activity=activity)
    db.session.commit()
    return students


def test_two_racing_senders_never_send_one_message_twice(app, client, wx):
    students = many_queued(client, 20)
    wechat.fetch_access_token()  # the scheduler's token job keeps one
    db.session.commit()  # the job's boundary
    wx.send_delay = 0.01
    barrier = threading.Barrier(2)
    summaries = []

    def sender(name):
        with app.app_context():
            barrier.wait()
            summaries.append(services.send_due(name))

    threads = [threading.Thread(target=sender, args=(f"sender-{i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sent_to(wx) == sorted(s.openid for s in students)
    assert sum(s.sent for s in summaries) == 20
    assert sum(s.skipped for s in summaries) > 0  # they did race for the same rows


SENDER_SCRIPT = """
import sys
from config import TestConfig
from reedsailing import create_app
from reedsailing.subscriptions.services import send_due

class Config(TestConfig):
    SQLALCHEMY_DATABASE_URI = sys.argv[1]
    WECHAT_APPID = sys.argv[2]
    WECHAT_SECRET = sys.argv[3]
    WECHAT_API_BASE = sys.argv[4]
    WECHAT_SUBSCRIBE_TEMPLATES = sys.argv[5]
    REDIS_URL = None

app = create_app(Config)
with app.app_context():
    sys.stdin.readline()  # both start together
    summary = send_due(sys.argv[6])
    print(summary.sent, summary.skipped)
"""


@pytest.mark.slow
def test_two_sender_processes_never_send_one_message_twice(app, client, wx, database_url):
    students = many_queued(client, 30)
    wechat.fetch_access_token()
    db.session.commit()  # the job's boundary
    wx.send_delay = 0.01
    setting = app.config["WECHAT_SUBSCRIBE_TEMPLATES"]
    env = {key: value for key, value in os.environ.items() if key != "REDIS_URL"}
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                SENDER_SCRIPT,
                database_url,
                wx.appid,
                wx.secret,
                wx.base_url,
                setting,
                name,
            ],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("process-a", "process-b")
    ]
    for process in processes:  # both wait on stdin after start-up: let them go together
        process.stdin.write("go\n")
        process.stdin.flush()
    outputs = [process.communicate(timeout=120) for process in processes]
    assert all(process.returncode == 0 for process in processes), outputs
    sent = [int(out.split()[0]) for out, _ in outputs]
    assert sum(sent) == 30
    assert sent_to(wx) == sorted(s.openid for s in students)
    assert {message.state for message in outbox()} == {SENT}
    assert len({json.dumps(body, sort_keys=True) for body in wx.subscribe_sent}) == 30
