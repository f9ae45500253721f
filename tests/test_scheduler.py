"""The scheduler process: its jobs, their leases, and a failing job not stopping it."""

import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from datetime import timedelta

import pytest
from flask import has_app_context
from sqlalchemy import func, select, update

from reedsailing.core import store
from reedsailing.core.timeutil import now
from reedsailing.extensions import db
from reedsailing.integrations import wechat
from reedsailing.messages import texts
from reedsailing.models import Activity, Delivery, EmailCode, KeyValue, Notice, User
from reedsailing.scheduler import jobs as tasks
from reedsailing.scheduler.loop import Job, Scheduler, default_jobs
from tests.factories import join, make_activity, make_org, make_user
from tests.support.fake_bykc import course
from tests.support.server import ROOT


def job_named(jobs, name):
    return next(job for job in jobs if job.name == name)


def notices_of(notice_type):
    db.session.expire_all()
    result = []
    for notice in db.session.scalars(select(Notice).where(Notice.type == notice_type).order_by(Notice.id)):
        recipients = db.session.scalars(select(Delivery.user_id).where(Delivery.notice_id == notice.id)).all()
        result.append((notice, sorted(recipients)))
    return result


# -- the job table --------------------------------------------------------------------


def test_unconfigured_services_have_no_job(app):
    names = [job.name for job in default_jobs(app.config)]
    assert names == ["reminders", "housekeeping"]


def test_configured_services_get_their_jobs_and_intervals(app, fake_wechat, fake_bykc, monkeypatch):
    monkeypatch.setitem(app.config, "BOYA_CRAWL_MINUTES", 15)
    monkeypatch.setitem(app.config, "WECHAT_TOKEN_REFRESH_SECONDS", 3000)
    jobs = {job.name: job.interval for job in default_jobs(app.config)}
    assert jobs == {"wechat-token": 3000, "boya-import": 900, "reminders": 60, "housekeeping": 3600}


@pytest.mark.parametrize(
    "setting,value,job,interval",
    [
        ("WECHAT_SUBSCRIBE_SECONDS", 2, "subscribe-messages", 5),
        ("WECHAT_SUBSCRIBE_SECONDS", 0, "subscribe-messages", 5),
        ("WECHAT_TOKEN_REFRESH_SECONDS", 10, "wechat-token", 60),
        ("BOYA_CRAWL_MINUTES", 0, "boya-import", 60),
    ],
)
def test_an_interval_below_its_floor_runs_at_the_floor_and_says_so(
    app, fake_wechat, fake_bykc, monkeypatch, caplog, setting, value, job, interval
):
    monkeypatch.setitem(app.config, "WECHAT_SUBSCRIBE_TEMPLATES", "1=template-1")
    monkeypatch.setitem(app.config, setting, value)
    caplog.set_level("WARNING", logger="reedsailing.scheduler.loop")
    jobs = {each.name: each.interval for each in default_jobs(app.config)}
    assert jobs[job] == interval
    warned = [r.getMessage() for r in caplog.records if setting in r.getMessage()]
    assert len(warned) == 1 and f"{setting}={value}" in warned[0], caplog.text


def test_an_interval_at_or_above_its_floor_is_honoured_silently(app, fake_wechat, monkeypatch, caplog):
    monkeypatch.setitem(app.config, "WECHAT_SUBSCRIBE_TEMPLATES", "1=template-1")
    monkeypatch.setitem(app.config, "WECHAT_SUBSCRIBE_SECONDS", 5)
    caplog.set_level("WARNING", logger="reedsailing.scheduler.loop")
    assert job_named(default_jobs(app.config), "subscribe-messages").interval == 5
    assert "WECHAT_SUBSCRIBE_SECONDS" not in caplog.text


def test_the_floors_are_documented_where_the_settings_are():
    """README's configuration table and operations.md's job table name each floor."""
    from reedsailing.scheduler.loop import FLOORS

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    operations = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    for setting, floor in FLOORS.items():
        row = re.search(rf"^\| `{setting}` \|.*$", readme, re.M).group(0)
        assert f"at least {floor}" in row, row
        job_row = re.search(rf"^\| `[a-z-]+` \| `{setting}`.*$", operations, re.M).group(0)
        assert f"at least {floor}" in job_row, job_row


# -- WeChat token -----------------------------------------------------------------------


def test_token_job_fetches_and_stores_the_token(app, fake_wechat):
    scheduler = Scheduler(app, default_jobs(app.config))
    token_job = job_named(scheduler.jobs, "wechat-token")
    assert scheduler.run_job(token_job)
    assert wechat.stored_access_token() == "access-token-1"
    assert scheduler.run_job(token_job)  # the next interval refreshes it
    assert wechat.stored_access_token() == "access-token-2"
    assert [path for path, _ in fake_wechat.requests] == ["/cgi-bin/stable_token"] * 2
    scheduler.release_leases()


def test_token_job_failure_is_logged_and_keeps_the_old_token(app, fake_wechat, caplog):
    scheduler = Scheduler(app, default_jobs(app.config))
    token_job = job_named(scheduler.jobs, "wechat-token")
    scheduler.run_job(token_job)
    fake_wechat.fail_token_requests = True
    assert scheduler.run_job(token_job) is False
    assert "job wechat-token failed" in caplog.text
    assert wechat.stored_access_token() == "access-token-1"
    scheduler.release_leases()


def test_token_task_without_appid_calls_nobody():
    assert tasks.refresh_wechat_token() is None


def test_scheduler_fetches_the_token_at_start(app, fake_wechat):
    stop = threading.Event()
    jobs = [job_named(default_jobs(app.config), "wechat-token"), Job("stop", 3600, stop.set)]
    Scheduler(app, jobs).run_forever(stop)
    assert wechat.stored_access_token() == "access-token-1"


# -- the 博雅 job -------------------------------------------------------------------------


def test_boya_job_imports_and_reuses_its_login(app, fake_bykc):
    follower = make_user(follow_boya=True)
    fake_bykc.courses = [course(1), course(2)]
    scheduler = Scheduler(app, default_jobs(app.config))
    boya = job_named(scheduler.jobs, "boya-import")
    assert scheduler.run_job(boya)
    assert scheduler.run_job(boya)
    assert fake_bykc.logins == 1  # the token in memory was reused
    assert db.session.scalar(select(func.count()).select_from(Activity)) == 2
    assert [r for _, r in notices_of(texts.NEW_BOYA)] == [[follower.id]] * 2
    scheduler.release_leases()


def test_boya_job_failure_is_logged(app, fake_bykc, monkeypatch, caplog):
    monkeypatch.setitem(app.config, "BYKC_PASSWORD", "wrong")
    scheduler = Scheduler(app, default_jobs(app.config))
    assert scheduler.run_job(job_named(scheduler.jobs, "boya-import")) is False
    assert "LoginFailed" in caplog.text
    scheduler.release_leases()


# -- reminders -------------------------------------------------------------------------------


def test_reminder_goes_once_to_participants_of_activities_starting_soon():
    first, second, late_joiner, other = make_user(), make_user(), make_user(), make_user()
    soon = make_activity(name="晨跑", begin=now() + timedelta(minutes=30))
    later = make_activity(begin=now() + timedelta(hours=3))
    started = make_activity(begin=now() - timedelta(minutes=5))
    join(soon, first)
    join(soon, second)
    join(later, other)
    join(started, other)

    assert tasks.send_reminders() == 1
    assert tasks.send_reminders() == 0
    join(soon, late_joiner)
    assert tasks.send_reminders() == 0

    reminders = notices_of(texts.ACT_STARTING)
    assert len(reminders) == 1
    notice, recipients = reminders[0]
    assert recipients == sorted([first.id, second.id])
    assert notice.act_id == soon.id
    assert notice.content == "您参与的活动'晨跑'即将开始，请准时参加\n"
    assert db.session.get(Activity, soon.id).reminded_at is not None
    assert db.session.get(Activity, later.id).reminded_at is None


def test_reminder_window_follows_the_setting(app, monkeypatch):
    participant = make_user()
    activity = make_activity(begin=now() + timedelta(minutes=90))
    join(activity, participant)
    assert tasks.send_reminders() == 0
    monkeypatch.setitem(app.config, "REMINDER_MINUTES", 120)
    assert tasks.send_reminders() == 1


def test_two_processes_racing_send_one_reminder(app):
    participant = make_user()
    activity = make_activity(begin=now() + timedelta(minutes=10))
    join(activity, participant)
    barrier = threading.Barrier(2)
    results = []

    def worker():
        with app.app_context():
            barrier.wait()
            results.append(tasks.send_reminders())

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(results) == [0, 1]
    assert len(notices_of(texts.ACT_STARTING)) == 1


# -- housekeeping ----------------------------------------------------------------------------


def test_expired_codes_are_deleted():
    user = make_user(verified=False)
    db.session.add_all(
        [
            EmailCode(
                user_id=user.id, email="a@buaa.edu.cn", code_hash="x", expires_at=now() - timedelta(minutes=1)
            ),
            EmailCode(
                user_id=user.id, email="b@buaa.edu.cn", code_hash="x", expires_at=now() + timedelta(minutes=4)
            ),
        ]
    )
    db.session.commit()
    assert tasks.purge_expired_codes() == 1
    assert db.session.scalars(select(EmailCode.email)).all() == ["b@buaa.edu.cn"]


def _upload(app, sub, name, age_days):
    folder = os.path.join(app.config["UPLOAD_FOLDER"], sub)
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, name)
    with open(path, "wb") as file:
        file.write(b"\x89PNG")
    stamp = time.time() - age_days * 86400
    os.utime(path, (stamp, stamp))
    return path


def test_orphaned_uploads_are_deleted_and_used_ones_kept(app):
    base = app.config["PUBLIC_BASE_URL"]
    tag = uuid.uuid4().hex[:8]
    org_avatar = _upload(app, "orgs", f"{tag}-org.png", 3)
    act_avatar = _upload(app, "acts", f"{tag}-act.jpg", 3)
    orphan_org = _upload(app, "orgs", f"{tag}-orphan.png", 2)
    orphan_act = _upload(app, "acts", f"{tag}-orphan.png", 2)
    fresh = _upload(app, "acts", f"{tag}-fresh.png", 0.1)
    recent_qr = _upload(app, "qrcode", f"{tag}-qr.png", 3)
    old_qr = _upload(app, "qrcode", f"{tag}-oldqr.png", 8)
    make_org(avatar=f"{base}/uploads/orgs/{tag}-org.png")
    make_activity(avatar=f"{base}/uploads/acts/{tag}-act.jpg")
    make_user(avatar="https://thirdwx.qlogo.cn/some/avatar/132")

    assert tasks.housekeeping() == (0, 3)
    assert all(os.path.exists(p) for p in (org_avatar, act_avatar, fresh, recent_qr))
    assert not any(os.path.exists(p) for p in (orphan_org, orphan_act, old_qr))


def test_housekeeping_without_upload_folders(app, monkeypatch, tmp_path):
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path / "missing"))
    assert tasks.housekeeping() == (0, 0)


# -- leases: two schedulers, one runs ---------------------------------------------------------


def _two_schedulers(app, job):
    return Scheduler(app, [job], owner="scheduler-a"), Scheduler(app, [job], owner="scheduler-b")


def _assert_only_one_runs(app):
    runs = []
    job = Job(f"test-{uuid.uuid4().hex[:8]}", 60, lambda: runs.append(has_app_context()))
    first, second = _two_schedulers(app, job)
    try:
        assert first.run_job(job) is True
        assert second.run_job(job) is False
        assert first.run_job(job) is True  # the holder renews its lease
        assert second.run_job(job) is False
        assert runs == [True, True]
        first.release_leases()  # a clean stop hands the job over at once
        assert second.run_job(job) is True
        assert first.run_job(job) is False
        assert len(runs) == 3
    finally:
        first.release_leases()
        second.release_leases()


def test_two_schedulers_with_the_database_lock_run_a_job_once(app):
    _assert_only_one_runs(app)


def test_two_schedulers_with_the_redis_lock_run_a_job_once(app, redis_url, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", redis_url)
    with app.app_context():
        assert store.redis_client() is not None
    _assert_only_one_runs(app)


def test_two_schedulers_racing_at_the_same_moment_run_a_job_once(app):
    runs = []
    job = Job(f"race-{uuid.uuid4().hex[:8]}", 60, lambda: runs.append(1))
    schedulers = _two_schedulers(app, job)
    barrier = threading.Barrier(2)

    def start(scheduler):
        barrier.wait()
        scheduler.run_job(job)

    threads = [threading.Thread(target=start, args=(s,)) for s in schedulers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert runs == [1]
    for scheduler in schedulers:
        scheduler.release_leases()


def test_a_lapsed_lease_lets_the_other_scheduler_take_over(app):
    runs = []
    job = Job(f"lapse-{uuid.uuid4().hex[:8]}", 60, lambda: runs.append(1))
    first, second = _two_schedulers(app, job)
    assert first.run_job(job)
    # The first scheduler died: its lease runs out.
    db.session.execute(
        update(KeyValue)
        .where(KeyValue.key == f"lock:{job.lock_name}")
        .values(expires_at=now() - timedelta(seconds=1))
    )
    db.session.commit()
    assert second.run_job(job)
    assert runs == [1, 1]
    second.release_leases()


# -- the loop ------------------------------------------------------------------------------------


def test_a_failing_job_is_logged_and_the_loop_goes_on(app, caplog):
    stop = threading.Event()
    seen = []

    def failing():
        raise RuntimeError("the job broke")

    def counting():
        seen.append(db.session.scalar(select(func.count()).select_from(User)))
        stop.set()

    Scheduler(app, [Job("failing", 3600, failing), Job("counting", 3600, counting)]).run_forever(stop)
    assert "job failing failed" in caplog.text
    assert "the job broke" in caplog.text
    assert seen and seen[0] >= 1  # ran in an app context with the database (the system account)


def test_the_loop_runs_jobs_at_their_interval_and_stops(app):
    stop = threading.Event()
    runs = []

    def tick():
        runs.append(1)
        if len(runs) == 3:
            stop.set()

    thread = threading.Thread(
        target=Scheduler(app, [Job("tick", 0.05, tick)]).run_forever,
        args=(stop,),
        kwargs={"max_idle_seconds": 0.02},
    )
    thread.start()
    thread.join(10)
    assert not thread.is_alive()
    assert len(runs) == 3


@pytest.mark.parametrize("job_name", ["reminders", "housekeeping"])
def test_always_on_jobs_run_in_the_scheduler(app, job_name):
    scheduler = Scheduler(app, default_jobs(app.config))
    assert scheduler.run_job(job_named(scheduler.jobs, job_name)) is True
    scheduler.release_leases()


# -- the real command, in its own process ---------------------------------------------------------


@pytest.mark.slow
def test_scheduler_command_runs_in_its_own_process_and_stops_on_sigterm(database_url, tmp_path):
    participant = make_user()
    activity = make_activity(begin=now() + timedelta(minutes=10))
    join(activity, participant)
    env = {key: value for key, value in os.environ.items() if key != "REDIS_URL"}
    env.update(
        DATABASE_URL=database_url,
        SECRET_KEY="scheduler-test-secret",
        UPLOAD_FOLDER=str(tmp_path),
        WECHAT_APPID="",
        ALLOW_DEV_LOGIN="true",
        BYKC_USERNAME="",
        LOG_LEVEL="INFO",
    )
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    process = subprocess.Popen(
        [sys.executable, "manage.py", "scheduler"],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not notices_of(texts.ACT_STARTING):
            time.sleep(0.1)
        reminders = notices_of(texts.ACT_STARTING)
        assert [recipients for _, recipients in reminders] == [[participant.id]]
    finally:
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=20)[0].decode()
    assert process.returncode == 0, output
    assert "stopped" in output
