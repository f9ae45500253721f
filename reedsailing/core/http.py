"""Reading request bodies and query strings the way the two clients send them."""

import json
from typing import Any
from urllib.parse import unquote_to_bytes

from flask import request

from reedsailing.core.errors import ApiError, FieldError, bad_request
from reedsailing.core.fields import NOT_ENCODABLE, encodable, holds_unencodable

MAX_JSON_BYTES = 256 * 1024
TOO_LARGE = "请求体过大。"


def json_body():
    """The JSON object of the request; `{}` when empty. 400 for anything but an object.

    The content type is not trusted: wx.request always sends JSON, the admin console
    sometimes labels it form-encoded.
    """
    if request.content_length is not None and request.content_length > MAX_JSON_BYTES:
        raise ApiError(413, TOO_LARGE)  # refused before a byte of it is read
    raw = request.get_data(cache=True)
    if not raw or not raw.strip():
        return {}
    if len(raw) > MAX_JSON_BYTES:
        raise ApiError(413, TOO_LARGE)
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError) as error:
        # RecursionError: nesting deeper than the parser's stack (a few KB of `[[[[`)
        raise bad_request("请求体不是合法的 JSON。") from error
    if not isinstance(data, dict):
        raise bad_request("请求体必须是 JSON 对象。")
    if b"\\u" in raw or not _is_utf8(raw):  # else no string of it can hold a surrogate
        refuse_unencodable(data)
    return data


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False  # json.loads decodes with "surrogatepass" (or read UTF-16/32)
    return True


def refuse_unencodable(data: dict[str, Any]) -> None:
    """400 naming the first field (DRF style) whose value holds a string UTF-8 cannot
    encode, a lone UTF-16 surrogate: the database could neither store nor compare it
    (a 500 once it reached SQL). The value itself is never echoed."""
    for key, value in data.items():
        if not encodable(key):
            raise FieldError({"non_field_errors": [NOT_ENCODABLE]})
        if holds_unencodable(value):
            raise FieldError({key: [NOT_ENCODABLE]})


def load(schema, data=None):
    """Validate `data` (default: the JSON body) with `schema`; field errors become a 400."""
    return schema.load(json_body() if data is None else data)


def query_params() -> dict[str, Any]:
    """The parameters of the query string, as the two clients send them (docs/clients.md).

    - `?a=1&b=2`: the usual form (the mini-program's DELETEs, `?limit=`).
    - `?{"query":"x"}`: a query string that is one JSON object gives that object's keys.
      jQuery appends the data of a GET to the URL as it is, and the admin console passes
      a JSON string, so its searches arrive like this (percent-encoded by the browser).
      A query string that starts with `{` but is no JSON object is a 400.
    - no query string at all: the JSON body of the request, which the first version read
      for its GET searches (a browser never sends one, curl and scripts may).
    """
    raw = request.query_string
    if not raw:
        return json_body() if request.method in ("GET", "DELETE") else {}
    try:
        text = unquote_to_bytes(raw).decode("utf-8").strip()
    except UnicodeDecodeError:
        text = ""
    if not text.startswith("{"):
        return request.args.to_dict()
    try:
        data = json.loads(text)
    except ValueError as error:
        raise bad_request("查询参数不是合法的 JSON 对象。") from error
    if not isinstance(data, dict):
        raise bad_request("查询参数不是合法的 JSON 对象。")
    refuse_unencodable(data)
    return data
