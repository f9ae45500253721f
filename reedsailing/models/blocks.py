from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from reedsailing.extensions import Model

# Fixed ids the mini-program hard-codes (app.forumList); `seed` creates them.
CLUB, BOYA, UNION, VOLUNTEER, PERSONAL = 1, 2, 3, 4, 5
SEED_BLOCKS = {CLUB: "社团", BOYA: "博雅", UNION: "学生会", VOLUNTEER: "志愿", PERSONAL: "个人"}
ORG_BLOCKS = (CLUB, UNION, VOLUNTEER)


class Block(Model):
    """A section (版块) of the platform."""

    __tablename__ = "blocks"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)
