"""The recommendations route (docs/api.md §15)."""

from reedsailing.activities.schemas import ActivityAnswers
from reedsailing.core import auth
from reedsailing.core.apidoc import doc
from reedsailing.recommendations.blueprint import bp
from reedsailing.recommendations.schemas import RecommendResult
from reedsailing.recommendations.services import recommend


@bp.get("/recommended/<int:user_id>/")
@doc(response=RecommendResult)
@auth.user_required
def recommended(user_id):
    """Activities and organizations recommended to the caller (see recommendations/services.py)."""
    auth.require_self(user_id)
    activities, orgs = recommend(user_id)
    answers = ActivityAnswers()
    return {
        "acts": [{**answers.one(row), "suitability": suitability} for row, suitability in activities],
        "orgs": orgs,
    }
