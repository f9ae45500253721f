from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from reedsailing.core.timeutil import now
from reedsailing.extensions import Model


class EmailCode(Model):
    """The pending mail verification code of one user for one address."""

    __tablename__ = "email_codes"
    __table_args__ = (UniqueConstraint("user_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(100))
    code_hash: Mapped[str] = mapped_column(String(255))
    sent_at: Mapped[datetime] = mapped_column(DateTime, default=now)
    expires_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)


class KeyValue(Model):
    """Small shared values with an expiry (WeChat access token, scheduler locks) when
    there is no Redis."""

    __tablename__ = "key_values"

    key: Mapped[str] = mapped_column(String(191), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime)


class DataVersion(Model):
    """The version of one table's data (docs/caching.md): a random token replaced in the
    same transaction as every write to that table. Cached answers are keyed by the
    versions of the tables they read, so a committed write is never answered stale."""

    __tablename__ = "data_versions"

    scope: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[str] = mapped_column(String(32))
