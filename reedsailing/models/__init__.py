"""All models, re-exported so Alembic and the services see everything through one import."""

from reedsailing.models.activities import Activity, Address, Category, Comment, Participation
from reedsailing.models.blocks import Block
from reedsailing.models.messages import Delivery, Notice
from reedsailing.models.organizations import Feedback, Follow, Organization, OrgApplication, OrgManager
from reedsailing.models.outside import (
    CanceledActivity,
    CanceledParticipation,
    FeedToken,
    SubscribeAllowance,
    SubscribeMessage,
)
from reedsailing.models.signup import Attendance, CheckIn, JoinRequest
from reedsailing.models.system import Admin, DataVersion, EmailCode, KeyValue
from reedsailing.models.users import User

__all__ = [
    "Activity",
    "Address",
    "Admin",
    "Attendance",
    "Block",
    "CanceledActivity",
    "CanceledParticipation",
    "Category",
    "CheckIn",
    "Comment",
    "DataVersion",
    "Delivery",
    "EmailCode",
    "FeedToken",
    "Feedback",
    "Follow",
    "JoinRequest",
    "KeyValue",
    "Notice",
    "OrgApplication",
    "OrgManager",
    "Organization",
    "Participation",
    "SubscribeAllowance",
    "SubscribeMessage",
    "User",
]
