"""The review flag and the health check."""

from flask import current_app

from reedsailing.apidocs.spec import doc
from reedsailing.meta import services
from reedsailing.meta.blueprint import bp
from reedsailing.meta.schemas import HealthResult, ShowResult
from reedsailing.security import auth


@bp.get("/show/")
@doc(response=ShowResult)
@auth.public
def show():
    """Whether the app shows every feature (false: 博雅 only, for WeChat review)."""
    return {"show": current_app.config["SHOW_ALL"]}


@bp.get("/health/")
@doc(response=HealthResult, errors=(503,))
@auth.public
def health():
    """Database and Redis reachable: 200, otherwise 503 with `detail`."""
    return services.health()
