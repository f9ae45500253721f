"""Participation routes: join, leave or remove, the participants, joined numbers, the
caller's relation to an activity (docs/api.md §12), the waiting list and join requests
(§21)."""

from reedsailing.activities.schemas import ActReceiversResult
from reedsailing.apidocs.spec import doc
from reedsailing.core.http import json_body, load, query_params
from reedsailing.core.wire import with_receivers
from reedsailing.participation import services
from reedsailing.participation.blueprint import bp
from reedsailing.participation.schemas import (
    ActRelationBody,
    ActRelationResult,
    DeclineBody,
    JoinBody,
    JoinRequestSchema,
    JoinResult,
    LeaveQuery,
    NumberResult,
    ParticipantSchema,
    QueuedResult,
    SignupResult,
    WaitingEntrySchema,
)
from reedsailing.participation.services import approval, waitlist
from reedsailing.security import auth

join_body = JoinBody()
leave_query = LeaveQuery()
relation_body = ActRelationBody()
join_result = JoinResult()
participants_schema = ParticipantSchema(many=True)
queued_result = QueuedResult()
signup_result = SignupResult()
waiting_schema = WaitingEntrySchema(many=True)
requests_schema = JoinRequestSchema(many=True)
decline_body = DeclineBody()


@bp.post("/activities/participants/")
@doc(body=JoinBody, response=JoinResult, status=201, also={202: QueuedResult})
@auth.user_required
def join_activity():
    """Join an activity (the caller only); 400 when it is full, ended or already joined.

    202 `{act, person, state, position}` when the caller instead went on the waiting
    list (`waitlist: true` and the activity is full) or asked to join (`review`).
    """
    data = load(join_body)
    auth.require_self(data["person"])
    participation, queued = services.join(auth.current_user(), data["act"], data["waitlist"])
    if participation is None:
        return queued_result.dump({"act": data["act"], "person": data["person"], **queued}), 202
    return join_result.dump(participation), 201


@bp.delete("/activities/participants/")
@doc(query=LeaveQuery, response=ActReceiversResult)
@auth.login_required
def leave_activity():
    """Leave an activity, or remove a participant (owner, managers, admins; notice 3)."""
    args = leave_query.load(query_params())
    told = services.leave(auth.principal(), args["act"], args["person"], args.get("operator"))
    return with_receivers({}, told) if told else {}


@bp.get("/activities/<int:activity_id>/participants/")
@doc(response=ParticipantSchema, many=True)
@auth.login_required
def list_participants(activity_id):
    """The participants as `[{person}]` (owner, organization managers and admins)."""
    return participants_schema.dump(services.participants(auth.principal(), activity_id))


@bp.get("/activities/joined_numbers/<int:activity_id>/")
@doc(response=NumberResult)
@auth.login_required
def joined_number(activity_id):
    """How many people joined the activity."""
    return {"number": services.joined_number(activity_id)}


@bp.post("/userActRelation/")
@doc(body=ActRelationBody, response=ActRelationResult)
@auth.user_required
def user_act_relation():
    """Whether the caller joined, owns or manages the activity."""
    data = load(relation_body)
    auth.require_self(data["user"])
    return services.relation(auth.current_user(), data["act"])


# ---- the waiting list and join requests (docs/api.md §21) ------------------------------


@bp.get("/activities/<int:activity_id>/signup/")
@doc(response=SignupResult)
@auth.user_required
def my_signup(activity_id):
    """The caller's place: joined, waiting (with `position`), pending, declined or none."""
    return signup_result.dump(waitlist.my_signup(auth.current_user(), activity_id))


@bp.delete("/activities/<int:activity_id>/signup/")
@doc(status=204)
@auth.user_required
def withdraw(activity_id):
    """Leave the waiting list or take back a pending join request."""
    waitlist.withdraw(auth.current_user(), activity_id)
    return "", 204


@bp.get("/activities/<int:activity_id>/waitlist/")
@doc(response=WaitingEntrySchema, many=True)
@auth.login_required
def waiting_list(activity_id):
    """The waiting list in order (owner, organization managers and admins)."""
    return waiting_schema.dump(waitlist.waiting_list(auth.principal(), activity_id))


@bp.get("/activities/<int:activity_id>/requests/")
@doc(response=JoinRequestSchema, many=True)
@auth.login_required
def join_requests(activity_id):
    """The pending join requests, oldest first (owner, organization managers and admins)."""
    return requests_schema.dump(approval.pending_requests(auth.principal(), activity_id))


@bp.post("/activities/<int:activity_id>/requests/<int:person_id>/approve/")
@doc(response=ActReceiversResult, errors=(400,))
@auth.login_required
def approve_request(activity_id, person_id):
    """Approve a join request: the student joins (notice 13); 400 when full."""
    json_body()  # nothing to read, but a body that is not an object is refused (api.md §1.3)
    told = approval.approve(auth.principal(), activity_id, person_id)
    return with_receivers({}, told)


@bp.post("/activities/<int:activity_id>/requests/<int:person_id>/decline/")
@doc(body=DeclineBody, response=ActReceiversResult)
@auth.login_required
def decline_request(activity_id, person_id):
    """Decline a join request (notice 14); `allowAgain: true` lets the student ask again."""
    data = load(decline_body)
    told = approval.decline(auth.principal(), activity_id, person_id, data["allowAgain"])
    return with_receivers({}, told)


@bp.delete("/activities/<int:activity_id>/requests/<int:person_id>/")
@doc(status=204)
@auth.login_required
def allow_again(activity_id, person_id):
    """Forget a decline, so the student may ask again."""
    approval.allow_again(auth.principal(), activity_id, person_id)
    return "", 204
