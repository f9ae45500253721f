"""`GET /metrics`: Prometheus metrics, for a scraper that sends `Authorization: Bearer
<METRICS_TOKEN>`. Without METRICS_TOKEN the route answers 404 (off)."""

import hmac

from flask import Response, current_app, request

from reedsailing.core.errors import ApiError, not_found
from reedsailing.ops.blueprint import bp
from reedsailing.ops.observability import metrics_text
from reedsailing.security import auth


@bp.get("/metrics")
@auth.own_secret  # METRICS_TOKEN
def metrics() -> Response:
    expected = current_app.config.get("METRICS_TOKEN")
    if not expected:
        raise not_found()
    given = request.headers.get("Authorization", "")
    if not hmac.compare_digest(given.encode(), f"Bearer {expected}".encode()):
        raise ApiError(401, "缺少或错误的 METRICS_TOKEN。")
    body, content_type = metrics_text()
    return Response(body, content_type=content_type)
