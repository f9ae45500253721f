"""Calendar feeds: the student's feed URL (read, rotate, revoke) and the iCal
documents, which answer 304 to a matching If-None-Match (docs/api.md §22)."""

from flask import Response, request
from werkzeug.wrappers import Response as BaseResponse

from reedsailing.apidocs.spec import doc
from reedsailing.core.http import json_body
from reedsailing.feeds import services
from reedsailing.feeds.blueprint import bp
from reedsailing.feeds.schemas import ICAL_RESPONSE, FeedSchema
from reedsailing.security import auth

feed_schema = FeedSchema()


def _ical(feed: services.Feed) -> BaseResponse:
    """The feed, or 304 when If-None-Match names its ETag (then no iCal is built)."""
    etag = feed.etag
    if request.if_none_match.contains(etag):
        response = Response(status=304)
    else:
        response = Response(feed.body(), content_type="text/calendar; charset=utf-8")
    response.set_etag(etag)
    # Calendar apps poll: they must ask again, and a matching ETag costs them a 304.
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/feeds/")
@doc(response=FeedSchema)
@auth.user_required
def my_feed():
    """The caller's private calendar feed URL (`url` null when there is none)."""
    return feed_schema.dump(services.feed_of(auth.current_user()))


@bp.post("/feeds/")
@doc(response=FeedSchema, status=201, errors=(400,))
@auth.user_required
def rotate_feed():
    """Create the caller's feed URL, or replace it: the former URL answers 404 from now on.
    No body is needed; one that is not a JSON object is a 400."""
    json_body()  # nothing to read, but a body that is not an object is refused (api.md §1.3)
    return feed_schema.dump(services.rotate_feed(auth.current_user())), 201


@bp.delete("/feeds/")
@doc(response=FeedSchema)
@auth.user_required
def revoke_feed():
    """Revoke the caller's feed URL (it answers 404 from now on); answers the null feed."""
    services.revoke_feed(auth.current_user())
    return feed_schema.dump(services.feed_of(auth.current_user()))


@bp.get("/feeds/<token>.ics")
@doc(response=ICAL_RESPONSE, media=("text/calendar",), errors=(304,))
@auth.public
def student_feed(token):
    """A student's calendar (iCal) of the activities they joined; the secret in the path
    is the only credential. 404 for an unknown or revoked one."""
    return _ical(services.student_calendar(token))


@bp.get("/feeds/organizations/<int:org_id>.ics")
@doc(response=ICAL_RESPONSE, media=("text/calendar",), errors=(304,))
@auth.public
def organization_feed(org_id):
    """An organization's calendar (iCal) of its activities, canceled ones included."""
    return _ical(services.organization_calendar(org_id))
