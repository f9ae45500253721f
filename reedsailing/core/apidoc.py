"""The OpenAPI 3 document, generated from the same marshmallow schemas that validate
requests. Views declare their contract with `@doc(...)`; `build_spec(app)` walks the
URL map once at start-up; create_app serves the result at /apispec_1.json with Swagger
UI at /apidocs/, and `python manage.py openapi` exports it (docs/api.md).

A custom field tells the document its type with an `openapi` class attribute (a JSON
schema fragment); fields get descriptions from their metadata or FIELD_TEXT by name;
tags (one per feature blueprint) from TAGS; the main flows carry examples (EXAMPLES).
"""

import inspect
import re
from decimal import Decimal
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from reedsailing.core.fields import MAX_ID

ERROR_SCHEMA = {
    "type": "object",
    "required": ["detail"],
    "properties": {"detail": {"type": "string"}},
    "additionalProperties": True,
}
ERROR_TEXT = {
    304: "Not modified (If-None-Match named the current ETag)",
    400: "Invalid input (DRF-style field errors plus `detail`)",
    401: "Missing or invalid token",
    403: "Not allowed for this caller",
    404: "Unknown id",
    409: "Conflict (a concurrent change won)",
    413: "Upload too large",
    429: "Rate limited",
}
AUTH_SECURITY: dict[str, list[dict[str, list[str]]]] = {
    "user": [{"bearerAuth": []}],
    "admin": [{"adminToken": []}],
    "any": [{"bearerAuth": []}, {"adminToken": []}],
    "public": [],
}


# One tag per feature blueprint (docs/architecture.md, "The features").
TAGS = [
    (
        "users",
        "WeChat login (development login: the code `demo-<n>` is the openid), mail verification, profiles",
    ),
    ("admin", "The web console's super admins: login (`Token` header), admins, identify"),
    ("meta", "`show` and the health check"),
    ("blocks", "Blocks (版块), activity categories and addresses"),
    ("organizations", "Organizations, applications to found one, managers and followers"),
    ("feedback", "Students' feedback to the admins"),
    ("activities", "Publishing, one activity, lists, status partitions, searches, calendar, keywords"),
    ("participation", "Join, leave, removal, participants and the caller's relation to an activity"),
    ("comments", "Comments and scores of activities"),
    ("recommendations", "The home page's recommended activities and organizations"),
    ("images", "Uploads (avatars) and mini-program QR codes"),
    ("charts", "The console's chart data"),
    ("messages", "Notices: REST reads and marking read; live pushes go over Socket.IO (see the top)"),
    ("checkin", "Check-in codes and their QR codes, attendance (organizers mark it by hand too)"),
    ("sheets", "Sign-up sheets of an activity as .xlsx or .csv (owner, managers, admins)"),
    ("subscriptions", "WeChat subscribe messages: the templates a student allowed"),
    ("feeds", "Calendar feeds (iCal): a student's private feed URL, an organization's public feed"),
    ("bench", "Measurement aids, only when BENCH_ROUTES is on"),
]

# Descriptions of the fields that recur across schemas, by name (a field's own
# `metadata={"description": ...}` wins).
FIELD_TEXT = {
    "id": "The row's id",
    "name": "Display name",
    "avatar": "Image URL (from `POST /api/upload/`)",
    "description": "Free text",
    "begin_time": "When the activity starts (Beijing time)",
    "end_time": "When the activity ends (Beijing time)",
    "pub_time": "When the activity was published (Beijing time)",
    "create_time": "When the row was created (Beijing time)",
    "contain": "Capacity: how many students may join",
    "review": "Needs an admin's review before it is shown",
    "keywords": "Search keywords cut from the name and description",
    "owner": "The publishing or founding student (id, or the nested user in detailed answers)",
    "type": "Activity category (id, or the nested category); a notice's type number in notices",
    "org": "Organization (id, or the nested organization); null for none",
    "location": "Address (id, or the nested address)",
    "block": "Block (版块): 1-5 (id, or the nested block)",
    "act": "Activity id",
    "person": "Student (user) id",
    "user": "Student (user) id",
    "email": "Mail address (masked for others)",
    "sign": "The student's signature line",
    "contact": "Contact text the student chose to show",
    "follow_boya": "Receives a notice for every new 博雅 course",
    "token": "Send as `Authorization: Bearer <token>`",
    "status": "0 means success (the first version's convention)",
    "content": "Text",
    "score": "Rating 0-5 in steps of 0.5 (0 = not rated)",
    "longitude": "Degrees east",
    "latitude": "Degrees north",
    "number": "A count",
    "detail": "Human-readable message",
    "code": "The `wx.login()` code; in development login mode the openid itself (`demo-1`)",
    "userExist": "1 when the student existed before this login, 0 when just created",
}

# Request and response examples of the main flows, by operationId. tests/test_apidoc.py
# sends each request example to the app and checks the answer against the response one.
EXAMPLES: dict[str, dict[str, Any]] = {
    "users.login.post": {
        "request": {"code": "demo-1"},
        "response": {
            "id": 1,
            "name": "陈一",
            "avatar": None,
            "email": None,
            "sign": None,
            "contact": None,
            "follow_boya": False,
            "status": 0,
            "token": "eyJ1aWQiOjF9.Zm9v.YmFy",
            "userExist": 1,
        },
    },
    "activities.create_activity.post": {
        "request": {
            "name": "周末篮球赛",
            "begin_time": "2026-12-05T14:00",
            "end_time": "2026-12-05T17:00",
            "contain": 20,
            "description": "新北区体育馆，自带球衣",
            "type": 1,
            "location": 1,
            "block": 5,
            "org": None,
        },
        "response": {
            "id": 42,
            "name": "周末篮球赛",
            "begin_time": "2026-12-05T14:00:00",
            "end_time": "2026-12-05T17:00:00",
            "pub_time": "2026-11-29T16:20:00",
            "contain": 20,
            "description": "新北区体育馆，自带球衣",
            "review": False,
            "avatar": None,
            "keywords": "周末 篮球赛",
            "owner": {"id": 1, "name": "陈一"},
            "type": {"id": 1, "name": "体育"},
            "org": None,
            "location": {"id": 1, "name": "新主楼", "longitude": "116.344000", "latitude": "39.980000"},
            "block": {"id": 5, "name": "个人"},
        },
    },
    "participation.join_activity.post": {
        "request": {"person": 2, "act": 42},
        "response": {"id": 7, "act": 42, "person": 2},
    },
}

SOCKETIO_TEXT = """

**Live notices (Socket.IO).** Connect to `/socket.io/` (Socket.IO protocol 5, e.g.
socket.io-client 4.x) with `auth: {token: "<the user token>"}` (or `?token=`).

| direction | event | payload |
|---|---|---|
| server → client | `notifications` | the whole unread list `[{id, type, time, content, act, org}]`, on connect and after `sync` |
| server → client | `notification` | one notice `{id, type, time, content, act, org}` the moment it is committed |
| client → server | `read` | `{"ids": [notice ids]}`; the acknowledgement is `{"read": n}` |
| client → server | `sync` | none; the server emits `notifications` again |

The repository's docs/realtime.md is the full description (rooms, Redis, the legacy socket).

**Trying it here.** In development login mode (no `WECHAT_APPID`) `POST /api/userLogin/`
with `{"code": "demo-1"}` logs in demo student 1 (`python manage.py demo-data`); press
*Authorize*, paste the `token` as bearerAuth; it is kept across reloads.
"""

SWAGGER_UI_CONFIG = {
    "app_name": "一苇以航 ReedSailing API",
    "persistAuthorization": True,  # the token survives a reload (browser local storage)
    "displayRequestDuration": True,
    "tryItOutEnabled": False,
    "docExpansion": "list",
    "filter": True,
    "validatorUrl": None,
}


def _field_attributes(converter: Any, field: Any, ret: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """apispec attribute function: a custom field's `openapi`, FIELD_TEXT descriptions."""
    extra: dict[str, Any] = {}
    custom = getattr(type(field), "openapi", None)
    if custom:
        extra.update({key: value for key, value in custom.items() if key not in ret or key == "type"})
    if "description" not in ret and "description" not in extra and field.name in FIELD_TEXT:
        extra["description"] = FIELD_TEXT[field.name]
    return extra


def _plain(value: Any) -> Any:
    """The document as JSON can hold it: Decimal defaults become numbers."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def doc(
    *,
    body=None,
    query=None,
    response=None,
    status=200,
    many=False,
    errors=(),
    multipart=False,
    also=None,
    media=(),
):
    """Declare a view's contract for the API document.

    body/query: marshmallow schema classes (or instances) of the JSON body / query string.
    response: a schema, or a raw JSON-schema dict; `many` makes it an array.
    status: the success status; errors: extra error statuses beyond the inferred ones.
    also: other success answers, `{status: schema}`; media: the success answer is a file
    of these media types (an image, a spreadsheet) instead of JSON.
    """

    def decorator(view):
        view._apidoc = {
            "body": body,
            "query": query,
            "response": response,
            "status": status,
            "many": many,
            "errors": tuple(errors),
            "multipart": multipart,
            "also": dict(also or {}),
            "media": tuple(media),
        }
        return view

    return decorator


PATH_ARG = re.compile(r"<(?:([a-z_]+):)?([a-zA-Z_][a-zA-Z0-9_]*)>")


def build_spec(app):
    spec = APISpec(
        title="ReedSailing (一苇以航) API",
        version="2.0.0",
        openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
        info={
            "description": "REST API of the ReedSailing campus activity platform. Students send "
            "`Authorization: Bearer <token>` (from `POST /api/userLogin/`); super admins send "
            "`Token: <token>` (from `POST /api/adminLogIn/`). Errors are JSON with a `detail`."
            + SOCKETIO_TEXT
        },
        servers=[
            {"url": "/", "description": "this server"},
            {"url": app.config.get("PUBLIC_BASE_URL", "/"), "description": "PUBLIC_BASE_URL"},
        ],
        tags=[{"name": name, "description": text} for name, text in TAGS],
    )
    spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    spec.components.security_scheme("adminToken", {"type": "apiKey", "in": "header", "name": "Token"})
    spec.components.schema("Error", ERROR_SCHEMA)
    marshmallow_plugin = spec.plugins[0]
    marshmallow_plugin.converter.add_attribute_function(_field_attributes)

    def as_json_schema(schema, many=False):
        if schema is None:
            return None
        if isinstance(schema, dict):
            item = schema
        else:
            instance = schema() if isinstance(schema, type) else schema
            item = marshmallow_plugin.converter.resolve_nested_schema(
                type(instance) if instance.many else instance
            )
            if instance.many:
                item = {"type": "array", "items": item}
        return {"type": "array", "items": item} if many else item

    paths = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.rule.startswith("/api/"):
            continue
        view = app.view_functions[rule.endpoint]
        info = getattr(view, "_apidoc", {}) or {}
        auth = getattr(view, "_auth", "public")
        path = PATH_ARG.sub(lambda m: f"{{{m.group(2)}}}", rule.rule)
        parameters = [
            {
                "name": name,
                "in": "path",
                "required": True,
                # ids the int converter accepts: 1..2^31-1 (larger ones are not found)
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID}
                if (converter := rule._converters.get(name))
                and type(converter).__name__ == "BoundedIntConverter"
                else {"type": "string"},
            }
            for name in rule.arguments
        ]
        docstring = inspect.getdoc(view) or rule.endpoint
        summary, _, description = docstring.partition("\n")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            operation = {
                "summary": summary.strip(),
                "operationId": f"{rule.endpoint}.{method.lower()}",
                "tags": [rule.endpoint.split(".")[0]],
                "security": AUTH_SECURITY.get(auth, []),
                "responses": {},
            }
            if description.strip():
                operation["description"] = description.strip()
            params = list(parameters)
            if info.get("query") is not None:
                params.append({"in": "query", "schema": info["query"]})
            if params:
                operation["parameters"] = params
            if info.get("multipart"):
                operation["requestBody"] = {
                    "required": True,
                    "content": {
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "required": ["image"],
                                "properties": {"image": {"type": "string", "format": "binary"}},
                            }
                        }
                    },
                }
            elif info.get("body") is not None:
                operation["requestBody"] = {
                    "required": True,
                    "content": {"application/json": {"schema": info["body"]}},
                }
            example = EXAMPLES.get(operation["operationId"], {})
            if "request" in example and "requestBody" in operation:
                operation["requestBody"]["content"]["application/json"]["example"] = example["request"]
            status = info.get("status", 200)
            response = {"description": "Success"}
            if info.get("media"):
                # A file or a text document: its schema is given as a plain dict, if at all.
                given = info.get("response")
                body = given if isinstance(given, dict) else {"type": "string", "format": "binary"}
                response["content"] = dict.fromkeys(info["media"], {"schema": body})
            elif status != 204:
                schema = as_json_schema(info.get("response"), info.get("many", False))
                response["content"] = {"application/json": {"schema": schema or {"type": "object"}}}
                if "response" in example:
                    response["content"]["application/json"]["example"] = example["response"]
            operation["responses"][str(status)] = response
            for other, other_schema in info.get("also", {}).items():
                operation["responses"][str(other)] = {
                    "description": "Success",
                    "content": {"application/json": {"schema": as_json_schema(other_schema, False)}},
                }
            error_codes = set(info.get("errors", ()))
            if info.get("body") is not None or info.get("query") is not None or info.get("multipart"):
                error_codes.add(400)
            if auth != "public":
                error_codes.update({401, 403})
            if rule.arguments or auth != "public":
                # Ids in the path, the body or the query string may name nothing.
                error_codes.add(404)
            if method != "GET" and auth != "public":
                # A unique constraint can lose a race the service's own check did not see.
                error_codes.add(409)
            for code in sorted(error_codes):
                if code < 400:
                    operation["responses"][str(code)] = {"description": ERROR_TEXT.get(code, "")}
                    continue
                operation["responses"][str(code)] = {
                    "description": ERROR_TEXT.get(code, "Error"),
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                }
            paths.setdefault(path, {})[method.lower()] = operation
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return _plain(spec.to_dict())
