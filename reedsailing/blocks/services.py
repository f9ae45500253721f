"""Blocks, categories and addresses: the catalog activities and organizations refer to.

Deleting never removes an activity: a block in use or an address in use refuses
(RESTRICT), a category's activities keep existing without a type (SET NULL).
"""

from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import delete, exists, select, update

from reedsailing.core.db import flush_or, get_or_404
from reedsailing.core.errors import bad_request, field_error, forbidden, required_text
from reedsailing.core.queries import paginate
from reedsailing.extensions import db
from reedsailing.models import Activity, Address, Block, Category, Organization, OrgApplication
from reedsailing.models.blocks import SEED_BLOCKS
from reedsailing.security.principal import Principal

Named = TypeVar("Named", Block, Category)

BLOCK_TAKEN = "已经存在该名称的版块。"
CATEGORY_TAKEN = "已经存在该名称的分类。"
BLOCK_IN_USE = "该版块下仍有组织、活动或组织申请，不能删除。"
ADDRESS_IN_USE = "该地址仍被活动使用，不能删除。"
BLOCK_NOT_FOUND = "未找到该版块。"
CATEGORY_NOT_FOUND = "未找到该分类。"
ADDRESS_NOT_FOUND = "未找到该地址。"


def catalog(model: type[Named] | type[Address]) -> Sequence[Any]:
    """One page (`?limit=&offset=`) of blocks, categories or addresses, by id."""
    return db.session.scalars(paginate(select(model).order_by(model.id))).all()


def _save_named(model: type[Named], name: str, row: Named | None, taken: str) -> Named:
    """Create a row with a unique `name`, or rename one (its own name is fine).

    A clash, even a concurrent one the check did not see, is 400 `name`.
    """
    name = required_text(name)
    condition = [model.name == name]
    if row is not None:
        condition.append(model.id != row.id)
    if db.session.scalar(select(exists().where(*condition))):
        raise field_error("name", taken)
    if row is None:
        row = model(name=name)
        db.session.add(row)
    row.name = name
    flush_or(field_error("name", taken))
    return row


# ---- blocks -----------------------------------------------------------------------


def save_block(name: str, block_id: int | None = None) -> Block:
    """Create a block, or rename block `block_id`."""
    block = None if block_id is None else get_or_404(Block, block_id, BLOCK_NOT_FOUND)
    return _save_named(Block, name, block, BLOCK_TAKEN)


def block_in_use(block_id: int) -> bool:
    """True when organizations, activities or applications still belong to the block."""
    return bool(
        db.session.scalar(
            select(
                exists().where(Organization.block_id == block_id)
                | exists().where(Activity.block_id == block_id)
                | exists().where(OrgApplication.block_id == block_id)
            )
        )
    )


def delete_block(block_id: int) -> None:
    block = get_or_404(Block, block_id, BLOCK_NOT_FOUND)
    if block.id in SEED_BLOCKS:
        raise bad_request("固定版块（1-5）是小程序写死的，不能删除。")
    if block_in_use(block.id):
        raise bad_request(BLOCK_IN_USE)
    db.session.execute(delete(Block).where(Block.id == block.id))
    flush_or(bad_request(BLOCK_IN_USE))  # something moved in meanwhile (FK RESTRICT)


# ---- categories -------------------------------------------------------------------


def require_shared_writer(principal: Principal) -> None:
    """New categories and addresses are seen by every student: admins and verified
    students add them (README "Security"; each also rate-limited)."""
    if not principal.is_admin and (principal.user is None or not principal.user.verified):
        raise forbidden("请先完成邮箱认证。")


def add_category(principal: Principal, name: str) -> Category:
    """A student or admin adds a category (`require_shared_writer`)."""
    require_shared_writer(principal)
    return save_category(name)


def add_address(principal: Principal, data: dict[str, Any]) -> Address:
    """A student or admin adds an address (`require_shared_writer`)."""
    require_shared_writer(principal)
    return save_address(data)


def save_category(name: str, category_id: int | None = None) -> Category:
    """Create a category, or rename category `category_id`."""
    category = None if category_id is None else get_or_404(Category, category_id, CATEGORY_NOT_FOUND)
    return _save_named(Category, name, category, CATEGORY_TAKEN)


def delete_category(category_id: int) -> None:
    """The category's activities stay, without a type (also what the FK's SET NULL does)."""
    category = get_or_404(Category, category_id, CATEGORY_NOT_FOUND)
    db.session.execute(update(Activity).where(Activity.category_id == category.id).values(category_id=None))
    db.session.execute(delete(Category).where(Category.id == category.id))
    db.session.flush()


# ---- addresses --------------------------------------------------------------------


def save_address(data: dict[str, Any], address_id: int | None = None) -> Address:
    """Create an address, or edit one (`address_id`; `data` may be partial)."""
    if address_id is None:
        address = Address()
        db.session.add(address)
    else:
        address = get_or_404(Address, address_id, ADDRESS_NOT_FOUND)
    for key, value in data.items():
        setattr(address, key, value)
    db.session.flush()
    return address


def delete_address(address_id: int) -> None:
    address = get_or_404(Address, address_id, ADDRESS_NOT_FOUND)
    if db.session.scalar(select(exists().where(Activity.address_id == address.id))):
        raise bad_request(ADDRESS_IN_USE)
    db.session.execute(delete(Address).where(Address.id == address.id))
    flush_or(bad_request(ADDRESS_IN_USE))  # an activity took it meanwhile (FK RESTRICT)
