"""The API document as a product (docs/api.md): every property typed, every tag
described, servers, and examples of the main flows that the real app answers the same way."""

from reedsailing.apidocs.texts import EXAMPLES
from reedsailing.models import Category
from tests.factories import headers, make_address, make_user


def spec_of(client):
    return client.get("/apispec_1.json").json


def properties(spec):
    for name, schema in spec["components"]["schemas"].items():
        for prop, body in (schema.get("properties") or {}).items():
            yield name, prop, body


def test_every_property_has_a_type_and_custom_fields_say_theirs(client):
    spec = spec_of(client)
    untyped = [
        (n, p) for n, p, b in properties(spec) if not {"type", "$ref", "allOf", "oneOf", "anyOf"} & set(b)
    ]
    assert untyped == []
    activity = spec["components"]["schemas"]["Activity"]["properties"]
    assert (
        activity["begin_time"]["type"] == "string"
        and activity["begin_time"]["example"] == "2026-12-01T19:00:00"
    )
    address = spec["components"]["schemas"]["Address"]["properties"]
    assert address["longitude"]["type"] == "string" and "degrees" in address["longitude"]["description"]
    score = spec["components"]["schemas"]["CommentCreateBody"]["properties"]["score"]
    assert (score["type"], score["maximum"], score["multipleOf"]) == ("number", 5, 0.5)
    described = sum("description" in b for _, _, b in properties(spec))
    assert described / len(list(properties(spec))) > 0.8


def test_tags_are_described_and_servers_listed(client):
    spec = spec_of(client)
    described = {tag["name"]: tag["description"] for tag in spec["tags"]}
    used = {tag for ops in spec["paths"].values() for op in ops.values() for tag in op["tags"]}
    assert used <= set(described) and all(described.values())
    assert {server["url"] for server in spec["servers"]} >= {"/", "http://testserver"}
    assert "`notification`" in spec["info"]["description"] and "demo-1" in spec["info"]["description"]


def test_the_documented_examples_are_what_the_app_answers(client):
    """Login with demo-1, publish, join: each documented request, sent to the app, gets
    the documented status and an answer with the documented keys."""
    spec = spec_of(client)

    def documented(path, method):
        operation = spec["paths"][path][method]
        status, response = next(iter(operation["responses"].items()))
        return (
            operation["requestBody"]["content"]["application/json"]["example"],
            int(status),
            response["content"]["application/json"]["example"],
        )

    request, status, answer = documented("/api/userLogin/", "post")
    assert request == EXAMPLES["users.login.post"]["request"] == {"code": "demo-1"}
    login = client.post("/api/userLogin/", json=request)  # development login mode
    assert login.status_code == status and set(login.json) == set(answer)

    student = make_user()
    request, status, answer = documented("/api/activities/", "post")
    request = {**request, "location": make_address().id, "type": Category.query.first().id}
    published = client.post("/api/activities/", json=request, headers=headers(student))
    assert published.status_code == status, published.json
    assert set(published.json) == set(answer)
    assert set(published.json["location"]) == set(answer["location"])

    request, status, answer = documented("/api/activities/participants/", "post")
    joiner = make_user()
    joined = client.post(
        "/api/activities/participants/",
        json={**request, "person": joiner.id, "act": published.json["id"]},
        headers=headers(joiner),
    )
    assert joined.status_code == status and set(joined.json) == set(answer)


def test_each_code_field_says_which_code_it_is(client):
    """`code` means three things: the wx.login() code, the check-in code a student sends
    and the one an organizer gets. Each says its own (FIELD_TEXT gave all three the first)."""
    schemas = spec_of(client)["components"]["schemas"]
    login, sent, opened = (
        schemas[name]["properties"]["code"]["description"]
        for name in ("LoginBody", "CheckInBody", "CodeResult")
    )
    assert "wx.login()" in login
    assert "wx.login" not in sent and "wx.login" not in opened
    assert "6 ASCII digits" in sent and "check-in code" in opened
    assert len({login, sent, opened}) == 3
