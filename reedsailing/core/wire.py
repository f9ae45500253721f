"""The first version's wire quirks, added in this one place.

The mini-program and the admin console were written against the first version and are
in users' hands, so their odd fields stay (docs/api.md, "Wire quirks"):

- `__receivers__`: answers of writes that tell people something list their user ids,
  because the first app relayed that list to its WebSocket to trigger a refresh.
- `status: 1`: the login, mail-verification and admin-identify flows mark a failure
  (and the identify success) with `status: 1` next to `detail`.
- `success: "false"` with HTTP 200: the console's failed admin login.
"""

from collections.abc import Iterable
from typing import Any

from marshmallow import fields

from reedsailing.core.errors import ApiError

RECEIVERS = "__receivers__"


def with_receivers(body: dict[str, Any], user_ids: Iterable[int]) -> dict[str, Any]:
    """`body` plus the `__receivers__` list the first app relayed to its socket."""
    return {**body, RECEIVERS: list(user_ids)}


def receivers_field() -> fields.Field:
    """The OpenAPI description of `__receivers__` in an answer schema."""
    return fields.List(fields.Integer(), data_key=RECEIVERS)


def identify_answer(admin_name: str | None) -> dict[str, Any]:
    """The admin-identify answer: `status: 1` and the name for a valid admin token."""
    if admin_name is None:
        return {"status": 0, "name": ""}
    return {"status": 1, "name": admin_name}


def admin_login_refused() -> ApiError:
    """Wrong console credentials: HTTP **200** `{"success": "false", "mess": "Invalid User"}`
    as the first version answered; the console treats any other status as a network
    failure and would show 网络错误 instead of 用户名或密码错误 (docs/clients.md)."""
    return ApiError(200, "用户名或密码错误。", success="false", mess="Invalid User")


def flow_error(http_status: int, detail: str, **extra: Any) -> ApiError:
    """An error of the login / verification flows, which the app reads by `status: 1`."""
    return ApiError(http_status, detail, status=1, **extra)
