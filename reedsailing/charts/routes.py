"""The admin charts as JSON, and the page that draws them (docs/api.md §18)."""

from flask import current_app, render_template, url_for

from reedsailing.apidocs.spec import doc
from reedsailing.charts import services
from reedsailing.charts.blueprint import bp
from reedsailing.charts.schemas import ChartItem, ChartQuery, chart_query
from reedsailing.core.http import query_params
from reedsailing.security import auth


@bp.get("/charts/popular_orgs/")
@doc(query=ChartQuery, response=ChartItem, many=True)
@auth.admin_required
def popular_orgs_chart():
    """Organizations by followers, as `[{name, value}]` (admins)."""
    return services.popular_orgs(chart_query.load(query_params())["limit"])


@bp.get("/charts/popular_acts/")
@doc(query=ChartQuery, response=ChartItem, many=True)
@auth.admin_required
def popular_acts_chart():
    """Activities by participants, as `[{name, value}]` (admins)."""
    return services.popular_activities(chart_query.load(query_params())["limit"])


@bp.get("/charts/act_categories/")
@doc(response=ChartItem, many=True)
@auth.admin_required
def act_categories_chart():
    """Number of activities per category, as `[{name, value}]` (admins)."""
    return services.category_share()


@bp.get("/charts/attendance_rates/")
@doc(query=ChartQuery, response=ChartItem, many=True)
@auth.admin_required
def attendance_rates_chart():
    """Attendance rates (percent) of the latest activities that took attendance (admins)."""
    return services.attendance_rates(chart_query.load(query_params())["limit"])


@auth.public
def charts_page():
    """The admin charts page: a data-free shell that fetches the charts with the admin token.

    Served outside /api (it is HTML, every /api answer is JSON) at /charts/.
    """
    base = url_for("charts.popular_orgs_chart").rsplit("/popular_orgs/", 1)[0]
    response = current_app.make_response(render_template("charts.html", base=base))
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.record_once
def _register_page_route(state):
    state.app.add_url_rule("/charts/", endpoint="charts", view_func=charts_page, methods=["GET"])
