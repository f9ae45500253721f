"""Login, mail verification and profile rules for students."""

import hashlib
import hmac
import logging
import re
import secrets
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import Select, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from reedsailing.activities.services.cancelling import cancel_activity
from reedsailing.core.db import flush_or, get_or_404, separate_transaction
from reedsailing.core.errors import ApiError, bad_request, not_found
from reedsailing.core.queries import contains, paginate
from reedsailing.core.timeutil import now
from reedsailing.core.wire import flow_error
from reedsailing.extensions import db
from reedsailing.integrations import wechat
from reedsailing.integrations.mail import MailError, send_mail
from reedsailing.models import Activity, EmailCode, Organization, Participation, User
from reedsailing.participation.services.places import free_place
from reedsailing.security.permissions import contact_shown_to
from reedsailing.security.principal import Principal

log = logging.getLogger(__name__)
EMAIL_PATTERN = re.compile(r"[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,80}\.[A-Za-z]{2,}")
CODE_ALPHABET = "0123456789abcdef"
BOUND_TO_OTHER = "该邮箱已绑定其他账号。"


def get_user(user_id: int) -> User:
    """A student by id; the 博雅 system account is nobody's to read or change."""
    user = get_or_404(User, user_id, "未找到该用户。")
    if user.is_system:
        raise not_found("未找到该用户。")
    return user


def read_user(principal: Principal, user_id: int) -> tuple[User, str]:
    """The user and how much of them the caller sees (docs/security.md "Private
    details"): "whole" (themself, admins), "contact" (the masked profile with `contact`:
    `contact_shown_to`, the one rule), else "public" (email masked, no contact)."""
    user = get_user(user_id)
    if principal.is_admin or principal.is_user(user.id):
        return user, "whole"
    if user.id in contact_shown_to(principal, [user.id]):
        return user, "contact"
    return user, "public"


def list_users(*, name: str | None = None, boya_followers: bool = False) -> list[User]:
    """Students by id, one page (`?limit=&offset=`): all, by name, or the 博雅 followers."""
    statement: Select[User] = select(User).where(User.is_system.is_(False))
    if name is not None:
        statement = statement.where(contains(User.name, name))
    if boya_followers:
        statement = statement.where(User.follow_boya.is_(True))
    return list(db.session.scalars(paginate(statement.order_by(User.id))))


def login_with_code(code: str) -> tuple[User, bool]:
    """Exchange a wx.login code for the user (created on first login).

    Returns (user, created). Without WECHAT_APPID (development login mode) the code
    itself is the openid.
    """
    if wechat.configured():
        try:
            openid = wechat.code_to_openid(code)
        except wechat.WeChatError as error:
            if error.code is None:
                raise ApiError(502, "微信服务暂时不可用，请稍后再试。") from error
            raise flow_error(400, f"微信登录失败：{error}", code=error.code) from error
    else:
        openid = code
    user = db.session.execute(select(User).where(User.openid == openid)).scalar_one_or_none()
    if user is not None:
        if user.is_system:
            raise bad_request("该账号不能登录。")
        return user, False
    try:
        # Its own transaction: two first logins of one person race on the unique openid,
        # and the loser simply reads the winner's row.
        with separate_transaction() as connection:
            connection.execute(insert(User).values(openid=openid, name=""))
        created = True
    except IntegrityError:
        created = False
    return db.session.execute(select(User).where(User.openid == openid)).scalar_one(), created


def register_profile(user: User, info: dict[str, str]) -> None:
    """Copy the WeChat nickname and avatar onto the caller's profile."""
    if info.get("nickName"):
        user.name = info["nickName"]
    if info.get("avatarUrl"):
        user.avatar = info["avatarUrl"]
    db.session.flush()


def update_profile(user: User, changes: dict[str, Any]) -> User:
    """Partial update: absent keys stay; an empty name is ignored (the app may lose it)."""
    if not changes.get("name"):
        changes.pop("name", None)
    for key, value in changes.items():
        setattr(user, key, value)
    db.session.flush()
    return user


def _normalize_email(email: str) -> str:
    email = email.strip().lower()
    if not EMAIL_PATTERN.fullmatch(email):
        raise flow_error(400, "邮箱格式不正确。")
    domain = email.rsplit("@", 1)[1]
    if domain not in current_app.config["ALLOWED_EMAIL_DOMAINS"]:
        allowed = "、".join(current_app.config["ALLOWED_EMAIL_DOMAINS"])
        raise flow_error(400, f"请使用 {allowed} 邮箱。")
    return email


def _hash_code(code: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, code.lower().encode(), hashlib.sha256).hexdigest()


def _bound_to_other(email: str, user: User) -> bool:
    owner = db.session.execute(select(User.id).where(User.email == email)).scalar_one_or_none()
    return owner is not None and owner != user.id


def send_verification(user: User, email: str) -> None:
    """Mail a 6-character code for `email` to the caller; one send per 60 s per address."""
    email = _normalize_email(email)
    if _bound_to_other(email, user):
        raise flow_error(400, BOUND_TO_OTHER)
    config = current_app.config
    moment = now()
    row = db.session.execute(
        select(EmailCode).where(EmailCode.user_id == user.id, EmailCode.email == email)
    ).scalar_one_or_none()
    if row is not None:
        wait = (row.sent_at + timedelta(seconds=config["VERIFY_RESEND_SECONDS"]) - moment).total_seconds()
        if wait > 0:
            raise flow_error(429, f"发送过于频繁，请 {int(wait) + 1} 秒后再试。")
    else:
        row = EmailCode(user_id=user.id, email=email)
        db.session.add(row)
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))
    row.code_hash = _hash_code(code)
    row.sent_at = moment
    row.expires_at = moment + timedelta(seconds=config["VERIFY_CODE_TTL_SECONDS"])
    row.attempts = 0
    flush_or(flow_error(429, "发送过于频繁，请稍后再试。"))
    minutes = config["VERIFY_CODE_TTL_SECONDS"] // 60
    try:
        send_mail(
            email,
            "【一苇以航】邮箱验证码",
            f"您的验证码是 {code}，{minutes} 分钟内有效。\nYour verify code is {code}, valid in {minutes} minutes.",
        )
    except MailError as error:
        log.error("verification mail to %s failed: %s", email, error)
        # the unit of work rolls back: no code is kept
        raise flow_error(503, "验证邮件发送失败，请稍后再试。") from error


def verify_email(user: User, email: str, code: str) -> User:
    """Bind `email` to the caller when `code` is the one mailed to them for it."""
    email = _normalize_email(email)
    row = db.session.execute(
        select(EmailCode).where(EmailCode.user_id == user.id, EmailCode.email == email)
    ).scalar_one_or_none()
    if row is None or row.expires_at <= now():
        raise flow_error(400, "验证码错误或已过期，请重新获取。")
    if row.attempts >= current_app.config["VERIFY_MAX_ATTEMPTS"]:
        raise flow_error(400, "尝试次数过多，请重新获取验证码。")
    if not hmac.compare_digest(row.code_hash, _hash_code(code.strip())):
        # Counted in a transaction of its own: the answer is an error, which rolls the
        # request's unit back, and a wrong guess must still count.
        with separate_transaction() as connection:
            connection.execute(
                update(EmailCode).where(EmailCode.id == row.id).values(attempts=EmailCode.attempts + 1)
            )
        raise flow_error(400, "验证码错误")
    if _bound_to_other(email, user):
        raise flow_error(400, BOUND_TO_OTHER)
    user.email = email
    db.session.delete(row)  # single use
    flush_or(flow_error(400, BOUND_TO_OTHER))
    return user


def delete_user(user_id: int) -> None:
    """Delete a user (README "Security", docs/api.md §5).

    - The owner of an organization is refused (409) until ownership moves: the
      organization and its activities belong to its members, not to one account.
    - Activities they published for an organization stay with it; the organization's
      owner becomes their owner.
    - Their own (个人) activities go; each participant is told (notice 2).
    - Their joins, comments, follows and notices go; each joined activity gets the place
      back and gives it to the first in line (notice 12).
    """
    user = get_user(user_id)
    owned = db.session.scalars(select(Organization.name).where(Organization.owner_id == user.id)).all()
    if owned:
        raise ApiError(409, f"该用户是组织“{'、'.join(owned)}”的负责人，请先转让负责人再删除。")
    org_owner = select(Organization.owner_id).where(Organization.id == Activity.org_id).scalar_subquery()
    db.session.execute(
        update(Activity)
        .where(Activity.owner_id == user.id, Activity.org_id.is_not(None))
        .values(owner_id=org_owner)
        .execution_options(synchronize_session=False)
    )
    for activity in db.session.scalars(
        select(Activity).where(Activity.owner_id == user.id).order_by(Activity.id)
    ):
        cancel_activity(activity, spare=user.id)
    remove_from_activities(user.id)
    db.session.execute(delete(User).where(User.id == user.id))
    db.session.flush()


def remove_from_activities(user_id: int) -> None:
    """Take the student out of every activity they joined, each place going to the
    first in line (places.free_place); their waiting places and requests go with the
    user row (CASCADE)."""
    joined = db.session.scalars(
        select(Participation.act_id).where(Participation.user_id == user_id).order_by(Participation.act_id)
    ).all()
    for activity_id in joined:
        free_place(activity_id, user_id)
