"""Avatar uploads, QR codes and the served uploads (docs/api.md §16)."""

from flask import send_from_directory

from reedsailing.apidocs.spec import doc
from reedsailing.core.errors import not_found
from reedsailing.core.http import load
from reedsailing.images import services, storage
from reedsailing.images.blueprint import bp
from reedsailing.images.schemas import ImageResult, QrBody, qr_body
from reedsailing.security import auth
from reedsailing.security.ratelimit import limited


@bp.post("/organizations/<int:org_id>/avatar/")
@doc(response=ImageResult, multipart=True, errors=(413, 429))
@auth.login_required
@limited("upload")
def upload_org_avatar(org_id):
    """Upload an organization's avatar (its managers and admins); answers its URL."""
    return {"img": services.replace_org_avatar(auth.principal(), org_id)}


@bp.post("/activities/<int:activity_id>/avatar/")
@doc(response=ImageResult, multipart=True, errors=(413, 429))
@auth.login_required
@limited("upload")
def upload_activity_avatar(activity_id):
    """Upload an activity's picture (its owner, its organization's managers, admins)."""
    return {"img": services.replace_activity_avatar(auth.principal(), activity_id)}


@bp.delete("/activities/<int:activity_id>/avatar/")
@doc(status=204)
@auth.login_required
def delete_activity_avatar(activity_id):
    """Remove an activity's picture."""
    services.clear_activity_avatar(auth.principal(), activity_id)
    return "", 204


@bp.post("/qrcode/")
@doc(body=QrBody, response=ImageResult, errors=(429, 502))
@auth.login_required
@limited("upload")
def qrcode():
    """A code for a mini-program page: WeChat's when configured, else a local QR code."""
    data = load(qr_body)
    return {"img": services.page_code(data["path"], data["width"])}


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
    # Outside /api: the stored URLs are {PUBLIC_BASE_URL}/uploads/<sub>/<name>.
    state.app.add_url_rule(
        "/uploads/<sub>/<name>", endpoint="uploads", view_func=serve_upload, methods=["GET"]
    )
