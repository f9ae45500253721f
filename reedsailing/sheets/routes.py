"""The sign-up sheet download (docs/api.md §21)."""

from reedsailing.apidocs.spec import doc
from reedsailing.core.http import query_params
from reedsailing.security import auth
from reedsailing.sheets import services
from reedsailing.sheets.blueprint import bp
from reedsailing.sheets.schemas import SheetQuery

sheet_query = SheetQuery()
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv; charset=utf-8"


@bp.get("/activities/<int:activity_id>/sheet/")
@doc(query=SheetQuery, media=(XLSX, "text/csv"))
@auth.login_required
def signup_sheet(activity_id):
    """The sign-up sheet as .xlsx (default) or .csv (owner, managers, admins)."""
    kind = sheet_query.load(query_params())["format"]
    activity, rows = services.sheet(auth.principal(), activity_id)
    if kind == "csv":
        body, media = services.to_csv(rows), CSV
    else:
        body, media = services.to_xlsx(activity, rows), XLSX
    return (
        body,
        200,
        {
            "Content-Type": media,
            "Content-Disposition": f'attachment; filename="activity-{activity_id}-signup.{kind}"',
            "Cache-Control": "no-store",
        },
    )
