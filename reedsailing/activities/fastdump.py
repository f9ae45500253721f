"""The `ActivitySchema` answer shape, built straight from one Core SELECT.

Why: the hot lists (a block's status partition: 250 activities; a search: ~300) spent
~45% of their time in marshmallow and ~35% hydrating ORM objects through five joined
eager loads (py-spy, bench/RESULTS.md). This reads the same columns in the same one
query as `loading.activities_select()` and builds the same dicts by hand, dumping each
nested owner / type / org / location / block once per request. `ActivitySchema` stays
the reference (and the OpenAPI shape); tests/test_bench_fastdump.py checks both agree.
"""

from decimal import Decimal

from sqlalchemy import select

from reedsailing.core.errors import not_found
from reedsailing.core.schemas import mask_email
from reedsailing.extensions import db
from reedsailing.models import Activity, Address, Block, Category, Organization, User

_QUANTUM = Decimal(1).scaleb(-6)  # DecimalString(places=6) of AddressSchema

_a = Activity.__table__
_u = User.__table__.alias("fd_owner")
_c = Category.__table__.alias("fd_type")
_o = Organization.__table__.alias("fd_org")
_l = Address.__table__.alias("fd_location")
_b = Block.__table__.alias("fd_block")

_COLUMNS = (
    _a.c.id,
    _a.c.name,
    _a.c.begin_time,
    _a.c.end_time,
    _a.c.pub_time,
    _a.c.contain,
    _a.c.description,
    _a.c.review,
    _a.c.avatar,
    _a.c.keywords,
    _a.c.owner_id,
    _a.c.category_id,
    _a.c.org_id,
    _a.c.address_id,
    _a.c.block_id,
    _u.c.name.label("u_name"),
    _u.c.avatar.label("u_avatar"),
    _u.c.email.label("u_email"),
    _u.c.sign.label("u_sign"),
    _u.c.contact.label("u_contact"),
    _u.c.follow_boya.label("u_follow_boya"),
    _c.c.name.label("c_name"),
    _o.c.name.label("o_name"),
    _o.c.description.label("o_description"),
    _o.c.create_time.label("o_create_time"),
    _o.c.avatar.label("o_avatar"),
    _o.c.owner_id.label("o_owner"),
    _o.c.block_id.label("o_block"),
    _l.c.name.label("l_name"),
    _l.c.longitude.label("l_longitude"),
    _l.c.latitude.label("l_latitude"),
    _b.c.name.label("b_name"),
)


def activity_rows_select():
    """`SELECT` the columns of an activity answer; filter and order it like
    `activities_select()` (its FROM is the activities table, so `Activity.x` works)."""
    return select(*_COLUMNS).select_from(
        _a.outerjoin(_u, _u.c.id == _a.c.owner_id)
        .outerjoin(_c, _c.c.id == _a.c.category_id)
        .outerjoin(_o, _o.c.id == _a.c.org_id)
        .outerjoin(_l, _l.c.id == _a.c.address_id)
        .outerjoin(_b, _b.c.id == _a.c.block_id)
    )


def fetch(statement):
    """The rows of an `activity_rows_select()` (they have `.begin_time`/`.end_time`,
    so `loading.partition` accepts them). On the session's connection: a Core select
    gains nothing from the ORM's result layer (~10% of a search, py-spy)."""
    return db.session.connection().execute(statement).all()


def _time(value):
    # == timeutil.format_time for the years the system accepts (1900-9999), ~3x faster.
    return value.isoformat(timespec="seconds") if value is not None else None


def _decimal(value):
    return None if value is None else str(Decimal(value).quantize(_QUANTUM))


def _int(value):
    return None if value is None else int(value)


def _bool(value):
    return None if value is None else bool(value)


class Dumper:
    """Dumps rows; nested objects are built once per id and shared between rows."""

    def __init__(self):
        self.owners, self.types, self.orgs, self.locations, self.blocks = {}, {}, {}, {}, {}

    def one(self, row):
        owner_id, category_id, org_id, address_id, block_id = (
            row.owner_id,
            row.category_id,
            row.org_id,
            row.address_id,
            row.block_id,
        )
        owner = self.owners.get(owner_id)
        if owner is None and row.u_name is not None:
            owner = self.owners[owner_id] = {
                "id": owner_id,
                "name": row.u_name,
                "avatar": row.u_avatar,
                "email": mask_email(row.u_email),
                "sign": row.u_sign,
                "contact": row.u_contact,
                "follow_boya": _bool(row.u_follow_boya),
            }
        category = self.types.get(category_id)
        if category is None and category_id is not None and row.c_name is not None:
            category = self.types[category_id] = {"id": category_id, "name": row.c_name}
        org = self.orgs.get(org_id)
        if org is None and org_id is not None and row.o_name is not None:
            org = self.orgs[org_id] = {
                "id": org_id,
                "name": row.o_name,
                "description": row.o_description,
                "create_time": _time(row.o_create_time),
                "avatar": row.o_avatar,
                "owner": _int(row.o_owner),
                "block": _int(row.o_block),
            }
        location = self.locations.get(address_id)
        if location is None and row.l_name is not None:
            location = self.locations[address_id] = {
                "id": address_id,
                "name": row.l_name,
                "longitude": _decimal(row.l_longitude),
                "latitude": _decimal(row.l_latitude),
            }
        block = self.blocks.get(block_id)
        if block is None and row.b_name is not None:
            block = self.blocks[block_id] = {"id": block_id, "name": row.b_name}
        return {
            "id": row.id,
            "name": row.name,
            "begin_time": _time(row.begin_time),
            "end_time": _time(row.end_time),
            "pub_time": _time(row.pub_time),
            "contain": _int(row.contain),
            "description": row.description,
            "review": _bool(row.review),
            "avatar": row.avatar,
            "keywords": row.keywords,
            "owner": owner,
            "type": category,
            "org": org,
            "location": location,
            "block": block,
        }

    def many(self, rows):
        return [self.one(row) for row in rows]


def activity_answer(act_id):
    """`ActivitySchema().dump(load_activity(act_id))`, cheaper (the detail route), or 404."""
    row = db.session.connection().execute(activity_rows_select().where(_a.c.id == act_id)).first()
    if row is None:
        raise not_found("未找到该活动。")
    return Dumper().one(row)
