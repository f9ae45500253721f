"""Check-in, attendance, the comment rule and the attendance chart (docs/api.md §21)."""

import io
from datetime import datetime, timedelta

import pytest
from PIL import Image

from reedsailing.core.timeutil import now
from reedsailing.extensions import db
from reedsailing.models import Attendance, CheckIn
from reedsailing.models.blocks import CLUB
from tests.factories import headers, join, make_activity, make_admin, make_org, make_user


def _running(**fields):
    """An activity that began ten minutes ago, with its owner."""
    owner = fields.pop("owner", None) or make_user()
    begin = now() - timedelta(minutes=10)
    return owner, make_activity(owner=owner, begin=begin, end=begin + timedelta(hours=2), **fields)


def _open(client, caller, act, **body):
    return client.post(f"/api/activities/{act.id}/checkin/open/", json=body, headers=headers(caller))


def _check_in(client, student, act, code):
    return client.post(f"/api/activities/{act.id}/checkin/", json={"code": code}, headers=headers(student))


def _comment(client, student, act):
    body = {"user": student.id, "act": act.id, "content": "不错", "score": 4}
    return client.post("/api/activities/comments/", json=body, headers=headers(student))


def test_organizer_opens_and_a_participant_checks_in(client):
    owner, act = _running()
    student = make_user()
    join(act, student)
    opened = _open(client, owner, act, minutes=5)
    assert opened.status_code == 200
    code = opened.json["code"]
    assert len(code) == 6 and code.isdigit()
    response = _check_in(client, student, act, code)
    assert response.status_code == 201
    assert (response.json["act"], response.json["person"], response.json["method"]) == (
        act.id,
        student.id,
        "code",
    )
    twice = _check_in(client, student, act, code)
    assert (twice.status_code, twice.json) == (400, {"detail": "您已经签到过了。"})
    summary = client.get(f"/api/activities/{act.id}/attendance/", headers=headers(owner)).json
    assert (summary["participants"], summary["attended"], summary["rate"], summary["opened"]) == (
        1,
        1,
        1.0,
        True,
    )
    assert [a["person"]["id"] for a in summary["attendees"]] == [student.id]


def test_wrong_expired_or_replaced_code_is_refused(client):
    owner, act = _running()
    student = make_user()
    join(act, student)
    first = _open(client, owner, act).json["code"]
    second = _open(client, owner, act).json["code"]
    wrong = "000000" if second != "000000" else "111111"
    assert _check_in(client, student, act, wrong).json == {"detail": "签到码错误或已过期。"}
    if first != second:
        assert _check_in(client, student, act, first).status_code == 400
    db.session.get(CheckIn, act.id).expires_at = now() - timedelta(seconds=1)
    db.session.commit()
    assert _check_in(client, student, act, second).json == {"detail": "签到码错误或已过期。"}
    assert client.get(f"/api/activities/{act.id}/checkin/code/", headers=headers(owner)).status_code == 404


def test_reopening_starts_a_new_window(client):
    """A reopen is a new window: opened_at and expires_at both move, so expires_at -
    opened_at is always the `minutes` of the last opening (docs/api.md §21)."""
    owner, act = _running()
    first = _open(client, owner, act, minutes=30).json
    row = db.session.get(CheckIn, act.id)
    row.opened_at -= timedelta(minutes=20)  # as if opened 20 minutes ago
    row.expires_at -= timedelta(minutes=20)
    db.session.commit()
    again = _open(client, owner, act, minutes=5)
    assert again.status_code == 200
    opened, expires = (datetime.fromisoformat(again.json[key]) for key in ("opened_at", "expires_at"))
    assert opened > datetime.fromisoformat(first["opened_at"]) - timedelta(minutes=1)
    assert expires - opened == timedelta(minutes=5)
    shown = client.get(f"/api/activities/{act.id}/checkin/code/", headers=headers(owner)).json
    assert (shown["opened_at"], shown["expires_at"]) == (again.json["opened_at"], again.json["expires_at"])
    # and the API document says so
    result = client.get("/apispec_1.json").json["components"]["schemas"]["CodeResult"]["properties"]
    assert "reopen" in result["opened_at"]["description"]
    assert "`opened_at` plus the `minutes`" in result["expires_at"]["description"]


def test_only_participants_in_the_time_window_check_in(client):
    owner = make_user()
    later = make_activity(owner=owner, begin=now() + timedelta(hours=2))
    student, outsider = make_user(), make_user()
    join(later, student)
    code = _open(client, owner, later).json["code"]
    assert _check_in(client, student, later, code).json == {"detail": "现在不在活动的签到时间内。"}
    assert _check_in(client, outsider, later, code).json == {"detail": "只有活动的参与者才能签到。"}
    soon = make_activity(owner=owner, begin=now() + timedelta(minutes=20))
    join(soon, student)
    assert _check_in(client, student, soon, _open(client, owner, soon).json["code"]).status_code == 201


@pytest.mark.parametrize(
    "code",
    ["", "12345", "abcdef", "1234567", None, 123456, "１２３４５６", "١٢٣٤٥٦", "12３456", "123 456"],
)
def test_malformed_code(client, code):
    owner, act = _running()
    student = make_user()
    join(act, student)
    response = client.post(
        f"/api/activities/{act.id}/checkin/", json={"code": code}, headers=headers(student)
    )
    assert response.status_code == 400 and "code" in response.json


@pytest.mark.parametrize("digits", ["０１２３４５６７８９", "٠١٢٣٤٥٦٧٨٩", "०१२३४५६७८९"])
def test_the_open_code_in_other_digits_is_refused(client, digits):
    """ASCII digits only: str.isdigit() and a regex's \\d accept every script's digits."""
    owner, act = _running()
    student = make_user()
    join(act, student)
    code = _open(client, owner, act).json["code"]
    lookalike = code.translate(str.maketrans("0123456789", digits))
    response = _check_in(client, student, act, lookalike)
    assert (response.status_code, response.json) == (
        400,
        {"code": ["签到码是 6 位数字。"], "detail": "code: 签到码是 6 位数字。"},
    )
    assert db.session.query(Attendance).count() == 0
    assert _check_in(client, student, act, f" {code} ").status_code == 201


@pytest.mark.parametrize("minutes", [0, 241, "x", 1.5, "1.5", 0.5, "１５", "1e1", True, None, [5]])
def test_open_validates_minutes(client, minutes):
    owner, act = _running()
    response = _open(client, owner, act, minutes=minutes)
    assert response.status_code == 400 and "minutes" in response.json, response.json
    assert response.json["detail"].startswith("minutes: ")
    assert db.session.get(CheckIn, act.id) is None  # nothing opened


@pytest.mark.parametrize("minutes,valid_for", [(20, 20), ("20", 20), (" 20 ", 20), (20.0, 20), (240, 240)])
def test_minutes_are_whole_numbers_or_strings_of_digits(client, minutes, valid_for):
    """As every lenient integer field (docs/api.md §1.3): "20" is 20, 1.5 is refused."""
    owner, act = _running()
    response = _open(client, owner, act, minutes=minutes)
    assert response.status_code == 200, response.json
    checkin = db.session.get(CheckIn, act.id)
    assert checkin.expires_at - checkin.opened_at == timedelta(minutes=valid_for)


def test_roles_of_the_organizer_routes(client):
    manager = make_user()
    org = make_org(block_id=CLUB, managers=[manager])
    owner, act = _running(org=org)
    student = make_user()
    join(act, student)
    assert _open(client, manager, act).status_code == 200
    assert _open(client, make_admin(), act).status_code == 200
    assert _open(client, student, act).status_code == 403
    assert client.post(f"/api/activities/{act.id}/checkin/open/", json={}).status_code == 401
    assert _open(client, owner, type("A", (), {"id": 999999})()).status_code == 404
    for path in ("checkin/code/", "checkin/qrcode/", "attendance/"):
        assert client.get(f"/api/activities/{act.id}/{path}", headers=headers(student)).status_code == 403
    put = client.put(f"/api/activities/{act.id}/attendance/{student.id}/", headers=headers(student))
    assert put.status_code == 403
    ended = make_activity(owner=owner, begin=now() - timedelta(hours=3), end=now() - timedelta(hours=1))
    assert _open(client, owner, ended).json == {"detail": "活动已结束，不能开启签到。"}


def test_qr_code_image_of_the_open_code(client):
    owner, act = _running()
    assert client.get(f"/api/activities/{act.id}/checkin/qrcode/", headers=headers(owner)).status_code == 404
    _open(client, owner, act)
    response = client.get(f"/api/activities/{act.id}/checkin/qrcode/?width=300", headers=headers(owner))
    assert response.status_code == 200 and response.mimetype == "image/png"
    image = Image.open(io.BytesIO(response.data))
    assert 200 <= image.width <= 300
    assert (
        client.get(f"/api/activities/{act.id}/checkin/qrcode/?width=5", headers=headers(owner)).status_code
        == 400
    )


def test_marking_by_hand(client):
    owner, act = _running()
    student, outsider = make_user(), make_user()
    join(act, student)
    marked = client.put(f"/api/activities/{act.id}/attendance/{student.id}/", headers=headers(owner))
    assert marked.status_code == 200 and marked.json["method"] == "hand"
    again = client.put(f"/api/activities/{act.id}/attendance/{student.id}/", headers=headers(owner))
    assert again.status_code == 200 and db.session.query(Attendance).count() == 1
    missing = client.put(f"/api/activities/{act.id}/attendance/{outsider.id}/", headers=headers(owner))
    assert (missing.status_code, missing.json) == (404, {"detail": "该用户未参加该活动。"})
    assert (
        client.delete(
            f"/api/activities/{act.id}/attendance/{student.id}/", headers=headers(owner)
        ).status_code
        == 204
    )
    assert (
        client.delete(
            f"/api/activities/{act.id}/attendance/{student.id}/", headers=headers(owner)
        ).status_code
        == 404
    )


def test_comments_need_attendance_once_check_in_was_opened(client):
    owner, act = _running()
    came, stayed_home = make_user(), make_user()
    join(act, came)
    join(act, stayed_home)
    code = _open(client, owner, act).json["code"]
    _check_in(client, came, act, code)
    assert _comment(client, came, act).status_code == 201
    refused = _comment(client, stayed_home, act)
    assert (refused.status_code, refused.json) == (403, {"detail": "只有签到了该活动的同学才能评论。"})


def test_comments_without_check_in_stay_as_before(client):
    owner, act = _running()
    participant = make_user()
    join(act, participant)
    assert _comment(client, participant, act).status_code == 201
    outsider = _comment(client, make_user(), act)
    assert (outsider.status_code, outsider.json) == (403, {"detail": "只有参加了该活动的同学才能评论。"})


def test_attendance_rates_chart(client):
    owner, act = _running(name="签到的活动")
    students = [make_user() for _ in range(4)]
    for student in students:
        join(act, student)
    code = _open(client, owner, act).json["code"]
    _check_in(client, students[0], act, code)
    client.put(f"/api/activities/{act.id}/attendance/{students[1].id}/", headers=headers(owner))
    make_activity(name="没签到的活动")
    admin = make_admin()
    response = client.get("/api/charts/attendance_rates/", headers=headers(admin))
    assert response.json == [{"name": "签到的活动", "value": 50}]
    assert client.get("/api/charts/attendance_rates/", headers=headers(owner)).status_code in (401, 403)
    assert client.get("/api/charts/attendance_rates/?limit=0", headers=headers(admin)).status_code == 400
