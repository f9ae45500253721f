"""Probing what the app needs: the database and, when configured, Redis."""

from sqlalchemy import text

from reedsailing.core import store
from reedsailing.core.errors import ApiError
from reedsailing.extensions import db


def health() -> dict[str, str]:
    """`{status, database, redis}` when everything answers; 503 with `detail` otherwise."""
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
