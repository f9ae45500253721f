"""Create, read, edit and delete one activity; the console's list and search."""

from reedsailing.activities import listing, publishing
from reedsailing.activities.fastdump import activity_answer
from reedsailing.activities.loading import load_activity
from reedsailing.activities.routes import bp
from reedsailing.activities.schemas import (
    ActivityCreateBody,
    ActivityUpdateBody,
    ActivityWithReceivers,
    ActReceiversResult,
    activity_schema,
)
from reedsailing.core import auth
from reedsailing.core.apidoc import doc
from reedsailing.core.http import json_body, load
from reedsailing.core.queries import SearchBody, search_term
from reedsailing.core.schemas import ActivitySchema

create_body = ActivityCreateBody()
update_body = ActivityUpdateBody()


@bp.get("/activities/")
@doc(response=ActivitySchema, many=True)
@auth.login_required
def list_activities():
    """List all activities (`?limit=&offset=` optional)."""
    return listing.all_activities()


@bp.post("/activities/")
@doc(body=ActivityCreateBody, response=ActivitySchema, status=201)
@auth.login_required
def create_activity():
    """Publish an activity; answers it with its new id (a body `id` is ignored)."""
    data = load(create_body)
    act_id = publishing.create_activity(auth.current_user(), auth.current_admin(), data)
    return activity_schema.dump(load_activity(act_id)), 201


@bp.post("/activities/search/")
@doc(body=SearchBody, response=ActivitySchema, many=True)
@auth.login_required
def search_activities():
    """Search all activities by name (case-insensitive substring)."""
    return listing.all_activities(search_term(json_body()))


@bp.get("/activities/<int:act_id>/")
@doc(response=ActivitySchema)
@auth.login_required
def get_activity(act_id):
    """Read an activity with its owner, type, org, location and block."""
    return activity_answer(act_id)


@bp.put("/activities/<int:act_id>/")
@doc(body=ActivityUpdateBody, response=ActivityWithReceivers)
@auth.login_required
def update_activity(act_id):
    """Edit name, times, contain, description, type and location; tells the participants."""
    data = load(update_body)
    receivers = publishing.update_activity(auth.current_user(), auth.current_admin(), act_id, data)
    return {**activity_schema.dump(load_activity(act_id)), "__receivers__": receivers}


@bp.delete("/activities/<int:act_id>/")
@doc(response=ActReceiversResult)
@auth.login_required
def delete_activity(act_id):
    """Cancel an activity; its participants get a notice first."""
    receivers = publishing.delete_activity(auth.current_user(), auth.current_admin(), act_id)
    return {"__receivers__": receivers}
