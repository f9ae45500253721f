"""Reading request bodies the way the mini-program sends them."""

import json

from flask import request

from reedsailing.core.errors import ApiError, bad_request

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
    return data


def load(schema, data=None):
    """Validate `data` (default: the JSON body) with `schema`; field errors become a 400."""
    return schema.load(json_body() if data is None else data)
