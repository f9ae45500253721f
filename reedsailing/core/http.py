"""Reading request bodies the way the mini-program sends them."""

import json

from flask import request

from reedsailing.core.errors import bad_request

MAX_JSON_BYTES = 256 * 1024


def json_body():
    """The JSON object of the request; `{}` when empty. 400 for anything but an object.

    The content type is not trusted: wx.request always sends JSON, the admin console
    sometimes labels it form-encoded.
    """
    raw = request.get_data(cache=True)
    if not raw or not raw.strip():
        return {}
    if len(raw) > MAX_JSON_BYTES:
        raise bad_request("请求体过大。")
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as error:
        raise bad_request("请求体不是合法的 JSON。") from error
    if not isinstance(data, dict):
        raise bad_request("请求体必须是 JSON 对象。")
    return data


def load(schema, data=None):
    """Validate `data` (default: the JSON body) with `schema`; field errors become a 400."""
    return schema.load(json_body() if data is None else data)
