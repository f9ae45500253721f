"""Managers, follows and the caller's relation to an organization (docs/api.md §9)."""

from flask import request

from reedsailing.core import auth
from reedsailing.core.apidoc import doc
from reedsailing.core.errors import forbidden
from reedsailing.core.http import json_body, load
from reedsailing.core.queries import SearchBody, paginate, search_term
from reedsailing.extensions import db
from reedsailing.organizations import members, services
from reedsailing.organizations.routes import _require_owner, bp
from reedsailing.organizations.schemas import (
    FollowBody,
    ManagerBody,
    ManagerResult,
    MemberQuery,
    MemberRowSchema,
    OrgRelationBody,
    OrgRelationResult,
    OrgWrapSchema,
    PersonWrapSchema,
    ReceiversResult,
)

manager_body = ManagerBody()
member_query = MemberQuery()
follow_body = FollowBody()
relation_body = OrgRelationBody()
member_row_schema = MemberRowSchema()
org_wraps_schema = OrgWrapSchema(many=True)
person_wraps_schema = PersonWrapSchema(many=True)


# ---- managers ---------------------------------------------------------------------


@bp.post("/organizations/managers/")
@doc(body=ManagerBody, response=ManagerResult, status=201)
@auth.login_required
def add_manager():
    """Make a verified student a manager of the organization (its owner, admins)."""
    data = load(manager_body)
    org = services.get_org(data["org"])
    _require_owner(org)
    row = members.add_manager(org, data["person"])
    return {**member_row_schema.dump(row), "__receivers__": [row.user_id]}, 201


@bp.delete("/organizations/managers/")
@doc(query=MemberQuery, response=ReceiversResult)
@auth.login_required
def remove_manager():
    """Remove a manager, `?user=&org=` (the owner, admins); the owner stays a manager."""
    args = member_query.load(request.args)
    org = services.get_org(args["org"])
    _require_owner(org)
    members.remove_manager(org, args["user"])
    return {"__receivers__": [args["user"]]}


@bp.get("/organizations/managers/<int:org_id>/")
@doc(response=PersonWrapSchema, many=True)
@auth.login_required
def list_managers(org_id):
    """The organization's managers as `[{person}]`, owner first."""
    services.get_org(org_id)
    return person_wraps_schema.dump(members.managers_of(org_id))


@bp.get("/users/managed_organizations/<int:user_id>/")
@doc(response=OrgWrapSchema, many=True)
@auth.login_required
def list_managed_orgs(user_id):
    """The organizations a user manages as `[{org}]` (the user, admins)."""
    auth.require_self_or_admin(user_id)
    return org_wraps_schema.dump(db.session.scalars(paginate(members.managed_rows(user_id))))


@bp.post("/users/managed_organizations/search/<int:user_id>/")
@doc(body=SearchBody, response=OrgWrapSchema, many=True)
@auth.login_required
def search_managed_orgs(user_id):
    """Search the organizations a user manages by name (the user, admins)."""
    auth.require_self_or_admin(user_id)
    term = search_term(json_body())
    return org_wraps_schema.dump(db.session.scalars(paginate(members.managed_rows(user_id, term))))


# ---- follows ----------------------------------------------------------------------


@bp.post("/users/followed_organizations/")
@doc(body=FollowBody, response=MemberRowSchema, status=201)
@auth.login_required
def follow_org():
    """Follow an organization; a second follow is 400 `non_field_errors` (the app's "done")."""
    data = load(follow_body)
    person = data.get("person")
    if auth.current_admin() is None:
        auth.require_self(person if person is not None else auth.current_user().id)
        person = auth.current_user().id
    elif person is None:
        raise forbidden("管理员代为关注时须指明 person。")
    else:
        services.get_student(person, "person")
    return member_row_schema.dump(members.follow(data["org"], person)), 201


@bp.delete("/users/followed_organizations/")
@doc(query=MemberQuery, status=204)
@auth.login_required
def unfollow_org():
    """Stop following, `?user=&org=` (the user, admins); idempotent."""
    args = member_query.load(request.args)
    auth.require_self_or_admin(args["user"])
    members.unfollow(args["org"], args["user"])
    return "", 204


@bp.get("/users/followed_organizations/<int:user_id>/")
@doc(response=OrgWrapSchema, many=True)
@auth.login_required
def list_followed_orgs(user_id):
    """The organizations a user follows as `[{org}]` (the user, admins)."""
    auth.require_self_or_admin(user_id)
    return org_wraps_schema.dump(db.session.scalars(paginate(members.followed_rows(user_id))))


@bp.post("/userOrgRelation/")
@doc(body=OrgRelationBody, response=OrgRelationResult)
@auth.user_required
def org_relation():
    """The caller's `{isFollower, isManager, isOwner}` for an organization."""
    data = load(relation_body)
    if "user" in data:
        auth.require_self(data["user"])
    org = services.get_org(data["org"])
    return members.relation(org, auth.current_user().id)
