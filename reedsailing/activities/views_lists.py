"""Activity lists by block, organization, owner, participant and followed
organizations; the month calendar; recommendations."""

from reedsailing.activities import listing
from reedsailing.activities.loading import require_user
from reedsailing.activities.recommend import recommend
from reedsailing.activities.routes import bp
from reedsailing.activities.schemas import (
    CALENDAR_SCHEMA,
    ActivityStatusSchema,
    JoinedActSchema,
    JoinedStatusSchema,
    RecommendResult,
    activities_schema,
    joined_acts_schema,
    recommended_acts_schema,
)
from reedsailing.core import auth
from reedsailing.core.apidoc import doc
from reedsailing.core.http import json_body
from reedsailing.core.queries import SearchBody, search_term
from reedsailing.core.schemas import ActivitySchema, orgs_schema


def _status(buckets, schema=activities_schema):
    return {key: schema.dump(items) for key, items in buckets.items()}


# ---- blocks (博雅 = 2 and 个人 = 5 are the app's pseudo-organizations -1 and -2) -----------


@bp.get("/blocks/activities/<int:block_id>/")
@doc(response=ActivitySchema, many=True)
@auth.login_required
def block_activities(block_id):
    """List a block's activities."""
    return listing.block_activities(block_id)


@bp.get("/blocks/activities/status/<int:block_id>/")
@doc(response=ActivityStatusSchema)
@auth.login_required
def block_activities_status(block_id):
    """A block's activities as `{unstart, cur, end}`."""
    return listing.block_activities(block_id, status=True)


@bp.post("/blocks/activities/search/<int:block_id>/")
@doc(body=SearchBody, response=ActivitySchema, many=True)
@auth.login_required
def block_activities_search(block_id):
    """Search a block's activities by name."""
    term = search_term(json_body())
    return listing.block_activities(block_id, term)


# ---- organizations ------------------------------------------------------------------


@bp.get("/organizations/activities/<int:org_id>/")
@doc(response=ActivitySchema, many=True)
@auth.login_required
def org_activities(org_id):
    """List an organization's activities."""
    return listing.org_activities(org_id)


@bp.get("/organizations/activities/status/<int:org_id>/")
@doc(response=ActivityStatusSchema)
@auth.login_required
def org_activities_status(org_id):
    """An organization's activities as `{unstart, cur, end}`."""
    return listing.org_activities(org_id, status=True)


@bp.post("/organizations/activities/search/<int:org_id>/")
@doc(body=SearchBody, response=ActivitySchema, many=True)
@auth.login_required
def org_activities_search(org_id):
    """Search an organization's activities by name."""
    term = search_term(json_body())
    return listing.org_activities(org_id, term)


# ---- a user's own lists (self only) ---------------------------------------------------


@bp.get("/users/released_activities/<int:user_id>/")
@doc(response=ActivitySchema, many=True)
@auth.user_required
def released_activities(user_id):
    """The caller's published activities."""
    auth.require_self(user_id)
    return listing.released_activities(user_id)


@bp.get("/users/released_activities/status/<int:user_id>/")
@doc(response=ActivityStatusSchema)
@auth.user_required
def released_activities_status(user_id):
    """The caller's published activities as `{unstart, cur, end}`."""
    auth.require_self(user_id)
    return listing.released_activities(user_id, status=True)


@bp.post("/users/released_activities/search/<int:user_id>/")
@doc(body=SearchBody, response=ActivitySchema, many=True)
@auth.user_required
def released_activities_search(user_id):
    """Search the caller's published activities by name."""
    auth.require_self(user_id)
    term = search_term(json_body())
    return listing.released_activities(user_id, term)


@bp.get("/users/followed_organizations/activities/<int:user_id>/")
@doc(response=ActivitySchema, many=True)
@auth.user_required
def followed_org_activities(user_id):
    """Activities of the organizations the caller follows, newest published first."""
    auth.require_self(user_id)
    return listing.followed_org_activities(user_id)


def _require_joined_reader(user_id):
    auth.require_self_or_admin(user_id)
    if auth.current_admin() is not None:
        require_user(user_id)


@bp.get("/users/joined_acts/<int:user_id>/")
@doc(response=JoinedActSchema, many=True)
@auth.login_required
def joined_activities(user_id):
    """The activities the caller joined, as `[{act}]`."""
    _require_joined_reader(user_id)
    return joined_acts_schema.dump(listing.joined_activities(user_id))


@bp.get("/users/joined_acts/status/<int:user_id>/")
@doc(response=JoinedStatusSchema)
@auth.login_required
def joined_activities_status(user_id):
    """The activities the caller joined as `{unstart, cur, end}` of `{act}`."""
    _require_joined_reader(user_id)
    return _status(listing.joined_activities(user_id, status=True), joined_acts_schema)


@bp.post("/users/joined_acts/search/<int:user_id>/")
@doc(body=SearchBody, response=JoinedActSchema, many=True)
@auth.login_required
def joined_activities_search(user_id):
    """Search the activities the caller joined by name, as `[{act}]`."""
    _require_joined_reader(user_id)
    term = search_term(json_body())
    return joined_acts_schema.dump(listing.joined_activities(user_id, term))


@bp.get("/users/joined_acts/<int:user_id>/<int:year>/<int:month>/")
@doc(response=CALENDAR_SCHEMA)
@auth.login_required
def joined_calendar(user_id, year, month):
    """The caller's joined activities of a month, keyed by begin date (`/2021/6/`)."""
    _require_joined_reader(user_id)
    days = listing.joined_calendar(user_id, year, month)
    return {day: activities_schema.dump(acts) for day, acts in days.items()}


# ---- recommendations ----------------------------------------------------------------


@bp.get("/recommended/<int:user_id>/")
@doc(response=RecommendResult)
@auth.user_required
def recommended(user_id):
    """Activities and organizations recommended to the caller (see activities/recommend.py)."""
    auth.require_self(user_id)
    acts, orgs = recommend(user_id)
    return {"acts": recommended_acts_schema.dump(acts), "orgs": orgs_schema.dump(orgs)}
