"""The organizers' lists cost a fixed number of SQL statements whatever their length
(docs/signup.md): waiting list, join requests, attendance, sign-up sheet."""

from reedsailing.extensions import db
from reedsailing.models import Attendance, JoinRequest
from tests.factories import headers, join, make_activity, make_user

PATHS = ("waitlist/", "requests/", "attendance/", "sheet/?format=csv")


def _activity_with(size):
    owner = make_user()
    activity = make_activity(owner=owner, contain=size)
    for _ in range(size):
        join(activity, joined := make_user())
        db.session.add(Attendance(act_id=activity.id, user_id=joined.id, method="hand"))
        db.session.add(JoinRequest(act_id=activity.id, user_id=make_user().id, state="waiting"))
        db.session.add(JoinRequest(act_id=activity.id, user_id=make_user().id, state="pending"))
    db.session.commit()
    return owner, activity


def _statements(client, count_queries, owner, activity):
    counts = {}
    for path in PATHS:
        with count_queries() as counter:
            response = client.get(f"/api/activities/{activity.id}/{path}", headers=headers(owner))
        assert response.status_code == 200, (path, response.get_data()[:200])
        counts[path] = counter.count
    return counts


def test_organizer_lists_cost_the_same_for_3_or_30_students(client, count_queries):
    small = _statements(client, count_queries, *_activity_with(3))
    large = _statements(client, count_queries, *_activity_with(30))
    assert small == large
    assert all(count <= 8 for count in large.values()), large
