"""All models, re-exported so Alembic and the services see everything through one import."""

from .activities import Activity, Address, Category, Comment, Participation
from .blocks import Block
from .messages import Delivery, Notice
from .organizations import Feedback, Follow, OrgApplication, Organization, OrgManager
from .system import Admin, EmailCode, KeyValue
from .users import User

__all__ = [
    "Activity",
    "Address",
    "Admin",
    "Block",
    "Category",
    "Comment",
    "Delivery",
    "EmailCode",
    "Feedback",
    "Follow",
    "KeyValue",
    "Notice",
    "OrgApplication",
    "OrgManager",
    "Organization",
    "Participation",
    "User",
]
