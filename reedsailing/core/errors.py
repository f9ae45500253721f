"""One error shape for the whole API: JSON with a readable Chinese `detail`.

Validation errors are DRF-style (`{"field": ["message"]}`) and also carry `detail`,
because the mini-program shows `data.detail` first (docs/api.md §1.5).
"""

import logging

from flask import g, jsonify, request
from marshmallow import ValidationError
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError, PendingRollbackError
from werkzeug.exceptions import HTTPException

from reedsailing.extensions import db

log = logging.getLogger(__name__)

DEFAULT_DETAILS = {
    400: "请求无效。",
    401: "缺少token。",
    403: "您没有执行该操作的权限。",
    404: "未找到。",
    409: "数据冲突，请重试。",
    413: "上传的内容过大。",
    414: "请求的地址过长。",
    415: "不支持的媒体类型。",
    429: "请求过于频繁，请稍后再试。",
    500: "服务器内部错误。",
    503: "服务暂时不可用。",
}


class ApiError(Exception):
    """Raised by services and views; becomes `{"detail": ..., **extra}` with `status`."""

    def __init__(self, http_status, detail=None, **extra):
        super().__init__(detail)
        self.status = http_status
        self.detail = detail or DEFAULT_DETAILS.get(http_status, "请求无效。")
        self.extra = extra

    def body(self):
        return {"detail": self.detail, **self.extra}


class FieldError(ApiError):
    """A 400 about named fields: `{"field": ["message"], "detail": "message"}`."""

    def __init__(self, messages, http_status=400):
        super().__init__(http_status, first_message(messages), **messages)


def not_found(detail: str = "未找到。") -> ApiError:
    return ApiError(404, detail)


def forbidden(detail: str = "您没有执行该操作的权限。") -> ApiError:
    return ApiError(403, detail)


def bad_request(detail: str = "请求无效。", **extra: object) -> ApiError:
    return ApiError(400, detail, **extra)


def field_error(field: str, message: str, http_status: int = 400) -> ApiError:
    """`{field: [message]}` whose `detail` is the bare message (the app shows `detail`)."""
    return ApiError(http_status, message, **{field: [message]})


def required_text(value: str, field: str = "name") -> str:
    """`value` without surrounding blanks; 400 `{field: [...]}` when nothing is left."""
    value = value.strip()
    if not value:
        raise field_error(field, "该字段不能为空。")
    return value


UNKNOWN_PK = "无效主键 “{}” － 对象不存在。"


def unknown_pk(field: str, pk: object) -> ApiError:
    """A body field names a row that does not exist (DRF's wording, which the app shows)."""
    return field_error(field, UNKNOWN_PK.format(pk))


def first_message(messages):
    """The first human-readable message of a (possibly nested) marshmallow error dict."""
    if isinstance(messages, str):
        return messages
    if isinstance(messages, list):
        return first_message(messages[0]) if messages else "请求无效。"
    if isinstance(messages, dict):
        for key, value in messages.items():
            text = first_message(value)
            if key in ("_schema", "non_field_errors", "detail"):
                return text
            return f"{key}: {text}"
    return "请求无效。"


def connection_lost(error: BaseException) -> bool:
    """True for an error of a database that is gone for this request (the connection
    killed or dropped, the server down, a lock wait given up): answered 503, and a GET
    runs once more (core.db.commit_at_the_boundary)."""
    if isinstance(error, DBAPIError):
        return bool(error.connection_invalidated) or isinstance(error, OperationalError | InterfaceError)
    # the next use of a connection that died inside the transaction
    return isinstance(error, PendingRollbackError)


def roll_back() -> None:
    """Roll the session back, whatever state its connection is in: a rollback that fails
    (its connection died) is logged and never replaces the error being answered."""
    try:
        db.session.rollback()
    except Exception:
        log.warning("rollback failed", exc_info=True)


def _json(status, body):
    response = jsonify(body)
    response.status_code = status
    return response


def register_error_handlers(app):
    @app.errorhandler(ApiError)
    def handle_api_error(error):
        return _json(error.status, error.body())

    @app.errorhandler(ValidationError)
    def handle_validation_error(error):
        messages = (
            error.messages if isinstance(error.messages, dict) else {"non_field_errors": error.messages}
        )
        messages = {("non_field_errors" if k == "_schema" else k): v for k, v in messages.items()}
        return _json(400, {"detail": first_message(messages), **messages})

    @app.errorhandler(IntegrityError)
    def handle_integrity_error(error):
        # A unique constraint lost a race that the service's own check did not see.
        roll_back()
        log.info("integrity error on %s %s: %s", request.method, request.path, error.orig)
        return _json(409, {"detail": DEFAULT_DETAILS[409]})

    @app.errorhandler(HTTPException)
    def handle_http_exception(error):
        status = error.code or 500
        detail = DEFAULT_DETAILS.get(status)
        if status == 405:
            detail = f"方法 “{request.method}” 不被允许。"
        if detail is None:
            detail = error.description or "请求无效。"
        response = _json(status, {"detail": detail})
        if status == 405 and getattr(error, "valid_methods", None):
            response.headers["Allow"] = ", ".join(error.valid_methods)
        return response

    @app.errorhandler(DBAPIError)
    @app.errorhandler(PendingRollbackError)
    def handle_database_error(error):
        if not connection_lost(error):
            return handle_unexpected(error)  # a bug in a statement (ProgrammingError, ...)
        roll_back()
        log.exception("database error [%s]", getattr(g, "request_id", "-"))
        return _json(503, {"detail": DEFAULT_DETAILS[503], "request_id": getattr(g, "request_id", None)})

    @app.errorhandler(Exception)
    def handle_unexpected(error):
        roll_back()
        log.exception(
            "unhandled error [%s] on %s %s", getattr(g, "request_id", "-"), request.method, request.path
        )
        return _json(500, {"detail": DEFAULT_DETAILS[500], "request_id": getattr(g, "request_id", None)})
