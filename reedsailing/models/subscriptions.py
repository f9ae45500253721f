"""Tables of the WeChat subscribe messages, the notices that reach students outside the
app (docs/notices.md, "Outside the app"): the allowances and the outbox."""

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from reedsailing.core.timeutil import now
from reedsailing.extensions import Model

# SubscribeMessage.state
PENDING = "pending"  # waiting for (another) attempt at `next_attempt_at`
SENDING = "sending"  # claimed by one sender
SENT = "sent"
REFUSED = "refused"  # WeChat 43101: the student withdrew the allowance
FAILED = "failed"  # 47003 (bad data) or out of attempts; `last_error` says why


class SubscribeAllowance(Model):
    """How many one-time subscribe messages of one template a student allowed and
    we have not used yet (one per acceptance in `wx.requestSubscribeMessage`)."""

    __tablename__ = "subscribe_allowances"
    __table_args__ = (UniqueConstraint("user_id", "template_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    template_id: Mapped[str] = mapped_column(String(64))
    remaining: Mapped[int] = mapped_column(Integer, default=0)
    # The notice that last consumed one: marks the rows one notify() call decremented,
    # so the outbox rows are inserted for exactly those students.
    last_notice_id: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=now)


class SubscribeMessage(Model):
    """The outbox: one subscribe message to send for one notice and one student,
    written in the notice's transaction and sent later by the scheduler."""

    __tablename__ = "subscribe_messages"
    __table_args__ = (
        UniqueConstraint("notice_id", "user_id"),
        Index("ix_subscribe_messages_state_next_attempt_at", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    template_id: Mapped[str] = mapped_column(String(64))
    data: Mapped[str] = mapped_column(Text)  # the JSON `data` of the WeChat call
    state: Mapped[str] = mapped_column(String(16), default=PENDING)
    attempts: Mapped[int] = mapped_column(SmallInteger, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime, default=now)
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=now)
