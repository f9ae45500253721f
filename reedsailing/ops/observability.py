"""What an operator watches (docs/operations.md, "Logs, metrics and errors"): one log
line per request, Prometheus metrics, and the optional Sentry hook.

Metrics are per process by default. With PROMETHEUS_MULTIPROC_DIR set (prometheus_client's
own multiprocess mode, a directory shared by the web processes and the scheduler of one
host) `/metrics` adds up every process of the host.
"""

import json
import logging
import os
import time
from typing import Any

from flask import Flask, Response, g, request
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client import multiprocess as prometheus_multiprocess
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from sqlalchemy import inspect

access_log = logging.getLogger("reedsailing.access")

REQUESTS = Counter("reedsailing_http_requests", "HTTP requests answered", ["method", "route", "status"])
LATENCY = Histogram(
    "reedsailing_http_request_seconds",
    "Time to answer an HTTP request",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
SOCKETIO_CONNECTIONS = Gauge(
    "reedsailing_socketio_connections", "Socket.IO clients connected now", multiprocess_mode="livesum"
)
SOCKETIO_CONNECTS = Counter("reedsailing_socketio_connects", "Socket.IO connections accepted")
NOTICES_PUSHED = Counter(
    "reedsailing_notices_pushed", "Notices pushed to Socket.IO rooms (one per recipient)"
)
JOB_RUNS = Counter("reedsailing_scheduler_job_runs", "Scheduler job runs", ["job", "outcome"])


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and the request fields."""

    FIELDS = ("request_id", "caller", "method", "route", "path", "status", "ms")

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in self.FIELDS:
            if hasattr(record, name):
                entry[name] = getattr(record, name)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(app: Flask) -> None:
    """LOG_LEVEL for every logger; LOG_FORMAT `text` (the default) or `json`."""
    root = logging.getLogger()
    if app.config.get("LOG_FORMAT", "text") == "json":
        handler = logging.StreamHandler()
        handler.setFormatter(JsonFormatter())
        root.handlers = [handler]
    else:
        logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    root.setLevel(app.config["LOG_LEVEL"])


def _caller() -> str:
    """`user:<id>`, `admin:<id>` or `-`, without loading anything from the database."""
    principal = getattr(request, "_reedsailing_principal", None)
    for kind in ("user", "admin"):
        row = getattr(principal, kind, None)
        if row is not None:
            identity = inspect(row).identity
            return f"{kind}:{identity[0] if identity else '?'}"
    return "-"


def init_app(app: Flask) -> None:
    """The access log line and the request metrics; Sentry when SENTRY_DSN is set."""

    @app.before_request
    def start_clock() -> None:
        g.started = time.perf_counter()

    @app.after_request
    def record(response: Response) -> Response:
        started = g.get("started")
        elapsed = time.perf_counter() - started if started is not None else 0.0
        route = request.url_rule.rule if request.url_rule is not None else "<unmatched>"
        REQUESTS.labels(request.method, route, str(response.status_code)).inc()
        LATENCY.labels(request.method, route).observe(elapsed)
        fields = {
            "request_id": g.get("request_id", "-"),
            "caller": _caller(),
            "method": request.method,
            "route": route,
            "path": request.path,
            "status": response.status_code,
            "ms": round(elapsed * 1000, 1),
        }
        access_log.info(
            "%(method)s %(path)s %(status)s %(ms)sms route=%(route)s caller=%(caller)s id=%(request_id)s",
            fields,
            extra=fields,
        )
        return response

    init_sentry(app)


def init_sentry(app: Flask) -> bool:
    """Report unhandled errors to Sentry (or a compatible service) when SENTRY_DSN is set."""
    dsn = app.config.get("SENTRY_DSN")
    if not dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.flask import FlaskIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=app.config.get("SENTRY_ENVIRONMENT") or "production",
        integrations=[FlaskIntegration()],
        traces_sample_rate=app.config.get("SENTRY_TRACES_SAMPLE_RATE", 0.0),
        send_default_pii=False,
    )
    return True


def metrics_text() -> tuple[bytes, str]:
    """The Prometheus exposition of this process, or of the host's processes in
    multiprocess mode."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        prometheus_multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(), CONTENT_TYPE_LATEST
