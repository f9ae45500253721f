from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import DateTime, ForeignKey, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from reedsailing.core.timeutil import now
from reedsailing.extensions import Model

if TYPE_CHECKING:
    from reedsailing.models.users import User

PENDING, APPROVED, REJECTED = 0, 1, 2


class Organization(Model):
    """A club, union branch or volunteer team (组织), created by an approved application."""

    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)
    description: Mapped[str | None] = mapped_column(String(500))
    create_time: Mapped[datetime] = mapped_column(DateTime, default=now)
    avatar: Mapped[str | None] = mapped_column(String(500))
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    block_id: Mapped[int] = mapped_column(ForeignKey("blocks.id", ondelete="RESTRICT"), index=True)

    owner = relationship("User", lazy="raise_on_sql")
    block = relationship("Block", lazy="raise_on_sql")


class OrgMembership:
    """A student linked to an organization, at most once: the columns managers and
    followers share."""

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)

    @declared_attr.directive
    def __table_args__(cls) -> tuple[UniqueConstraint]:  # a constraint object per table
        return (UniqueConstraint("org_id", "user_id"),)

    @declared_attr
    def org(cls) -> Mapped["Organization"]:
        return relationship("Organization", lazy="raise_on_sql")

    @declared_attr
    def user(cls) -> Mapped["User"]:
        return relationship("User", lazy="raise_on_sql")


class OrgManager(OrgMembership, Model):
    """A manager of an organization (the owner always has one too)."""

    __tablename__ = "org_managers"


class Follow(OrgMembership, Model):
    """A student following an organization."""

    __tablename__ = "follows"


class OrgApplication(Model):
    """A student's request to create an organization, decided by a super admin."""

    __tablename__ = "org_applications"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    description: Mapped[str] = mapped_column(String(500))
    pub_time: Mapped[datetime] = mapped_column(DateTime, default=now)
    status: Mapped[int] = mapped_column(SmallInteger, default=PENDING)
    # Equals `name` while pending and NULL afterwards: the unique index allows one
    # pending application per name while keeping any number of decided ones.
    pending_name: Mapped[str | None] = mapped_column(String(50), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    block_id: Mapped[int] = mapped_column(ForeignKey("blocks.id", ondelete="RESTRICT"), index=True)

    user = relationship("User", lazy="raise_on_sql")
    block = relationship("Block", lazy="raise_on_sql")
