"""Blocks, categories and addresses: the catalog activities and organizations refer to.

Deleting never removes an activity: a block in use or an address in use refuses
(RESTRICT), a category's activities keep existing without a type (SET NULL).
"""

from sqlalchemy import delete, exists, select, update
from sqlalchemy.exc import IntegrityError

from reedsailing.core.errors import ApiError, bad_request, not_found
from reedsailing.extensions import db
from reedsailing.models import Activity, Address, Block, Category
from reedsailing.models.blocks import SEED_BLOCKS
from reedsailing.organizations.services import block_in_use


def _name_error(message):
    return ApiError(400, message, name=[message])


def get(model, pk, what):
    row = db.session.get(model, pk)
    if row is None:
        raise not_found(f"未找到该{what}。")
    return row


def _save_named(row, message):
    """Commit a row with a unique `name`; a clash (even a concurrent one) is 400 `name`."""
    try:
        db.session.commit()
    except IntegrityError as error:
        db.session.rollback()
        raise _name_error(message) from error
    return row


def _taken(model, name, except_id=None):
    condition = [model.name == name]
    if except_id is not None:
        condition.append(model.id != except_id)
    return db.session.scalar(select(exists().where(*condition)))


BLOCK_TAKEN = "已经存在该名称的版块。"
CATEGORY_TAKEN = "已经存在该名称的分类。"


def save_block(name, block=None):
    """Create a block, or rename one (renaming to its own name is fine)."""
    if _taken(Block, name, block.id if block else None):
        raise _name_error(BLOCK_TAKEN)
    if block is None:
        block = Block(name=name)
        db.session.add(block)
    block.name = name
    return _save_named(block, BLOCK_TAKEN)


def delete_block(block):
    if block.id in SEED_BLOCKS:
        raise bad_request("固定版块（1-5）是小程序写死的，不能删除。")
    if block_in_use(block.id):
        raise bad_request("该版块下仍有组织、活动或组织申请，不能删除。")
    try:
        db.session.execute(delete(Block).where(Block.id == block.id))
        db.session.commit()
    except IntegrityError as error:  # something moved in meanwhile (FK RESTRICT)
        db.session.rollback()
        raise bad_request("该版块下仍有组织、活动或组织申请，不能删除。") from error


def save_category(name, category=None):
    if _taken(Category, name, category.id if category else None):
        raise _name_error(CATEGORY_TAKEN)
    if category is None:
        category = Category(name=name)
        db.session.add(category)
    category.name = name
    return _save_named(category, CATEGORY_TAKEN)


def delete_category(category):
    """The category's activities stay, without a type (also what the FK's SET NULL does)."""
    db.session.execute(update(Activity).where(Activity.category_id == category.id).values(category_id=None))
    db.session.execute(delete(Category).where(Category.id == category.id))
    db.session.commit()


ADDRESS_IN_USE = "该地址仍被活动使用，不能删除。"


def save_address(data, address=None):
    if address is None:
        address = Address()
        db.session.add(address)
    for key, value in data.items():
        setattr(address, key, value)
    db.session.commit()
    return address


def delete_address(address):
    if db.session.scalar(select(exists().where(Activity.address_id == address.id))):
        raise bad_request(ADDRESS_IN_USE)
    try:
        db.session.execute(delete(Address).where(Address.id == address.id))
        db.session.commit()
    except IntegrityError as error:  # an activity took it meanwhile (FK RESTRICT)
        db.session.rollback()
        raise bad_request(ADDRESS_IN_USE) from error
