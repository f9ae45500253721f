"""Kept for old imports only: the subscribe-message tables and states are in
models/subscriptions.py, the calendar feeds' tables in models/feeds.py."""

from reedsailing.models.feeds import CanceledActivity, CanceledParticipation, FeedToken
from reedsailing.models.subscriptions import (
    FAILED,
    PENDING,
    REFUSED,
    SENDING,
    SENT,
    SubscribeAllowance,
    SubscribeMessage,
)

__all__ = [
    "FAILED",
    "PENDING",
    "REFUSED",
    "SENDING",
    "SENT",
    "CanceledActivity",
    "CanceledParticipation",
    "FeedToken",
    "SubscribeAllowance",
    "SubscribeMessage",
]
