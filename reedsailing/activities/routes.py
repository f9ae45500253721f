"""Activity routes: publish, read, edit and cancel one; the lists by block,
organization, owner, followed organizations and participant; searches, status
partitions and the month calendar (docs/api.md §11, §14)."""

from typing import Any

from reedsailing.activities.answers import ANSWER_TABLES, ActivityAnswers
from reedsailing.activities.blueprint import bp
from reedsailing.activities.schemas import (
    CALENDAR_SCHEMA,
    ActivityCreateBody,
    ActivitySchema,
    ActivityStatusSchema,
    ActivityUpdateBody,
    ActivityWithReceivers,
    ActReceiversResult,
    JoinedActSchema,
    JoinedStatusSchema,
)
from reedsailing.activities.services import listing, publishing
from reedsailing.apidocs.spec import doc
from reedsailing.core.cache import cached
from reedsailing.core.http import json_body, load
from reedsailing.core.queries import SearchBody, page_query, search_body, search_term
from reedsailing.core.wire import with_receivers
from reedsailing.security import auth

create_body = ActivityCreateBody()
update_body = ActivityUpdateBody()


def _answer(rows: Any) -> Any:
    """The activity answer of a list of rows, or of groups of them (a status partition,
    a calendar's days)."""
    if isinstance(rows, dict):
        return ActivityAnswers().grouped(rows)
    return ActivityAnswers().many(rows)


def _joined(answer: Any) -> Any:
    """`[{act}]` (or its status partition) of an activity answer."""
    if isinstance(answer, dict):
        return {key: _joined(items) for key, items in answer.items()}
    return [{"act": item} for item in answer]


# ---- one activity -------------------------------------------------------------------


@bp.get("/activities/")
@doc(response=ActivitySchema, many=True)
@auth.login_required
@cached(ANSWER_TABLES, query=page_query)
def list_activities():
    """List all activities (`?limit=&offset=` optional)."""
    return _answer(listing.all_activities())


@bp.post("/activities/")
@doc(body=ActivityCreateBody, response=ActivitySchema, status=201)
@auth.login_required
def create_activity():
    """Publish an activity; answers it with its new id (a body `id` is ignored)."""
    data = load(create_body)
    activity_id = publishing.create_activity(auth.principal(), data)
    return ActivityAnswers().one(listing.activity_row(activity_id)), 201


@bp.post("/activities/search/")
@doc(body=SearchBody, response=ActivitySchema, many=True)
@auth.login_required
@cached(ANSWER_TABLES, query=page_query, body=search_body)
def search_activities():
    """Search all activities by name (case-insensitive substring)."""
    return _answer(listing.all_activities(search_term(json_body())))


@bp.get("/activities/<int:activity_id>/")
@doc(response=ActivitySchema)
@auth.login_required
@cached(ANSWER_TABLES)
def get_activity(activity_id):
    """Read an activity with its owner, type, org, location and block."""
    return ActivityAnswers().one(listing.activity_row(activity_id))


@bp.put("/activities/<int:activity_id>/")
@doc(body=ActivityUpdateBody, response=ActivityWithReceivers)
@auth.login_required
def update_activity(activity_id):
    """Edit name, times, contain, description, type and location; tells the participants."""
    data = load(update_body)
    receivers = publishing.update_activity(auth.principal(), activity_id, data)
    return with_receivers(ActivityAnswers().one(listing.activity_row(activity_id)), receivers)


@bp.delete("/activities/<int:activity_id>/")
@doc(response=ActReceiversResult)
@auth.login_required
def delete_activity(activity_id):
    """Cancel an activity; its participants get a notice first."""
    return with_receivers({}, publishing.delete_activity(auth.principal(), activity_id))


# ---- blocks (博雅 = 2 and 个人 = 5 are the app's pseudo-organizations -1 and -2) -----------


@bp.get("/blocks/activities/<int:block_id>/")
@doc(response=ActivitySchema, many=True)
@auth.login_required
@cached(ANSWER_TABLES, query=page_query)
def block_activities(block_id):
    """List a block's activities."""
    return _answer(listing.block_activities(block_id))


@bp.get("/blocks/activities/status/<int:block_id>/")
@doc(response=ActivityStatusSchema)
@auth.login_required
@cached(ANSWER_TABLES, query=page_query)
def block_activities_status(block_id):
    """A block's activities as `{unstart, cur, end}`."""
    return _answer(listing.block_activities(block_id, status=True))


@bp.post("/blocks/activities/search/<int:block_id>/")
@doc(body=SearchBody, response=ActivitySchema, many=True)
@auth.login_required
@cached(ANSWER_TABLES, query=page_query, body=search_body)
def block_activities_search(block_id):
    """Search a block's activities by name."""
    return _answer(listing.block_activities(block_id, search_term(json_body())))


# ---- organizations ------------------------------------------------------------------


@bp.get("/organizations/activities/<int:org_id>/")
@doc(response=ActivitySchema, many=True)
@auth.login_required
@cached(ANSWER_TABLES, query=page_query)
def org_activities(org_id):
    """List an organization's activities."""
    return _answer(listing.org_activities(org_id))


@bp.get("/organizations/activities/status/<int:org_id>/")
@doc(response=ActivityStatusSchema)
@auth.login_required
@cached(ANSWER_TABLES, query=page_query)
def org_activities_status(org_id):
    """An organization's activities as `{unstart, cur, end}`."""
    return _answer(listing.org_activities(org_id, status=True))


@bp.post("/organizations/activities/search/<int:org_id>/")
@doc(body=SearchBody, response=ActivitySchema, many=True)
@auth.login_required
@cached(ANSWER_TABLES, query=page_query, body=search_body)
def org_activities_search(org_id):
    """Search an organization's activities by name."""
    return _answer(listing.org_activities(org_id, search_term(json_body())))


# ---- a user's own lists (self only) ---------------------------------------------------


@bp.get("/users/released_activities/<int:user_id>/")
@doc(response=ActivitySchema, many=True)
@auth.user_required
def released_activities(user_id):
    """The caller's published activities."""
    auth.require_self(user_id)
    return _answer(listing.released_activities(user_id))


@bp.get("/users/released_activities/status/<int:user_id>/")
@doc(response=ActivityStatusSchema)
@auth.user_required
def released_activities_status(user_id):
    """The caller's published activities as `{unstart, cur, end}`."""
    auth.require_self(user_id)
    return _answer(listing.released_activities(user_id, status=True))


@bp.post("/users/released_activities/search/<int:user_id>/")
@doc(body=SearchBody, response=ActivitySchema, many=True)
@auth.user_required
def released_activities_search(user_id):
    """Search the caller's published activities by name."""
    auth.require_self(user_id)
    return _answer(listing.released_activities(user_id, search_term(json_body())))


@bp.get("/users/followed_organizations/activities/<int:user_id>/")
@doc(response=ActivitySchema, many=True)
@auth.user_required
def followed_org_activities(user_id):
    """Activities of the organizations the caller follows, newest published first."""
    auth.require_self(user_id)
    return _answer(listing.followed_org_activities(user_id))


def _require_joined_reader(user_id):
    auth.require_self_or_admin(user_id)
    listing.require_joined_reader(user_id, admin_reads=auth.current_admin() is not None)


@bp.get("/users/joined_acts/<int:user_id>/")
@doc(response=JoinedActSchema, many=True)
@auth.login_required
def joined_activities(user_id):
    """The activities the caller joined, as `[{act}]`."""
    _require_joined_reader(user_id)
    return _joined(_answer(listing.joined_activities(user_id)))


@bp.get("/users/joined_acts/status/<int:user_id>/")
@doc(response=JoinedStatusSchema)
@auth.login_required
def joined_activities_status(user_id):
    """The activities the caller joined as `{unstart, cur, end}` of `{act}`."""
    _require_joined_reader(user_id)
    return _joined(_answer(listing.joined_activities(user_id, status=True)))


@bp.post("/users/joined_acts/search/<int:user_id>/")
@doc(body=SearchBody, response=JoinedActSchema, many=True)
@auth.login_required
def joined_activities_search(user_id):
    """Search the activities the caller joined by name, as `[{act}]`."""
    _require_joined_reader(user_id)
    return _joined(_answer(listing.joined_activities(user_id, search_term(json_body()))))


@bp.get("/users/joined_acts/<int:user_id>/<int:year>/<int:month>/")
@doc(response=CALENDAR_SCHEMA, errors=(400,))  # 400: a month outside 1-12
@auth.login_required
def joined_calendar(user_id, year, month):
    """The caller's joined activities of a month, keyed by begin date (`/2021/6/`)."""
    _require_joined_reader(user_id)
    return _answer(listing.joined_calendar(user_id, year, month))
