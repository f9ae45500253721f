"""All models, re-exported so Alembic and the services see everything through one import."""

from reedsailing.models.activities import Activity, Address, Category, Comment, Participation
from reedsailing.models.admins import Admin
from reedsailing.models.blocks import Block
from reedsailing.models.feedback import Feedback
from reedsailing.models.feeds import CanceledActivity, CanceledParticipation, FeedToken
from reedsailing.models.messages import Delivery, Notice
from reedsailing.models.organizations import Follow, Organization, OrgApplication, OrgManager
from reedsailing.models.signup import Attendance, CheckIn, JoinRequest
from reedsailing.models.subscriptions import SubscribeAllowance, SubscribeMessage
from reedsailing.models.system import DataVersion, EmailCode, KeyValue
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
