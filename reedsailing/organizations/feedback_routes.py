"""Feedback (用户反馈): students send it, admins read, search and delete it (docs/api.md §10).

Searches read the query string (`?content=&user=`), never a GET body (the first
version's defect, docs/api.md §19)."""

from flask import request
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from reedsailing.core import auth
from reedsailing.core.apidoc import doc
from reedsailing.core.errors import not_found
from reedsailing.core.http import load
from reedsailing.core.queries import contains, paginate
from reedsailing.extensions import db
from reedsailing.models import Feedback
from reedsailing.organizations.routes import bp
from reedsailing.organizations.schemas import (
    FeedbackBody,
    FeedbackDetailSchema,
    FeedbackQuery,
    FeedbackSchema,
)

feedback_body = FeedbackBody()
feedback_query = FeedbackQuery()
feedback_schema = FeedbackSchema()
feedbacks_schema = FeedbackSchema(many=True)
feedback_details_schema = FeedbackDetailSchema(many=True)


def _get(feedback_id):
    feedback = db.session.get(Feedback, feedback_id)
    if feedback is None:
        raise not_found("未找到该反馈。")
    return feedback


@bp.post("/feedbacks/")
@doc(body=FeedbackBody, response=FeedbackSchema, status=201)
@auth.user_required
def send_feedback():
    """Send feedback as the caller (a body `user` naming someone else is 403)."""
    data = load(feedback_body)
    if "user" in data:
        auth.require_self(data["user"])
    feedback = Feedback(content=data["content"], user_id=auth.current_user().id)
    db.session.add(feedback)
    db.session.commit()
    return feedback_schema.dump(feedback), 201


@bp.get("/feedbacks/")
@doc(response=FeedbackSchema, many=True)
@auth.admin_required
def list_feedbacks():
    """List feedback, oldest first (admins)."""
    return feedbacks_schema.dump(db.session.scalars(paginate(select(Feedback).order_by(Feedback.id))))


def _search(user_id=None):
    args = feedback_query.load(request.args)
    user_id = user_id or args.get("user")
    query = select(Feedback).options(joinedload(Feedback.user)).order_by(Feedback.id)
    if args["content"]:
        query = query.where(contains(Feedback.content, args["content"]))
    if user_id is not None:
        query = query.where(Feedback.user_id == user_id)
    return feedback_details_schema.dump(db.session.scalars(paginate(query)))


@bp.get("/feedbacks/search/")
@doc(query=FeedbackQuery, response=FeedbackDetailSchema, many=True)
@auth.admin_required
def search_feedbacks():
    """Search feedback by `?content=` (and optionally `&user=`) (admins)."""
    return _search()


@bp.get("/feedbacks/user/<int:user_id>/search/")
@doc(query=FeedbackQuery, response=FeedbackDetailSchema, many=True)
@auth.admin_required
def search_user_feedbacks(user_id):
    """Search one user's feedback by `?content=` (admins)."""
    return _search(user_id)


@bp.get("/feedbacks/<int:feedback_id>/")
@doc(response=FeedbackSchema)
@auth.admin_required
def get_feedback(feedback_id):
    """Read one feedback (admins)."""
    return feedback_schema.dump(_get(feedback_id))


@bp.delete("/feedbacks/<int:feedback_id>/")
@doc(status=204)
@auth.admin_required
def delete_feedback(feedback_id):
    """Delete one feedback (admins)."""
    db.session.delete(_get(feedback_id))
    db.session.commit()
    return "", 204
