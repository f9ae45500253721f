"""Replaying the two clients' calls as they build them (tests/clients/*.json, docs/clients.md).

`send()` turns one entry of a calls file into the request the client really sends:
the path with its placeholders filled in, the query-string JSON percent-encoded the way
a browser does it, a body serialized like `JSON.stringify` (compact, non-ASCII kept)
with the content type the client declares, and the client's credential header.
"""

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

CLIENTS_DIR = Path(__file__).resolve().parent / "clients"
FORM = "application/x-www-form-urlencoded; charset=UTF-8"  # jQuery's default label

PATH_PLACEHOLDER = re.compile(r"\{([A-Za-z]+)\}")
BODY_PLACEHOLDER = re.compile(r"^<([A-Za-z]+)(?::([a-z|]+))?[^>]*>")


def load_calls(name: str) -> list[dict[str, Any]]:
    return json.loads((CLIENTS_DIR / name).read_text(encoding="utf-8"))


def console_login(client, username="root", password="correct horse"):
    response = client.post(
        "/api/adminLogIn/",
        data=json.dumps({"username": username, "password": password}, separators=(",", ":")),
        content_type=FORM,
    )
    assert response.status_code == 200, response.json
    return response.json["token"]


def fill_path(path: str, values: dict[str, Any]) -> str:
    """Placeholders filled in; a query string is percent-encoded as a browser does."""
    path = PATH_PLACEHOLDER.sub(lambda m: str(values[m.group(1)]), path)
    path = path.replace("<term>", str(values.get("term", "")))
    if "?" not in path:
        return path
    base, query = path.split("?", 1)
    # WHATWG URL query encoding: space, quotes, <, >, # and non-ASCII are escaped.
    return base + "?" + quote(query, safe="!$%&'()*+,-./:;=?@[]^_`{|}~")


def fill_body(body: Any, values: dict[str, Any]) -> Any:
    """`"<userId:int>"` -> the id as a number, `"<actId:str>"` -> as a string, ..."""
    if isinstance(body, dict):
        return {key: fill_body(value, values) for key, value in body.items()}
    if isinstance(body, list):
        return [fill_body(value, values) for value in body]
    if isinstance(body, str):
        found = BODY_PLACEHOLDER.match(body)
        if found and found.group(1) in values:
            value = values[found.group(1)]
            kind = found.group(2) or ""
            return str(value) if kind.startswith("str") or kind == "seconds" else value
        return PATH_PLACEHOLDER.sub(lambda m: str(values[m.group(1)]), body)
    return body


def read(answer: Any, dotted: str) -> list[Any]:
    """The values a client reads at `dotted`: `a.b` nested, `x[]` every element of the
    list `x` (`[]` alone: of the answer), `{YYYY-MM-DD}` every value of an object.

    A `null` on the way stops the walk (the clients test for it); a missing key fails.
    """
    values = [answer]
    for part in dotted.split("."):
        many = part.endswith("[]")
        key = part[:-2] if many else part
        step: list[Any] = []
        for value in values:
            if value is None:
                continue
            if key.startswith("{"):
                assert isinstance(value, dict), (dotted, value)
                found = list(value.values())
            elif key:
                assert isinstance(value, dict) and key in value, (dotted, value)
                found = [value[key]]
            else:
                found = [value]
            for item in found:
                if many:
                    assert isinstance(item, list), (dotted, item)
                    step.extend(item)
                else:
                    step.append(item)
        values = step
    return values
