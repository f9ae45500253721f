"""Feedback: the sender is always the caller; admins page through, search and delete."""

from collections.abc import Sequence

from sqlalchemy import select

from reedsailing.core.db import get_or_404
from reedsailing.core.queries import contains, paginate
from reedsailing.extensions import db
from reedsailing.models import Feedback, User

FEEDBACK_NOT_FOUND = "未找到该反馈。"


def send(user: User, content: str) -> Feedback:
    feedback = Feedback(content=content, user_id=user.id)
    db.session.add(feedback)
    db.session.flush()
    return feedback


def list_feedback() -> Sequence[Feedback]:
    """One page of feedback, oldest first."""
    return db.session.scalars(paginate(select(Feedback).order_by(Feedback.id))).all()


def search(content: str, user_id: int | None = None) -> Sequence[Feedback]:
    """One page of feedback containing `content` (all when empty), optionally of one
    user, oldest first."""
    query = select(Feedback).order_by(Feedback.id)
    if content:
        query = query.where(contains(Feedback.content, content))
    if user_id is not None:
        query = query.where(Feedback.user_id == user_id)
    return db.session.scalars(paginate(query)).all()


def delete(feedback_id: int) -> None:
    db.session.delete(get_or_404(Feedback, feedback_id, FEEDBACK_NOT_FOUND))
    db.session.flush()
