from flask import Blueprint, current_app
from marshmallow import fields
from sqlalchemy import text

from reedsailing.core import auth, store
from reedsailing.core.apidoc import doc
from reedsailing.core.errors import ApiError
from reedsailing.core.fields import Schema
from reedsailing.extensions import db

bp = Blueprint("meta", __name__, url_prefix="/api")


class ShowResult(Schema):
    show = fields.Boolean()


class HealthResult(Schema):
    status = fields.String()
    database = fields.String()
    redis = fields.String()


@bp.get("/show/")
@doc(response=ShowResult)
@auth.public
def show():
    """Whether the app shows every feature (false: 博雅 only, for WeChat review)."""
    return {"show": current_app.config["SHOW_ALL"]}


@bp.get("/health/")
@doc(response=HealthResult, errors=(503,))
@auth.public
def health():
    """Database and Redis reachable: 200, otherwise 503 with `detail`."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as error:
        db.session.rollback()
        raise ApiError(503, f"数据库不可用：{error.__class__.__name__}") from error
    redis_state = "disabled"
    client = store.redis_client()
    if client is not None:
        try:
            client.ping()
            redis_state = "ok"
        except Exception as error:
            raise ApiError(503, f"Redis 不可用：{error.__class__.__name__}") from error
    return {"status": "ok", "database": "ok", "redis": redis_state}
