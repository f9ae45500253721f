"""Joining, leaving, participant lists, counts and the caller's relation to an activity."""

from flask import request

from reedsailing.activities import joining
from reedsailing.activities.routes import bp
from reedsailing.activities.schemas import (
    ActReceiversResult,
    ActRelationBody,
    ActRelationResult,
    JoinBody,
    JoinResult,
    LeaveQuery,
    NumberResult,
    ParticipantSchema,
    join_result,
    participants_schema,
)
from reedsailing.core import auth
from reedsailing.core.apidoc import doc
from reedsailing.core.http import load

join_body = JoinBody()
leave_query = LeaveQuery()
relation_body = ActRelationBody()


@bp.post("/activities/participants/")
@doc(body=JoinBody, response=JoinResult, status=201)
@auth.user_required
def join_activity():
    """Join an activity (the caller only); 400 when it is full, ended or already joined."""
    data = load(join_body)
    auth.require_self(data["person"])
    participation = joining.join(auth.current_user(), data["act"])
    return join_result.dump(participation), 201


@bp.delete("/activities/participants/")
@doc(query=LeaveQuery, response=ActReceiversResult)
@auth.login_required
def leave_activity():
    """Leave an activity, or remove a participant (owner, managers, admins; notice 3)."""
    args = leave_query.load(request.args)
    return joining.leave(
        auth.current_user(), auth.current_admin(), args["act"], args["person"], args.get("operator")
    )


@bp.get("/activities/<int:act_id>/participants/")
@doc(response=ParticipantSchema, many=True)
@auth.login_required
def list_participants(act_id):
    """The participants as `[{person}]` (owner, organization managers and admins)."""
    return participants_schema.dump(joining.participants(auth.current_user(), auth.current_admin(), act_id))


@bp.get("/activities/joined_numbers/<int:act_id>/")
@doc(response=NumberResult)
@auth.login_required
def joined_number(act_id):
    """How many people joined the activity."""
    return {"number": joining.joined_number(act_id)}


@bp.post("/userActRelation/")
@doc(body=ActRelationBody, response=ActRelationResult)
@auth.user_required
def user_act_relation():
    """Whether the caller joined, owns or manages the activity."""
    data = load(relation_body)
    auth.require_self(data["user"])
    return joining.relation(auth.current_user(), data["act"])
