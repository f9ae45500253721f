"""Participation services (docs/api.md §12, docs/signup.md).

- `joining`: join (or queue, or ask), leave and removal, the participants, the caller's
  relation; the capacity rule.
- `waitlist`: the activity row lock, the waiting list and promotions into free places.
- `approval`: join requests of activities that need approval.
"""

from reedsailing.participation.services.joining import (
    has_joined,
    join,
    joined_number,
    leave,
    participants,
    relation,
)
from reedsailing.participation.services.waitlist import lock_activity, promote

__all__ = [
    "has_joined",
    "join",
    "joined_number",
    "leave",
    "lock_activity",
    "participants",
    "promote",
    "relation",
]
