"""Cached answers (docs/caching.md): every write that changes a cached answer makes the
next read see it; 304 for an unchanged answer; every write path bumps a data version."""

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import delete, insert, select, update

from reedsailing.activities.answers import ANSWER_TABLES
from reedsailing.core import cache
from reedsailing.core.timeutil import now
from reedsailing.core.versions import UNWATCHED, all_scopes, read_versions
from reedsailing.extensions import db
from reedsailing.models import Activity, Address, Block, Category, Comment, DataVersion, Organization, User
from reedsailing.models.blocks import CLUB
from tests.acts_support import fmt
from tests.factories import (
    headers,
    join,
    make_activity,
    make_address,
    make_admin,
    make_category,
    make_comment,
    make_org,
    make_user,
)


def versions():
    return dict(db.session.execute(select(DataVersion.scope, DataVersion.version)).all())


@pytest.fixture
def campus():
    """An organization of block 1 with one upcoming activity, a category and a reader."""
    reader = make_user()
    owner = make_user(name="发布者")
    org = make_org(owner=owner, block_id=CLUB, name="社团甲")
    category = make_category("讲座类")
    activity = make_activity(org=org, name="讲座一", category_id=category.id)
    return {"reader": reader, "owner": owner, "org": org, "category": category, "activity": activity}


def reads(campus):
    """Every cached activity read of the campus: (method, path, body)."""
    act, org = campus["activity"], campus["org"]
    return [
        ("GET", "/api/activities/", None),
        ("GET", "/api/activities/?limit=5&offset=0", None),
        ("POST", "/api/activities/search/", {"name": "讲座"}),
        ("GET", f"/api/activities/{act.id}/", None),
        ("GET", f"/api/blocks/activities/{CLUB}/", None),
        ("GET", f"/api/blocks/activities/status/{CLUB}/", None),
        ("POST", f"/api/blocks/activities/search/{CLUB}/", {"name": "讲座"}),
        ("GET", f"/api/organizations/activities/{org.id}/", None),
        ("GET", f"/api/organizations/activities/status/{org.id}/", None),
        ("POST", f"/api/organizations/activities/search/{org.id}/", {"name": "讲座"}),
    ]


def fetch_all(client, campus):
    answers = []
    for method, path, body in reads(campus):
        response = client.open(path, method=method, json=body, headers=headers(campus["reader"]))
        answers.append((path, response.status_code, response.get_data(as_text=True)))
    return answers


def rendered(client, campus, app):
    """The same reads with the cache off: what a fresh render answers."""
    app.config["CACHE_ENABLED"] = False
    try:
        return fetch_all(client, campus)
    finally:
        app.config["CACHE_ENABLED"] = True


def _activity_edit(client, campus):
    act, owner = campus["activity"], campus["owner"]
    begin = now() + timedelta(days=2)
    body = {
        "name": "讲座一（改）",
        "begin_time": fmt(begin),
        "end_time": fmt(begin + timedelta(hours=1)),
        "contain": 40,
        "description": "新的简介",
        "type": campus["category"].id,
        "location": make_address("新地点").id,
    }
    assert client.put(f"/api/activities/{act.id}/", json=body, headers=headers(owner)).status_code == 200


def _activity_create(client, campus):
    body = {
        "name": "讲座二",
        "begin_time": fmt(now() + timedelta(days=1)),
        "end_time": fmt(now() + timedelta(days=1, hours=1)),
        "contain": 10,
        "location": make_address().id,
        "org": campus["org"].id,
        "block": CLUB,
        "type": None,
    }
    response = client.post("/api/activities/", json=body, headers=headers(campus["owner"]))
    assert response.status_code == 201, response.json


def _owner_renamed(client, campus):
    owner = campus["owner"]
    response = client.put(f"/api/users/{owner.id}/", json={"name": "新名字"}, headers=headers(owner))
    assert response.status_code == 200, response.json


def _category_renamed(client, campus):
    db.session.get(Category, campus["category"].id).name = "讲座与报告"
    db.session.commit()


def _address_renamed(client, campus):
    db.session.execute(update(Address).values(name="新主楼"))  # a Core UPDATE, as a service may do
    db.session.commit()


def _org_renamed(client, campus):
    db.session.get(Organization, campus["org"].id).name = "社团乙"
    db.session.commit()


def _block_renamed(client, campus):
    db.session.get(Block, CLUB).name = "社团（新）"
    db.session.commit()


def _activity_deleted(client, campus):
    act = campus["activity"]
    admin = make_admin()
    assert client.delete(f"/api/activities/{act.id}/", headers=headers(admin)).status_code == 200


def _activity_bulk_moved(client, campus):
    db.session.execute(
        update(Activity).where(Activity.id == campus["activity"].id).values(name="讲座（批量）")
    )
    db.session.commit()


WRITES = [
    _activity_edit,
    _activity_create,
    _owner_renamed,
    _category_renamed,
    _address_renamed,
    _org_renamed,
    _block_renamed,
    _activity_deleted,
    _activity_bulk_moved,
]


@pytest.mark.parametrize("write", WRITES, ids=lambda write: write.__name__.strip("_"))
def test_every_write_shows_in_the_next_read(client, app, campus, write):
    before = fetch_all(client, campus)
    assert fetch_all(client, campus) == before  # now served from the cache
    write(client, campus)
    after = fetch_all(client, campus)
    assert after == rendered(client, campus, app)
    assert after != before


def test_a_join_changes_no_activity_answer_and_keeps_the_cache(client, app, campus):
    before = fetch_all(client, campus)
    joiner = make_user()
    versions_before = versions()
    join(campus["activity"], joiner)
    changed = {scope for scope, version in versions().items() if versions_before.get(scope) != version}
    assert changed == {"participations", "activities.joined_count"}
    assert fetch_all(client, campus) == before == rendered(client, campus, app)


def test_status_partition_moves_an_activity_when_it_begins(client, campus, clock):
    org, reader = campus["org"], campus["reader"]
    soon = make_activity(org=org, name="马上开始", begin=now() + timedelta(seconds=3))
    path = f"/api/organizations/activities/status/{org.id}/"
    first = client.get(path, headers=headers(reader)).json
    assert soon.id in [item["id"] for item in first["unstart"]]
    clock.advance(3.5)
    second = client.get(path, headers=headers(reader)).json
    assert soon.id in [item["id"] for item in second["cur"]]


def test_etag_answers_304_until_a_write(client, campus):
    reader, act = campus["reader"], campus["activity"]
    path = f"/api/blocks/activities/status/{CLUB}/"
    first = client.get(path, headers=headers(reader))
    etag = first.headers["ETag"]
    again = client.get(path, headers={**headers(reader), "If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    db.session.get(Activity, act.id).description = "改了"
    db.session.commit()
    changed = client.get(path, headers={**headers(reader), "If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_comments_of_an_activity_follow_every_write(client, app, campus):
    act, reader = campus["activity"], campus["reader"]
    author = make_user(name="评论者")
    join(act, author)
    path = f"/api/activities/{act.id}/comments/"

    def read():
        response = client.get(path, headers=headers(reader))
        assert response.status_code == 200
        return response.json

    assert read() == []
    response = client.post(
        "/api/activities/comments/",
        json={"act": act.id, "content": "好", "score": 4},
        headers=headers(author),
    )
    assert response.status_code == 201
    comment_id = response.json["id"]
    assert [c["content"] for c in read()] == ["好"]
    client.put(
        f"/api/activities/comments/{comment_id}/",
        json={"content": "很好", "score": 5},
        headers=headers(author),
    )
    assert [c["content"] for c in read()] == ["很好"]
    client.put(f"/api/users/{author.id}/", json={"name": "改名者"}, headers=headers(author))
    assert read()[0]["user"]["name"] == "改名者"
    assert (
        client.delete(f"/api/activities/comments/{comment_id}/", headers=headers(author)).status_code == 204
    )
    assert read() == []


def test_a_rename_after_the_callers_load_never_stores_the_old_name(client, app, campus, monkeypatch):
    """Audit item 3: the authentication loads the caller's row before the versions are
    read; a render that reused it stored the old name under the new versions."""
    act = campus["activity"]
    author = make_user(name="旧名")
    join(act, author)
    make_comment(act, author)
    path = f"/api/activities/{act.id}/comments/"
    assert client.get(path, headers=headers(author)).json[0]["user"]["name"] == "旧名"

    read = cache.read_versions

    def rename_then_read(conn, scopes):
        # a rename committed by another request between the authentication and the read
        monkeypatch.setattr(cache, "read_versions", read)
        with db.engine.begin() as other:
            other.execute(update(User).where(User.id == author.id).values(name="新名"))
        return read(conn, scopes)

    monkeypatch.setattr(cache, "read_versions", rename_then_read)
    assert client.get(path, headers=headers(author)).json[0]["user"]["name"] == "新名"
    for caller in (author, campus["reader"]):  # served from the cache now
        response = client.get(path, headers=headers(caller))
        assert response.status_code == 200 and response.json[0]["user"]["name"] == "新名"


def test_cache_off_renders_every_time(client, app, campus):
    app.config["CACHE_ENABLED"] = False
    try:
        response = client.get(f"/api/activities/{campus['activity'].id}/", headers=headers(campus["reader"]))
        assert response.status_code == 200 and "ETag" not in response.headers
    finally:
        app.config["CACHE_ENABLED"] = True


# ---- every write path bumps: the guard for features added later ----------------------


def test_every_table_an_activity_answer_reads_is_versioned():
    assert {"activities", "users", "categories", "addresses", "organizations", "blocks"} == ANSWER_TABLES
    assert set(all_scopes()) >= ANSWER_TABLES


def test_every_table_but_the_listed_ones_is_watched():
    """A new table is watched by default; leaving one out must be a decision made here."""
    unwatched = {name for name in db.metadata.tables if name not in all_scopes()}
    assert unwatched == UNWATCHED - {"alembic_version"}
    assert unwatched == {"data_versions", "key_values", "email_codes", "deliveries", "notices"}


@pytest.mark.parametrize(
    "path", ["orm_insert", "orm_update", "orm_delete", "core_insert", "core_update", "core_delete"]
)
def test_every_kind_of_write_bumps_its_table(path):
    user = make_user()
    activity = make_activity()
    before = versions()
    if path == "orm_insert":
        make_comment(activity, user)
        scope = "comments"
    elif path == "orm_update":
        db.session.get(User, user.id).avatar = "/uploads/new.png"
        scope = "users"
    elif path == "orm_delete":
        db.session.delete(db.session.get(Activity, activity.id))
        scope = "activities"
    elif path == "core_insert":
        db.session.execute(insert(Comment).values(act_id=activity.id, user_id=user.id, score=Decimal(3)))
        scope = "comments"
    elif path == "core_update":
        db.session.execute(update(Activity).values(contain=Activity.contain + 1))
        scope = "activities"
    else:
        db.session.execute(delete(Category))
        scope = "categories"
    db.session.commit()
    assert versions()[scope] != before[scope]


def test_a_rolled_back_write_bumps_nothing():
    activity = make_activity()
    before = versions()
    db.session.get(Activity, activity.id).name = "不会保存"
    db.session.flush()
    db.session.rollback()
    assert versions() == before


def test_the_version_and_the_row_commit_together():
    activity = make_activity()
    conn = db.session.connection()
    seen = read_versions(conn, ["activities"])
    db.session.commit()
    db.session.get(Activity, activity.id).name = "新"
    db.session.commit()
    assert read_versions(db.session.connection(), ["activities"]) != seen


def test_local_cache_is_bounded():
    local = cache.LocalCache()
    for number in range(100):
        local.put(f"k{number}", f"g{number % 2}", "e", b"x" * 100, None, limit=1000, variants=50)
    assert local.size <= 1000 and len(local.entries) == 10
    assert local.get("k99") is not None and local.get("k0") is None


def test_local_cache_keeps_at_most_the_variants_of_a_group():
    local = cache.LocalCache()
    for number in range(10):
        local.put(f"k{number}", "list", "e", b"x", None, limit=1000, variants=3)
    local.put("other", "detail", "e", b"x", None, limit=1000, variants=3)
    assert sorted(local.entries) == ["k7", "k8", "k9", "other"]


def test_status_partition_pages_each_list_and_stays_whole_without_limit(client, campus):
    org, reader = campus["org"], campus["reader"]
    for number in range(4):
        make_activity(org=org, name=f"将来{number}")
    path = f"/api/organizations/activities/status/{org.id}/"
    whole = client.get(path, headers=headers(reader)).json
    assert len(whole["unstart"]) == 5
    paged = client.get(path + "?limit=2&offset=1", headers=headers(reader)).json
    assert paged["unstart"] == whole["unstart"][1:3] and paged["cur"] == [] and paged["end"] == []
    assert client.get(path + "?limit=0", headers=headers(reader)).status_code == 400


def test_a_cached_answer_costs_two_statements_whatever_its_size(client, campus, count_queries):
    org, reader = campus["org"], campus["reader"]
    for _ in range(30):
        make_activity(org=org)
    path = f"/api/blocks/activities/status/{CLUB}/"
    client.get(path, headers=headers(reader))
    with count_queries() as hit:
        response = client.get(path, headers=headers(reader))
    assert response.status_code == 200 and len(response.json["unstart"]) == 31
    # the data versions, and the caller's token unless the session already holds the user
    assert hit.count <= 2 and not any("FROM activities" in statement for statement in hit.statements)
    assert any("data_versions" in statement for statement in hit.statements)


def test_an_unreachable_redis_renders_instead_of_failing(client, app, campus):
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    try:
        response = client.get(f"/api/activities/{campus['activity'].id}/", headers=headers(campus["reader"]))
    finally:
        app.config["REDIS_URL"] = None
    assert response.status_code == 200 and response.json["name"] == "讲座一"


def test_a_scope_without_its_row_gets_one_on_its_first_write():
    """A table added after the 0004_cache migration has no row yet: its first write adds it."""
    activity, user = make_activity(), make_user()
    db.session.execute(delete(DataVersion).where(DataVersion.scope == "comments"))
    db.session.commit()
    before = versions()
    assert "comments" not in before
    make_comment(activity, user)
    after = versions()
    assert after["comments"] and after["activities"] == before["activities"]
