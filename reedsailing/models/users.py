from datetime import datetime

from sqlalchemy import Boolean, DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

from reedsailing.core.timeutil import now
from reedsailing.extensions import Model


class User(Model):
    """A student who logged in from the mini-program (or the 博雅 system account)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    openid: Mapped[str] = mapped_column(String(128), unique=True)
    name: Mapped[str] = mapped_column(String(30), default="")
    avatar: Mapped[str | None] = mapped_column(String(500))
    email: Mapped[str | None] = mapped_column(String(100), unique=True)
    sign: Mapped[str | None] = mapped_column(String(200))
    contact: Mapped[str | None] = mapped_column(String(50))
    follow_boya: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    # The account that owns imported 博雅 courses; it never logs in.
    is_system: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=now)

    @property
    def verified(self):
        return bool(self.email)

    def __repr__(self):
        return f"<User {self.id} {self.name!r}>"
