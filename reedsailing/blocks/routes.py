"""Blocks (版块), activity categories and addresses (docs/api.md §7).

Anyone logged in reads them; admins write blocks; any logged-in user may create a
category or an address (the app does it while creating an activity); admins edit and
delete them."""

from flask import Blueprint
from sqlalchemy import select

from reedsailing.blocks import services
from reedsailing.core import auth
from reedsailing.core.apidoc import doc
from reedsailing.core.errors import ApiError
from reedsailing.core.fields import DecimalString, Schema, Text
from reedsailing.core.http import load
from reedsailing.core.queries import paginate
from reedsailing.core.schemas import AddressSchema, BlockSchema, CategorySchema, EmptySchema
from reedsailing.extensions import db
from reedsailing.models import Address, Block, Category

bp = Blueprint("blocks", __name__, url_prefix="/api")


class NameBody(Schema):
    name = Text(50, min_length=1, required=True)


class AddressBody(Schema):
    name = Text(50, min_length=1, required=True)
    longitude = DecimalString(minimum=-180, maximum=180, required=True)
    latitude = DecimalString(minimum=-90, maximum=90, required=True)


name_body = NameBody()
address_body = AddressBody()
address_update_body = AddressBody(partial=True)
block_schema = BlockSchema()
blocks_schema = BlockSchema(many=True)
category_schema = CategorySchema()
categories_schema = CategorySchema(many=True)
address_schema = AddressSchema()
addresses_schema = AddressSchema(many=True)


def _name():
    name = load(name_body)["name"].strip()
    if not name:
        raise ApiError(400, "该字段不能为空。", name=["该字段不能为空。"])
    return name


# ---- blocks -----------------------------------------------------------------------


@bp.get("/blocks/")
@doc(response=BlockSchema, many=True)
@auth.login_required
def list_blocks():
    """List the blocks."""
    return blocks_schema.dump(db.session.scalars(paginate(select(Block).order_by(Block.id))))


@bp.post("/blocks/")
@doc(body=NameBody, response=BlockSchema, status=201)
@auth.admin_required
def create_block():
    """Create a block (admins)."""
    return block_schema.dump(services.save_block(_name())), 201


@bp.get("/blocks/<int:block_id>/")
@doc(response=BlockSchema)
@auth.login_required
def get_block(block_id):
    """Read a block."""
    return block_schema.dump(services.get(Block, block_id, "版块"))


@bp.put("/blocks/<int:block_id>/")
@doc(body=NameBody, response=BlockSchema)
@auth.admin_required
def rename_block(block_id):
    """Rename a block (admins)."""
    block = services.get(Block, block_id, "版块")
    return block_schema.dump(services.save_block(_name(), block))


@bp.delete("/blocks/<int:block_id>/")
@doc(status=204)
@auth.admin_required
def delete_block(block_id):
    """Delete an empty, non-fixed block (admins)."""
    services.delete_block(services.get(Block, block_id, "版块"))
    return "", 204


# ---- categories -------------------------------------------------------------------


@bp.get("/activities/categories/")
@doc(response=CategorySchema, many=True)
@auth.login_required
def list_categories():
    """List the activity categories."""
    return categories_schema.dump(db.session.scalars(paginate(select(Category).order_by(Category.id))))


@bp.post("/activities/categories/")
@doc(body=NameBody, response=CategorySchema, status=201)
@auth.login_required
def create_category():
    """Create a category (names are unique); answers `{id, name}`."""
    return category_schema.dump(services.save_category(_name())), 201


@bp.put("/activities/categories/<int:category_id>/")
@doc(body=NameBody, response=CategorySchema)
@auth.admin_required
def rename_category(category_id):
    """Rename a category (admins)."""
    category = services.get(Category, category_id, "分类")
    return category_schema.dump(services.save_category(_name(), category))


@bp.delete("/activities/categories/<int:category_id>/")
@doc(response=EmptySchema)
@auth.admin_required
def delete_category(category_id):
    """Delete a category; its activities stay, without a type (admins). Answers `{}`."""
    services.delete_category(services.get(Category, category_id, "分类"))
    # 200 `{}` rather than the first version's 204: no client calls this route, and
    # every /api answer is JSON (tests/test_api_common.py).
    return {}


# ---- addresses --------------------------------------------------------------------


@bp.get("/activities/addresses/")
@doc(response=AddressSchema, many=True)
@auth.login_required
def list_addresses():
    """List the addresses."""
    return addresses_schema.dump(db.session.scalars(paginate(select(Address).order_by(Address.id))))


@bp.post("/activities/addresses/")
@doc(body=AddressBody, response=AddressSchema, status=201)
@auth.login_required
def create_address():
    """Create an address `{name, longitude, latitude}` (numbers or numeric strings)."""
    return address_schema.dump(services.save_address(load(address_body))), 201


@bp.put("/activities/addresses/<int:address_id>/")
@doc(body=AddressBody, response=AddressSchema)
@auth.admin_required
def update_address(address_id):
    """Edit an address (admins; partial)."""
    address = services.get(Address, address_id, "地址")
    return address_schema.dump(services.save_address(load(address_update_body), address))


@bp.delete("/activities/addresses/<int:address_id>/")
@doc(status=204)
@auth.admin_required
def delete_address(address_id):
    """Delete an address no activity uses (admins)."""
    services.delete_address(services.get(Address, address_id, "地址"))
    return "", 204
