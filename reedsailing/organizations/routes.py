"""Organizations, their applications (docs/api.md §8), managers, follows and the
caller's relation to an organization (§9)."""

from reedsailing.apidocs.spec import doc
from reedsailing.core.http import json_body, load, query_params
from reedsailing.core.queries import SearchBody, search_term
from reedsailing.core.schemas import OrgFlatSchema, OrgSchema, org_schema, orgs_schema
from reedsailing.core.wire import with_receivers
from reedsailing.organizations.blueprint import bp
from reedsailing.organizations.schemas import (
    ApplicationBody,
    ApplicationFlatSchema,
    ApplicationQuery,
    ApplicationSchema,
    DecisionBody,
    DecisionResult,
    FollowBody,
    ManagerBody,
    ManagerResult,
    MemberQuery,
    MemberRowSchema,
    OrgCreateBody,
    OrgRelationBody,
    OrgRelationResult,
    OrgUpdateBody,
    OrgWrapSchema,
    OwnerBody,
    OwnerResult,
    PersonWrapSchema,
    ReceiversResult,
)
from reedsailing.organizations.services import applications, members, organizations
from reedsailing.security import auth

application_body = ApplicationBody()
decision_body = DecisionBody()
application_query = ApplicationQuery()
org_create_body = OrgCreateBody()
org_update_body = OrgUpdateBody(partial=True)
owner_body = OwnerBody()
manager_body = ManagerBody()
member_query = MemberQuery()
follow_body = FollowBody()
relation_body = OrgRelationBody()
application_flat_schema = ApplicationFlatSchema()
application_schema = ApplicationSchema()
applications_schema = ApplicationSchema(many=True)
org_flat_schema = OrgFlatSchema()
member_row_schema = MemberRowSchema()
org_wraps_schema = OrgWrapSchema(many=True)
person_wraps_schema = PersonWrapSchema(many=True)


# ---- applications -----------------------------------------------------------------


@bp.post("/organizations/applications/")
@doc(body=ApplicationBody, response=ApplicationFlatSchema, status=201)
@auth.user_required
def apply_for_org():
    """Apply to create an organization (verified students; an admin decides)."""
    data = load(application_body)
    if "user" in data:
        auth.require_self(data["user"])
    return application_flat_schema.dump(applications.apply(auth.current_user(), data)), 201


@bp.get("/organizations/applications/")
@doc(query=ApplicationQuery, response=ApplicationSchema, many=True)
@auth.admin_required
def list_applications():
    """List organization applications, optionally `?status=0|1|2` (admins)."""
    status = load(application_query, query_params()).get("status")
    return applications_schema.dump(applications.list_applications(status))


@bp.get("/organizations/applications/<int:application_id>/")
@doc(response=ApplicationSchema)
@auth.admin_required
def get_application(application_id):
    """Read an organization application (admins)."""
    return application_schema.dump(applications.get_application(application_id, detail=True))


@bp.delete("/organizations/applications/<int:application_id>/")
@doc(status=204)
@auth.admin_required
def delete_application(application_id):
    """Delete an organization application (admins)."""
    applications.delete_application(application_id)
    return "", 204


@bp.put("/organizations/applications/verifications/<int:application_id>/")
@doc(body=DecisionBody, response=DecisionResult, status=201)
@auth.admin_required
def decide_application(application_id):
    """Approve (status 1, answers 201) or reject (status 2, answers 200) an application (admins)."""
    application, org = applications.decide(application_id, load(decision_body)["status"])
    body = with_receivers({"status": application.status}, [application.user_id])
    if org is not None:
        return {**body, "org": org.id}, 201
    return body


# ---- organizations ----------------------------------------------------------------


@bp.get("/organizations/")
@doc(response=OrgSchema, many=True)
@auth.login_required
def list_orgs():
    """List all organizations."""
    return orgs_schema.dump(organizations.list_orgs())


@bp.post("/organizations/")
@doc(body=OrgCreateBody, response=OrgFlatSchema, status=201)
@auth.admin_required
def create_org():
    """Create an organization directly; its owner becomes a manager (admins)."""
    return org_flat_schema.dump(organizations.create_org(load(org_create_body))), 201


@bp.post("/organizations/search/")
@doc(body=SearchBody, response=OrgSchema, many=True)
@auth.login_required
def search_orgs():
    """Search organizations by name."""
    return orgs_schema.dump(organizations.list_orgs(term=search_term(json_body())))


@bp.get("/blocks/organizations/<int:block_id>/")
@doc(response=OrgSchema, many=True)
@auth.login_required
def list_block_orgs(block_id):
    """List the organizations of a block."""
    return orgs_schema.dump(organizations.list_orgs(block_id=block_id))


@bp.post("/blocks/organizations/search/<int:block_id>/")
@doc(body=SearchBody, response=OrgSchema, many=True)
@auth.login_required
def search_block_orgs(block_id):
    """Search the organizations of a block by name."""
    return orgs_schema.dump(organizations.list_orgs(term=search_term(json_body()), block_id=block_id))


@bp.get("/organizations/<int:org_id>/")
@doc(response=OrgSchema)
@auth.login_required
def get_org(org_id):
    """Read an organization (404 for an unknown id, which the app relies on)."""
    return org_schema.dump(organizations.get_org(org_id, detail=True))


@bp.put("/organizations/<int:org_id>/")
@doc(body=OrgUpdateBody, response=OrgSchema)
@auth.login_required
def update_org(org_id):
    """Edit an organization's name, description or avatar (its managers, admins)."""
    changes = load(org_update_body)
    return org_schema.dump(organizations.update_org(auth.principal(), org_id, changes))


@bp.delete("/organizations/<int:org_id>/")
@doc(status=204)
@auth.admin_required
def delete_org(org_id):
    """Delete an organization with its activities (admins)."""
    organizations.delete_org(org_id)
    return "", 204


@bp.post("/organizations/owner/<int:org_id>/")
@doc(body=OwnerBody, response=OwnerResult)
@auth.login_required
def transfer_owner(org_id):
    """Hand an organization to another verified student, who also becomes a manager."""
    owner_id = load(owner_body)["owner"]
    new_owner = organizations.transfer_ownership(auth.principal(), org_id, owner_id)
    return with_receivers({"owner": new_owner.id}, [new_owner.id])


# ---- managers ---------------------------------------------------------------------


@bp.post("/organizations/managers/")
@doc(body=ManagerBody, response=ManagerResult, status=201)
@auth.login_required
def add_manager():
    """Make a verified student a manager of the organization (its owner, admins)."""
    data = load(manager_body)
    row = members.add_manager(auth.principal(), data["org"], data["person"])
    return with_receivers(member_row_schema.dump(row), [row.user_id]), 201


@bp.delete("/organizations/managers/")
@doc(query=MemberQuery, response=ReceiversResult)
@auth.login_required
def remove_manager():
    """Remove a manager, `?user=&org=` (the owner, admins); the owner stays a manager."""
    args = load(member_query, query_params())
    members.remove_manager(auth.principal(), args["org"], args["user"])
    return with_receivers({}, [args["user"]])


@bp.get("/organizations/managers/<int:org_id>/")
@doc(response=PersonWrapSchema, many=True)
@auth.login_required
def list_managers(org_id):
    """The organization's managers as `[{person}]`, owner first."""
    return person_wraps_schema.dump(members.managers_of(org_id))


@bp.get("/users/managed_organizations/<int:user_id>/")
@doc(response=OrgWrapSchema, many=True)
@auth.login_required
def list_managed_orgs(user_id):
    """The organizations a user manages as `[{org}]` (the user, admins)."""
    auth.require_self_or_admin(user_id)
    return org_wraps_schema.dump(members.managed_rows(user_id))


@bp.post("/users/managed_organizations/search/<int:user_id>/")
@doc(body=SearchBody, response=OrgWrapSchema, many=True)
@auth.login_required
def search_managed_orgs(user_id):
    """Search the organizations a user manages by name (the user, admins)."""
    auth.require_self_or_admin(user_id)
    return org_wraps_schema.dump(members.managed_rows(user_id, search_term(json_body())))


# ---- follows ----------------------------------------------------------------------


@bp.post("/users/followed_organizations/")
@doc(body=FollowBody, response=MemberRowSchema, status=201)
@auth.login_required
def follow_org():
    """Follow an organization; a second follow is 400 `non_field_errors` (the app's "done")."""
    data = load(follow_body)
    user = auth.current_user()
    if user is not None and "person" in data:
        auth.require_self(data["person"])
    return member_row_schema.dump(members.follow(data["org"], user, data.get("person"))), 201


@bp.delete("/users/followed_organizations/")
@doc(query=MemberQuery, status=204)
@auth.login_required
def unfollow_org():
    """Stop following, `?user=&org=` (the user, admins); idempotent."""
    args = load(member_query, query_params())
    auth.require_self_or_admin(args["user"])
    members.unfollow(args["org"], args["user"])
    return "", 204


@bp.get("/users/followed_organizations/<int:user_id>/")
@doc(response=OrgWrapSchema, many=True)
@auth.login_required
def list_followed_orgs(user_id):
    """The organizations a user follows as `[{org}]` (the user, admins)."""
    auth.require_self_or_admin(user_id)
    return org_wraps_schema.dump(members.followed_rows(user_id))


@bp.post("/userOrgRelation/")
@doc(body=OrgRelationBody, response=OrgRelationResult)
@auth.user_required
def org_relation():
    """The caller's `{isFollower, isManager, isOwner}` for an organization."""
    data = load(relation_body)
    if "user" in data:
        auth.require_self(data["user"])
    return members.relation(data["org"], auth.current_user().id)
