"""What an operator uses (docs/operations.md): `doctor`, `openapi`, the protected
/metrics, the access log, Sentry and the settings that name themselves."""

import json
import logging

import pytest

import config
from reedsailing.ops.observability import JsonFormatter, init_sentry
from tests.factories import headers, make_user
from tests.support.server import ROOT

# -- doctor ------------------------------------------------------------------------------


def test_doctor_reports_every_connection_and_skips_unset_ones(app):
    result = app.test_cli_runner().invoke(args=["doctor"])
    assert result.exit_code == 0, result.output
    rows = {line.split()[0]: line for line in result.output.splitlines()[1:-1]}
    assert " ok " in rows["database"]
    for name in ("redis", "smtp", "wechat", "course"):
        assert "skipped" in rows[name], result.output
    assert "every configured connection works" in result.output


def test_doctor_checks_the_real_services(app, monkeypatch, smtp_sink, fake_wechat, fake_bykc, redis_url):
    monkeypatch.setitem(app.config, "REDIS_URL", redis_url)
    result = app.test_cli_runner().invoke(args=["doctor"])
    assert result.exit_code == 0, result.output
    for name in ("database", "redis", "smtp", "wechat", "course"):
        assert any(line.startswith(name) and " ok " in line for line in result.output.splitlines()), (
            result.output
        )


def test_doctor_fails_by_name_when_a_service_is_down(app, monkeypatch, fake_bykc):
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", 1)  # nothing listens there
    monkeypatch.setitem(app.config, "MAIL_TIMEOUT_SECONDS", 2)
    monkeypatch.setitem(app.config, "BYKC_PASSWORD", "wrong")
    result = app.test_cli_runner().invoke(args=["doctor"])
    assert result.exit_code == 1
    assert "2 failed: smtp, course site" in result.output
    assert "LoginFailed" in result.output and "ConnectionRefusedError" in result.output


# -- openapi -----------------------------------------------------------------------------


def test_openapi_export_is_the_served_document(app, client, tmp_path):
    target = tmp_path / "openapi.json"
    result = app.test_cli_runner().invoke(args=["openapi", "-o", str(target)])
    assert result.exit_code == 0, result.output
    exported = json.loads(target.read_text(encoding="utf-8"))
    assert exported == client.get("/apispec_1.json").json
    # the comment score's Decimal default is a number in the document
    assert exported["components"]["schemas"]["CommentCreateBody"]["properties"]["score"]["default"] == 0
    stdout = app.test_cli_runner().invoke(args=["openapi"])
    assert json.loads(stdout.output)["openapi"] == "3.0.3"


# -- metrics, logs, Sentry ---------------------------------------------------------------


def test_metrics_need_the_token_and_count_requests(app, client, monkeypatch):
    assert client.get("/metrics").status_code == 404  # off without METRICS_TOKEN
    monkeypatch.setitem(app.config, "METRICS_TOKEN", "scrape-me")
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    client.get("/api/show/")
    response = client.get("/metrics", headers={"Authorization": "Bearer scrape-me"})
    assert response.status_code == 200 and response.mimetype == "text/plain"
    text = response.text
    assert 'reedsailing_http_requests_total{method="GET",route="/api/show/",status="200"}' in text
    assert 'reedsailing_http_request_seconds_bucket{le="0.005",method="GET",route="/api/show/"}' in text
    for name in ("socketio_connections", "notices_pushed_total", "scheduler_job_runs_total"):
        assert f"# TYPE reedsailing_{name.removesuffix('_total')}" in text, name


def test_one_access_line_per_request_names_caller_route_and_request_id(client, caplog):
    user = make_user()
    with caplog.at_level(logging.INFO, logger="reedsailing.access"):
        client.get(f"/api/users/{user.id}/", headers={**headers(user), "X-Request-ID": "req-42"})
    (record,) = [r for r in caplog.records if r.name == "reedsailing.access"]
    assert record.status == 200 and record.route == "/api/users/<int:user_id>/"
    assert record.caller == f"user:{user.id}" and record.request_id == "req-42"
    line = json.loads(JsonFormatter().format(record))
    assert line["request_id"] == "req-42" and line["status"] == 200 and line["ms"] >= 0
    assert line["message"].startswith(f"GET /api/users/{user.id}/ 200")


def test_sentry_is_only_initialised_with_a_dsn(app, monkeypatch):
    import sentry_sdk

    assert init_sentry(app) is False
    assert not sentry_sdk.get_client().is_active()


def test_settings_errors_name_the_variable(monkeypatch):
    monkeypatch.setenv("PORT", "80x")
    with pytest.raises(config.SettingError, match="PORT='80x' is not a whole number"):
        config.env_int("PORT", 5000).value()
    monkeypatch.setenv("MAX_UPLOAD_MB", "five")
    with pytest.raises(config.SettingError, match="MAX_UPLOAD_MB='five' is not a number"):
        config.env_float("MAX_UPLOAD_MB", 5).value()
    monkeypatch.setenv("LOG_FORMAT", "xml")
    with pytest.raises(config.SettingError, match="LOG_FORMAT='xml' is not one of text, json"):
        config.env_choice("LOG_FORMAT", "text", ("text", "json")).value()


def test_the_suite_never_uses_the_development_database(app):
    assert app.config["SQLALCHEMY_DATABASE_URI"] != config.Config.SQLALCHEMY_DATABASE_URI


SENTRY_SCRIPT = """
import sys
import sentry_sdk
from config import TestConfig
from reedsailing import create_app

class Reporting(TestConfig):
    SENTRY_DSN = sys.argv[1]
    SQLALCHEMY_DATABASE_URI = "sqlite://"

app = create_app(Reporting)

@app.get("/api/boom/")
def boom():
    raise RuntimeError("boom for the error report")

assert app.test_client().get("/api/boom/").status_code == 500
sentry_sdk.flush(10)
"""


@pytest.mark.slow
def test_with_a_dsn_an_unhandled_error_reaches_the_error_service():
    """A real sentry-sdk in its own process sends the 500's exception to a local sink."""
    import gzip
    import subprocess
    import sys
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    received = []

    class Sink(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if self.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            received.append((self.path, body.decode(errors="replace")))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Sink)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        dsn = f"http://publickey@127.0.0.1:{server.server_port}/42"
        result = subprocess.run(
            [sys.executable, "-c", SENTRY_SCRIPT, dsn],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr[-2000:]
    finally:
        server.shutdown()
    assert any(
        path.startswith("/api/42/") and "boom for the error report" in body for path, body in received
    ), received


COUNT_A_JOB = """
from reedsailing.ops.observability import JOB_RUNS
JOB_RUNS.labels("boya_import", "failed").inc()
"""
PRINT_METRICS = """
from reedsailing.ops.observability import metrics_text
print(metrics_text()[0].decode())
"""


@pytest.mark.slow
def test_multiprocess_mode_adds_up_the_scheduler_and_the_web_processes(tmp_path):
    """With PROMETHEUS_MULTIPROC_DIR, a job run counted by one process (the scheduler)
    shows in another process's /metrics text."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    for script in (COUNT_A_JOB, COUNT_A_JOB):
        subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, check=True, timeout=60)
    shown = subprocess.run(
        [sys.executable, "-c", PRINT_METRICS],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=60,
        capture_output=True,
        text=True,
    ).stdout
    assert 'reedsailing_scheduler_job_runs_total{job="boya_import",outcome="failed"} 2.0' in shown
