"""Comments and scores (docs/api.md §13).

One comment per student and activity (a unique constraint, not a read-then-insert).
Only participants comment, and once the organizers took attendance (opened check-in or
marked someone present, docs/signup.md) only the attendees among them; 博雅 activities
are the exception: any verified student may rate them (they are joined outside the
platform). The activity owner gets notice 5 for a new
comment and 10 for an edit, never for 博雅 and never for their own comment. The author
edits; the author, the owner, organization managers and admins delete.
"""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from reedsailing.checkin.services import attendance_taken, has_attended
from reedsailing.core.db import get_or_404
from reedsailing.core.errors import ApiError, bad_request, forbidden
from reedsailing.core.queries import contains, paginate
from reedsailing.extensions import db
from reedsailing.messages.services import notify
from reedsailing.messages.texts import ACT_COMMENTED, COMMENT_MODIFIED
from reedsailing.models import Activity, Comment, User
from reedsailing.models.blocks import BOYA
from reedsailing.participation.services import has_joined
from reedsailing.security.permissions import can_manage_activity
from reedsailing.security.principal import Principal

DUPLICATE = "您已经评论过该活动。"
ACTIVITY_NOT_FOUND = "未找到该活动。"
NOT_FOUND = "未找到该评论。"


def _tell_owner(notice_type: int, activity: Activity, author: User, content: str | None) -> list[int]:
    """Notice 5/10 to the activity owner; returns the receivers for the answer."""
    if activity.block_id == BOYA or activity.owner_id == author.id:
        return []
    notify(notice_type, [activity.owner_id], activity=activity, user=author.name, comment=content or "")
    return [activity.owner_id]


def create_comment(user: User, data: dict[str, Any]) -> tuple[Comment, list[int]]:
    if data.get("user") is not None and data["user"] != user.id:
        raise forbidden("只能以自己的身份评论。")
    activity = get_or_404(Activity, data["act"], ACTIVITY_NOT_FOUND)
    if activity.block_id == BOYA:
        if not user.verified:
            raise forbidden("请先完成邮箱认证。")
    elif not has_joined(activity.id, user.id):
        raise forbidden("只有参加了该活动的同学才能评论。")
    elif attendance_taken(activity.id) and not has_attended(activity.id, user.id):
        raise forbidden("只有签到了该活动的同学才能评论。")
    if db.session.scalar(select(Comment.id).where(Comment.act_id == activity.id, Comment.user_id == user.id)):
        raise bad_request(DUPLICATE)
    comment = Comment(act_id=activity.id, user_id=user.id, content=data.get("content"), score=data["score"])
    db.session.add(comment)
    try:  # the unique constraint settles a race between two first comments
        db.session.flush()
    except IntegrityError as error:
        raise bad_request(DUPLICATE) from error
    receivers = _tell_owner(ACT_COMMENTED, activity, user, comment.content)
    db.session.flush()
    return comment, receivers


def get_comment(comment_id: int) -> Comment:
    return get_or_404(Comment, comment_id, NOT_FOUND)


def update_comment(principal: Principal, comment_id: int, data: dict[str, Any]) -> tuple[Comment, list[int]]:
    comment = get_comment(comment_id)
    if not principal.is_admin and not principal.is_user(comment.user_id):
        raise forbidden("只有评论的作者才能修改评论。")
    if "content" in data:
        comment.content = data["content"]
    if "score" in data:
        comment.score = data["score"]
    activity = get_or_404(Activity, comment.act_id, ACTIVITY_NOT_FOUND)
    # An admin may edit too; the owner is still told who wrote the comment.
    author = principal.user if principal.user is not None else get_or_404(User, comment.user_id)
    receivers = _tell_owner(COMMENT_MODIFIED, activity, author, comment.content)
    db.session.flush()
    return comment, receivers


def delete_comment(principal: Principal, comment_id: int) -> None:
    comment = get_comment(comment_id)
    is_author = principal.is_user(comment.user_id)
    activity = get_or_404(Activity, comment.act_id, ACTIVITY_NOT_FOUND)
    if not is_author and not can_manage_activity(principal, activity):
        raise forbidden("只有作者、活动发起者或组织管理员才能删除评论。")
    db.session.delete(comment)
    db.session.flush()


def activity_comments(activity_id: int) -> Sequence[Comment]:
    """An activity's comments with their authors, oldest first (two queries)."""
    get_or_404(Activity, activity_id, ACTIVITY_NOT_FOUND)
    return db.session.scalars(
        paginate(
            select(Comment)
            .where(Comment.act_id == activity_id)
            .options(joinedload(Comment.user))
            .order_by(Comment.id)
        )
    ).all()


def user_comment(activity_id: int, user_id: int) -> Comment:
    comment = db.session.scalars(
        select(Comment)
        .where(Comment.act_id == activity_id, Comment.user_id == user_id)
        .options(joinedload(Comment.user))
    ).one_or_none()
    if comment is None:
        raise ApiError(404, NOT_FOUND, id=-1)
    return comment


def all_comments(term: str | None = None) -> Sequence[Comment]:
    """The console's list (optionally a content search), author and activity joined in."""
    statement = (
        select(Comment).options(joinedload(Comment.user), joinedload(Comment.act)).order_by(Comment.id)
    )
    if term is not None:
        statement = statement.where(contains(Comment.content, term))
    return db.session.scalars(paginate(statement)).all()
