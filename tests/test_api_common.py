"""Behaviour every route shares: paths, error shapes, request bodies, headers behind a
proxy, the API document."""

import json
import re
from datetime import timedelta

import pytest
from flask import request
from openapi_spec_validator import validate

from reedsailing.core.timeutil import now
from reedsailing.extensions import db
from tests.factories import headers, join, make_activity, make_admin, make_user
from tests.support.apps import fresh_app


def test_double_slash_and_missing_trailing_slash_answer_directly(client):
    user = make_user()
    for path in (
        f"/api/users/{user.id}",
        f"/api/users/{user.id}/",
        f"/api//users/{user.id}/",
        f"/api/users//{user.id}",
    ):
        response = client.get(path, headers=headers(user))
        assert response.status_code == 200, path


def test_unknown_route_is_a_json_404(client):
    response = client.get("/api/no/such/route/")
    assert response.status_code == 404 and response.json == {"detail": "未找到。"}


def test_wrong_method_is_a_json_405(client):
    response = client.delete("/api/show/")
    assert response.status_code == 405 and response.json["detail"]


def test_responses_carry_a_request_id(client):
    response = client.get("/api/show/", headers={"X-Request-ID": "abc-123"})
    assert response.headers["X-Request-ID"] == "abc-123"
    response = client.get("/api/show/", headers={"X-Request-ID": "bad id with spaces and ;"})
    assert re.fullmatch(r"[0-9a-f]{16}", response.headers["X-Request-ID"])


def test_forwarded_host_is_not_trusted_and_hsts_only_over_https(app, restore_extensions):
    proxied = fresh_app(app, TRUSTED_PROXY_COUNT=1)

    @proxied.get("/probe/")
    def probe():
        return {"host": request.host, "secure": request.is_secure, "remote": request.remote_addr}

    client = proxied.test_client()
    forwarded = {
        "X-Forwarded-Host": "evil.example",
        "X-Forwarded-Proto": "https",
        "X-Forwarded-For": "10.1.2.3",
    }
    answer = client.get("/probe/", headers=forwarded)
    assert answer.json == {"host": "localhost", "secure": True, "remote": "10.1.2.3"}
    assert answer.headers["Strict-Transport-Security"].startswith("max-age=")
    plain = client.get("/probe/")
    assert "Strict-Transport-Security" not in plain.headers


def test_security_headers_on_api_answers_and_pages(client):
    for path in ("/api/health/", "/api/no-such-route/"):
        answer = client.get(path)
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        assert answer.headers["X-Frame-Options"] == "DENY"
        assert "default-src 'none'" in answer.headers["Content-Security-Policy"]
    for page in ("/apidocs/", "/charts/"):
        answer = client.get(page)
        assert answer.status_code == 200
        assert answer.headers["X-Frame-Options"] == "DENY"
        # the pages' own scripts and styles still run (tests/test_browser.py)
        assert answer.headers["Content-Security-Policy"] == "frame-ancestors 'none'"


def test_unexpected_errors_are_json_500_with_request_id(app):
    from config import TestConfig
    from reedsailing import create_app

    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = app.config["SQLALCHEMY_DATABASE_URI"]

    crashing = create_app(Config)

    @crashing.get("/api/test-crash/")
    def crash():
        raise RuntimeError("boom")

    response = crashing.test_client().get("/api/test-crash/")
    assert response.status_code == 500
    assert response.json["detail"] and response.json["request_id"]


@pytest.mark.parametrize("body", ["[" * 100_000 + "]" * 100_000, '{"a":' * 40_000 + "1" + "}" * 40_000])
def test_deeply_nested_json_is_a_400(client, body):
    response = client.post("/api/userLogin/", data=body, content_type="application/json")
    assert response.status_code == 400 and response.json["detail"]


def test_json_bodies_beyond_the_limit_are_refused_unread(client):
    admin = make_admin()
    body = '{"name": "' + "x" * 400_000 + '"}'
    response = client.post(
        "/api/activities/categories/", data=body, content_type="application/json", headers=headers(admin)
    )
    assert response.status_code == 413 and response.json["detail"]


def test_show_follows_the_setting(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "SHOW_ALL", False)
    assert client.get("/api/show/").json == {"show": False}


def test_show_flag_needs_no_token(client):
    response = client.get("/api/show/")
    assert response.status_code == 200
    assert response.json == {"show": True}


def test_health_reports_the_database(client):
    assert client.get("/api/health/").json == {"status": "ok", "database": "ok", "redis": "disabled"}


def test_the_openapi_document_is_valid_and_lists_every_route(app, client):
    spec = client.get("/apispec_1.json").json
    validate(spec)
    documented = {(path, method) for path, ops in spec["paths"].items() for method in ops}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        path = re.sub(r"<(?:[a-z_]+:)?([a-z_]+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (path, method.lower()) in documented, (path, method)
            operation = spec["paths"][path][method.lower()]
            assert operation["summary"] and operation["summary"] != rule.endpoint, (path, method)


def test_swagger_ui_is_served(client):
    response = client.get("/apidocs/")
    assert response.status_code == 200 and b"swagger" in response.data.lower()


GARBAGE_BODIES = [
    b"{",
    b"[]",
    b"null",
    b'"text"',
    b'{"name": {"nested": 1}, "id": "x", "act": [], "org": 1e400}',
]


def _routes(app):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/") and "test-crash" not in rule.rule:
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield rule, method


def _fill(rule, value):
    path = rule.rule
    for name in rule.arguments:
        path = re.sub(rf"<(?:[a-z_]+:)?{name}>", str(value), path)
    return path


@pytest.mark.parametrize("who", ["anonymous", "student", "admin"])
def test_no_route_answers_500_to_malformed_input(app, client, who):
    principal = {"anonymous": None, "student": make_user(), "admin": make_admin()}[who]
    auth_headers = headers(principal) if principal else {}
    failures = []
    for rule, method in _routes(app):
        for value in (1, 2147483647):
            path = _fill(rule, value)
            for body in GARBAGE_BODIES:
                response = client.open(
                    path + "?limit=x&name=%00&person=a&act=-1&org=99999999999999999999",
                    method=method,
                    data=body,
                    content_type="application/json",
                    headers=auth_headers,
                )
                if response.status_code >= 500 or response.json is None:
                    failures.append((method, path, body, response.status_code))
    assert failures == []


@pytest.mark.parametrize(
    "method,path",
    [("get", "/api/activities/{}/"), ("delete", "/api/activities/{}/"), ("put", "/api/users/{}/")],
)
def test_ids_beyond_the_database_range_are_404_for_every_method(client, method, path):
    response = getattr(client, method)(
        path.format(99999999999), json={"name": "x"}, headers=headers(make_admin())
    )
    assert response.status_code == 404 and response.json["detail"]


NOT_AN_OBJECT = [b"[1, 2]", b"[]", b'"text"', b"5", b"null"]


@pytest.mark.parametrize("who", ["student", "admin"])
def test_no_write_succeeds_with_a_body_that_is_not_an_object(app, client, who):
    """docs/api.md §1.3: a body that is not a JSON object is 400, on routes that read
    none too (POST /api/feeds/ answered 201 to an array)."""
    auth_headers = headers(make_user() if who == "student" else make_admin())
    accepted = []
    for rule, method in _routes(app):
        if method not in ("POST", "PUT", "PATCH"):
            continue
        for body in NOT_AN_OBJECT:
            response = client.open(
                _fill(rule, 1),
                method=method,
                data=body,
                content_type="application/json",
                headers=auth_headers,
            )
            if response.status_code < 400:
                accepted.append((method, rule.rule, body, response.status_code))
    assert accepted == []


def _bodiless_routes():
    """The writes that read no body, each with a caller for whom it would succeed."""
    from reedsailing.models import JoinRequest

    owner, student = make_user(), make_user()
    running = make_activity(owner=owner, begin=now() - timedelta(minutes=10))
    join(running, student)
    asking = make_user()
    reviewed = make_activity(owner=owner, review=True)
    db.session.add(JoinRequest(act_id=reviewed.id, user_id=asking.id, state="pending"))
    db.session.commit()
    return {
        "rotate feed": ("post", "/api/feeds/", student),
        "approve": ("post", f"/api/activities/{reviewed.id}/requests/{asking.id}/approve/", owner),
        "mark attendance": ("put", f"/api/activities/{running.id}/attendance/{student.id}/", owner),
    }


@pytest.mark.parametrize("route", ["rotate feed", "approve", "mark attendance"])
@pytest.mark.parametrize("body", NOT_AN_OBJECT)
def test_a_route_without_a_body_refuses_one_that_is_not_an_object(client, route, body):
    method, path, caller = _bodiless_routes()[route]
    response = client.open(
        path, method=method, data=body, content_type="application/json", headers=headers(caller)
    )
    assert (response.status_code, response.json) == (400, {"detail": "请求体必须是 JSON 对象。"})
    # and nothing was done: the same route with no body (or `{}`) still succeeds once
    assert client.open(path, method=method, json={}, headers=headers(caller)).status_code in (200, 201)
    assert client.open(path, method=method, headers=headers(caller)).status_code in (200, 201, 404)


# ---- strings UTF-8 cannot encode (audit item 6) ----------------------------------------

LONE = "\ud800"  # json.dumps writes it as the escape "\\ud800"; the server's json.loads undoes it


@pytest.fixture
def surrogate_campus():
    from datetime import timedelta

    from reedsailing.core.timeutil import now
    from reedsailing.models.blocks import CLUB
    from tests.factories import join, make_activity, make_address, make_category, make_org

    user, admin = make_user(), make_admin("root")
    org = make_org(owner=user, block_id=CLUB)
    ended = make_activity(org=org, begin=now() - timedelta(days=2), end=now() - timedelta(days=1))
    join(ended, user)
    upcoming = make_activity(org=org)
    begin = now() + timedelta(days=3)
    ids = {
        "user": user.id,
        "org": org.id,
        "act": upcoming.id,
        "ended": ended.id,
        "block": CLUB,
        "address": make_address().id,
        "category": make_category().id,
        "begin": begin.strftime("%Y-%m-%dT%H:%M:%S"),
        "end": (begin + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S"),
    }
    return {"student": headers(user), "admin": headers(admin), "anonymous": {}}, ids


ACTIVITY = {"begin_time": "{begin}", "end_time": "{end}", "contain": 5, "location": "{address}"}
# (method, path, caller, the field sent as a lone surrogate, the rest of a valid body)
SURROGATE_CASES = [
    # logins, without a token
    ("POST", "/api/userLogin/", "anonymous", "code", {}),
    ("POST", "/api/adminLogIn/", "anonymous", "username", {"password": "admin-password"}),
    ("POST", "/api/adminLogIn/", "anonymous", "password", {"username": "root"}),
    ("POST", "/api/identify/", "anonymous", "token", {}),
    # searches
    ("POST", "/api/activities/search/", "student", "name", {}),
    ("POST", "/api/blocks/activities/search/{block}/", "student", "name", {}),
    ("POST", "/api/blocks/organizations/search/{block}/", "student", "name", {}),
    ("POST", "/api/organizations/activities/search/{org}/", "student", "name", {}),
    ("POST", "/api/organizations/search/", "student", "name", {}),
    ("POST", "/api/users/joined_acts/search/{user}/", "student", "name", {}),
    ("POST", "/api/users/managed_organizations/search/{user}/", "student", "name", {}),
    ("POST", "/api/users/released_activities/search/{user}/", "student", "name", {}),
    ("POST", "/api/users/search/", "admin", "name", {}),
    ("GET", "/api/activities/comments/search/", "admin", "query", None),
    ("GET", "/api/feedbacks/search/", "admin", "content", None),
    ("GET", "/api/feedbacks/user/{user}/search/", "admin", "content", None),
    # a user
    ("PUT", "/api/users/{user}/", "student", "name", {}),
    ("PUT", "/api/users/{user}/", "student", "sign", {}),
    ("PUT", "/api/users/{user}/", "student", "contact", {}),
    ("PUT", "/api/users/{user}/", "student", "avatar", {}),
    ("POST", "/api/register/", "admin", "username", {"password": "long enough"}),
    # organizations
    ("PUT", "/api/organizations/{org}/", "student", "name", {}),
    ("PUT", "/api/organizations/{org}/", "student", "description", {}),
    ("PUT", "/api/organizations/{org}/", "student", "avatar", {}),
    ("POST", "/api/organizations/", "admin", "name", {"block": "{block}", "owner": "{user}"}),
    ("POST", "/api/organizations/applications/", "student", "name", {"block": "{block}", "description": "d"}),
    ("POST", "/api/organizations/applications/", "student", "description", {"block": "{block}", "name": "n"}),
    # blocks, categories, addresses
    ("POST", "/api/blocks/", "admin", "name", {}),
    ("PUT", "/api/blocks/{block}/", "admin", "name", {}),
    ("POST", "/api/activities/categories/", "student", "name", {}),
    ("PUT", "/api/activities/categories/{category}/", "admin", "name", {}),
    ("POST", "/api/activities/addresses/", "student", "name", {"latitude": "1", "longitude": "1"}),
    ("PUT", "/api/activities/addresses/{address}/", "admin", "name", {"latitude": "1", "longitude": "1"}),
    # activities, comments, feedback
    ("POST", "/api/activities/", "student", "name", {**ACTIVITY, "block": 5}),
    ("POST", "/api/activities/", "student", "description", {**ACTIVITY, "block": 5, "name": "n"}),
    ("PUT", "/api/activities/{act}/", "student", "name", ACTIVITY),
    ("POST", "/api/activities/comments/", "student", "content", {"act": "{ended}", "score": 4}),
    ("POST", "/api/feedbacks/", "student", "content", {}),
]


def _filled(value, ids):
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        filled = value.format(**ids)
        return int(filled) if filled.isdigit() else filled
    return value


@pytest.mark.parametrize(("method", "path", "who", "field", "rest"), SURROGATE_CASES)
def test_a_lone_surrogate_is_a_field_error_never_a_500(
    client, surrogate_campus, method, path, who, field, rest
):
    """`"\\ud800"` reached SQL and raised UnicodeEncodeError: a 500 on every one of these."""
    from urllib.parse import quote

    callers, ids = surrogate_campus
    url = path.format(**ids)
    sent = {**{key: _filled(value, ids) for key, value in (rest or {}).items()}, field: LONE}
    raw = json.dumps(sent)
    assert "\\ud800" in raw  # the escape goes over the wire, not an encoded character
    if rest is None:  # a search that reads the query string: the console's `?{"query":"x"}`
        response = client.open(f"{url}?{quote(raw)}", method=method, headers=callers[who])
    else:
        response = client.open(
            url, method=method, data=raw.encode(), content_type="application/json", headers=callers[who]
        )
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.json[field] and response.json["detail"]


def test_a_lone_surrogate_anywhere_in_a_body_is_refused(client):
    for raw in (
        b'{"code": "x", "\\udfff": 1}',  # a key
        b'{"code": ["x", {"deep": "\\ud800"}]}',  # nested
        b'{"code": "\xed\xa0\x80"}',  # an encoded surrogate (json.loads decodes "surrogatepass")
    ):
        response = client.post("/api/userLogin/", data=raw, content_type="application/json")
        assert response.status_code == 400 and response.json["detail"], raw
    paired = client.post(
        "/api/userLogin/", data=b'{"code": "\\ud83d\\ude00"}', content_type="application/json"
    )
    assert paired.status_code == 200  # a surrogate pair is one character (an emoji): fine
