"""One owner for each lifecycle rule (docs/signup.md, docs/api.md §11, §22): whichever
path frees a place or makes an activity go away, it does it the same way.

- A freed place goes to the first in line exactly once, with notice 12: the student's
  own leave, a removal by an organizer or admin, and the deletion of the student.
- An activity that goes away (deleted by its organizer, with its organization, with
  its owner) tells each participant once (notice 2) and leaves STATUS:CANCELLED in the
  calendar feeds of its participants and of its organization.
"""

from urllib.parse import urlparse

import pytest
from icalendar import Calendar
from sqlalchemy import func, select

from reedsailing.extensions import db
from reedsailing.messages.texts import ACT_CANCEL, ADMITTED_FROM_WAITLIST
from reedsailing.models import Activity, Delivery, JoinRequest, Notice, Participation
from reedsailing.models.blocks import PERSONAL
from tests.factories import headers, make_activity, make_admin, make_org, make_user

JOIN = "/api/activities/participants/"


def notices(user, notice_type):
    return db.session.scalar(
        select(func.count())
        .select_from(Notice)
        .join(Delivery, Delivery.notice_id == Notice.id)
        .where(Delivery.user_id == user.id, Notice.type == notice_type)
    )


def participants(activity_id):
    return set(db.session.scalars(select(Participation.user_id).where(Participation.act_id == activity_id)))


def joined_count(activity_id):
    db.session.expire_all()
    return db.session.scalar(select(Activity.joined_count).where(Activity.id == activity_id))


def join(client, user, activity, **extra):
    response = client.post(JOIN, json={"person": user.id, "act": activity.id, **extra}, headers=headers(user))
    assert response.status_code in (200, 201, 202), response.get_json()
    return response


@pytest.fixture
def full_activity(client):
    """An organization's activity with its one place taken and two students in line."""
    org = make_org()
    activity = make_activity(org=org, contain=1)
    holder, first, second = make_user(name="占位"), make_user(name="候补一"), make_user(name="候补二")
    join(client, holder, activity)
    assert join(client, first, activity, waitlist=True).get_json()["position"] == 1
    assert join(client, second, activity, waitlist=True).get_json()["position"] == 2
    return {"org": org, "activity": activity, "holder": holder, "first": first, "second": second}


def assert_first_in_line_admitted_once(full_activity):
    activity_id = full_activity["activity"].id
    first, second = full_activity["first"], full_activity["second"]
    assert participants(activity_id) == {first.id}
    assert joined_count(activity_id) == 1
    assert notices(first, ADMITTED_FROM_WAITLIST) == 1
    assert notices(second, ADMITTED_FROM_WAITLIST) == 0
    line = db.session.scalars(select(JoinRequest.user_id).where(JoinRequest.act_id == activity_id)).all()
    assert line == [second.id]


def test_a_leave_gives_the_place_to_the_first_in_line(client, full_activity):
    holder, activity = full_activity["holder"], full_activity["activity"]
    response = client.delete(f"{JOIN}?person={holder.id}&act={activity.id}", headers=headers(holder))
    assert response.status_code in (200, 204), response.get_json()
    assert_first_in_line_admitted_once(full_activity)


def test_a_removal_by_an_admin_gives_the_place_to_the_first_in_line(client, full_activity):
    holder, activity = full_activity["holder"], full_activity["activity"]
    admin = make_admin()
    response = client.delete(f"{JOIN}?person={holder.id}&act={activity.id}", headers=headers(admin))
    assert response.status_code in (200, 204), response.get_json()
    assert_first_in_line_admitted_once(full_activity)


def test_deleting_a_participant_gives_the_place_to_the_first_in_line(client, full_activity):
    """The defect this rule fixes: deleting the only participant of a full activity left
    `contain=1, joined_count=0` with a student waiting forever."""
    admin = make_admin()
    response = client.delete(f"/api/users/{full_activity['holder'].id}/", headers=headers(admin))
    assert response.status_code == 204
    assert_first_in_line_admitted_once(full_activity)


# ---- every way an activity goes away -------------------------------------------------


def feed_of(client, student):
    url = client.post("/api/feeds/", headers=headers(student)).get_json()["url"]
    return urlparse(url).path


def cancelled_uids(client, path):
    response = client.get(path)
    assert response.status_code == 200, response.data
    calendar = Calendar.from_ical(response.data)
    return {str(event["UID"]) for event in calendar.walk("VEVENT") if str(event.get("STATUS")) == "CANCELLED"}


def uid(activity_id):
    return f"activity-{activity_id}@reedsailing"


@pytest.fixture
def published(client):
    """An organization activity and a personal activity of one owner, each with two
    participants who subscribed to their calendar feed."""
    owner = make_user(name="发起者")
    org = make_org(owner=owner)
    org_activity = make_activity(org=org, name="组织活动")
    own_activity = make_activity(owner=owner, block_id=PERSONAL, name="个人活动")
    students = [make_user(name=f"同学{number}") for number in range(2)]
    for student in students:
        join(client, student, org_activity)
        join(client, student, own_activity)
    feeds = {student.id: feed_of(client, student) for student in students}
    return {
        "owner": owner,
        "org": org,
        "org_activity": org_activity,
        "own_activity": own_activity,
        "students": students,
        "feeds": feeds,
    }


def assert_cancelled(client, published, activity, org=None):
    for student in published["students"]:
        assert notices(student, ACT_CANCEL) == 1
        assert uid(activity.id) in cancelled_uids(client, published["feeds"][student.id])
    if org is not None:
        assert uid(activity.id) in cancelled_uids(client, f"/api/feeds/organizations/{org.id}.ics")


def test_an_activity_deleted_by_its_organizer_is_cancelled(client, published):
    activity = published["org_activity"]
    response = client.delete(f"/api/activities/{activity.id}/", headers=headers(published["owner"]))
    assert response.status_code in (200, 204), response.get_json()
    assert_cancelled(client, published, activity, org=published["org"])


def test_the_activities_of_a_deleted_organization_are_cancelled(client, published):
    org, activity = published["org"], published["org_activity"]
    org_feed = f"/api/feeds/organizations/{org.id}.ics"
    assert client.get(org_feed).status_code == 200
    response = client.delete(f"/api/organizations/{org.id}/", headers=headers(make_admin()))
    assert response.status_code in (200, 204), response.get_json()
    assert_cancelled(client, published, activity)


def test_the_own_activities_of_a_deleted_student_are_cancelled(client, published):
    activity = published["own_activity"]
    # ownership of the organization first: an owner cannot be deleted (409)
    org = published["org"]
    new_owner = make_user(name="接任", email="heir@buaa.edu.cn")
    moved = client.post(
        f"/api/organizations/owner/{org.id}/", json={"owner": new_owner.id}, headers=headers(make_admin())
    )
    assert moved.status_code == 200, moved.get_json()
    response = client.delete(f"/api/users/{published['owner'].id}/", headers=headers(make_admin()))
    assert response.status_code == 204
    assert_cancelled(client, published, activity)
    # the organization's activity stays, with the organization
    assert db.session.get(Activity, published["org_activity"].id) is not None
