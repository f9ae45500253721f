"""Organization applications: a verified student asks, an admin decides (docs/api.md §8).

One pending application per name is the unique `pending_name` index; the decision is
a conditional UPDATE, so of two admins deciding at once exactly one wins.
"""

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import CursorResult, Select, select, update
from sqlalchemy.orm import joinedload

from reedsailing.core.db import flush_or, get_or_404
from reedsailing.core.errors import bad_request, field_error, forbidden, required_text
from reedsailing.core.queries import paginate
from reedsailing.extensions import db
from reedsailing.messages import texts
from reedsailing.messages.services import notify
from reedsailing.models import Organization, OrgApplication, User
from reedsailing.models.organizations import APPROVED, PENDING
from reedsailing.organizations.services.organizations import add_org, refuse_taken_name

APPLICATION_PENDING = "已经存在该名称组织的申请。"
APPLICATION_NOT_FOUND = "未找到该组织申请。"
DETAIL = (joinedload(OrgApplication.user), joinedload(OrgApplication.block))


def apply(user: User, data: dict[str, Any]) -> OrgApplication:
    """A verified student asks for a new organization; one pending application per name."""
    if not user.verified:
        raise forbidden("请先完成邮箱认证再申请创建组织。")
    name = required_text(data["name"])
    refuse_taken_name(name)
    application = OrgApplication(
        name=name,
        pending_name=name,
        description=data["description"],
        user_id=user.id,
        block_id=data["block"],
        status=PENDING,
    )
    db.session.add(application)
    # `pending_name` is unique: another pending application (maybe a concurrent one)
    # already holds this name.
    flush_or(field_error("name", APPLICATION_PENDING))
    return application


def _detail_query(status: int | None) -> Select[OrgApplication]:
    query = select(OrgApplication).options(*DETAIL).order_by(OrgApplication.id)
    if status is not None:
        query = query.where(OrgApplication.status == status)
    return query


def list_applications(status: int | None = None) -> Sequence[OrgApplication]:
    """One page of applications with applicant and block, oldest first."""
    return db.session.scalars(paginate(_detail_query(status))).all()


def pending_applications() -> Sequence[OrgApplication]:
    """Every pending application with applicant and block, oldest first (the CLI)."""
    return db.session.scalars(_detail_query(PENDING)).all()


def get_application(application_id: int, detail: bool = False) -> OrgApplication:
    """The application or 404; `detail=True` also loads applicant and block."""
    return get_or_404(OrgApplication, application_id, APPLICATION_NOT_FOUND, options=DETAIL if detail else ())


def delete_application(application_id: int) -> None:
    db.session.delete(get_application(application_id))
    db.session.flush()


def decide(application_id: int, status: int) -> tuple[OrgApplication, Organization | None]:
    """Approve (1) or reject (2) a pending application; returns (application, org|None).

    Approval creates the organization (applicant = owner and manager, description
    copied) in the same transaction; the applicant is told either way (notice 6).
    """
    application = get_application(application_id)
    flipped = cast(
        CursorResult,
        db.session.execute(
            update(OrgApplication)
            .where(OrgApplication.id == application.id, OrgApplication.status == PENDING)
            .values(status=status, pending_name=None)
        ),
    ).rowcount
    if not flipped:
        raise bad_request("该组织申请已审批。")
    org = None
    if status == APPROVED:
        refuse_taken_name(application.name)
        org = add_org(
            Organization(
                name=application.name,
                description=application.description,
                owner_id=application.user_id,
                block_id=application.block_id,
            )
        )
        notify(texts.ORG_APPLY_RESULT, [application.user_id], org=org, approved=True)
    else:
        # No organization to link: the application lends its name to the text.
        notify(texts.ORG_APPLY_RESULT, [application.user_id], org=application, org_id=None)
    db.session.flush()
    db.session.refresh(application)
    return application, org
