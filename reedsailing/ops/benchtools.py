"""Measurement aids for `bench/`, both OFF unless their setting is on:

- `BENCH_ROUTES=1`: `GET /api/bench/ping/` answers a constant JSON from the same app,
  middleware and server as every other route: the ceiling the benchmarks divide by.
- `QUERY_COUNT_HEADER=1`: every response carries `X-Query-Count`, the number of SQL
  statements the request ran (so a load run can report queries per request).
"""

from flask import Blueprint, g, has_app_context
from sqlalchemy import event
from sqlalchemy.engine import Engine

from reedsailing.apidocs.spec import doc
from reedsailing.security import auth

bp = Blueprint("bench", __name__, url_prefix="/api")


@bp.get("/bench/ping/")
@doc(response={"type": "object", "properties": {"pong": {"type": "boolean"}}})
@auth.public
def ping():
    """Constant answer, no database: the benchmarks' ceiling (only with BENCH_ROUTES=1)."""
    return {"pong": True}


def _count_statement(conn, cursor, statement, parameters, context, executemany):
    if has_app_context() and "query_count" in g:
        g.query_count += 1


def init_app(app):
    if app.config.get("BENCH_ROUTES"):
        app.register_blueprint(bp)
    if app.config.get("QUERY_COUNT_HEADER"):
        if not event.contains(Engine, "before_cursor_execute", _count_statement):
            event.listen(Engine, "before_cursor_execute", _count_statement)

        @app.before_request
        def start_counting():
            g.query_count = 0

        @app.after_request
        def add_query_count(response):
            response.headers["X-Query-Count"] = str(g.get("query_count", 0))
            return response
