"""Feedback (用户反馈): students send it, admins read, search and delete it (docs/api.md §10).

Searches read `core.http.query_params()`: `?content=&user=`, the console's
`?{"content":"x"}`, or the JSON body of a GET as the first version did."""

from reedsailing.apidocs.spec import doc
from reedsailing.core.db import get_or_404
from reedsailing.core.http import load, query_params
from reedsailing.feedback import services
from reedsailing.feedback.blueprint import bp
from reedsailing.feedback.schemas import FeedbackBody, FeedbackQuery, FeedbackSchema
from reedsailing.models import Feedback
from reedsailing.security import auth

feedback_body = FeedbackBody()
feedback_query = FeedbackQuery()
feedback_schema = FeedbackSchema()
feedback_list_schema = FeedbackSchema(many=True)


@bp.post("/feedbacks/")
@doc(body=FeedbackBody, response=FeedbackSchema, status=201)
@auth.user_required
def send_feedback():
    """Send feedback as the caller (a body `user` naming someone else is 403)."""
    data = load(feedback_body)
    if "user" in data:
        auth.require_self(data["user"])
    return feedback_schema.dump(services.send(auth.current_user(), data["content"])), 201


@bp.get("/feedbacks/")
@doc(response=FeedbackSchema, many=True)
@auth.admin_required
def list_feedback():
    """List feedback, oldest first (admins)."""
    return feedback_list_schema.dump(services.list_feedback())


@bp.get("/feedbacks/search/")
@doc(query=FeedbackQuery, response=FeedbackSchema, many=True)
@auth.admin_required
def search_feedback():
    """Search feedback by `?content=` (and optionally `&user=`) (admins)."""
    args = load(feedback_query, query_params())
    return feedback_list_schema.dump(services.search(args["content"], args.get("user")))


@bp.get("/feedbacks/user/<int:user_id>/search/")
@doc(query=FeedbackQuery, response=FeedbackSchema, many=True)
@auth.admin_required
def search_user_feedback(user_id):
    """Search one user's feedback by `?content=` (admins)."""
    args = load(feedback_query, query_params())
    return feedback_list_schema.dump(services.search(args["content"], user_id))


@bp.get("/feedbacks/<int:feedback_id>/")
@doc(response=FeedbackSchema)
@auth.admin_required
def get_feedback(feedback_id):
    """Read one feedback (admins)."""
    return feedback_schema.dump(get_or_404(Feedback, feedback_id, services.FEEDBACK_NOT_FOUND))


@bp.delete("/feedbacks/<int:feedback_id>/")
@doc(status=204)
@auth.admin_required
def delete_feedback(feedback_id):
    """Delete one feedback (admins)."""
    services.delete(feedback_id)
    return "", 204
