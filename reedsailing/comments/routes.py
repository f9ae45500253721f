"""Comment routes: create, read (also via `/api//activities/...`), edit, delete, an
activity's list, and the console's list and search (docs/api.md §13)."""

from flask import request

from reedsailing.apidocs.spec import doc
from reedsailing.comments import services
from reedsailing.comments.blueprint import bp
from reedsailing.comments.schemas import (
    CommentCreateBody,
    CommentCreateResult,
    CommentDetailSchema,
    CommentFlatSchema,
    CommentListSchema,
    CommentSearchQuery,
    CommentShortSchema,
    CommentUpdateBody,
    CommentUpdateResult,
    comment_search_term,
)
from reedsailing.core.cache import cached
from reedsailing.core.http import json_body, load, query_params
from reedsailing.core.queries import page_query
from reedsailing.core.wire import with_receivers
from reedsailing.security import auth

create_body = CommentCreateBody()
update_body = CommentUpdateBody()
comment_flat_schema = CommentFlatSchema()
comment_short_schema = CommentShortSchema()
comment_detail_schema = CommentDetailSchema()
comment_details_schema = CommentDetailSchema(many=True)
comment_list_schema = CommentListSchema(many=True)


@bp.get("/activities/comments/")
@doc(response=CommentListSchema, many=True)
@auth.admin_required
def list_comments():
    """All comments with author and activity (console; `?limit=&offset=`)."""
    return comment_list_schema.dump(services.all_comments())


@bp.post("/activities/comments/")
@doc(body=CommentCreateBody, response=CommentCreateResult, status=201)
@auth.user_required
def create_comment():
    """Comment on and rate an activity the caller joined (or any 博雅 activity)."""
    data = load(create_body)
    comment, receivers = services.create_comment(auth.current_user(), data)
    body = comment_flat_schema.dump(comment)
    return (with_receivers(body, receivers) if receivers else body), 201


@bp.route("/activities/comments/search/", methods=["GET", "POST"])
@doc(query=CommentSearchQuery, response=CommentListSchema, many=True)
@auth.admin_required
def search_comments():
    """Search all comments by content (`?query=`, the console's `?{"query":"x"}`, or a
    JSON body; console)."""
    data = query_params()
    if request.method == "POST":
        data.update({k: v for k, v in json_body().items() if k in ("query", "content", "name")})
    return comment_list_schema.dump(services.all_comments(comment_search_term(data)))


@bp.get("/activities/comments/<int:comment_id>/")
@doc(response=CommentShortSchema)
@auth.login_required
def get_comment(comment_id):
    """Read a comment's content and score."""
    return comment_short_schema.dump(services.get_comment(comment_id))


@bp.put("/activities/comments/<int:comment_id>/")
@doc(body=CommentUpdateBody, response=CommentUpdateResult)
@auth.login_required
def update_comment(comment_id):
    """Edit a comment (its author); the activity owner gets notice 10."""
    data = load(update_body)
    comment, receivers = services.update_comment(auth.principal(), comment_id, data)
    body = comment_short_schema.dump(comment)
    return with_receivers(body, receivers) if receivers else body


@bp.delete("/activities/comments/<int:comment_id>/")
@doc(status=204)
@auth.login_required
def delete_comment(comment_id):
    """Delete a comment (author, activity owner, organization managers, admins)."""
    services.delete_comment(auth.principal(), comment_id)
    return "", 204


@bp.get("/activities/<int:activity_id>/comments/")
@doc(response=CommentDetailSchema, many=True)
@auth.login_required
@cached(("comments", "users", "activities"), query=page_query)
def activity_comments(activity_id):
    """An activity's comments with their authors."""
    return comment_details_schema.dump(services.activity_comments(activity_id))


@bp.get("/activities/<int:activity_id>/users/<int:user_id>/comments/")
@doc(response=CommentDetailSchema)
@auth.login_required
def user_comment(activity_id, user_id):
    """A user's comment on an activity; 404 `{"id": -1}` when there is none."""
    return comment_detail_schema.dump(services.user_comment(activity_id, user_id))
