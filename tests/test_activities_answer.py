"""The one producer of the activity answer (`ActivityAnswers` over `activity_rows()`,
compiled from `ActivitySchema`) must equal what `ActivitySchema` dumps from the ORM
objects, field for field."""

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from reedsailing.activities.answers import ActivityAnswers, activity_rows
from reedsailing.activities.schemas import ActivitySchema
from reedsailing.activities.services.listing import activity_row, fetch
from reedsailing.core.timeutil import now
from reedsailing.extensions import db
from reedsailing.models import Activity
from reedsailing.models.blocks import CLUB, PERSONAL
from tests.factories import headers, make_activity, make_address, make_category, make_org, make_user


def _campus():
    owner = make_user(email="zhangsan@buaa.edu.cn", sign="签名", contact=None, follow_boya=True)
    plain = make_user(email=None)
    org = make_org(owner=owner, block_id=CLUB, description=None)
    category = make_category()
    start = now() + timedelta(days=2)
    make_activity(
        owner=owner,
        org=org,
        category_id=category.id,
        description="描述",
        avatar="a.png",
        keywords="讲座 音乐",
        review=True,
    )
    make_activity(
        owner=plain, block_id=PERSONAL, begin=now() - timedelta(hours=1), end=now() + timedelta(hours=1)
    )
    make_activity(
        owner=plain, block_id=PERSONAL, begin=start, end=start + timedelta(hours=3), location=make_address()
    )
    return owner, plain


def _schema_answers():
    """`ActivitySchema` dumping ORM objects with everything it nests loaded."""
    nested = [
        joinedload(getattr(Activity, name)) for name in ("owner", "category", "org", "location", "block")
    ]
    activities = db.session.scalars(select(Activity).options(*nested).order_by(Activity.id)).unique().all()
    return ActivitySchema(many=True).dump(activities)


def test_rows_dump_to_what_the_schema_dumps():
    _campus()
    expected = _schema_answers()
    got = ActivityAnswers().many(fetch(activity_rows().order_by(Activity.id)))
    assert len(got) == 3
    assert got == expected
    for answer in expected:
        assert ActivityAnswers().one(activity_row(answer["id"])) == answer


def test_routes_answer_the_schema_shape(client):
    owner, _ = _campus()
    expected = _schema_answers()
    answer = client.get("/api/activities/", headers=headers(owner)).get_json()
    assert answer == expected
    detail = client.get(f"/api/activities/{expected[0]['id']}/", headers=headers(owner)).get_json()
    assert detail == expected[0]
    status = client.get(f"/api/blocks/activities/status/{PERSONAL}/", headers=headers(owner)).get_json()
    assert [a["id"] for a in status["cur"]] == [expected[1]["id"]]
    assert [a["id"] for a in status["unstart"]] == [expected[2]["id"]]
    assert status["cur"][0] == expected[1]


def test_orjson_provider_gives_the_same_json_values(app):
    import json
    from datetime import date, datetime
    from decimal import Decimal

    value = {
        "名字": '讲座 "引号" \\ \n',
        "3": [1, 2.5, None, True],
        "t": datetime(2021, 6, 1, 8, 0, 0),
        "d": date(2021, 6, 1),
        "n": Decimal("1.500000"),
        "big": 2**70,
        "nested": {"b": 1, "a": [{}]},
    }
    fast = app.json.dumps(value)
    standard = json.dumps(value, default=app.json.default, sort_keys=True)
    assert json.loads(fast) == json.loads(standard)
    assert json.loads(app.json.dumps({"x": "讲座"})) == {"x": "讲座"}
    assert "讲座" in app.json.dumps({"x": "讲座"})  # UTF-8, not \\u escapes
