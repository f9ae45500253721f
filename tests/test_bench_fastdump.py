"""The hand-built activity answers (activities/fastdump.py, a bench fix) must equal
what `ActivitySchema` dumps from the ORM objects, field for field."""

from datetime import timedelta

from reedsailing.activities.fastdump import Dumper, activity_answer, activity_rows_select, fetch
from reedsailing.activities.loading import activities_select, run
from reedsailing.core.schemas import ActivitySchema
from reedsailing.core.timeutil import now
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


def test_fast_rows_equal_the_schema():
    _campus()
    expected = ActivitySchema(many=True).dump(run(activities_select().order_by(Activity.id)))
    got = Dumper().many(fetch(activity_rows_select().order_by(Activity.id)))
    assert len(got) == 3
    assert got == expected
    for act in expected:
        assert activity_answer(act["id"]) == act


def test_routes_answer_the_schema_shape(client):
    owner, _ = _campus()
    expected = ActivitySchema(many=True).dump(run(activities_select().order_by(Activity.id)))
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
