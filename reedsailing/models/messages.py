from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from reedsailing.core.timeutil import now
from reedsailing.extensions import Model


class Notice(Model):
    """One notification event; its recipients are its Delivery rows."""

    __tablename__ = "notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    type: Mapped[int] = mapped_column(SmallInteger)
    time: Mapped[datetime] = mapped_column(DateTime, default=now)
    content: Mapped[str] = mapped_column(String(500))
    # Links, not ownership: deleting the activity or organization keeps the notice.
    act_id: Mapped[int | None] = mapped_column(ForeignKey("activities.id", ondelete="SET NULL"), index=True)
    org_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL"), index=True
    )


class Delivery(Model):
    """One recipient of one notice, with its read state."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("notice_id", "user_id"),
        Index("ix_deliveries_user_id_read", "user_id", "read"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    read: Mapped[bool] = mapped_column(Boolean, default=False)
