"""Every HTTP call of the mini-program (tests/clients/miniprogram-calls.json, a copy of
the client document), sent as `utils/interact.js` builds it, against one campus: the
status it needs and every field its page reads (docs/clients.md). The WebSocket entries
are proven by tests/test_messages_legacy.py."""

import io
import json
import re
from datetime import timedelta

import pytest
from PIL import Image

from reedsailing.core.timeutil import now
from reedsailing.extensions import db
from reedsailing.models import User
from reedsailing.models.blocks import CLUB
from tests.clients_support import fill_body, fill_path, load_calls, read
from tests.factories import (
    follow,
    join,
    make_activity,
    make_address,
    make_category,
    make_comment,
    make_org,
    make_user,
)

CALLS = [
    call
    for call in load_calls("miniprogram-calls.json")
    if call["used"] and call["method"] in ("GET", "POST", "PUT", "DELETE", "UPLOAD")
]

# Example values the document describes in words instead of giving them.
BODY_EXAMPLES = {
    "getPageQRCode": {"path": "pages/sections/act-detail/act-detail?actId=12"},
    "updateOrgInfo": {"avatar": "/icon/person.png"},
    "searchJoinedActs": {"name": "活动"},
    "searchManageActs": {"name": "活动"},
    "searchAllActs": {"name": "活动"},
    "searchOrgActs_org": {"name": "活动"},
    "searchOrgActs_block": {"name": "活动"},
    "searchManageOrgs": {"name": "组织"},
    "searchBlockOrgs": {"name": "组织"},
    "searchAllOrgs": {"name": "组织"},
}
# Which row a call names where the world has several (e.g. an activity the caller joined).
VALUE_CHOICES = {
    "exitAct": {"actId": "joinedActId"},
    "submitComment": {"actId": "joinedActId"},
    "getAllStatusOrgActs_block": {"blockId": "personalBlockId"},
    "searchOrgActs_block": {"blockId": "personalBlockId"},
    "addOrgManager": {"userId": "personId"},  # the person typed into mem-list
    "deleteOrgManager": {"personId": "helperId"},
}


@pytest.fixture
def campus(client):
    """The caller logs in as the app does; around them an organization they own, its
    activities, people, comments and a follow."""
    login = client.post("/api/userLogin/", json={"code": "mp-caller"})
    me = db.session.get(User, login.json["id"])
    me.name, me.email = "我", "me@buaa.edu.cn"
    db.session.commit()
    person, helper = make_user("同学甲"), make_user("同学乙")
    org = make_org(me, CLUB, name="组织摄影", managers=(helper,))
    other_org = make_org(person, CLUB, name="组织登山")
    follow(other_org, me)
    make_activity(org=other_org, name="活动登山", category_id=make_category().id)
    category = make_category()
    main = make_activity(org=org, name="活动摄影", category_id=category.id)
    join(main, person)
    make_comment(main, person, content="很好")
    joined = make_activity(owner=person, name="活动夜跑", category_id=category.id)
    join(joined, me)
    commented = make_activity(owner=person, name="活动读书", begin=now() - timedelta(days=1))
    join(commented, me)
    mine = make_comment(commented, me, content="读书会很好")
    return {
        "token": login.json["token"],
        "userId": me.id,
        "personId": person.id,
        "helperId": helper.id,
        "orgId": org.id,
        "blockId": CLUB,
        "personalBlockId": 5,
        "actId": main.id,
        "joinedActId": joined.id,
        "commentId": mine.id,
        "categoryId": category.id,
        "addressId": make_address().id,
        "year": joined.begin_time.year,
        "month": joined.begin_time.month,  # not zero-padded, as the app sends it
        "current": "",  # the nickname the app may have lost
    }


def _png():
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (20, 120, 200)).save(buffer, "PNG")
    return buffer.getvalue()


def _upload_body():
    """wx.uploadFile: multipart, file part `image`, declared form-urlencoded."""
    boundary = "----WeChatBoundary7MA4YWxkTrZu0gW"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="image"; filename="tmp.png"\r\n'
        "Content-Type: image/png\r\n\r\n"
    )
    return head.encode() + _png() + f"\r\n--{boundary}--\r\n".encode()


def send(client, call, values):
    values = {**values, **{key: values[other] for key, other in VALUE_CHOICES.get(call["name"], {}).items()}}
    headers = {"Authorization": f"Bearer {values['token']}"} if call["auth"] else {}
    path = fill_path(call["path"], values)
    if call["method"] == "UPLOAD":
        return client.post(
            path, data=_upload_body(), headers=headers, content_type="application/x-www-form-urlencoded"
        )
    kwargs = {}
    if call["body"] is not None:
        body = {**fill_body(call["body"], values), **BODY_EXAMPLES.get(call["name"], {})}
        kwargs = {"data": json.dumps(body, ensure_ascii=False).encode(), "content_type": "application/json"}
    return client.open(path, method=call["method"], headers=headers, **kwargs)


def _verify_code(request, client, values):
    """The verify page follows sendVerify: the code comes from the mail."""
    sink = request.getfixturevalue("smtp_sink")
    sent = client.post(
        "/api/sendVerify/",
        json={"email": "xxx@buaa.edu.cn"},
        headers={"Authorization": f"Bearer {values['token']}"},
    )
    assert sent.status_code == 200, sent.json
    return re.search(r"验证码是 ([0-9a-f]{6})", sink.wait_for(1)[0]["body"]).group(1)


@pytest.mark.parametrize("call", CALLS, ids=[call["name"] for call in CALLS])
def test_miniprogram_call(request, client, campus, call):
    if call["name"] == "verify":
        call = {**call, "body": {**call["body"], "verifyCode": _verify_code(request, client, campus)}}
    response = send(client, call, campus)
    assert response.status_code in call["expect_status"], (call["name"], response.status_code, response.json)
    if response.status_code >= 300:
        return
    answer = response.json if response.status_code != 204 else None
    assert answer is not None or response.status_code == 204  # never a JSON null
    for dotted in call["reads"]:
        if " (" in dotted:  # "name[0] (on error)": read only on failures
            continue
        read(answer, dotted)
    if isinstance(answer, list) and call["reads"]:
        assert answer, f"{call['name']}: an empty list proves nothing"


def test_unknown_ids_answer_exactly_404_where_the_app_probes(client, campus):
    """search.js treats anything but 404 as a hit; my-home may ask for user -1."""
    headers = {"Authorization": f"Bearer {campus['token']}"}
    for path in ("/api/organizations/999999/", "/api/activities/999999/", "/api/users/-1", "/api/users/abc"):
        assert client.get(path, headers=headers).status_code == 404, path


def test_unfollowing_a_vanished_organization_is_still_204(client, campus):
    """The org page's unfollow after the organization was deleted: 204 as the contract
    says, not a modal."""
    headers = {"Authorization": f"Bearer {campus['token']}"}
    path = f"/api/users/followed_organizations/?user={campus['userId']}&org=999999"
    assert client.delete(path, headers=headers).status_code == 204
