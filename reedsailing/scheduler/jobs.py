"""The scheduler's jobs. Each runs inside an app context that the scheduler pushes,
and is safe to run again (or by a second process): it claims its work first."""

import logging
import re
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, cast

from flask import current_app
from sqlalchemy import CursorResult, delete, select, union_all, update

from crawler import BykcClient
from reedsailing.boya.services import (
    ImportBusy,
    ImportSummary,
    client_from_config,
    credentials_configured,
    run_import,
)
from reedsailing.core import store
from reedsailing.core.db import unit_of_work
from reedsailing.core.timeutil import now
from reedsailing.extensions import db
from reedsailing.feeds.services import purge_cancellations
from reedsailing.integrations import wechat
from reedsailing.messages import texts
from reedsailing.messages.services import notify
from reedsailing.models import Activity, Admin, EmailCode, Organization, User
from reedsailing.participation.services.places import participant_ids
from reedsailing.subscriptions.services import SendSummary, send_due

log = logging.getLogger(__name__)

DAY = 24 * 3600
# Upload sub-folders the housekeeping sweeps, and how old an unreferenced file must be
# before it goes: an upload is referenced within minutes of being made, a QR code is
# generated on demand and only cached.
UPLOAD_RETENTION_SECONDS = {"orgs": DAY, "acts": DAY, "qrcode": 7 * DAY}
_UPLOAD_URL = re.compile(r"/uploads/([^/?#]+)/([^/?#]+)")


def refresh_wechat_token() -> str | None:
    """Fetch a fresh WeChat access token and store it for every process."""
    if not wechat.configured():
        log.info("WECHAT_APPID is not set: no access token to refresh")
        return None
    token = wechat.fetch_access_token()
    log.info("WeChat access token refreshed")
    return token


class BoyaImportJob:
    """The periodic 博雅 import. Keeps one course-site client between runs, so its
    token is reused until the site refuses it."""

    def __init__(self) -> None:
        self.client: BykcClient | None = None
        self.settings: tuple[Any, ...] | None = None

    def __call__(self) -> ImportSummary | None:
        config = current_app.config
        if not credentials_configured(config):
            log.info("BYKC_USERNAME/BYKC_PASSWORD are not set: no 博雅 import")
            return None
        settings = tuple(
            config[key]
            for key in (
                "BYKC_BASE_URL",
                "BYKC_SSO_URL",
                "BYKC_USERNAME",
                "BYKC_PASSWORD",
                "BYKC_RSA_PUBLIC_KEY",
            )
        )
        if self.client is None or settings != self.settings:
            self.client, self.settings = client_from_config(config), settings
        try:
            return run_import(self.client)
        except ImportBusy:
            log.info("a 博雅 import is already running elsewhere; skipped")
            return None


def send_reminders(at: datetime | None = None) -> int:
    """Notice 11 to the participants of every activity beginning within
    REMINDER_MINUTES, once per activity: each activity is claimed with a conditional
    UPDATE of `reminded_at` in the transaction that adds the notice, so two
    processes never both send it. Returns how many activities were claimed."""
    moment = at or now()
    horizon = moment + timedelta(minutes=current_app.config["REMINDER_MINUTES"])
    due = (
        db.session.execute(
            select(Activity.id)
            .where(
                Activity.reminded_at.is_(None), Activity.begin_time > moment, Activity.begin_time <= horizon
            )
            .order_by(Activity.begin_time)
        )
        .scalars()
        .all()
    )
    claimed = 0
    for activity_id in due:
        try:
            with unit_of_work():  # each activity's claim and notice commit together
                claimed += remind(activity_id, moment)
        except Exception:
            log.exception("reminder for activity %s failed", activity_id)
    if claimed:
        log.info("reminders sent for %d activities", claimed)
    return claimed


def remind(activity_id: int, moment: datetime) -> bool:
    """Claim the activity's reminder and tell its participants (notice 11); False when
    another process claimed it first."""
    claim = (
        update(Activity)
        .where(Activity.id == activity_id, Activity.reminded_at.is_(None))
        .values(reminded_at=moment)
        .execution_options(synchronize_session=False)
    )
    if not cast(CursorResult[Any], db.session.execute(claim)).rowcount:
        return False
    notify(texts.ACT_STARTING, participant_ids(activity_id), activity=db.session.get(Activity, activity_id))
    return True


def send_subscribe_messages() -> SendSummary:
    """Send the due WeChat subscribe messages (claimed one by one, see
    subscriptions/services.py)."""
    return send_due(store.lock_owner())


def purge_expired_codes(at: datetime | None = None) -> int:
    """Delete mail verification codes that have expired; returns how many."""
    expired = (
        delete(EmailCode)
        .where(EmailCode.expires_at < (at or now()))
        .execution_options(synchronize_session=False)
    )
    return cast(CursorResult[Any], db.session.execute(expired)).rowcount


def referenced_uploads() -> set[tuple[str, str]]:
    """(sub-folder, file name) of every upload some avatar URL points at."""
    columns = (Organization.avatar, Activity.avatar, User.avatar, Admin.avatar)
    query = union_all(*(select(column.label("url")).where(column.is_not(None)) for column in columns))
    found: set[tuple[str, str]] = set()
    for url in db.session.scalars(query):
        match = _UPLOAD_URL.search(url or "")
        if match:
            found.add((match.group(1), match.group(2)))
    return found


def purge_orphan_uploads() -> int:
    """Delete upload files nobody references any more (see UPLOAD_RETENTION_SECONDS)."""
    root = Path(current_app.config["UPLOAD_FOLDER"])
    referenced = referenced_uploads()
    removed = 0
    for sub, keep_seconds in UPLOAD_RETENTION_SECONDS.items():
        folder = root / sub
        if not folder.is_dir():
            continue
        cutoff = time.time() - keep_seconds
        for path in folder.iterdir():
            if path.is_symlink() or not path.is_file() or path.name.startswith("."):
                continue
            if (sub, path.name) in referenced or path.stat().st_mtime > cutoff:
                continue
            try:
                path.unlink()
                removed += 1
            except FileNotFoundError:
                pass
    return removed


def housekeeping() -> tuple[int, int]:
    codes = purge_expired_codes()
    files = purge_orphan_uploads()
    canceled = purge_cancellations()
    if codes or files or canceled:
        log.info(
            "housekeeping: %d expired codes, %d orphaned uploads, %d old cancellations removed",
            codes,
            files,
            canceled,
        )
    return codes, files
