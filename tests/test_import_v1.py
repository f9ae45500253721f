"""`manage.py import-v1` (docs/switch-over.md): a database in the first version's shape
(tests/support/v1_schema.py: SQLite, or a second database on the MariaDB server when
TEST_DATABASE_URL is a mysql URL), filled with realistic rows and the defects a live
database holds, imported through the CLI; then what students and admins see through the
API is what the first version held."""

import hashlib
import io
import json
import os
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select, text

from reedsailing.core.legacy_passwords import check_django_password, is_django_hash
from reedsailing.core.timeutil import now
from reedsailing.extensions import db
from reedsailing.models import (
    Activity,
    Address,
    Admin,
    Category,
    Comment,
    DataVersion,
    Delivery,
    Feedback,
    Follow,
    Notice,
    Organization,
    OrgApplication,
    OrgManager,
    Participation,
    User,
)
from reedsailing.seed import SYSTEM_OPENID, seed
from reedsailing.v1import.importer import Importer, Options
from tests.conftest import wipe_database
from tests.factories import headers, make_activity
from tests.support import v1_schema as v1
from tests.support.v1_schema import OldDatabase, django_hash

SERVER = os.environ.get("TEST_DATABASE_URL")
OLD_HOST = "https://www.reedsailing.xyz/server_files"
ROOT_PASSWORD = "old-console-secret"
LONG_OPENID = "o" * 200  # the old column took 500 characters; no WeChat openid is that long
SAMPLE_ACT_PICTURE = "acts/1_0123456789abcdef0123456789abcdef.jpg"
SAMPLE_ORG_PICTURE = "orgs/1_fedcba9876543210fedcba9876543210.jpg"
DJANGO_KNOWN_ANSWER = "pbkdf2_sha256$260000$seasalt$YlZ2Vggtqdc61YjArZuoApoBh9JNGYoDRBUGu6tcJQo="


def openid(n):
    return f"oV1Student{n:018d}"


# ---- the old database -------------------------------------------------------------------
def fill(old, base):
    """A small campus of the first version, with the defects of a live database."""
    day = timedelta(days=1)
    hour = timedelta(hours=1)
    old.insert(
        v1.auth_user,
        [
            _admin(1, "root", django_hash(ROOT_PASSWORD), active=True, base=base),
            _admin(2, "django-only", django_hash("x", iterations=1000), active=True, base=base),
            _admin(3, "retired", django_hash("y", iterations=1000), active=False, base=base),
        ],
    )
    old.insert(v1.superadmin, [{"user_ptr_id": 1, "avatar": None}, {"user_ptr_id": 3, "avatar": None}])
    students = [
        (1, "一苇管理员", None),  # the first version's 博雅 courses are owned by user 1
        (2, "张三", "zhangsan@buaa.edu.cn"),
        (3, "", "ZhangSan@BUAA.edu.cn "),  # empty name, the e-mail of student 2 again
        (4, "李四", "lisi@buaa.edu.cn"),
        (5, "王五", None),
        (6, "太长", None),
        (7, "赵六", "zhaoliu@buaa.edu.cn"),
    ]
    old.insert(
        v1.wxuser,
        [
            {
                "id": n,
                "openid": LONG_OPENID if n == 6 else openid(n),
                "name": name,
                "avatar": f"https://thirdwx.qlogo.cn/mmopen/vi_32/{n}/132",
                "email": email,
                "sign": "好好学习" if n == 2 else None,
                "contact": "QQ 123456" if n == 2 else None,
                "follow_boya": n in (2, 3),
                "user_portrait": None,
            }
            for n, name, email in students
        ],
    )
    old.insert(
        v1.block,
        [{"id": 1, "name": "社团"}, {"id": 2, "name": "博雅"}, {"id": 3, "name": "学生会（改）"}]
        + [{"id": 4, "name": "志愿"}, {"id": 5, "name": "个人"}],
    )
    old.insert(
        v1.category,
        [
            {"id": 1, "name": "讲座"},
            {"id": 2, "name": "运动"},
            {"id": 3, "name": "桌游"},
            {"id": 4, "name": "编程"},
        ],
    )
    old.insert(
        v1.address,
        [
            {
                "id": 1,
                "name": "新主楼",
                "longitude": Decimal("116.3472560000000000000000001"),
                "latitude": Decimal("39.98"),
            },
            {"id": 2, "name": "体育馆", "longitude": Decimal("116.35"), "latitude": Decimal("39.979")},
            {"id": 3, "name": "博雅讲堂", "longitude": Decimal("1.0"), "latitude": Decimal("1.0")},
            {"id": 4, "name": "奇怪的地方", "longitude": Decimal("500"), "latitude": Decimal("39.9")},
        ],
    )
    old.insert(
        v1.organization,
        [
            _org(1, "羽毛球协会", 1, 2, base - 300 * day, f"{OLD_HOST}/{SAMPLE_ORG_PICTURE}"),
            _org(2, "志愿者协会", 4, 4, base - 200 * day, f"{OLD_HOST}/orgs/2_missing.jpg"),
        ],
    )
    old.insert(
        v1.orgmanager,
        [{"id": 1, "org_id": 1, "person_id": 2}, {"id": 2, "org_id": 1, "person_id": 2}]
        + [{"id": 3, "org_id": 1, "person_id": 5}],  # org 2's owner (4) was never a manager
    )
    old.insert(
        v1.followedorg,
        [{"id": 1, "org_id": 1, "person_id": 3}, {"id": 2, "org_id": 1, "person_id": 3}]
        + [{"id": 3, "org_id": 2, "person_id": 2}],
    )
    old.insert(
        v1.orgapplication,
        [
            _application(1, "桌游社", 0, 3, base - 5 * day),
            _application(2, "桌游社", 0, 4, base - 4 * day),  # a second pending one of one name
            _application(3, "摄影社", 7, 5, base - 3 * day),  # nothing checked the status
            _application(4, "羽毛球协会", 1, 2, base - 301 * day),
        ],
    )
    old.insert(
        v1.activity,
        [
            _act(
                1,
                "羽毛球友谊赛",
                1,
                2,
                base + 3 * day,
                3,
                org=1,
                category=2,
                location=2,
                keywords="羽毛球 友谊赛",
                avatar=f"{OLD_HOST}/{SAMPLE_ACT_PICTURE}",
                pub=base - 2 * day + timedelta(microseconds=123456),
            ),
            _act(
                2,
                "羽毛球训练营",
                1,
                5,
                base + 5 * day,
                10,
                org=1,
                category=2,
                location=2,
                keywords=None,
                description=None,
            ),
            _act(
                3,
                "博雅：人工智能前沿讲座",
                2,
                1,
                base - 10 * day,
                100,
                category=1,
                location=3,
                keywords="人工智能 讲座 前沿",
            ),
            _act(4, "周末桌游局", 5, 4, base + 2 * day, 2, category=3, location=1, keywords="桌游 周末"),
            _act(
                5,
                "社区志愿服务",
                4,
                4,
                base + 6 * day,
                20,
                org=2,
                location=4,
                keywords="志愿 社区",
                end=base + 6 * day - hour,
            ),
            _act(
                6,
                "篮球友谊赛",
                1,
                2,
                base + 4 * day,
                30,
                org=1,
                category=2,
                location=2,
                keywords="篮球 友谊赛",
            ),
            _act(7, "太长的人的活动", 5, 6, base + 7 * day, 5, location=1, keywords="活动"),
            _act(8, "编程之夜", 5, 7, base + 8 * day, 40, category=4, location=1, keywords="编程 之夜"),
            _act(12, "博雅：即将开始的讲座", 2, 1, base + day, 200, category=1, location=3, keywords="讲座"),
        ],
    )
    old.insert(
        v1.joinedact,
        [
            {"id": i, "act_id": act, "person_id": person}
            for i, (act, person) in enumerate(
                [
                    (1, 2),
                    (1, 3),
                    (1, 3),
                    (1, 4),
                    (4, 2),
                    (4, 3),
                    (4, 5),
                    (3, 3),
                    (2, 3),
                    (7, 2),
                    (2, 6),
                    (3, 2),
                ],
                start=1,
            )
        ],
    )
    old.insert(
        v1.comment,
        [
            _comment(1, 4, 2, "最后一次评价", "4.5", base + 3 * day),  # the newest of student 2's three
            _comment(2, 4, 2, "第一次", "3.0", base + day),
            _comment(3, 4, 2, "第二次", "4.0", base + 2 * day),
            _comment(4, 4, 3, "差评", "-2.0", base + day),
            _comment(5, 4, 5, "超级好", "7.5", base + day),
            _comment(6, 3, 3, "还行", "3.3", base - 9 * day),
            _comment(7, 7, 2, "活动没了", "4.0", base),
        ],
    )
    old.insert(
        v1.userfeedback,
        [
            {"id": 1, "content": "希望多办羽毛球活动", "pub_time": base - day, "user_id": 2},
            {"id": 2, "content": "我的 openid 太长了", "pub_time": base - day, "user_id": 6},
        ],
    )
    old.insert(
        v1.notification,
        [
            _notice(1, 1, "您参与的活动'羽毛球友谊赛'内容发生了改变，请及时查看\n", base - day, act=1),
            _notice(2, 8, "您成为'羽毛球协会'组织的管理员\n", base - 20 * day, org=1),
            _notice(3, 2, "您参与的活动'旧活动'已被取消\n", base - 3 * day),
            _notice(4, 1, "您参与的活动'太长的人的活动'内容发生了改变，请及时查看\n", base - 2 * day, act=7),
        ],
    )
    old.insert(
        v1.sentnotif,
        [
            {"id": 1, "already_read": False, "notif_id": 1, "person_id": 3},
            {"id": 2, "already_read": True, "notif_id": 1, "person_id": 2},
            {"id": 3, "already_read": True, "notif_id": 2, "person_id": 5},
            {"id": 4, "already_read": False, "notif_id": 3, "person_id": 3},
            {"id": 5, "already_read": True, "notif_id": 3, "person_id": 3},  # a duplicate, read
            {"id": 6, "already_read": False, "notif_id": 1, "person_id": 6},
            {"id": 7, "already_read": False, "notif_id": 4, "person_id": 2},
        ],
    )
    old.insert(v1.log, [{"id": 1, "content": "unused", "pub_time": base}])
    with old.unchecked() as connection:  # what a copy without its constraints can hold
        connection.execute(v1.joinedact.insert(), [{"id": 13, "act_id": 1, "person_id": 999}])
        connection.execute(v1.followedorg.insert(), [{"id": 4, "org_id": 1, "person_id": 999}])


def _admin(n, username, password, active, base):
    return {
        "id": n,
        "password": password,
        "last_login": None,
        "is_superuser": True,
        "username": username,
        "first_name": "",
        "last_name": "",
        "email": f"{username}@example.com",
        "is_staff": True,
        "is_active": active,
        "date_joined": base - timedelta(days=400),
    }


def _org(n, name, block, owner, created, avatar):
    return {"id": n, "name": name, "description": f"{name}的介绍", "create_time": created, "avatar": avatar,
            "block_id": block, "owner_id": owner}  # fmt: skip


def _application(n, name, status, user, published):
    return {"id": n, "name": name, "description": f"申请成立{name}", "pub_time": published, "status": status,
            "block_id": 1, "user_id": user}  # fmt: skip


def _act(n, name, block, owner, begin, contain, org=None, category=None, location=1, keywords=None,
         description="一次活动的介绍", avatar=None, pub=None, end=None):  # fmt: skip
    return {
        "id": n,
        "name": name,
        "begin_time": begin,
        "end_time": end or begin + timedelta(hours=2),
        "pub_time": pub or begin - timedelta(days=7),
        "contain": contain,
        "description": description,
        "review": False,
        "avatar": avatar,
        "keywords": keywords,
        "block_id": block,
        "location_id": location,
        "org_id": org,
        "owner_id": owner,
        "type_id": category,
    }


def _comment(n, act, user, content, score, published):
    return {"id": n, "content": content, "pub_time": published, "score": Decimal(score), "act_id": act,
            "user_id": user}  # fmt: skip


def _notice(n, kind, content, sent, act=None, org=None):
    return {"id": n, "type": kind, "time": sent, "content": content, "act_id": act, "org_id": org}


def _picture(path, kind="JPEG"):
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 60, 30)).save(buffer, kind)
    path.write_bytes(buffer.getvalue())


@pytest.fixture
def base():
    return now().replace(minute=0, second=0)


@pytest.fixture
def old(tmp_path, base):
    database = OldDatabase(SERVER, sqlite_path=str(tmp_path / "buaa.db"))
    try:
        fill(database, base)
        yield database
    finally:
        database.drop()


@pytest.fixture
def media(tmp_path):
    folder = tmp_path / "server_files"
    _picture(folder / SAMPLE_ACT_PICTURE)
    _picture(folder / SAMPLE_ORG_PICTURE, "PNG")
    return folder


def run(app, old, *extra):
    result = app.test_cli_runner().invoke(args=["import-v1", "--from", old.url, "--no-progress", *extra])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def report_of(app, old, tmp_path, *extra):
    path = tmp_path / f"report-{len(list(tmp_path.iterdir()))}.json"
    result = run(app, old, "--report", str(path), *extra)
    return result, json.loads(path.read_text())


def snapshot():
    """Every row of every table we import into, and the data versions."""
    tables = (Activity, Address, Admin, Category, Comment, Delivery, Follow, Notice, Organization,
              OrgApplication, OrgManager, Participation, User, DataVersion)  # fmt: skip
    db.session.expire_all()
    return {
        model.__tablename__: sorted(
            tuple(str(value) for value in row) for row in db.session.execute(select(model.__table__)).all()
        )
        for model in tables
    }


def student(n):
    return db.session.get(User, n)


def category_id(name):
    return db.session.scalar(select(Category.id).where(Category.name == name))


def activity_ids(client, block, who):
    answer = client.get(f"/api/blocks/activities/{block}/", headers=headers(who))
    assert answer.status_code == 200, answer.json
    return sorted(item["id"] for item in answer.json)


# ---- what students and admins see -------------------------------------------------------
def test_students_and_admins_see_what_the_first_version_held(app, client, old, media, tmp_path, base):
    result, report = report_of(app, old, tmp_path, "--media-from", str(media))
    assert result.exit_code == 1, result.output  # rows the new tables refuse were skipped
    me = student(3)

    # the same activities in each block, ids kept; activity 7's owner could not be imported
    assert [activity_ids(client, block, me) for block in (1, 2, 3, 4, 5)] == [
        [1, 2, 6],
        [3, 12],
        [],
        [5],
        [4, 8],
    ]
    one = client.get("/api/activities/1/", headers=headers(me)).json
    begin = (base + timedelta(days=3)).isoformat(timespec="seconds")
    assert one["begin_time"] == begin  # naive Beijing time, as both systems store it
    assert one["pub_time"] == (base - timedelta(days=2)).isoformat(timespec="seconds")
    assert (
        one["org"]["id"] == 1
        and one["type"]["id"] == category_id("运动")
        and one["keywords"] == "羽毛球 友谊赛"
    )
    assert one["avatar"].startswith(f"{app.config['PUBLIC_BASE_URL']}/uploads/acts/")
    stored = os.path.join(app.config["UPLOAD_FOLDER"], "acts", one["avatar"].rsplit("/", 1)[1])
    assert Image.open(stored).size == (40, 30)
    assert client.get(one["avatar"].replace(app.config["PUBLIC_BASE_URL"], "")).status_code == 200

    # the same participants and counts (duplicates merged, the dangling join skipped)
    owner = headers(student(2))
    people = client.get("/api/activities/1/participants/", headers=owner).json
    assert sorted(item["person"]["id"] for item in people) == [2, 3, 4]
    assert client.get("/api/activities/joined_numbers/1/", headers=headers(me)).json == {"number": 3}
    # over capacity: all three kept, and nobody new gets in
    assert client.get("/api/activities/joined_numbers/4/", headers=headers(me)).json == {"number": 3}
    full = client.post(
        "/api/activities/participants/", json={"person": 7, "act": 4}, headers=headers(student(7))
    )
    assert full.status_code == 400 and full.json == {"detail": "活动人数已满。"}

    # the same comments: one per student and activity (the newest), scores in 0-5
    comments = client.get("/api/activities/4/comments/", headers=headers(me)).json
    assert [(c["id"], c["user"]["id"], c["content"], c["score"]) for c in comments] == [
        (1, 2, "最后一次评价", "4.5"),
        (4, 3, "差评", "0.0"),
        (5, 5, "超级好", "5.0"),
    ]
    assert client.get("/api/activities/3/comments/", headers=headers(me)).json[0]["score"] == "3.5"

    # the unread notices still unread (the duplicate delivery kept it unread), the read ones read
    unread = client.get("/api/notifications/?unread=1", headers=headers(me)).json
    assert sorted(item["id"] for item in unread) == [1, 3]
    assert client.get("/api/notifications/?unread=1", headers=headers(student(5))).json == []
    mine = client.get("/api/notifications/", headers=headers(student(2))).json
    assert {item["id"]: item["read"] for item in mine} == {1: True, 4: False}
    assert next(item for item in mine if item["id"] == 4)["act"] is None  # its activity was not imported

    # students: ids, profiles, verified e-mails (one address per student), empty names filled
    two = client.get("/api/users/2/", headers=headers(student(2))).json
    assert (two["name"], two["email"], two["sign"], two["contact"], two["follow_boya"]) == (
        "张三", "zhangsan@buaa.edu.cn", "好好学习", "QQ 123456", True
    )  # fmt: skip
    assert (me.name, me.email, me.openid, me.follow_boya) == ("同学3", None, openid(3), True)
    assert student(6) is None and student(1).openid == openid(1)
    system = db.session.execute(select(User).where(User.openid == SYSTEM_OPENID)).scalar_one()
    assert system.is_system and system.id > 7
    assert db.session.get(Activity, 3).owner_id == system.id  # 博雅 belongs to the system account

    # organizations: managers (the owner among them), followers once, pictures copied
    managers = client.get("/api/organizations/managers/2/", headers=headers(me)).json
    assert [item["person"]["id"] for item in managers] == [4]
    assert sorted(
        item["person"]["id"]
        for item in client.get("/api/organizations/managers/1/", headers=headers(me)).json
    ) == [2, 5]
    followed = client.get("/api/users/followed_organizations/3/", headers=headers(me)).json
    assert [item["org"]["id"] for item in followed] == [1]
    org = client.get("/api/organizations/1/", headers=headers(me)).json
    assert org["avatar"].startswith(f"{app.config['PUBLIC_BASE_URL']}/uploads/orgs/")
    assert db.session.get(Organization, 2).avatar is None  # its file is not in the copy

    # places: the first 博雅 import's (1, 1) and an impossible longitude go to the campus center
    assert (db.session.get(Address, 3).longitude, db.session.get(Address, 4).latitude) == (
        Decimal("116.347256"), Decimal("39.981891")
    )  # fmt: skip
    assert db.session.get(Address, 1).longitude == Decimal("116.347256")

    # admins: the console's applications, feedback; the old password logs in
    admin = headers(db.session.execute(select(Admin).where(Admin.username == "root")).scalar_one())
    applications = client.get("/api/organizations/applications/", headers=admin).json
    assert [(a["id"], a["status"]) for a in applications] == [(1, 0), (2, 0), (3, 2), (4, 1)]
    assert [f["id"] for f in client.get("/api/feedbacks/", headers=admin).json] == [1]
    assert db.session.scalars(select(Admin.username).order_by(Admin.id)).all() == ["root"]

    # the report: per table, and every rule counted
    tables = report["tables"]
    assert tables["BUAA_joinedact"] | {"notes": None} == {
        "new_table": "participations", "read": 13, "imported": 9, "merged": 1, "existing": 0,
        "left_out": 0, "skipped": 3, "notes": None,
    }  # fmt: skip
    assert tables["BUAA_comment"]["merged"] == 2 and tables["BUAA_comment"]["skipped"] == 1
    assert tables["BUAA_wxuser"]["skipped"] == 1 and tables["auth_user"]["left_out"] == 2
    assert tables["BUAA_log"]["left_out"] == 1
    reasons = {note["reason"] for table in tables.values() for note in table["notes"]}
    assert "more participants than places: kept, and nobody new can join" in reasons
    assert "keywords NULL or empty: extracted from name and description" in reasons
    boya = {n["reason"]: n["ids"] for n in tables["BUAA_activity"]["notes"] if n["kind"] == "noted"}
    assert boya == {"a 博雅 activity not ended yet: the next 博雅 import adds its course once more": [12]}
    assert (
        "Skipped (not imported):" in result.output
        and "BUAA_activity: 1 skipped: its owner was not imported (ids 7)" in result.output
    )


def test_the_old_password_logs_in_and_is_rehashed_to_ours(app, client, old):
    run(app, old)
    admin = db.session.execute(select(Admin).where(Admin.username == "root")).scalar_one()
    assert is_django_hash(admin.password_hash)
    refused = client.post("/api/adminLogIn/", json={"username": "root", "password": "wrong"})
    assert refused.json["success"] == "false"
    answer = client.post("/api/adminLogIn/", json={"username": "root", "password": ROOT_PASSWORD})
    assert answer.json["success"] == "true", answer.json
    db.session.expire_all()
    admin = db.session.get(Admin, admin.id)
    assert not is_django_hash(admin.password_hash)
    assert admin.password_hash.split(":")[0] in ("scrypt", "pbkdf2")  # werkzeug's, as set_password writes
    token = answer.json["token"]  # issued after the rehash: it stays valid
    assert client.post("/api/identify/", json={"token": token}).json == {"status": 1, "name": "root"}
    again = client.post("/api/adminLogIn/", json={"username": "root", "password": ROOT_PASSWORD})
    assert again.json["success"] == "true"


def test_django_hashes_are_checked_without_django():
    # Django 3.2's own known answer (auth_tests.test_hashers, make_password("lètmein", "seasalt"))
    assert check_django_password("lètmein", DJANGO_KNOWN_ANSWER)
    assert not check_django_password("lètmeinz", DJANGO_KNOWN_ANSWER)
    assert check_django_password("pw", django_hash("pw", "salty", iterations=1000))
    for broken in (
        "pbkdf2_sha256$x$salt$hash",
        "pbkdf2_sha256$0$salt$hash",
        "bcrypt$2b$12$abc",
        "!unusable",
        "",
    ):
        assert not check_django_password("pw", broken)
    assert Admin(password_hash="bcrypt_sha256$$2b$12$whatever").check_password("pw") is False


def test_a_django_hash_logs_in_once_and_is_ours_afterwards(client):
    db.session.add(Admin(username="root", password_hash=DJANGO_KNOWN_ANSWER))
    db.session.commit()
    assert (
        client.post("/api/adminLogIn/", json={"username": "root", "password": "wrong"}).json["success"]
        == "false"
    )
    answer = client.post("/api/adminLogIn/", json={"username": "root", "password": "lètmein"})
    assert answer.json["success"] == "true"
    stored = db.session.execute(select(Admin.password_hash).where(Admin.username == "root")).scalar_one()
    assert not is_django_hash(stored) and stored.split(":")[0] in ("scrypt", "pbkdf2")
    assert client.post("/api/identify/", json={"token": answer.json["token"]}).json == {
        "status": 1,
        "name": "root",
    }
    assert (
        client.post("/api/adminLogIn/", json={"username": "root", "password": "lètmein"}).json["success"]
        == "true"
    )


# ---- re-runs and dry runs ---------------------------------------------------------------
def test_a_second_run_changes_nothing(app, old, tmp_path):
    first, _ = report_of(app, old, tmp_path)
    before = snapshot()
    second, report = report_of(app, old, tmp_path)
    assert snapshot() == before  # rows and data versions: not even a version bumped
    assert second.exit_code == first.exit_code == 1
    assert sum(table["imported"] for table in report["tables"].values()) == 0
    assert report["tables"]["BUAA_activity"]["existing"] == 8


def test_a_later_run_brings_just_the_new_rows(app, old, tmp_path, base):
    run(app, old)
    old.insert(v1.activity, [_act(9, "新来的活动", 5, 7, base + timedelta(days=9), 10, keywords="新")])
    old.insert(
        v1.joinedact, [{"id": 20, "act_id": 9, "person_id": 3}, {"id": 21, "act_id": 2, "person_id": 4}]
    )
    _, report = report_of(app, old, tmp_path)
    assert report["tables"]["BUAA_activity"]["imported"] == 1
    assert report["tables"]["BUAA_joinedact"]["imported"] == 2
    assert sum(table["imported"] for table in report["tables"].values()) == 3
    db.session.expire_all()
    assert db.session.get(Activity, 9).joined_count == 1
    assert db.session.get(Activity, 2).joined_count == 2  # an activity of the first run counted again


def test_a_dry_run_writes_nothing_and_predicts_the_real_run(app, old, tmp_path, media):
    before, files = snapshot(), uploads(app)
    dry, predicted = report_of(app, old, tmp_path, "--dry-run", "--media-from", str(media))
    assert dry.exit_code == 1 and "dry run, nothing written" in dry.output
    assert snapshot() == before and uploads(app) == files
    _, real = report_of(app, old, tmp_path, "--media-from", str(media))

    def outcomes(report):
        return {
            name: {
                key: table[key] for key in ("read", "imported", "merged", "existing", "left_out", "skipped")
            }
            for name, table in report["tables"].items()
        }

    assert outcomes(predicted) == outcomes(real)


def uploads(app):
    return sorted(str(path) for path in Path(app.config["UPLOAD_FOLDER"]).rglob("*") if path.is_file())


def test_pictures_on_the_old_host_point_at_media_base_or_stay(app, old, tmp_path):
    _, report = report_of(app, old, tmp_path, "--media-base", "https://www.reedsailing.xyz/legacy/")
    assert db.session.get(Activity, 1).avatar == f"https://www.reedsailing.xyz/legacy/{SAMPLE_ACT_PICTURE}"
    assert db.session.get(Organization, 2).avatar == "https://www.reedsailing.xyz/legacy/orgs/2_missing.jpg"
    assert student(2).avatar == "https://thirdwx.qlogo.cn/mmopen/vi_32/2/132"  # WeChat's: left alone
    notes = {n["reason"]: n["ids"] for n in report["tables"]["BUAA_activity"]["notes"]}
    assert notes["picture URL pointed at --media-base"] == [1]


def test_without_a_media_option_pictures_stay_on_the_old_host(app, old, tmp_path):
    _, report = report_of(app, old, tmp_path)
    assert db.session.get(Activity, 1).avatar == f"{OLD_HOST}/{SAMPLE_ACT_PICTURE}"
    notes = {n["reason"]: n["ids"] for n in report["tables"]["BUAA_organization"]["notes"]}
    assert notes["picture left on the old host (no --media-base or --media-from)"] == [1, 2]


class Bar:
    """What tqdm offers the importer; like tqdm, falsy while its total is 0."""

    def __init__(self):
        self.total, self.n, self.descriptions = 0, 0, []

    def __len__(self):
        return self.total

    def update(self, rows):
        self.n += rows

    def set_description(self, text):
        self.descriptions.append(text)


def test_the_progress_bar_counts_every_old_row_once(app, old):
    bar = Bar()

    def grow(rows):
        bar.total += rows

    Importer(old.url, Options(dry_run=True), progress=bar, on_read=grow).run()
    with old.engine.connect() as connection:
        tables = v1.metadata.sorted_tables
        rows = sum(connection.execute(select(func.count()).select_from(table)).scalar() for table in tables)
    assert bar.n == bar.total == rows  # every row of every table, the unused ones too
    assert "read BUAA_activity" in bar.descriptions and "write activities" in bar.descriptions


def test_the_first_version_is_never_written(app, old):
    before = _fingerprint(old)
    run(app, old)
    assert _fingerprint(old) == before


def _fingerprint(old):
    if not old.mysql:
        return hashlib.sha256(open(old.name, "rb").read()).hexdigest()
    with old.engine.connect() as connection:
        names = [row[0] for row in connection.execute(text("SHOW TABLES"))]
        return [
            tuple(row)
            for row in connection.execute(text("CHECKSUM TABLE " + ", ".join(f"`{n}`" for n in names)))
        ]


# ---- what the import leaves behind ------------------------------------------------------
def reader():
    """A student of the new database who logged in before the import (an id after the old ones)."""
    user = User(id=900, openid="oNewStudent900", name="新同学")
    db.session.add(user)
    db.session.commit()
    return user


def test_the_next_cached_read_sees_the_import(app, client, old):
    reader_ = reader()
    path = "/api/blocks/activities/1/"
    first = client.get(path, headers=headers(reader_))
    assert first.json == [] and "ETag" in first.headers
    assert (
        client.get(path, headers={**headers(reader_), "If-None-Match": first.headers["ETag"]}).status_code
        == 304
    )
    run(app, old)
    after = client.get(path, headers={**headers(reader_), "If-None-Match": first.headers["ETag"]})
    assert after.status_code == 200 and sorted(item["id"] for item in after.json) == [1, 2, 6]


def test_recommendations_come_from_the_imported_joins(app, client, old):
    """Interests are computed per request from participations, comments and follows
    (recommendations/services.py): there are no profiles to rebuild."""
    newcomer = reader()
    assert client.get("/api/recommended/900/", headers=headers(newcomer)).json == {"acts": [], "orgs": []}
    run(app, old)
    popular = client.get("/api/recommended/900/", headers=headers(newcomer)).json  # the versions moved
    assert {item["id"] for item in popular["acts"][:2]} == {1, 4}  # no interests: the most joined lead
    answer = client.get("/api/recommended/3/", headers=headers(student(3))).json
    ids = [item["id"] for item in answer["acts"]]
    # student 3 joined two 运动 activities of 羽毛球协会 (and follows it): its open 运动 one leads
    assert ids[0] == 6 and set(ids) == {5, 6, 8, 12}
    assert [org["id"] for org in answer["orgs"]] == [2]


def test_seed_may_come_after_the_import(app, old):
    wipe_database()  # migrated, not seeded: no blocks, categories or system account yet
    run(app, old)
    system = db.session.execute(select(User).where(User.openid == SYSTEM_OPENID)).scalar_one()
    assert system.id > 7 and db.session.get(Activity, 3).owner_id == system.id
    assert db.session.get(Category, 3).name == "桌游"  # every old category id kept
    assert seed() == {"blocks": 0, "categories": 6, "system_user": 0}
    db.session.commit()
    assert db.session.scalar(select(func.min(Category.id)).where(Category.name == "文艺")) > 4


def test_new_rows_get_ids_after_the_old_ones(app, old, base):
    old.insert(v1.activity, [_act(30, "后来删掉的活动", 5, 7, base, 5)])
    with old.engine.begin() as connection:
        connection.execute(v1.activity.delete().where(v1.activity.c.id == 30))
    if db.engine.dialect.name == "mysql":  # as on a fresh database: the counter at the first id
        db.session.execute(text("ALTER TABLE activities AUTO_INCREMENT = 1"))
        db.session.commit()
    run(app, old)
    fresh = make_activity()
    assert fresh.id > 8
    if db.engine.dialect.name == "mysql":  # past the first version's own counter: id 30 was handed out
        assert fresh.id > 30
    again = make_activity()
    assert again.id == fresh.id + 1


# ---- bad old data -----------------------------------------------------------------------
def test_bad_old_data_is_reported_never_a_crash(app, old, tmp_path, base):
    if old.mysql:
        pytest.skip("a MariaDB column holds only its type; a SQLite copy holds anything")
    with old.unchecked() as connection:
        connection.exec_driver_sql(
            "INSERT INTO BUAA_activity (id, name, begin_time, end_time, pub_time, contain, description, "
            "review, avatar, keywords, block_id, location_id, org_id, owner_id, type_id) VALUES "
            "(40, 'x', 'not a time', '2025-01-01 10:00:00', '2025-01-01 09:00:00', 'many', NULL, 0, NULL, "
            "NULL, 5, 1, NULL, 2, NULL), "
            "(41, ?, '2030-01-01 10:00:00.5', '2030-01-01 12:00:00', '2029-12-01 09:00:00+00:00', 'many', "
            "NULL, 'yes', NULL, 'A  b a', 5, 1, 99, 2, 77)",
            ("长" * 150,),
        )
        connection.exec_driver_sql(
            "INSERT INTO BUAA_comment (id, content, pub_time, score, act_id, user_id) VALUES "
            "(50, 'ok', '2030-01-02 10:00:00', 'abc', 41, 3), (51, 'ok', 'yesterday', 4, 1, 4)"
        )
    result, report = report_of(app, old, tmp_path)
    assert result.exit_code == 1
    notes = {(n["kind"], n["reason"]): n["ids"] for n in report["tables"]["BUAA_activity"]["notes"]}
    assert notes[("skipped", "begin_time is not a readable time")] == [40]
    assert notes[("changed", "name longer than 100 characters: cut")] == [41]
    assert notes[("changed", "capacity unreadable or negative: 0 (nobody new can join)")] == [41]
    assert notes[("changed", "its organization was not imported: kept without organization")] == [41]
    row = db.session.get(Activity, 41)
    assert (len(row.name), row.contain, row.org_id, row.category_id, row.review, row.keywords) == (
        100,
        0,
        None,
        None,
        True,
        "a b",
    )
    assert row.pub_time == datetime(2029, 12, 1, 17, 0)  # +00:00 is 17:00 in Beijing
    assert row.begin_time == datetime(2030, 1, 1, 10, 0)
    assert db.session.get(Comment, 50).score == Decimal("0.0")
    comment_notes = {(n["kind"], n["reason"]): n["ids"] for n in report["tables"]["BUAA_comment"]["notes"]}
    assert comment_notes[("skipped", "pub_time is not a readable time")] == [51]


def test_a_row_the_database_refuses_is_skipped_and_the_others_still_come(app, old, tmp_path, base):
    """What no rule foresaw: the chunk is written again row by row, the refused row is
    reported with the database's reason (here a constraint this test adds)."""
    old.insert(v1.userfeedback, [{"id": 3, "content": "boom", "pub_time": base, "user_id": 4}])
    mysql = db.engine.dialect.name == "mysql"
    refuse = (
        "ALTER TABLE feedbacks ADD CONSTRAINT no_boom CHECK (content <> 'boom')"
        if mysql
        else "CREATE TRIGGER no_boom BEFORE INSERT ON feedbacks WHEN NEW.content = 'boom' "
        "BEGIN SELECT RAISE(ABORT, 'no boom'); END"
    )
    db.session.execute(text(refuse))
    db.session.commit()
    try:
        result, report = report_of(app, old, tmp_path)
    finally:
        db.session.rollback()
        db.session.execute(
            text("ALTER TABLE feedbacks DROP CONSTRAINT no_boom" if mysql else "DROP TRIGGER no_boom")
        )
        db.session.commit()
    assert result.exit_code == 1
    feedback = report["tables"]["BUAA_userfeedback"]
    assert (feedback["imported"], feedback["skipped"]) == (1, 2)
    refused = [n for n in feedback["notes"] if n["reason"].startswith("refused by the database")]
    assert [n["ids"] for n in refused] == [[3]]
    assert db.session.scalars(select(Feedback.id)).all() == [1]


def test_an_id_here_that_is_another_row_is_not_overwritten(app, old, tmp_path, base):
    """Imported into a database that is already in use: activity 8 here is not the old 8."""
    owner = reader()
    db.session.add(Address(id=900, name="这里", longitude=Decimal("116.3"), latitude=Decimal("39.9")))
    db.session.add(
        Activity(
            id=8,
            name="这里的活动",
            begin_time=base,
            end_time=base,
            contain=5,
            owner_id=owner.id,
            address_id=900,
            block_id=5,
        )  # fmt: skip
    )
    db.session.commit()
    _, report = report_of(app, old, tmp_path)
    notes = {n["reason"]: n["ids"] for n in report["tables"]["BUAA_activity"]["notes"]}
    assert notes["its id belongs to another activity here"] == [8]
    assert db.session.get(Activity, 8).name == "这里的活动"


def test_not_the_first_versions_database_is_an_error(app, tmp_path):
    path = tmp_path / "other.db"
    other = OldDatabase(None, sqlite_path=str(path))
    with other.engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE BUAA_comment")
    result = run(app, other)
    other.drop()
    assert result.exit_code == 2 and "no table BUAA_comment" in result.output
    assert db.session.scalar(select(func.count(User.id))) == 1  # the seeded system account only


def test_a_clean_database_exits_zero(app, tmp_path, base):
    clean = OldDatabase(SERVER, sqlite_path=str(tmp_path / "clean.db"))
    try:
        clean.insert(
            v1.block,
            [
                {"id": n, "name": name}
                for n, name in ((1, "社团"), (2, "博雅"), (3, "学生会"), (4, "志愿"), (5, "个人"))
            ],
        )
        clean.insert(v1.address, [{"id": 1, "name": "新主楼", "longitude": 116.3, "latitude": 39.9}])
        clean.insert(v1.wxuser, [{"id": 1, "openid": openid(1), "name": "甲", "follow_boya": False}])
        clean.insert(v1.activity, [_act(1, "一次活动", 5, 1, base + timedelta(days=1), 10, keywords="活动")])
        result = run(app, clean)
        assert result.exit_code == 0, result.output
        assert "import-v1: clean" in result.output
    finally:
        clean.drop()
