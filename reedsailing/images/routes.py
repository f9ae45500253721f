"""Avatars (organizations, activities), QR codes, the served uploads and admin charts."""

from flask import Blueprint, current_app, render_template, request, send_from_directory, url_for
from marshmallow import fields, validate

from reedsailing.core import auth
from reedsailing.core.apidoc import doc
from reedsailing.core.errors import forbidden, not_found
from reedsailing.core.fields import LenientInteger, Schema
from reedsailing.core.http import load
from reedsailing.core.permissions import can_manage_activity, is_org_manager
from reedsailing.core.ratelimit import limited
from reedsailing.extensions import db
from reedsailing.images import charts, services, storage
from reedsailing.models import Activity, Organization

bp = Blueprint("images", __name__, url_prefix="/api", template_folder="templates")


class ImageResult(Schema):
    img = fields.String()


class QrBody(Schema):
    path = fields.String(
        required=True,
        validate=[
            validate.Length(min=1, max=256, error="path 长度须在 1 到 256 之间。"),
            validate.Regexp(r"^[A-Za-z0-9/_.\-?=&%]+$", error="path 须是小程序页面路径。"),
        ],
    )
    width = LenientInteger(minimum=280, maximum=1280, load_default=430)


class ChartQuery(Schema):
    limit = fields.Integer(
        validate=validate.Range(min=1, max=200, error="limit 须在 1 到 200 之间。"), load_default=20
    )


class ChartItem(Schema):
    name = fields.String()
    value = fields.Integer()


qr_body = QrBody()
chart_query = ChartQuery()


@bp.post("/organizations/<int:org_id>/avatar/")
@doc(response=ImageResult, multipart=True, errors=(413, 429))
@auth.login_required
@limited("upload")
def upload_org_avatar(org_id):
    """Upload an organization's avatar (its managers and admins); answers its URL."""
    org = db.session.get(Organization, org_id)
    if org is None:
        raise not_found("未找到组织。")
    user = auth.current_user()
    if auth.current_admin() is None and not is_org_manager(user.id, org.id):
        raise forbidden("只有组织管理员可以修改组织头像。")
    return {"img": services.replace_avatar(org, "orgs")}


def _managed_activity(act_id):
    activity = db.session.get(Activity, act_id)
    if activity is None:
        raise not_found("未找到活动。")
    if not can_manage_activity(auth.current_user(), auth.current_admin(), activity):
        raise forbidden("只有活动发起者或组织管理员可以修改活动图片。")
    return activity


@bp.post("/activities/<int:act_id>/avatar/")
@doc(response=ImageResult, multipart=True, errors=(413, 429))
@auth.login_required
@limited("upload")
def upload_activity_avatar(act_id):
    """Upload an activity's picture (its owner, its organization's managers, admins)."""
    return {"img": services.replace_avatar(_managed_activity(act_id), "acts")}


@bp.delete("/activities/<int:act_id>/avatar/")
@doc(status=204)
@auth.login_required
def delete_activity_avatar(act_id):
    """Remove an activity's picture."""
    services.clear_avatar(_managed_activity(act_id))
    return "", 204


@bp.post("/qrcode/")
@doc(body=QrBody, response=ImageResult, errors=(429, 502))
@auth.login_required
@limited("upload")
def qrcode():
    """A code for a mini-program page: WeChat's when configured, else a local QR code."""
    data = load(qr_body)
    return {"img": services.page_code(data["path"], data["width"])}


@bp.get("/charts/popular_orgs/")
@doc(query=ChartQuery, response=ChartItem, many=True)
@auth.admin_required
def popular_orgs_chart():
    """Organizations by followers, as `[{name, value}]` (admins)."""
    return charts.popular_orgs(chart_query.load(request.args)["limit"])


@bp.get("/charts/popular_acts/")
@doc(query=ChartQuery, response=ChartItem, many=True)
@auth.admin_required
def popular_acts_chart():
    """Activities by participants, as `[{name, value}]` (admins)."""
    return charts.popular_activities(chart_query.load(request.args)["limit"])


@bp.get("/charts/act_categories/")
@doc(response=ChartItem, many=True)
@auth.admin_required
def act_categories_chart():
    """Number of activities per category, as `[{name, value}]` (admins)."""
    return charts.category_share()


@auth.public
def charts_page():
    """The admin charts page: a data-free shell that fetches the charts with the admin token.

    Served outside /api (it is HTML, every /api answer is JSON) at /charts/.
    """
    base = url_for("images.popular_orgs_chart").rsplit("/popular_orgs/", 1)[0]
    response = current_app.make_response(render_template("charts.html", base=base))
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@auth.public
def serve_upload(sub, name):
    """An uploaded or generated image, public (docs/api.md §16)."""
    if sub not in storage.SUBFOLDERS or not storage.SAFE_NAME.fullmatch(name):
        raise not_found()
    response = send_from_directory(storage.folder(sub), name, max_age=30 * 86400)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'"
    return response


@bp.record_once
def _register_upload_route(state):
    # Outside /api: the stored URLs are {PUBLIC_BASE_URL}/uploads/<sub>/<name>; the
    # charts page is HTML, and every /api answer is JSON.
    state.app.add_url_rule(
        "/uploads/<sub>/<name>", endpoint="uploads", view_func=serve_upload, methods=["GET"]
    )
    state.app.add_url_rule("/charts/", endpoint="charts", view_func=charts_page, methods=["GET"])
