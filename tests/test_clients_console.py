"""The admin console, screen by screen, sent byte for byte as its jQuery pages build the
requests (tests/clients/console-calls.json, docs/clients.md): JSON labelled as form
data, ids and numbers as strings, a GET's data JSON-encoded into the query string, the
lowercase `token` header."""

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from reedsailing.core.timeutil import now
from reedsailing.extensions import db
from reedsailing.models import Activity, Block, OrgApplication
from reedsailing.models.blocks import CLUB
from tests import factories
from tests.clients_support import FORM, console_login, fill_body, fill_path, load_calls, read

CALLS = load_calls("console-calls.json")
BY_NAME = {call["name"]: call for call in CALLS}
SECONDS = "%Y-%m-%dT%H:%M:%S"  # the console's laydate format


@pytest.fixture
def world(client):
    """What the console's screens show: an admin, students, an organization with an
    activity, a comment, feedback, a pending application, spare rows to delete."""
    factories.make_admin("root", "correct horse")
    owner = factories.make_user("社长")
    student = factories.make_user("同学甲")
    org = factories.make_org(owner, CLUB, name="摄影社")
    category = factories.make_category()
    address = factories.make_address("新主楼")
    activity = factories.make_activity(org=org, category_id=category.id, location=address, name="摄影活动")
    factories.join(activity, student)
    factories.follow(org, student)
    comment = factories.make_comment(activity, student, content="拍得很好")
    extra_block = Block(name="空版块")
    db.session.add(extra_block)
    application = OrgApplication(
        name="新社团", pending_name="新社团", description="我们想办社团", user_id=student.id, block_id=CLUB
    )
    db.session.add(application)
    db.session.commit()
    feedback = client.post(
        "/api/feedbacks/",
        json={"user": student.id, "content": "希望增加夜间活动\n联系方式：qq"},
        headers=factories.headers(student),
    ).json
    begin = now() + timedelta(days=2)
    return {
        "adminToken": console_login(client),
        "username": "root",
        "password": "correct horse",
        "userId": student.id,
        "blockId": CLUB,
        "extraBlockId": extra_block.id,
        "orgId": org.id,
        "applicationId": application.id,
        "actId": activity.id,
        "commentId": comment.id,
        "feedbackId": feedback["id"],
        "categoryId": category.id,
        "addressId": address.id,
        "extraAddressId": factories.make_address("空地点").id,
        "begin": begin.strftime(SECONDS),
        "end": (begin + timedelta(hours=2)).strftime(SECONDS),
        "term": "",
    }


def send(client, call, values, **overrides):
    """One console call as its page sends it."""
    call = {**call, **overrides}
    headers = {"token": values["adminToken"]} if call["token"] else {}
    kwargs = {}
    if call["body"] is not None:
        body = fill_body(call["body"], values)
        kwargs["data"] = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
        kwargs["content_type"] = FORM if call["content_type"] == "form" else "application/json"
    return client.open(fill_path(call["path"], values), method=call["method"], headers=headers, **kwargs)


@pytest.mark.parametrize("call", CALLS, ids=[call["name"] for call in CALLS])
def test_console_call(client, world, call):
    """Every console call answers the status its page needs, with every field it shows
    as a plain value (a nested object would render as "[object Object]")."""
    response = send(client, call, world)
    assert response.status_code in call["expect_status"], (call["name"], response.status_code, response.json)
    if call["reads"]:
        answer = response.json
        if isinstance(answer, list):
            assert answer, f"{call['name']}: an empty list proves nothing"
        for dotted in call["reads"]:
            for value in read(answer, dotted):
                assert not isinstance(value, dict | list), (call["name"], dotted, value)


# ---- item 1: a GET's parameters JSON-encoded into the query string ---------------------


def test_comment_search_reads_the_query_string_json(client, world):
    activity = db.session.get(Activity, world["actId"])
    other = factories.make_user("同学乙")
    factories.join(activity, other)
    factories.make_comment(activity, other, content="天气不好 & 人太多")
    for term, expected in (("很好", ["拍得很好"]), ("& 人", ["天气不好 & 人太多"]), ("没有", [])):
        answer = send(client, BY_NAME["searchComments"], {**world, "term": term})
        assert answer.status_code == 200, answer.json
        assert [row["content"] for row in answer.json] == expected
        assert all(row["user"]["name"] and row["act"]["name"] for row in answer.json)


def test_feedback_search_filters_by_the_query_string_json(client, world):
    student = factories.make_user("同学丙")
    client.post(
        "/api/feedbacks/",
        json={"content": "页面太慢"},
        headers=factories.headers(student),
    )
    answer = send(client, BY_NAME["searchFeedback"], {**world, "term": "夜间"})
    assert answer.status_code == 200
    assert [row["content"] for row in answer.json] == ["希望增加夜间活动\n联系方式：qq"]
    assert answer.json[0]["user"] == world["userId"]  # item 4: a plain value
    everything = send(client, BY_NAME["searchFeedback"], {**world, "term": ""})
    assert len(everything.json) == 2
    # the usual query string and, as the first version read it, a GET's JSON body
    plain = client.get(
        "/api/feedbacks/search/?content=%E5%A4%AA%E6%85%A2", headers={"token": world["adminToken"]}
    )
    assert [row["content"] for row in plain.json] == ["页面太慢"]
    body = client.get(
        "/api/feedbacks/search/",
        data=json.dumps({"content": "太慢"}, ensure_ascii=False).encode(),
        content_type="application/json",
        headers={"token": world["adminToken"]},
    )
    assert [row["content"] for row in body.json] == ["页面太慢"]


def test_a_query_string_that_looks_like_json_but_is_not_is_a_400(client, world):
    answer = client.get('/api/feedbacks/search/?{"content":', headers={"token": world["adminToken"]})
    assert answer.status_code == 400 and answer.json["detail"]
    array = client.get("/api/feedbacks/search/?[1,2]", headers={"token": world["adminToken"]})
    assert array.status_code == 200  # not JSON-object-shaped: read as an ordinary query string


def test_list_paging_also_reads_the_query_string_json(client, world):
    factories.make_user("同学丁")
    answer = client.get('/api/users/?{"limit":1}', headers={"token": world["adminToken"]})
    assert answer.status_code == 200 and len(answer.json) == 1


# ---- item 2: login ------------------------------------------------------------------


def test_wrong_credentials_answer_200_success_false(client, world):
    answer = send(client, BY_NAME["adminLogIn_wrong"], world)
    assert answer.status_code == 200
    assert answer.json["success"] == "false" and answer.json["mess"] == "Invalid User"
    assert "token" not in answer.json
    unknown = send(client, BY_NAME["adminLogIn_wrong"], {**world, "username": "nobody"})
    assert unknown.status_code == 200 and unknown.json["success"] == "false"
    good = send(client, BY_NAME["adminLogIn"], world)
    assert good.json["success"] == "true" and good.json["token"]


# ---- item 5: an activity of an organization block, without an organization -------------


def test_admin_creates_an_activity_in_a_block_without_organizations(client, world):
    answer = send(client, BY_NAME["createAct_noOrg"], world)
    assert answer.status_code == 201, answer.json
    activity = db.session.get(Activity, answer.json["id"])
    assert (activity.block_id, activity.org_id, activity.category_id) == (4, None, None)
    assert activity.owner_id == world["userId"] and activity.review is False
    # students still need an organization there
    student = factories.make_user()
    refused = client.post(
        "/api/activities/",
        json={**fill_body(BY_NAME["createAct_noOrg"]["body"], world), "owner": student.id},
        headers=factories.headers(student),
    )
    assert refused.status_code == 400 and "org" in refused.json


def test_the_edit_page_round_trip_keeps_organization_and_block(client, world):
    shown = send(client, BY_NAME["getAct"], world).json
    saved = send(client, BY_NAME["updateAct"], world)
    assert saved.status_code == 200, saved.json
    again = send(client, BY_NAME["getAct"], world).json
    assert again["name"] == "改名活动" and again["contain"] == 40
    assert (again["org"]["id"], again["block"]["id"]) == (shown["org"]["id"], shown["block"]["id"])


def test_approval_creates_the_organization_for_the_applicant(client, world):
    answer = send(client, BY_NAME["approveApplication"], world)
    assert answer.status_code == 201
    application = db.session.get(OrgApplication, world["applicationId"])
    assert application.status == 1
    listed = send(client, BY_NAME["listOrgs"], world).json
    assert "新社团" in [org["name"] for org in listed]
    twice = send(client, BY_NAME["approveApplication"], world)
    assert twice.status_code == 400  # the page shows 该申请已被处理


def test_registration_stays_closed_to_the_sign_up_page(client, world):
    answer = send(client, BY_NAME["register"], world)
    assert answer.status_code == 401  # the page: 当前未开启超级管理员注册功能
    assert db.session.scalars(select(Block)).all()  # nothing else changed
