"""Tables of the calendar feeds (iCal), the other way notices reach students outside the
app (docs/notices.md, "Outside the app"): the private feeds' secrets and the record of
cancellations."""

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from reedsailing.core.timeutil import now
from reedsailing.extensions import Model


class FeedToken(Model):
    """The secret of a student's private calendar feed; deleting it revokes the feed."""

    __tablename__ = "feed_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=now)


class CanceledActivity(Model):
    """What the calendar feeds still need of a canceled (deleted) activity, so they
    can show it as STATUS:CANCELLED. The id is the activity's former id (its UID)."""

    __tablename__ = "canceled_activities"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(100))
    begin_time: Mapped[datetime] = mapped_column(DateTime)
    end_time: Mapped[datetime] = mapped_column(DateTime, index=True)
    location: Mapped[str | None] = mapped_column(String(50))
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    canceled_at: Mapped[datetime] = mapped_column(DateTime, default=now)


class CanceledParticipation(Model):
    """A student who had joined a canceled activity (their feed shows the cancellation)."""

    __tablename__ = "canceled_participations"
    __table_args__ = (UniqueConstraint("activity_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(
        ForeignKey("canceled_activities.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
