"""Organizations and their applications (docs/api.md §8). Managers, follows and feedback are in the sibling `*_routes` modules,
which add their views to this blueprint."""

from flask import Blueprint, request
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from reedsailing.core import auth
from reedsailing.core.apidoc import doc
from reedsailing.core.errors import forbidden, not_found
from reedsailing.core.http import json_body, load
from reedsailing.core.permissions import is_org_manager
from reedsailing.core.queries import SearchBody, contains, paginate, search_term
from reedsailing.core.schemas import OrgFlatSchema, OrgSchema, org_schema, orgs_schema
from reedsailing.extensions import db
from reedsailing.models import Block, Organization, OrgApplication
from reedsailing.organizations import services
from reedsailing.organizations.schemas import (
    ApplicationBody,
    ApplicationFlatSchema,
    ApplicationQuery,
    ApplicationSchema,
    DecisionBody,
    DecisionResult,
    OrgCreateBody,
    OrgUpdateBody,
    OwnerBody,
    OwnerResult,
)

bp = Blueprint("organizations", __name__, url_prefix="/api")
application_body = ApplicationBody()
decision_body = DecisionBody()
application_query = ApplicationQuery()
org_create_body = OrgCreateBody()
org_update_body = OrgUpdateBody(partial=True)
owner_body = OwnerBody()
application_flat_schema = ApplicationFlatSchema()
application_schema = ApplicationSchema()
applications_schema = ApplicationSchema(many=True)
org_flat_schema = OrgFlatSchema()


# ---- applications -----------------------------------------------------------------


@bp.post("/organizations/applications/")
@doc(body=ApplicationBody, response=ApplicationFlatSchema, status=201)
@auth.user_required
def apply_for_org():
    """Apply to create an organization (verified students; an admin decides)."""
    data = load(application_body)
    if "user" in data:
        auth.require_self(data["user"])
    application = services.apply(auth.current_user(), data)
    return application_flat_schema.dump(application), 201


@bp.get("/organizations/applications/")
@doc(query=ApplicationQuery, response=ApplicationSchema, many=True)
@auth.admin_required
def list_applications():
    """List organization applications, optionally `?status=0|1|2` (admins)."""
    args = application_query.load(request.args)
    query = select(OrgApplication).options(joinedload(OrgApplication.user), joinedload(OrgApplication.block))
    if "status" in args:
        query = query.where(OrgApplication.status == args["status"])
    return applications_schema.dump(db.session.scalars(paginate(query.order_by(OrgApplication.id))))


@bp.get("/organizations/applications/<int:application_id>/")
@doc(response=ApplicationSchema)
@auth.admin_required
def get_application(application_id):
    """Read an organization application (admins)."""
    return application_schema.dump(services.get_application(application_id, detail=True))


@bp.delete("/organizations/applications/<int:application_id>/")
@doc(status=204)
@auth.admin_required
def delete_application(application_id):
    """Delete an organization application (admins)."""
    db.session.delete(services.get_application(application_id))
    db.session.commit()
    return "", 204


@bp.put("/organizations/applications/verifications/<int:application_id>/")
@doc(body=DecisionBody, response=DecisionResult, status=201)
@auth.admin_required
def decide_application(application_id):
    """Approve (status 1, answers 201) or reject (status 2, answers 200) an application (admins)."""
    status = load(decision_body)["status"]
    application, org = services.decide(application_id, status)
    body = {"status": application.status, "__receivers__": [application.user_id]}
    if org is not None:
        body["org"] = org.id
        return body, 201
    return body


# ---- organizations ----------------------------------------------------------------


def _org_list(query):
    return orgs_schema.dump(db.session.scalars(paginate(query.order_by(Organization.id))))


@bp.get("/organizations/")
@doc(response=OrgSchema, many=True)
@auth.login_required
def list_orgs():
    """List all organizations."""
    return _org_list(services.org_query())


@bp.post("/organizations/")
@doc(body=OrgCreateBody, response=OrgFlatSchema, status=201)
@auth.admin_required
def create_org():
    """Create an organization directly; its owner becomes a manager (admins)."""
    return org_flat_schema.dump(services.create_org(load(org_create_body))), 201


@bp.post("/organizations/search/")
@doc(body=SearchBody, response=OrgSchema, many=True)
@auth.login_required
def search_orgs():
    """Search organizations by name."""
    term = search_term(json_body())
    return _org_list(services.org_query().where(contains(Organization.name, term)))


def _block(block_id):
    if db.session.get(Block, block_id) is None:
        raise not_found("未找到版块。")
    return block_id


@bp.get("/blocks/organizations/<int:block_id>/")
@doc(response=OrgSchema, many=True)
@auth.login_required
def list_block_orgs(block_id):
    """List the organizations of a block."""
    _block(block_id)
    return _org_list(services.org_query().where(Organization.block_id == block_id))


@bp.post("/blocks/organizations/search/<int:block_id>/")
@doc(body=SearchBody, response=OrgSchema, many=True)
@auth.login_required
def search_block_orgs(block_id):
    """Search the organizations of a block by name."""
    _block(block_id)
    term = search_term(json_body())
    query = services.org_query().where(Organization.block_id == block_id, contains(Organization.name, term))
    return _org_list(query)


@bp.get("/organizations/<int:org_id>/")
@doc(response=OrgSchema)
@auth.login_required
def get_org(org_id):
    """Read an organization (404 for an unknown id, which the app relies on)."""
    return org_schema.dump(services.get_org(org_id, detail=True))


@bp.put("/organizations/<int:org_id>/")
@doc(body=OrgUpdateBody, response=OrgSchema)
@auth.login_required
def update_org(org_id):
    """Edit an organization's name, description or avatar (its managers, admins)."""
    org = services.get_org(org_id)
    _require_manager(org)
    services.update_org(org, load(org_update_body))
    return org_schema.dump(services.get_org(org_id, detail=True))


@bp.delete("/organizations/<int:org_id>/")
@doc(status=204)
@auth.admin_required
def delete_org(org_id):
    """Delete an organization with its activities (admins)."""
    services.delete_org(services.get_org(org_id))
    return "", 204


@bp.post("/organizations/owner/<int:org_id>/")
@doc(body=OwnerBody, response=OwnerResult)
@auth.login_required
def transfer_owner(org_id):
    """Hand an organization to another verified student, who also becomes a manager."""
    org = services.get_org(org_id)
    _require_owner(org)
    new_owner = services.transfer_ownership(org, load(owner_body)["owner"])
    return {"owner": new_owner.id, "__receivers__": [new_owner.id]}


def _require_manager(org):
    if auth.current_admin() is None and not is_org_manager(auth.current_user().id, org.id):
        raise forbidden("只有组织管理员可以修改组织信息。")


def _require_owner(org):
    if auth.current_admin() is None and auth.current_user().id != org.owner_id:
        raise forbidden("只有组织负责人可以进行此操作。")


# The sibling modules register their views on `bp`; imported last because they import it.
from reedsailing.organizations import feedback_routes, member_routes  # noqa: E402,F401
