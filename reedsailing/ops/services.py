"""`doctor`: try every outside connection a deployment uses, the way the app uses it,
and say for each whether it works (docs/operations.md, "Doctor")."""

import smtplib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text

from reedsailing.extensions import db

OK, FAILED, SKIPPED = "ok", "FAILED", "skipped"


@dataclass
class Check:
    name: str
    status: str
    detail: str
    ms: float = 0.0


def _timed(name: str, probe: Callable[[], str]) -> Check:
    started = time.perf_counter()
    try:
        detail = probe()
        status = OK
    except Exception as error:  # a doctor reports every failure, whatever its kind
        status, detail = FAILED, f"{error.__class__.__name__}: {error}"[:200]
    return Check(name, status, detail, round((time.perf_counter() - started) * 1000, 1))


def check_database() -> str:
    version = db.session.execute(text("SELECT 1")).scalar_one()
    db.session.rollback()
    return f"{db.engine.dialect.name} answers (SELECT 1 = {version})"


def check_redis(config: Mapping[str, Any]) -> str:
    from reedsailing.core.redis import redis_client

    client = redis_client(config)  # the app's own client, REDIS_SOCKET_TIMEOUT_SECONDS included
    if client is None:
        raise RuntimeError("REDIS_URL is not set")
    client.ping()
    return f"PING answered ({client.info('server').get('redis_version', '?')})"


def check_smtp(config: Mapping[str, Any]) -> str:
    smtp_class = smtplib.SMTP_SSL if config.get("MAIL_USE_SSL") else smtplib.SMTP
    with smtp_class(
        config["MAIL_SERVER"], config["MAIL_PORT"], timeout=config["MAIL_TIMEOUT_SECONDS"]
    ) as host:
        host.ehlo()
        if config.get("MAIL_USE_TLS"):
            host.starttls()
            host.ehlo()
        if config.get("MAIL_USERNAME"):
            host.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
        return f"{config['MAIL_SERVER']}:{config['MAIL_PORT']} accepts a session" + (
            " and the login" if config.get("MAIL_USERNAME") else ""
        )


def check_wechat() -> str:
    from reedsailing.integrations import wechat

    wechat.fetch_access_token()  # the scheduler's call: proves the AppID and secret
    return "access token fetched with WECHAT_APPID/WECHAT_SECRET"


def check_course_site(config: Mapping[str, Any]) -> str:
    from reedsailing.boya.services import client_from_config

    client = client_from_config(config, retries=0)
    client.login()
    client.check_login()
    return f"logged in to {config['BYKC_BASE_URL']} as BYKC_USERNAME"


def run_checks(config: Mapping[str, Any]) -> list[Check]:
    """Every outside connection: a check that is not configured is `skipped`, with the
    setting that turns it on."""
    checks = [_timed("database", check_database)]
    if config.get("REDIS_URL"):
        checks.append(_timed("redis", lambda: check_redis(config)))
    else:
        checks.append(Check("redis", SKIPPED, "REDIS_URL is not set (one process only)"))
    if config.get("MAIL_SERVER"):
        checks.append(_timed("smtp", lambda: check_smtp(config)))
    else:
        checks.append(Check("smtp", SKIPPED, "MAIL_SERVER is not set (mails are logged)"))
    if config.get("WECHAT_APPID"):
        checks.append(_timed("wechat", check_wechat))
    else:
        checks.append(Check("wechat", SKIPPED, "WECHAT_APPID is not set (development login)"))
    if config.get("BYKC_USERNAME") and config.get("BYKC_PASSWORD"):
        checks.append(_timed("course site", lambda: check_course_site(config)))
    else:
        checks.append(Check("course site", SKIPPED, "BYKC_USERNAME/BYKC_PASSWORD are not set"))
    return checks
