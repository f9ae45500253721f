"""The 博雅 import: upsert by course id, notices, atomicity, and the crawl-boya CLI."""

import time
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from reedsailing.boya import services
from reedsailing.boya.services import ImportNotReady, import_courses
from reedsailing.core.timeutil import now
from reedsailing.extensions import db
from reedsailing.messages import texts
from reedsailing.models import Activity, Address, Delivery, Notice, User
from reedsailing.models.blocks import BOYA
from reedsailing.seed import system_user
from tests.factories import join, make_address, make_user
from tests.support.fake_bykc import course


def notices_of(notice_type):
    """[(notice, sorted recipient ids)] of one type, oldest first."""
    db.session.expire_all()
    result = []
    for notice in db.session.scalars(select(Notice).where(Notice.type == notice_type).order_by(Notice.id)):
        recipients = db.session.scalars(select(Delivery.user_id).where(Delivery.notice_id == notice.id)).all()
        result.append((notice, sorted(recipients)))
    return result


def activity_of(course_id):
    db.session.expire_all()
    return db.session.execute(select(Activity).where(Activity.boya_course_id == str(course_id))).scalar_one()


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_new_course_becomes_activity_of_block_2_owned_by_system_account():
    summary = import_courses([course(501, name="交响乐赏析", capacity=120)])
    assert (summary.new, summary.updated, summary.unchanged, summary.failed) == (1, 0, 0, 0)
    activity = activity_of(501)
    raw = course(501)
    assert activity.name == "交响乐赏析"
    assert activity.block_id == BOYA
    assert activity.owner_id == system_user().id
    assert activity.org_id is None
    assert activity.joined_count == 0
    assert activity.contain == 120
    assert activity.begin_time.strftime("%Y-%m-%d %H:%M:%S") == raw["courseStartDate"]
    assert activity.end_time.strftime("%Y-%m-%d %H:%M:%S") == raw["courseEndDate"]
    assert activity.description.startswith("一次关于 音乐的讲座\n欢迎参加\n\n")
    assert "授课教师：张老师" in activity.description
    assert "课程类别：博雅课程 / 美育" in activity.description
    assert "<p>" not in activity.description
    assert activity.keywords
    address = db.session.get(Address, activity.address_id)
    assert address.name == "学院路校区主楼219教室"
    assert (address.longitude, address.latitude) == (services.DEFAULT_LONGITUDE, services.DEFAULT_LATITUDE)


def test_rerun_with_nothing_new_changes_nothing_and_tells_no_one(count_queries):
    follower = make_user(follow_boya=True)
    records = [course(1), course(2), course(3)]
    first = import_courses(records)
    assert first.new == 3
    assert len(notices_of(texts.NEW_BOYA)) == 3
    with count_queries() as counter:
        second = import_courses(records)
    assert (second.new, second.updated, second.unchanged, second.failed) == (0, 0, 3, 0)
    writes = [s for s in counter.statements if s.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]
    assert writes == []
    assert count(Activity) == 3
    assert [recipients for _, recipients in notices_of(texts.NEW_BOYA)] == [[follower.id]] * 3
    assert notices_of(texts.ACT_CONTENT) == []


def test_followers_notified_once_and_only_followers(smtp_sink):
    follower = make_user(follow_boya=True)
    unverified_follower = make_user(follow_boya=True, verified=False)
    make_user(follow_boya=False)
    import_courses([course(7, name="书法入门")])
    import_courses([course(7, name="书法入门")])
    notices = notices_of(texts.NEW_BOYA)
    assert len(notices) == 1
    notice, recipients = notices[0]
    assert recipients == sorted([follower.id, unverified_follower.id])
    assert notice.content == "有新的博雅'书法入门', 如有需要请及时报名\n"
    assert notice.act_id == activity_of(7).id
    # Mail goes to the verified follower only, once.
    mails = smtp_sink.wait_for(1)
    time.sleep(0.2)  # give a wrong second mail the chance to arrive
    assert [m["to"] for m in smtp_sink.messages] == [[follower.email]]
    assert mails[0]["subject"] == "【一苇以航】新博雅通知"


def test_changed_course_updates_same_activity_and_tells_participants():
    follower = make_user(follow_boya=True)
    participant = make_user()
    import_courses([course(42, name="茶艺")])
    activity = activity_of(42)
    activity.reminded_at = now()
    db.session.commit()
    join(activity, participant)
    moved = activity.begin_time + timedelta(days=1)
    summary = import_courses(
        [
            course(
                42,
                name="茶艺与文化",
                start=moved,
                place="沙河校区国际会议中心",
                capacity=30,
                courseDesc="<p>新的介绍</p>",
            )
        ]
    )
    assert (summary.new, summary.updated, summary.unchanged) == (0, 1, 0)
    updated = activity_of(42)
    assert updated.id == activity.id
    assert count(Activity) == 1
    assert updated.name == "茶艺与文化"
    assert updated.begin_time == moved
    assert updated.contain == 30
    assert updated.description.startswith("新的介绍")
    assert db.session.get(Address, updated.address_id).name == "沙河校区国际会议中心"
    assert updated.reminded_at is None  # moved, so it will be reminded again
    assert "茶艺" in updated.keywords
    changes = notices_of(texts.ACT_CONTENT)
    assert len(changes) == 1
    assert changes[0][1] == [participant.id]
    assert changes[0][0].act_id == activity.id
    # Followers hear about new courses only.
    assert [recipients for _, recipients in notices_of(texts.NEW_BOYA)] == [[follower.id]]


def test_bad_records_are_skipped_and_the_rest_import():
    records = [
        course(1),
        course(2, courseStartDate="下周三晚上"),
        "not an object",
        course(3, courseMaxCount=None),
        course(4),
    ]
    summary = import_courses(records)
    assert (summary.new, summary.failed) == (2, 3)
    assert sorted(db.session.scalars(select(Activity.boya_course_id))) == ["1", "4"]


def test_a_course_the_database_refuses_leaves_nothing_behind(monkeypatch):
    follower = make_user(follow_boya=True)
    real = services.extract_keywords

    def explode_on(name, description=None):
        if name == "坏课程":
            raise RuntimeError("boom")
        return real(name, description)

    monkeypatch.setattr(services, "extract_keywords", explode_on)
    summary = import_courses([course(1), course(2, name="坏课程", place="只有坏课程在这里"), course(3)])
    assert (summary.new, summary.failed) == (2, 1)
    assert sorted(db.session.scalars(select(Activity.boya_course_id))) == ["1", "3"]
    assert db.session.scalar(select(func.count()).where(Address.name == "只有坏课程在这里")) == 0
    assert len(notices_of(texts.NEW_BOYA)) == 2
    assert all(recipients == [follower.id] for _, recipients in notices_of(texts.NEW_BOYA))


def test_one_address_per_place_name():
    existing = make_address("新主楼A座")
    import_courses(
        [course(1, place="新主楼A座"), course(2, place="新主楼A座"), course(3, place="图书馆报告厅")]
    )
    import_courses([course(4, place="图书馆报告厅")])
    assert db.session.scalar(select(func.count()).where(Address.name == "新主楼A座")) == 1
    assert db.session.scalar(select(func.count()).where(Address.name == "图书馆报告厅")) == 1
    assert activity_of(1).address_id == activity_of(2).address_id == existing.id
    assert activity_of(3).address_id == activity_of(4).address_id
    # The address someone made by hand keeps its coordinates.
    assert db.session.get(Address, existing.id).longitude == Decimal("116.347256")


def test_course_without_place_gets_a_placeholder_address():
    import_courses([course(1, place="")])
    assert db.session.get(Address, activity_of(1).address_id).name == services.UNKNOWN_PLACE


def test_course_that_is_over_is_recorded_but_not_announced():
    make_user(follow_boya=True)
    import_courses([course(1, start=now() - timedelta(days=10))])
    assert count(Activity) == 1
    assert notices_of(texts.NEW_BOYA) == []


def test_long_fields_are_cut_to_fit():
    long_course = course(1, name="长" * 300, place="地" * 300, courseDesc="<p>" + "字" * 5000 + "</p>")
    import_courses([long_course])
    activity = activity_of(1)
    assert len(activity.name) == 100
    assert len(activity.description) == 2000
    assert len(db.session.get(Address, activity.address_id).name) == 50
    assert import_courses([long_course]).unchanged == 1  # cut values compare equal next time


def test_import_without_system_account_says_run_seed():
    db.session.delete(system_user())
    db.session.commit()
    with pytest.raises(ImportNotReady, match="seed"):
        import_courses([course(1)])


# -- the CLI -------------------------------------------------------------------------


def test_crawl_boya_imports_with_progress_and_summary(app, fake_bykc):
    follower = make_user(follow_boya=True)
    fake_bykc.courses = [course(i) for i in range(1, 6)]
    runner = app.test_cli_runner()
    result = runner.invoke(args=["crawl-boya"])
    assert result.exit_code == 0, result.output
    assert "博雅 import: 5 new, 0 updated, 0 unchanged, 0 failed" in result.output
    assert "5/5" in result.output  # the progress bar
    fake_bykc.courses[0] = course(1, capacity=7)
    fake_bykc.courses.append(course(6, courseEndDate=None))
    result = runner.invoke(args=["crawl-boya", "--once"])  # old scripts' spelling still works
    assert result.exit_code == 0, result.output
    assert "博雅 import: 0 new, 1 updated, 4 unchanged, 1 failed" in result.output
    assert count(Activity) == 5
    assert [r for _, r in notices_of(texts.NEW_BOYA)] == [[follower.id]] * 5


def test_crawl_boya_wrong_password_is_a_clear_error(app, fake_bykc, monkeypatch):
    monkeypatch.setitem(app.config, "BYKC_PASSWORD", "wrong")
    result = app.test_cli_runner().invoke(args=["crawl-boya", "--once"])
    assert result.exit_code == 1
    assert "LoginFailed" in result.output
    assert count(Activity) == 0


def test_crawl_boya_without_credentials(app):
    result = app.test_cli_runner().invoke(args=["crawl-boya", "--once"])
    assert result.exit_code == 1
    assert "BYKC_USERNAME" in result.output


def test_crawl_boya_help_does_not_advertise_a_flag(app):
    result = app.test_cli_runner().invoke(args=["crawl-boya", "--help"])
    assert result.exit_code == 0
    assert "--once" not in result.output


def test_system_account_is_not_a_follower():
    owner = system_user()
    owner.follow_boya = True
    db.session.commit()
    import_courses([course(1)])
    assert notices_of(texts.NEW_BOYA) == []
    assert db.session.get(User, owner.id).follow_boya is True


def test_crawl_boya_site_down_is_a_clear_error(app, fake_bykc, monkeypatch):
    fake_bykc.stop()
    monkeypatch.setitem(app.config, "BYKC_TIMEOUT_SECONDS", 0.5)
    result = app.test_cli_runner().invoke(args=["crawl-boya", "--once"])
    assert result.exit_code == 1
    assert "SiteDown" in result.output
