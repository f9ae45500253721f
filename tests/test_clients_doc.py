"""docs/clients.md cannot drift: every call of both clients is listed, every row names the
endpoint that really serves its path, and every test it cites exists."""

import ast
import re
from pathlib import Path

import pytest
from werkzeug.exceptions import HTTPException

from tests.clients_support import load_calls

ROOT = Path(__file__).resolve().parents[1]
ROW = re.compile(r"^\| (\w+) \| (GET|POST|PUT|DELETE|UPLOAD|WS) \| `([^`]+)` \| (.+?) \| (.+?) \|$", re.M)


def section(title):
    text = (ROOT / "docs/clients.md").read_text(encoding="utf-8")
    start = text.index(f"## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def rows(title):
    return {found[0]: found[1:] for found in ROW.findall(section(title))}


CLIENTS = [("The mini-program", "miniprogram-calls.json"), ("The admin console", "console-calls.json")]


@pytest.mark.parametrize(("title", "calls_file"), CLIENTS)
def test_every_call_is_listed_as_the_client_sends_it(title, calls_file):
    listed = rows(title)
    calls = load_calls(calls_file)
    assert sorted(listed) == sorted(call["name"] for call in calls)
    for call in calls:
        method, path = listed[call["name"]][:2]
        assert (method, path) == (call["method"], call["path"]), call["name"]


def _endpoint(app, method, path):
    path = re.sub(r"/{2,}", "/", re.sub(r"\{[A-Za-z]+\}", "1", path).split("?")[0])
    try:
        return app.url_map.bind("localhost").match(path, method="POST" if method == "UPLOAD" else method)[0]
    except HTTPException:
        return None


def _test_names(filename):
    tree = ast.parse((ROOT / "tests" / filename).read_text(encoding="utf-8"))
    return {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}


@pytest.mark.parametrize(("title", "calls_file"), CLIENTS)
def test_every_row_names_the_route_that_serves_it_and_an_existing_test(app, title, calls_file):
    used = {call["name"]: call.get("used", True) for call in load_calls(calls_file)}
    for name, (method, path, route, test) in rows(title).items():
        if method == "WS":
            assert path.startswith("/ws/link/") and "messages/legacy.py" in route, name
        elif route == "none":
            assert not used[name], f"{name}: a call a page makes has no route"
        else:
            assert route == f"`{_endpoint(app, method, path)}`", (name, method, path)
        if test == "–":
            assert not used[name], f"{name}: a call a page makes needs a test"
            continue
        filename, function = re.fullmatch(r"(test_\w+\.py)::(\w+)(?:\[\w+\])?", test).groups()
        assert function in _test_names(filename), (name, test)
