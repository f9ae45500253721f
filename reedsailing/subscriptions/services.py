"""Subscribe messages: allowances, the outbox and its sender (docs/notices.md,
"Outside the app"; the settings are in README.md, "Configuration").

- A student's acceptance of a template in `wx.requestSubscribeMessage` is one
  allowance: WeChat lets us send one message of that template, once.
- `queue()` runs inside `notify()`, in the notice's transaction: for a notice type with
  a template it takes one allowance from each recipient who has one (a conditional
  UPDATE, so two notices never spend the same allowance) and writes one outbox row per
  student it took one from. A rollback takes back both.
- `send_due()` (the scheduler's `subscribe-messages` job) claims each due row with a
  conditional UPDATE before sending it, so two senders never send one row twice; the
  answer is recorded on the row. Nothing here touches the stored notice.
"""

import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from flask import current_app
from sqlalchemy import CursorResult, Integer, String, Text, insert, literal, select, update
from sqlalchemy.exc import IntegrityError

from reedsailing.core.db import unit_of_work
from reedsailing.core.timeutil import now
from reedsailing.extensions import db
from reedsailing.integrations import wechat
from reedsailing.models import Activity, Notice, SubscribeAllowance, SubscribeMessage, User
from reedsailing.models.outside import FAILED, PENDING, REFUSED, SENDING, SENT

log = logging.getLogger(__name__)

TOKEN_INVALID = {40001, 40014, 42001}  # invalid, malformed, expired access token
REFUSED_CODES = {43101}  # the student has no allowance left at WeChat
FINAL_CODES = {40003, 40037, 47003, 47001}  # bad openid, template or data: retrying cannot help
RETRY_BASE_SECONDS = 30  # the n-th retry waits 30 s * 2^(n-1)
STALE_CLAIM = timedelta(minutes=10)  # a claim older than this belonged to a dead sender
BATCH = 200  # rows one run sends at most
MAX_VALUE = 20  # characters of a `thing` value (WeChat's limit)


def templates(config: Mapping[str, Any] | None = None) -> dict[int, str]:
    """notice type -> template id, from WECHAT_SUBSCRIBE_TEMPLATES (`1=id,2=id,...`)."""
    raw = (config or current_app.config).get("WECHAT_SUBSCRIBE_TEMPLATES") or ""
    found: dict[int, str] = {}
    for item in raw.split(","):
        kind, _, template = item.partition("=")
        if kind.strip().isdigit() and template.strip():
            found[int(kind)] = template.strip()
    return found


def _fields() -> list[tuple[str, str]]:
    raw = current_app.config.get("WECHAT_SUBSCRIBE_FIELDS") or ""
    pairs = (item.partition("=") for item in raw.split(","))
    return [(key.strip(), value.strip()) for key, _, value in pairs if key.strip() and value.strip()]


def subscriptions_of(user: User) -> dict[str, Any]:
    """The configured templates and the student's unused allowances of them."""
    configured = templates()
    rows = db.session.execute(
        select(SubscribeAllowance.template_id, SubscribeAllowance.remaining).where(
            SubscribeAllowance.user_id == user.id,
            SubscribeAllowance.template_id.in_(set(configured.values())),
        )
    ).all()
    return {
        "templates": {str(kind): template for kind, template in sorted(configured.items())},
        "allowances": {template: remaining for template, remaining in rows if remaining > 0},
    }


def add_allowances(user: User, result: Mapping[str, Any]) -> int:
    """One more allowance for each configured template `result` says "accept" to.

    `result` is the success result of `wx.requestSubscribeMessage`. Returns how many
    allowances were added. Unknown templates and other answers are ignored.
    """
    known = set(templates().values())
    accepted = sorted(key for key, value in result.items() if value == "accept" and key in known)
    for template in accepted:
        _add_one(user.id, template)
    db.session.flush()
    return len(accepted)


def _add_one(user_id: int, template: str) -> None:
    increment = (
        update(SubscribeAllowance)
        .where(SubscribeAllowance.user_id == user_id, SubscribeAllowance.template_id == template)
        .values(remaining=SubscribeAllowance.remaining + 1, updated_at=now())
        .execution_options(synchronize_session=False)
    )
    if cast(CursorResult[Any], db.session.execute(increment)).rowcount:
        return
    try:
        with db.session.begin_nested():
            db.session.execute(
                insert(SubscribeAllowance).values(
                    user_id=user_id, template_id=template, remaining=1, updated_at=now()
                )
            )
    except IntegrityError:  # a concurrent report inserted it first: count on that row
        db.session.execute(increment)


def _format(key: str, value: Any) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d" if key.startswith("date") else "%Y-%m-%d %H:%M")
    text = " ".join(str(value or "").split())
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"


def message_data(notice: Notice, activity: Activity | None, act_name: str) -> dict[str, str]:
    """The template's keyword values (WECHAT_SUBSCRIBE_FIELDS) for one notice."""
    values: dict[str, Any] = {
        "activity": act_name or "一苇以航",
        "text": notice.content,
        "begin": activity.begin_time if activity is not None else notice.time,
        "end": activity.end_time if activity is not None else notice.time,
        "time": notice.time,
    }
    return {key: _format(key, values.get(source, source)) for key, source in _fields()}


def queue(notice: Notice, recipients: Iterable[int], activity: Activity | None, act_name: str) -> None:
    """In the notice's transaction: spend one allowance of the notice type's template
    from each recipient who has one and write their outbox rows (two statements,
    whatever the number of recipients; none when the type has no template)."""
    template = templates().get(notice.type)
    if template is None:
        return
    users = list(recipients)
    moment = now()
    spend = (
        update(SubscribeAllowance)
        .where(
            SubscribeAllowance.user_id.in_(users),
            SubscribeAllowance.template_id == template,
            SubscribeAllowance.remaining > 0,
        )
        .values(remaining=SubscribeAllowance.remaining - 1, last_notice_id=notice.id, updated_at=moment)
        .execution_options(synchronize_session=False)
    )
    if not cast(CursorResult[Any], db.session.execute(spend)).rowcount:
        return
    data = json.dumps(message_data(notice, activity, act_name), ensure_ascii=False)
    spent = select(
        SubscribeAllowance.user_id,
        literal(notice.id, Integer),
        literal(template, String),
        literal(data, Text),
        literal(PENDING, String),
        literal(0, Integer),
        literal(moment),
        literal(moment),
    ).where(SubscribeAllowance.last_notice_id == notice.id, SubscribeAllowance.template_id == template)
    columns = ["user_id", "notice_id", "template_id", "data", "state", "attempts", "next_attempt_at"]
    db.session.execute(insert(SubscribeMessage).from_select([*columns, "created_at"], spent))


@dataclass
class SendSummary:
    sent: int = 0
    retrying: int = 0
    refused: int = 0
    failed: int = 0
    skipped: int = 0  # claimed by another sender first


class _Token:
    """The access token for one run: the stored one, fetched when there is none or
    WeChat says it expired."""

    def __init__(self) -> None:
        self.value: str | None = wechat.stored_access_token()

    def get(self) -> str:
        if not self.value:
            self.value = wechat.fetch_access_token()
        return self.value

    def refresh(self) -> str:
        self.value = wechat.fetch_access_token()
        return self.value


def send_due(owner: str, at: datetime | None = None) -> SendSummary:
    """Send the outbox rows that are due; each claimed first (see the module docstring).

    A failed attempt is retried later (RETRY_BASE_SECONDS doubling) until
    WECHAT_SUBSCRIBE_MAX_ATTEMPTS; 43101 is recorded as refused and 47003 as failed
    at once; an expired token is fetched again and the message retried in this run.
    """
    moment = at or now()
    summary = SendSummary()
    with unit_of_work():  # a batch job: the claims and each send commit on their own
        db.session.execute(
            update(SubscribeMessage)
            .where(SubscribeMessage.state == SENDING, SubscribeMessage.claimed_at < moment - STALE_CLAIM)
            .values(state=PENDING)
            .execution_options(synchronize_session=False)
        )
        due = db.session.scalars(
            select(SubscribeMessage.id)
            .where(SubscribeMessage.state == PENDING, SubscribeMessage.next_attempt_at <= moment)
            .order_by(SubscribeMessage.id)
            .limit(BATCH)
        ).all()
    token = _Token()
    for message_id in due:
        with unit_of_work():  # seen by the other schedulers before WeChat is called
            won = _claim(message_id, owner, moment)
        if not won:
            summary.skipped += 1
            continue
        try:
            with unit_of_work():
                outcome = _send_one(message_id, token)
        except Exception as error:  # e.g. the database while storing a fresh token: retry later
            log.exception("subscribe message %s: unexpected error", message_id)
            with unit_of_work():
                outcome = _record_error(
                    db.session.get_one(SubscribeMessage, message_id), wechat.WeChatError(repr(error))
                )
        setattr(summary, outcome, getattr(summary, outcome) + 1)
    if due:
        log.info("subscribe messages: %s", summary)
    return summary


def _claim(message_id: int, owner: str, moment: datetime) -> bool:
    claim = (
        update(SubscribeMessage)
        .where(
            SubscribeMessage.id == message_id,
            SubscribeMessage.state == PENDING,
            SubscribeMessage.next_attempt_at <= moment,
        )
        .values(
            state=SENDING,
            claimed_by=owner[:100],
            claimed_at=now(),
            attempts=SubscribeMessage.attempts + 1,
        )
        .execution_options(synchronize_session=False)
    )
    return bool(cast(CursorResult[Any], db.session.execute(claim)).rowcount)


def _send_one(message_id: int, token: _Token) -> str:
    row = db.session.execute(
        select(SubscribeMessage, User.openid)
        .join(User, User.id == SubscribeMessage.user_id)
        .where(SubscribeMessage.id == message_id)
    ).first()
    if row is None:  # the student or the notice went meanwhile
        return "failed"
    message, openid = row
    config = current_app.config
    data = json.loads(message.data)

    def send(access_token: str) -> None:
        wechat.send_subscribe_message(
            access_token,
            openid,
            message.template_id,
            data,
            page=config.get("WECHAT_SUBSCRIBE_PAGE") or None,
            state=config.get("WECHAT_SUBSCRIBE_STATE") or "formal",
        )

    try:
        try:
            send(token.get())
        except wechat.WeChatError as error:
            if error.code not in TOKEN_INVALID:
                raise
            log.info(
                "subscribe message %s: access token refused (%s); fetching a new one", message.id, error.code
            )
            send(token.refresh())
    except wechat.WeChatError as error:
        return _record_error(message, error)
    message.state, message.sent_at, message.last_error = SENT, now(), None
    return "sent"


def _record_error(message: SubscribeMessage, error: wechat.WeChatError) -> str:
    detail = f"{error.code}: {error}" if error.code is not None else str(error)
    message.last_error = detail[:200]
    if error.code in REFUSED_CODES:
        message.state, outcome = REFUSED, "refused"
        log.info("subscribe message %s: the student refused it (%s)", message.id, detail)
    elif error.code in FINAL_CODES or message.attempts >= current_app.config["WECHAT_SUBSCRIBE_MAX_ATTEMPTS"]:
        message.state, outcome = FAILED, "failed"
        log.warning(
            "subscribe message %s failed for good after %d attempts: %s", message.id, message.attempts, detail
        )
    else:
        message.state, outcome = PENDING, "retrying"
        wait = RETRY_BASE_SECONDS * 2 ** max(0, message.attempts - 1)
        message.next_attempt_at = now() + timedelta(seconds=wait)
        log.warning(
            "subscribe message %s: attempt %d failed (%s); retry in %d s",
            message.id,
            message.attempts,
            detail,
            wait,
        )
    return outcome
