"""The words and examples of the API document: error texts, security schemes, tag
descriptions, recurring field descriptions, the main flows' examples, the Socket.IO
summary and the Swagger UI settings. `spec.py` assembles the document from them."""

from typing import Any

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
# `metadata={"description": ...}` wins). Only names that mean the same wherever they
# appear: a name with several meanings (`code`: the wx.login() code, a check-in code)
# is described by each field's own metadata instead.
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
