"""Students' feedback to the admins (docs/api.md §10)."""

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from reedsailing.core.timeutil import now
from reedsailing.extensions import Model


class Feedback(Model):
    __tablename__ = "feedbacks"

    id: Mapped[int] = mapped_column(primary_key=True)
    content: Mapped[str] = mapped_column(String(500))
    pub_time: Mapped[datetime] = mapped_column(DateTime, default=now)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)

    user = relationship("User", lazy="raise_on_sql")
