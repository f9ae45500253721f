"""The super admins of the web console (docs/api.md §6)."""

from datetime import datetime

from sqlalchemy import DateTime, String
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
