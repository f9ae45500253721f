"""Participation routes: join, leave or remove, the participants, joined numbers and
the caller's relation to an activity (docs/api.md §12)."""

from reedsailing.activities.schemas import ActReceiversResult
from reedsailing.core import auth
from reedsailing.core.apidoc import doc
from reedsailing.core.http import load, query_params
from reedsailing.core.wire import with_receivers
from reedsailing.participation import services
from reedsailing.participation.blueprint import bp
from reedsailing.participation.schemas import (
    ActRelationBody,
    ActRelationResult,
    JoinBody,
    JoinResult,
    LeaveQuery,
    NumberResult,
    ParticipantSchema,
)

join_body = JoinBody()
leave_query = LeaveQuery()
relation_body = ActRelationBody()
join_result = JoinResult()
participants_schema = ParticipantSchema(many=True)


@bp.post("/activities/participants/")
@doc(body=JoinBody, response=JoinResult, status=201)
@auth.user_required
def join_activity():
    """Join an activity (the caller only); 400 when it is full, ended or already joined."""
    data = load(join_body)
    auth.require_self(data["person"])
    participation = services.join(auth.current_user(), data["act"])
    return join_result.dump(participation), 201


@bp.delete("/activities/participants/")
@doc(query=LeaveQuery, response=ActReceiversResult)
@auth.login_required
def leave_activity():
    """Leave an activity, or remove a participant (owner, managers, admins; notice 3)."""
    args = leave_query.load(query_params())
    told = services.leave(
        auth.current_user(), auth.current_admin(), args["act"], args["person"], args.get("operator")
    )
    return with_receivers({}, told) if told else {}


@bp.get("/activities/<int:activity_id>/participants/")
@doc(response=ParticipantSchema, many=True)
@auth.login_required
def list_participants(activity_id):
    """The participants as `[{person}]` (owner, organization managers and admins)."""
    return participants_schema.dump(
        services.participants(auth.current_user(), auth.current_admin(), activity_id)
    )


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
