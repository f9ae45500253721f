from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from reedsailing.core.timeutil import now
from reedsailing.extensions import Model


class Category(Model):
    """An activity category (活动分类)."""

    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)


class Address(Model):
    """A place on the map (活动地址)."""

    __tablename__ = "addresses"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50), index=True)
    longitude: Mapped[Decimal] = mapped_column(Numeric(10, 6))
    latitude: Mapped[Decimal] = mapped_column(Numeric(10, 6))


class Activity(Model):
    __tablename__ = "activities"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    begin_time: Mapped[datetime] = mapped_column(DateTime, index=True)
    end_time: Mapped[datetime] = mapped_column(DateTime, index=True)
    pub_time: Mapped[datetime] = mapped_column(DateTime, default=now, index=True)
    contain: Mapped[int] = mapped_column(Integer)
    # Kept equal to the number of participations by the join/leave services; the
    # capacity check is a conditional UPDATE on it, so it cannot overbook.
    joined_count: Mapped[int] = mapped_column(Integer, default=0)
    description: Mapped[str | None] = mapped_column(String(2000))
    review: Mapped[bool] = mapped_column(Boolean, default=False)
    avatar: Mapped[str | None] = mapped_column(String(500))
    # Space-separated jieba keywords of name + description, computed at write time.
    keywords: Mapped[str | None] = mapped_column(String(500))
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("categories.id", ondelete="SET NULL"), index=True
    )
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    # RESTRICT: an address still in use cannot be deleted (the app needs a location).
    address_id: Mapped[int] = mapped_column(ForeignKey("addresses.id", ondelete="RESTRICT"), index=True)
    block_id: Mapped[int] = mapped_column(ForeignKey("blocks.id", ondelete="RESTRICT"), index=True)
    # The course id on the 博雅 site, for imported courses (the import's upsert key).
    boya_course_id: Mapped[str | None] = mapped_column(String(32), unique=True)
    # Set when participants got the "starts soon" notice (type 11), so it goes out once.
    reminded_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Calendar feeds (docs/api.md §22): the iCal SEQUENCE, raised by every edit, and when.
    sequence: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    modified_at: Mapped[datetime | None] = mapped_column(DateTime)

    owner = relationship("User", lazy="raise_on_sql")
    category = relationship("Category", lazy="raise_on_sql")
    org = relationship("Organization", lazy="raise_on_sql")
    location = relationship("Address", lazy="raise_on_sql")
    block = relationship("Block", lazy="raise_on_sql")


class Participation(Model):
    __tablename__ = "participations"
    __table_args__ = (UniqueConstraint("act_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    act_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    joined_at: Mapped[datetime] = mapped_column(DateTime, default=now)

    act = relationship("Activity", lazy="raise_on_sql")
    user = relationship("User", lazy="raise_on_sql")


class Comment(Model):
    """A rating (0-5 in steps of 0.5, 0 = not rated) with a text; one per user and activity."""

    __tablename__ = "comments"
    __table_args__ = (UniqueConstraint("act_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    content: Mapped[str | None] = mapped_column(String(500))
    score: Mapped[Decimal] = mapped_column(Numeric(2, 1), default=0)
    pub_time: Mapped[datetime] = mapped_column(DateTime, default=now)
    act_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)

    act = relationship("Activity", lazy="raise_on_sql")
    user = relationship("User", lazy="raise_on_sql")
