"""Blocks (版块), activity categories and addresses (docs/api.md §7).

Anyone logged in reads them; admins write blocks; any logged-in user may create a
category or an address (the app does it while creating an activity); admins edit and
delete them."""

from reedsailing.apidocs.spec import doc
from reedsailing.blocks import services
from reedsailing.blocks.blueprint import bp
from reedsailing.blocks.schemas import AddressBody, NameBody
from reedsailing.core.db import get_or_404
from reedsailing.core.http import load
from reedsailing.core.schemas import AddressSchema, BlockSchema, CategorySchema, EmptySchema
from reedsailing.models import Address, Block, Category
from reedsailing.security import auth
from reedsailing.security.ratelimit import limited

name_body = NameBody()
address_body = AddressBody()
address_update_body = AddressBody(partial=True)
block_schema = BlockSchema()
blocks_schema = BlockSchema(many=True)
category_schema = CategorySchema()
categories_schema = CategorySchema(many=True)
address_schema = AddressSchema()
addresses_schema = AddressSchema(many=True)


# ---- blocks -----------------------------------------------------------------------


@bp.get("/blocks/")
@doc(response=BlockSchema, many=True)
@auth.login_required
def list_blocks():
    """List the blocks."""
    return blocks_schema.dump(services.catalog(Block))


@bp.post("/blocks/")
@doc(body=NameBody, response=BlockSchema, status=201)
@auth.admin_required
def create_block():
    """Create a block (admins)."""
    return block_schema.dump(services.save_block(load(name_body)["name"])), 201


@bp.get("/blocks/<int:block_id>/")
@doc(response=BlockSchema)
@auth.login_required
def get_block(block_id):
    """Read a block."""
    return block_schema.dump(get_or_404(Block, block_id, services.BLOCK_NOT_FOUND))


@bp.put("/blocks/<int:block_id>/")
@doc(body=NameBody, response=BlockSchema)
@auth.admin_required
def rename_block(block_id):
    """Rename a block (admins)."""
    return block_schema.dump(services.save_block(load(name_body)["name"], block_id))


@bp.delete("/blocks/<int:block_id>/")
@doc(status=204)
@auth.admin_required
def delete_block(block_id):
    """Delete an empty, non-fixed block (admins)."""
    services.delete_block(block_id)
    return "", 204


# ---- categories -------------------------------------------------------------------


@bp.get("/activities/categories/")
@doc(response=CategorySchema, many=True)
@auth.login_required
def list_categories():
    """List the activity categories."""
    return categories_schema.dump(services.catalog(Category))


@bp.post("/activities/categories/")
@doc(body=NameBody, response=CategorySchema, status=201, errors=(429,))
@auth.login_required
@limited("shared_writes")
def create_category():
    """Create a category (verified students, admins; names are unique); answers `{id, name}`."""
    name = load(name_body)["name"]
    return category_schema.dump(services.add_category(auth.principal(), name)), 201


@bp.put("/activities/categories/<int:category_id>/")
@doc(body=NameBody, response=CategorySchema)
@auth.admin_required
def rename_category(category_id):
    """Rename a category (admins)."""
    return category_schema.dump(services.save_category(load(name_body)["name"], category_id))


@bp.delete("/activities/categories/<int:category_id>/")
@doc(response=EmptySchema)
@auth.admin_required
def delete_category(category_id):
    """Delete a category; its activities stay, without a type (admins). Answers `{}`."""
    services.delete_category(category_id)
    # 200 `{}` rather than the first version's 204: no client calls this route, and
    # every /api answer is JSON (tests/test_api_common.py).
    return {}


# ---- addresses --------------------------------------------------------------------


@bp.get("/activities/addresses/")
@doc(response=AddressSchema, many=True)
@auth.login_required
def list_addresses():
    """List the addresses."""
    return addresses_schema.dump(services.catalog(Address))


@bp.post("/activities/addresses/")
@doc(body=AddressBody, response=AddressSchema, status=201, errors=(429,))
@auth.login_required
@limited("shared_writes")
def create_address():
    """Create an address `{name, longitude, latitude}` (verified students, admins)."""
    data = load(address_body)
    return address_schema.dump(services.add_address(auth.principal(), data)), 201


@bp.put("/activities/addresses/<int:address_id>/")
@doc(body=AddressBody, response=AddressSchema)
@auth.admin_required
def update_address(address_id):
    """Edit an address (admins; partial)."""
    return address_schema.dump(services.save_address(load(address_update_body), address_id))


@bp.delete("/activities/addresses/<int:address_id>/")
@doc(status=204)
@auth.admin_required
def delete_address(address_id):
    """Delete an address no activity uses (admins)."""
    services.delete_address(address_id)
    return "", 204
