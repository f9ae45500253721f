"""Calendar feeds: the private feed URL (rotate, revoke), the iCal documents parsed
back with the icalendar library, edits and cancellations, ETag/304 (docs/api.md §20)."""

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

import pytest
import requests
from icalendar import Calendar
from sqlalchemy import select

from reedsailing.core.timeutil import now
from reedsailing.extensions import db
from reedsailing.feeds.services import purge_cancellations
from reedsailing.models import CanceledActivity, FeedToken
from reedsailing.security import auth
from tests.acts_support import fmt
from tests.factories import headers, join, make_activity, make_address, make_category, make_org, make_user

SHANGHAI = ZoneInfo("Asia/Shanghai")


def feed_path(client, student, method="post"):
    response = getattr(client, method)("/api/feeds/", headers=headers(student))
    assert response.status_code == (201 if method == "post" else 200), response.get_json()
    url = response.get_json()["url"]
    return urlparse(url).path if url else None


def read(client, path, **kwargs):
    response = client.get(path, **kwargs)
    assert response.status_code == 200, response.data
    assert response.mimetype == "text/calendar"
    return Calendar.from_ical(response.data), response


def events(calendar):
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def uid(activity_id):
    return f"activity-{activity_id}@reedsailing"


def test_a_student_feed_lists_the_joined_activities_in_shanghai_time(client):
    student = make_user()
    begin = datetime(2030, 5, 1, 19, 0)
    joined = make_activity(name="夜跑", begin=begin, end=begin + timedelta(hours=1), description="操场集合")
    make_activity(name="别人的活动")
    join(joined, student)
    path = feed_path(client, student)
    assert path.startswith("/api/feeds/") and path.endswith(".ics")

    calendar, response = read(client, path)  # no login header: the path is the credential
    assert calendar["VERSION"] == "2.0" and "PRODID" in calendar
    (event,) = events(calendar).values()
    assert str(event["UID"]) == uid(joined.id)
    assert str(event["SUMMARY"]) == "夜跑"
    assert str(event["DESCRIPTION"]) == "操场集合"
    assert str(event["STATUS"]) == "CONFIRMED"
    assert event["SEQUENCE"] == 0
    start = event.decoded("DTSTART")
    assert start == begin.replace(tzinfo=SHANGHAI)
    assert start.astimezone(ZoneInfo("UTC")).hour == 11  # 19:00 in Beijing
    assert event["DTSTART"].params["TZID"] == "Asia/Shanghai"
    (timezone,) = calendar.walk("VTIMEZONE")
    assert str(timezone["TZID"]) == "Asia/Shanghai"
    assert response.headers["ETag"]


def test_the_feed_follows_an_edit_with_the_same_uid_and_a_new_sequence(client):
    owner, student = make_user(), make_user()
    activity = make_activity(owner=owner, name="旧名字")
    join(activity, student)
    path = feed_path(client, student)
    _, before = read(client, path)

    begin = now().replace(second=0) + timedelta(days=4)
    body = {
        "name": "新名字",
        "begin_time": fmt(begin),
        "end_time": fmt(begin + timedelta(hours=2)),
        "contain": 30,
        "description": "改了时间",
        "type": make_category().id,
        "location": make_address("新主楼").id,
    }
    assert client.put(f"/api/activities/{activity.id}/", json=body, headers=headers(owner)).status_code == 200

    calendar, after = read(client, path)
    event = events(calendar)[uid(activity.id)]
    assert str(event["SUMMARY"]) == "新名字"
    assert str(event["LOCATION"]) == "新主楼"
    assert event["SEQUENCE"] == 1
    assert event.decoded("DTSTART") == begin.replace(tzinfo=SHANGHAI)
    assert after.headers["ETag"] != before.headers["ETag"]


def test_a_canceled_activity_stays_in_the_feed_as_cancelled(client):
    owner, student = make_user(), make_user()
    activity = make_activity(owner=owner, name="取消的讲座")
    join(activity, student)
    path = feed_path(client, student)
    assert client.delete(f"/api/activities/{activity.id}/", headers=headers(owner)).status_code == 200

    calendar, _ = read(client, path)
    event = events(calendar)[uid(activity.id)]
    assert str(event["STATUS"]) == "CANCELLED"
    assert event["SEQUENCE"] == 1
    assert str(event["SUMMARY"]) == "取消的讲座"


def test_a_matching_etag_answers_304_without_a_body(client):
    student = make_user()
    join(make_activity(), student)
    path = feed_path(client, student)
    _, first = read(client, path)
    again = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert again.data == b""
    assert client.get(path, headers={"If-None-Match": '"something-else"'}).status_code == 200


def test_rotating_and_revoking_the_feed(client):
    student = make_user()
    assert feed_path(client, student, "get") is None
    first = feed_path(client, student)
    assert feed_path(client, student, "get") == first
    second = feed_path(client, student)
    assert second != first
    assert client.get(first).status_code == 404  # rotated away
    assert client.get(second).status_code == 200
    revoking = client.delete("/api/feeds/", headers=headers(student))
    assert revoking.status_code == 200 and revoking.get_json()["url"] is None
    revoked = client.get(second)
    assert revoked.status_code == 404
    assert revoked.get_json()["detail"]
    assert feed_path(client, student, "get") is None
    assert client.get("/api/feeds/not-a-token.ics").status_code == 404


def test_the_feed_url_needs_a_student(client):
    assert client.get("/api/feeds/").status_code == 401
    assert client.post("/api/feeds/").status_code == 401


def test_an_organization_feed_is_public_and_shows_cancellations(client):
    manager = make_user()
    org = make_org(owner=manager, name="羽毛球协会")
    kept = make_activity(org=org, name="周赛")
    canceled = make_activity(org=org, name="取消的周赛")
    make_activity(name="别的活动")
    assert client.delete(f"/api/activities/{canceled.id}/", headers=headers(manager)).status_code == 200

    calendar, _ = read(client, f"/api/feeds/organizations/{org.id}.ics")
    assert "羽毛球协会" in str(calendar["X-WR-CALNAME"])
    found = events(calendar)
    assert set(found) == {uid(kept.id), uid(canceled.id)}
    assert str(found[uid(kept.id)]["STATUS"]) == "CONFIRMED"
    assert str(found[uid(canceled.id)]["STATUS"]) == "CANCELLED"
    assert client.get("/api/feeds/organizations/999999.ics").status_code == 404


def test_old_cancellations_are_forgotten(client, app):
    owner, student = make_user(), make_user()
    old = make_activity(owner=owner, begin=now() - timedelta(days=400))
    join(old, student)
    assert client.delete(f"/api/activities/{old.id}/", headers=headers(owner)).status_code == 200
    assert db.session.scalar(select(CanceledActivity.id)) == old.id
    assert purge_cancellations() == 1
    assert db.session.scalar(select(CanceledActivity.id)) is None


def test_the_feeds_are_in_the_api_document(client):
    spec = client.get("/apispec_1.json").get_json()
    feed = spec["paths"]["/api/feeds/{token}.ics"]["get"]
    assert "text/calendar" in feed["responses"]["200"]["content"]
    assert "304" in feed["responses"]
    assert set(spec["paths"]["/api/feeds/"]) == {"get", "post", "delete"}
    assert set(spec["paths"]["/api/subscriptions/"]) == {"get", "post"}


# ---- rotations racing (audit item 8a) ------------------------------------------------


@pytest.mark.slow
def test_concurrent_rotations_of_one_feed_all_succeed(server):
    """~10 rotations at once for one student answered 503s: delete-then-insert deadlocked
    on MariaDB. Each is a 201 now, first rotation (no row yet) or not, and one secret is
    left: the one the last of them answered."""
    student = make_user()
    token = auth.issue_user_token(student)

    def rotate(_):
        response = requests.post(
            f"{server.url}/api/feeds/", headers={"Authorization": f"Bearer {token}"}, timeout=60
        )
        return response.status_code, response.json()

    answered = []
    for _ in range(2):  # the first round creates the feed, the second replaces it
        with ThreadPoolExecutor(max_workers=10) as pool:
            results = list(pool.map(rotate, range(10)))
        assert [status for status, _ in results] == [201] * 10, results
        answered += [body["url"] for _, body in results]
        db.session.expire_all()
        rows = db.session.scalars(select(FeedToken).where(FeedToken.user_id == student.id)).all()
        assert len(rows) == 1
        assert rows[0].token in {urlparse(url).path.split("/")[-1].removesuffix(".ics") for url in answered}
    assert len(set(answered)) == 20  # every rotation made a secret of its own
    paths = [urlparse(url).path for url in answered]
    assert [requests.get(server.url + path, timeout=10).status_code for path in paths].count(200) == 1
