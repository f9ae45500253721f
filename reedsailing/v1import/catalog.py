"""Planning the tables everything else points at: blocks, categories, addresses,
students (with the 博雅 system account), organizations with their managers, followers and
applications, and the console's admins (docs/switch-over.md, "Rules")."""

from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from reedsailing.boya.services import DEFAULT_LATITUDE, DEFAULT_LONGITUDE
from reedsailing.core.legacy_passwords import is_django_hash
from reedsailing.core.timeutil import now
from reedsailing.extensions import db
from reedsailing.models import (
    Address,
    Admin,
    Block,
    Category,
    Follow,
    Organization,
    OrgApplication,
    OrgManager,
    User,
)
from reedsailing.models.blocks import SEED_BLOCKS
from reedsailing.models.organizations import APPROVED, PENDING, REJECTED
from reedsailing.seed import SYSTEM_OPENID
from reedsailing.v1import import rules
from reedsailing.v1import.report import ADDED, CHANGED, LEFT_OUT, MERGED, SKIPPED, Added, TableReport

if TYPE_CHECKING:
    from reedsailing.v1import.run import Planned, Run

NOT_A_TIME = "{} is not a readable time"
# An id here that holds another row than the old one (written here, not imported): the
# old row is not ours to merge into it.
EXISTING_ELSEWHERE = "its id belongs to another {} here"


def limit(model: Any, column: str) -> int:
    return model.__table__.c[column].type.length


def text(value: Any, model: Any, column: str, report: TableReport, old_id: Any) -> str | None:
    """An old text within our column's length (noted when cut)."""
    cleaned, was_cut = rules.cut(rules.as_text(value), limit(model, column))
    if was_cut:
        report.note(CHANGED, f"{column} longer than {limit(model, column)} characters: cut", old_id)
    return cleaned


def picture(imp: "Run", value: Any, model: Any, kind: str, owner_id: int, report: TableReport) -> str | None:
    url, done = imp.media.convert(rules.as_text(value), kind, owner_id)
    if done is not None:
        report.note(CHANGED, done, owner_id)
    if url is not None and len(url) > limit(model, "avatar"):
        report.note(CHANGED, "picture URL too long for the new column: dropped", owner_id)
        return None
    return url


# ---- blocks, categories, addresses ------------------------------------------------------
def blocks(imp: "Run") -> None:
    """Blocks 1-5 are fixed (the app hard-codes ids, names and icons): they keep our
    names. Other blocks are imported, or merged into ours of the same name."""
    report = imp.report.table("BUAA_block", "blocks")
    ours = dict(db.session.execute(select(Block.id, Block.name)).all())
    by_name = {rules.fold(name): block_id for block_id, name in ours.items()}
    ids = imp.ids["blocks"] = {}
    planned: list[Planned] = []
    for old_id, row in imp.rows("BUAA_block", report):
        name = (rules.as_text(row["name"]) or "").strip()
        if old_id in SEED_BLOCKS:
            fixed = SEED_BLOCKS[old_id]
            if name != fixed:
                report.note(
                    CHANGED, f"a fixed block keeps the name the app shows ({old_id} = {fixed})", old_id
                )
            if old_id in ours:
                report.existing += 1
            else:
                planned.append((old_id, {"id": old_id, "name": fixed}, old_id))
            ids[old_id] = old_id
            by_name[rules.fold(fixed)] = old_id
            continue
        if old_id in ours:
            report.existing += 1
            ids[old_id] = old_id
            continue
        name = text(name, Block, "name", report, old_id) or f"版块{old_id}"
        same = by_name.get(rules.fold(name))
        if same is not None:
            report.note(MERGED, "the same name as a block here: its rows go to that block", old_id)
            ids[old_id] = same
            continue
        planned.append((old_id, {"id": old_id, "name": name}, old_id))
        ids[old_id] = old_id
        by_name[rules.fold(name)] = old_id
    imp.write(Block, planned, report, imp.forget_id("blocks"))


def categories(imp: "Run") -> None:
    """By name: an old category named like one here (the seeded starter categories) is
    that one; the others keep their id when it is free here, else get a new one."""
    report = imp.report.table("BUAA_category", "categories")
    ours = dict(db.session.execute(select(Category.id, Category.name)).all())
    by_name = {rules.fold(name): category_id for category_id, name in ours.items()}
    ids = imp.ids["categories"] = {}
    planned: list[Planned] = []
    taken = set(ours)
    for old_id, row in imp.rows("BUAA_category", report):
        name = (text(row["name"], Category, "name", report, old_id) or "").strip()
        if not name:
            name = f"分类{old_id}"
            report.note(CHANGED, "empty name: named 分类<id>", old_id)
        same = by_name.get(rules.fold(name))
        if same is not None:
            ids[old_id] = same
            if same == old_id:
                report.existing += 1
            else:
                report.note(MERGED, "the same name as a category here: its activities use that one", old_id)
            continue
        new_id = old_id
        if old_id in taken:
            new_id = imp.allocate("categories", taken)
            report.note(CHANGED, "its id belongs to another category here: a new id", f"{old_id}->{new_id}")
        taken.add(new_id)
        planned.append((old_id, {"id": new_id, "name": name}, old_id))
        ids[old_id] = new_id
        by_name[rules.fold(name)] = new_id
    imp.write(Category, planned, report, imp.forget_id("categories"))


def addresses(imp: "Run") -> None:
    report = imp.report.table("BUAA_address", "addresses")
    ours = set(db.session.scalars(select(Address.id)))
    ids = imp.ids["addresses"] = {}
    planned: list[Planned] = []
    for old_id, row in imp.rows("BUAA_address", report):
        ids[old_id] = old_id
        if old_id in ours:
            report.existing += 1
            continue
        name = (text(row["name"], Address, "name", report, old_id) or "").strip()
        if not name:
            name = "未命名地点"
            report.note(CHANGED, "empty name: named 未命名地点", old_id)
        longitude, latitude = rules.coordinate(row["longitude"], 180), rules.coordinate(row["latitude"], 90)
        if longitude is None or latitude is None:
            longitude, latitude = DEFAULT_LONGITUDE, DEFAULT_LATITUDE
            report.note(CHANGED, "coordinates unreadable or out of range: the 学院路 campus center", old_id)
        elif longitude == 1 and latitude == 1:
            longitude, latitude = DEFAULT_LONGITUDE, DEFAULT_LATITUDE
            report.note(
                CHANGED, "the first 博雅 import's placeholder (1, 1): the 学院路 campus center", old_id
            )
        planned.append(
            (old_id, {"id": old_id, "name": name, "longitude": longitude, "latitude": latitude}, old_id)
        )
    imp.write(Address, planned, report, imp.forget_id("addresses"))


# ---- students ---------------------------------------------------------------------------
def users(imp: "Run") -> None:
    """Students by id; the openid is who they are (the same mini-program's), so an id
    here with another openid, or an openid here under another id, is not theirs."""
    report = imp.report.table("BUAA_wxuser", "users")
    old_ids = {rules.as_id(row["id"]) for row in imp.old["BUAA_wxuser"]} - {None}
    imp.system_id = imp.system_account(report, old_ids)  # type: ignore[arg-type]
    ours: dict[int, str] = {}
    emails: dict[str, int] = {}
    holders = {rules.fold(SYSTEM_OPENID): imp.system_id}
    for user_id, openid, email in db.session.execute(select(User.id, User.openid, User.email)):
        if email:
            emails[email.lower()] = user_id
        if openid != SYSTEM_OPENID:  # at its new id (not written yet in a dry run)
            ours[user_id] = openid
            holders[rules.fold(openid)] = user_id
    ids = imp.ids["users"] = {}
    planned: list[Planned] = []
    for old_id, row in imp.rows("BUAA_wxuser", report):
        openid = rules.as_text(row["openid"]) or ""
        if not openid.strip():
            report.note(SKIPPED, "no openid", old_id)
            continue
        if len(openid) > limit(User, "openid"):
            report.note(
                SKIPPED,
                f"openid longer than {limit(User, 'openid')} characters (no WeChat openid is)",
                old_id,
            )
            continue
        if old_id in ours:
            if ours[old_id] == openid:
                report.existing += 1
                ids[old_id] = old_id
            else:
                report.note(SKIPPED, EXISTING_ELSEWHERE.format("student"), old_id)
            continue
        if rules.fold(openid) in holders:
            report.note(SKIPPED, "its openid belongs to another student here", old_id)
            continue
        holders[rules.fold(openid)] = old_id
        name = (text(row["name"], User, "name", report, old_id) or "").strip()
        if not name:
            name = f"同学{old_id}"
            report.note(CHANGED, "empty name: shown as 同学<id> until the student changes it", old_id)
        raw_email = (rules.as_text(row["email"]) or "").strip()
        email = rules.email(raw_email, limit(User, "email"))
        if raw_email and email is None:
            report.note(CHANGED, "e-mail unreadable: imported unverified", old_id)
        elif email is not None and email in emails:
            report.note(
                CHANGED,
                "e-mail shared with another student (one per student here): the lowest id keeps it",
                old_id,
            )
            email = None
        elif email is not None:
            emails[email] = old_id
        planned.append(
            (
                old_id,
                {
                    "id": old_id,
                    "openid": openid,
                    "name": name,
                    "avatar": picture(imp, row["avatar"], User, "user", old_id, report),
                    "email": email,
                    "sign": text(row["sign"], User, "sign", report, old_id),
                    "contact": text(row["contact"], User, "contact", report, old_id),
                    "follow_boya": rules.as_bool(row["follow_boya"]),
                    "is_system": False,
                    "created_at": now(),
                },
                old_id,
            )
        )
        ids[old_id] = old_id
    imp.write(User, planned, report, imp.forget_id("users"))


# ---- organizations --------------------------------------------------------------------
def organizations(imp: "Run") -> None:
    report = imp.report.table("BUAA_organization", "organizations")
    ours = dict(db.session.execute(select(Organization.id, Organization.create_time)).all())
    names = {
        rules.fold(name): org_id
        for org_id, name in db.session.execute(select(Organization.id, Organization.name))
    }
    imp.org_owners = dict(db.session.execute(select(Organization.id, Organization.owner_id)).all())
    ids = imp.ids["organizations"] = {}
    planned: list[Planned] = []
    for old_id, row in imp.rows("BUAA_organization", report):
        created = rules.as_time(row["create_time"])
        if created is None:
            report.note(SKIPPED, NOT_A_TIME.format("create_time"), old_id)
            continue
        if old_id in ours:
            if ours[old_id] == created:
                report.existing += 1
                ids[old_id] = old_id
            else:
                report.note(SKIPPED, EXISTING_ELSEWHERE.format("organization"), old_id)
            continue
        owner = imp.ids["users"].get(rules.as_id(row["owner_id"]) or 0)
        block = imp.ids["blocks"].get(rules.as_id(row["block_id"]) or 0)
        if owner is None or block is None:
            report.note(
                SKIPPED,
                "its owner was not imported" if owner is None else "its block was not imported",
                old_id,
            )
            continue
        name = (text(row["name"], Organization, "name", report, old_id) or "").strip()
        if not name:
            name = f"组织{old_id}"
            report.note(CHANGED, "empty name: named 组织<id>", old_id)
        if rules.fold(name) in names:
            suffix = f"#{old_id}"
            name = name[: limit(Organization, "name") - len(suffix)] + suffix
            report.note(CHANGED, "its name belongs to another organization here: renamed <name>#<id>", old_id)
        names[rules.fold(name)] = old_id
        planned.append(
            (
                old_id,
                {
                    "id": old_id,
                    "name": name,
                    "description": text(row["description"], Organization, "description", report, old_id),
                    "create_time": created,
                    "avatar": picture(imp, row["avatar"], Organization, "organization", old_id, report),
                    "owner_id": owner,
                    "block_id": block,
                },
                old_id,
            )
        )
        ids[old_id] = old_id
        imp.org_owners[old_id] = owner
    imp.write(Organization, planned, report, imp.forget_id("organizations"))


def links(imp: "Run", old_table: str, model: Any, what: str) -> tuple[list["Planned"], set[tuple[int, int]]]:
    """Manager or follower rows: one per student and organization (the first version's
    races wrote duplicates; the lowest id stays)."""
    report = imp.report.table(old_table, model.__tablename__)
    ours = set(db.session.execute(select(model.org_id, model.user_id)).tuples())
    taken = set(db.session.scalars(select(model.id)))
    planned: list[Planned] = []
    seen: set[tuple[int, int]] = set()
    for old_id, row in imp.rows(old_table, report):
        org = imp.ids["organizations"].get(rules.as_id(row["org_id"]) or 0)
        person = imp.ids["users"].get(rules.as_id(row["person_id"]) or 0)
        if org is None or person is None:
            report.note(
                SKIPPED,
                "its organization was not imported" if org is None else "its student was not imported",
                old_id,
            )
            continue
        pair = (org, person)
        if pair in ours:
            report.existing += 1
        elif pair in seen:
            report.note(MERGED, f"a second {what} row of the same student and organization", old_id)
        else:
            new_id = old_id
            if old_id in taken:
                new_id = imp.allocate(model.__tablename__, taken)
                report.note(CHANGED, "its id belongs to another row here: a new id", f"{old_id}->{new_id}")
            taken.add(new_id)
            seen.add(pair)
            planned.append((old_id, {"id": new_id, "org_id": org, "user_id": person}, pair))
    return planned, ours | seen


def managers(imp: "Run") -> None:
    """Manager rows, and one for every owner who had none (here the owner is always
    among the managers; the first version's owner transfer did not make one)."""
    planned, present = links(imp, "BUAA_orgmanager", OrgManager, "manager")
    report = imp.report.table("BUAA_orgmanager", "org_managers")
    taken = {row["id"] for _, row, _ in planned} | set(db.session.scalars(select(OrgManager.id)))
    for org in sorted(set(imp.ids["organizations"].values())):
        owner = imp.org_owners.get(org)
        if owner is not None and (org, owner) not in present:
            new_id = imp.allocate("org_managers", taken)
            taken.add(new_id)
            present.add((org, owner))
            report.note(ADDED, "a manager row for an owner who had none (ids of the organizations)", org)
            planned.append(
                (Added(f"owner of {org}"), {"id": new_id, "org_id": org, "user_id": owner}, (org, owner))
            )
    imp.write(OrgManager, planned, report, lambda key: None)


def follows(imp: "Run") -> None:
    planned, _present = links(imp, "BUAA_followedorg", Follow, "follow")
    imp.write(Follow, planned, imp.report.table("BUAA_followedorg", "follows"), lambda key: None)


def applications(imp: "Run") -> None:
    """Organization applications; a status other than 0/1/2 (nothing checked it) is a
    rejection, and only the oldest pending application of a name holds the name."""
    report = imp.report.table("BUAA_orgapplication", "org_applications")
    ours = dict(db.session.execute(select(OrgApplication.id, OrgApplication.pub_time)).all())
    pending = {
        rules.fold(name or "")
        for name in db.session.scalars(
            select(OrgApplication.pending_name).where(OrgApplication.pending_name.is_not(None))
        )
    }
    planned: list[Planned] = []
    for old_id, row in imp.rows("BUAA_orgapplication", report):
        published = rules.as_time(row["pub_time"])
        if published is None:
            report.note(SKIPPED, NOT_A_TIME.format("pub_time"), old_id)
            continue
        if old_id in ours:
            if ours[old_id] == published:
                report.existing += 1
            else:
                report.note(SKIPPED, EXISTING_ELSEWHERE.format("application"), old_id)
            continue
        user = imp.ids["users"].get(rules.as_id(row["user_id"]) or 0)
        block = imp.ids["blocks"].get(rules.as_id(row["block_id"]) or 0)
        if user is None or block is None:
            report.note(
                SKIPPED,
                "its student was not imported" if user is None else "its block was not imported",
                old_id,
            )
            continue
        status = rules.as_int(row["status"])
        if status not in (PENDING, APPROVED, REJECTED):
            status = REJECTED
            report.note(CHANGED, "status none of 0/1/2 (pending/approved/rejected): rejected", old_id)
        name = (text(row["name"], OrgApplication, "name", report, old_id) or "").strip()
        pending_name = None
        if status == PENDING:
            if rules.fold(name) in pending:
                report.note(
                    CHANGED,
                    "a second pending application of one name: pending, the oldest holds the name",
                    old_id,
                )
            else:
                pending_name = name
                pending.add(rules.fold(name))
        planned.append(
            (
                old_id,
                {
                    "id": old_id,
                    "name": name,
                    "description": text(row["description"], OrgApplication, "description", report, old_id)
                    or "",
                    "pub_time": published,
                    "status": status,
                    "pending_name": pending_name,
                    "user_id": user,
                    "block_id": block,
                },
                old_id,
            )
        )
    imp.write(OrgApplication, planned, report, lambda key: None)


# ---- admins -----------------------------------------------------------------------------
def admins(imp: "Run") -> None:
    """The console's super admins: an `auth_user` row with its `BUAA_superadmin` row.
    Their Django password hashes are kept: the console checks them and replaces each
    by ours at its first login (core/legacy_passwords.py)."""
    report = imp.report.table("auth_user", "admins")
    pictures = {}
    for old_id, row in imp.rows(
        "BUAA_superadmin", TableReport("BUAA_superadmin", "admins"), key="user_ptr_id"
    ):
        pictures[old_id] = row["avatar"]
    users_seen = {rules.as_id(row["id"]) for row in imp.old["auth_user"]}
    for old_id in pictures:
        if old_id not in users_seen:
            report.note(SKIPPED, "a BUAA_superadmin row without its auth_user row", f"superadmin {old_id}")
    ours = {rules.fold(name) for name in db.session.scalars(select(Admin.username))}
    taken = set(db.session.scalars(select(Admin.id)))
    planned: list[Planned] = []
    for old_id, row in imp.rows("auth_user", report):
        if old_id not in pictures:
            report.note(LEFT_OUT, "a Django user without a BUAA_superadmin row (no console admin)", old_id)
            continue
        if not rules.as_bool(row["is_active"]):
            report.note(LEFT_OUT, "inactive: the first version refused its login", old_id)
            continue
        username = (rules.as_text(row["username"]) or "").strip()
        if not username or len(username) > limit(Admin, "username"):
            report.note(SKIPPED, "no username, or a longer one than 150 characters", old_id)
            continue
        if rules.fold(username) in ours:
            report.existing += 1
            continue
        ours.add(rules.fold(username))
        password = rules.as_text(row["password"]) or "!"
        if not is_django_hash(password):
            report.note(
                CHANGED, "a password the console cannot check: give one with `admins reset-password`", old_id
            )
        new_id = old_id
        if old_id in taken:
            new_id = imp.allocate("admins", taken)
            report.note(CHANGED, "its id belongs to another admin here: a new id", f"{old_id}->{new_id}")
        taken.add(new_id)
        planned.append(
            (
                old_id,
                {
                    "id": new_id,
                    "username": username,
                    "password_hash": password,
                    "email": rules.email(row["email"], limit(Admin, "email")),
                    "avatar": picture(imp, pictures[old_id], Admin, "admin", old_id, report),
                    "created_at": rules.as_time(row["date_joined"]) or now(),
                },
                old_id,
            )
        )
    imp.write(Admin, planned, report, lambda key: None)
    imp.progress.update(len(imp.old["BUAA_superadmin"]))  # read with auth_user


STEPS = (blocks, categories, addresses, users, organizations, managers, follows, applications, admins)
