from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from reedsailing.core.legacy_passwords import check_django_password, is_django_hash
from reedsailing.core.timeutil import now
from reedsailing.extensions import Model


class Admin(Model):
    """A super admin of the web console. Created only by the CLI or by another admin."""

    __tablename__ = "admins"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(150), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(100))
    avatar: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=now)

    def set_password(self, password):
        self.password_hash = generate_password_hash(password)

    def check_password(self, password):
        if is_django_hash(self.password_hash):  # imported from the first version (import-v1)
            return check_django_password(password, self.password_hash)
        try:
            return check_password_hash(self.password_hash, password)
        except ValueError:  # a format nobody can check (an imported unusable password)
            return False

    @property
    def password_needs_rehash(self):
        """True while the password is still the first version's Django hash."""
        return is_django_hash(self.password_hash)


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
