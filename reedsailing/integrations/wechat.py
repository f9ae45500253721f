"""The WeChat server API. Every URL starts with `WECHAT_API_BASE`, so tests point it
at a fake WeChat server on loopback and run this very code."""

import json
import logging

import requests
from flask import current_app

from reedsailing.core import store

log = logging.getLogger(__name__)
ACCESS_TOKEN_KEY = "wechat:access_token"


class WeChatError(Exception):
    """WeChat answered with an error code, or could not be reached."""

    def __init__(self, message, code=None):
        super().__init__(message)
        self.code = code


def configured():
    return bool(current_app.config.get("WECHAT_APPID"))


def _url(path):
    return f"{current_app.config['WECHAT_API_BASE']}{path}"


def _timeout():
    return current_app.config["WECHAT_TIMEOUT_SECONDS"]


def _json_or_error(response):
    try:
        data = response.json()
    except ValueError as error:
        raise WeChatError(f"WeChat answered HTTP {response.status_code} without JSON") from error
    if not isinstance(data, dict):
        raise WeChatError("WeChat answered an unexpected shape")
    if data.get("errcode"):
        raise WeChatError(data.get("errmsg") or "WeChat error", code=data.get("errcode"))
    return data


def code_to_openid(code):
    """Exchange a `wx.login()` code for the user's openid (jscode2session)."""
    config = current_app.config
    try:
        response = requests.get(
            _url("/sns/jscode2session"),
            params={
                "appid": config["WECHAT_APPID"],
                "secret": config["WECHAT_SECRET"],
                "js_code": code,
                "grant_type": "authorization_code",
            },
            timeout=_timeout(),
        )
    except requests.RequestException as error:
        raise WeChatError(f"WeChat unreachable: {error.__class__.__name__}") from error
    data = _json_or_error(response)
    openid = data.get("openid")
    if not openid or not isinstance(openid, str):
        raise WeChatError("WeChat answered without an openid")
    return openid


def fetch_access_token():
    """Fetch a fresh access token (`/cgi-bin/stable_token`) and store it for every process.

    The scheduler refreshes it; a web process calls this itself when none is stored
    (`access_token()`). stable_token hands every caller the same token until it
    expires, so several processes fetching at once do not invalidate each other.
    """
    config = current_app.config
    try:
        response = requests.post(
            _url("/cgi-bin/stable_token"),
            json={
                "grant_type": "client_credential",
                "appid": config["WECHAT_APPID"],
                "secret": config["WECHAT_SECRET"],
            },
            timeout=_timeout(),
        )
    except requests.RequestException as error:
        raise WeChatError(f"WeChat unreachable: {error.__class__.__name__}") from error
    data = _json_or_error(response)
    token, expires_in = data.get("access_token"), data.get("expires_in", 7200)
    if not token:
        raise WeChatError("WeChat answered without an access_token")
    # Keep it a little shorter than WeChat does, so nobody uses a token at its last second.
    store.set_value(ACCESS_TOKEN_KEY, token, ttl_seconds=max(60, int(expires_in) - 120))
    return token


def stored_access_token():
    """The access token the scheduler (or a web process) stored, or None."""
    return store.get_value(ACCESS_TOKEN_KEY)


def access_token():
    """The stored access token; fetched and stored first when there is none yet
    (right after a deploy, or while the scheduler is down)."""
    token = stored_access_token()
    if token:
        return token
    log.info("no stored WeChat access token: fetching one (stable_token)")
    return fetch_access_token()


# WeChat's answers for an access token that expired or was replaced.
STALE_TOKEN_CODES = {40001, 40014, 42001}


def mini_program_code(path, width):
    """PNG bytes of an unlimited mini-program code for `path` (getwxacodeunlimit).

    A stored token WeChat no longer accepts is replaced once and the call repeated.
    """
    try:
        return _mini_program_code(access_token(), path, width)
    except WeChatError as error:
        if error.code not in STALE_TOKEN_CODES:
            raise
        log.info("WeChat refused the stored access token (code %s): fetching a new one", error.code)
        return _mini_program_code(fetch_access_token(), path, width)


def _mini_program_code(token, path, width):
    page, _, scene = path.partition("?")
    try:
        response = requests.post(
            _url("/wxa/getwxacodeunlimit"),
            params={"access_token": token},
            json={"page": page, "scene": scene[:32] or "0", "width": width, "check_path": False},
            timeout=_timeout(),
        )
    except requests.RequestException as error:
        raise WeChatError(f"WeChat unreachable: {error.__class__.__name__}") from error
    if response.headers.get("Content-Type", "").startswith("image/"):
        return response.content
    _json_or_error(response)
    raise WeChatError("WeChat answered neither an image nor an error")


def send_subscribe_message(token, openid, template_id, data, page=None, state="formal"):
    """Send one subscribe message (`/cgi-bin/message/subscribe/send`) with `token`.

    `data` is `{keyword: value}`; raises WeChatError with WeChat's errcode (43101: the
    student has no allowance, 47003: bad data, 40001/42001: the token is not valid).
    """
    body = {
        "touser": openid,
        "template_id": template_id,
        "data": {key: {"value": value} for key, value in data.items()},
        "miniprogram_state": state,
        "lang": "zh_CN",
    }
    if page:
        body["page"] = page
    try:
        response = requests.post(
            _url("/cgi-bin/message/subscribe/send"),
            params={"access_token": token},
            data=json.dumps(body, ensure_ascii=False).encode(),
            headers={"Content-Type": "application/json; charset=utf-8"},
            timeout=_timeout(),
        )
    except requests.RequestException as error:
        raise WeChatError(f"WeChat unreachable: {error.__class__.__name__}") from error
    _json_or_error(response)
