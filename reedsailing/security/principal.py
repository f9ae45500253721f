"""Who asks: the one typed value every rule that depends on the caller takes first."""

from dataclasses import dataclass

from reedsailing.models import Admin, User


@dataclass(slots=True)
class Principal:
    """The caller of one request: a student, a super admin, or nobody (anonymous)."""

    user: User | None = None
    admin: Admin | None = None

    @property
    def is_admin(self) -> bool:
        return self.admin is not None

    @property
    def user_id(self) -> int | None:
        return self.user.id if self.user is not None else None

    def is_user(self, user_id: int | None) -> bool:
        """True when the caller is the student `user_id`."""
        return self.user is not None and user_id is not None and self.user.id == user_id
