"""The recommendations route (docs/api.md §15)."""

from reedsailing.activities.answers import ActivityAnswers
from reedsailing.apidocs.spec import doc
from reedsailing.recommendations.blueprint import bp
from reedsailing.recommendations.schemas import RecommendResult
from reedsailing.recommendations.services import recommend
from reedsailing.security import auth


@bp.get("/recommended/<int:user_id>/")
@doc(response=RecommendResult)
@auth.user_required
def recommended(user_id):
    """Activities and organizations recommended to the caller (see recommendations/services/)."""
    auth.require_self(user_id)
    activities, orgs = recommend(user_id)
    answers = ActivityAnswers()
    return {
        "acts": [{**answers.one(row), "suitability": suitability} for row, suitability in activities],
        "orgs": orgs,
    }
