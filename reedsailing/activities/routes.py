"""Activities: publishing, reading, joining, comments, calendar, recommendations.

The blueprint lives here; its views are split by topic into the `views_*` modules,
which register themselves on `bp` when imported below.
"""

from flask import Blueprint

bp = Blueprint("activities", __name__, url_prefix="/api")

from reedsailing.activities import (  # noqa: E402,F401
    views_comments,
    views_lists,
    views_participants,
    views_publish,
)
