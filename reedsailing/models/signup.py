"""Sign-up beyond joining: the waiting list, join requests, check-in and attendance
(docs/signup.md)."""

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from reedsailing.core.timeutil import now
from reedsailing.extensions import Model

WAITING = "waiting"
PENDING = "pending"
DECLINED = "declined"


class JoinRequest(Model):
    """A student not (yet) among the participants: on the waiting list (`waiting`, in
    `id` order), or asking to join an activity that needs approval (`pending`), or
    declined (`declined`, which blocks a new request). One per student and activity,
    and never for a participant: every change runs under the activity's row lock."""

    __tablename__ = "join_requests"
    __table_args__ = (
        UniqueConstraint("act_id", "user_id"),
        Index("ix_join_requests_queue", "act_id", "state", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    act_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    state: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=now)

    user = relationship("User", lazy="raise_on_sql")


class CheckIn(Model):
    """The check-in of an activity: present once an organizer opened it (even after the
    code expired), which makes comments need attendance."""

    __tablename__ = "checkins"

    act_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"), primary_key=True)
    code: Mapped[str] = mapped_column(String(8))
    opened_at: Mapped[datetime] = mapped_column(DateTime, default=now)
    expires_at: Mapped[datetime] = mapped_column(DateTime)


class Attendance(Model):
    """A participant who came: checked in with the code (`code`) or marked by an
    organizer (`hand`)."""

    __tablename__ = "attendances"
    __table_args__ = (UniqueConstraint("act_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    act_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    method: Mapped[str] = mapped_column(String(10))
    checked_in_at: Mapped[datetime] = mapped_column(DateTime, default=now)

    user = relationship("User", lazy="raise_on_sql")
