"""Upload and QR-code rules; the bytes-level checks live in `storage`."""

import hashlib
import hmac
import io
import logging

import qrcode
from flask import current_app

from reedsailing.core.db import get_or_404, on_commit, on_rollback
from reedsailing.core.errors import ApiError, forbidden
from reedsailing.extensions import db
from reedsailing.images import storage
from reedsailing.images.upload import read_image_part
from reedsailing.integrations import wechat
from reedsailing.models import Activity, Organization
from reedsailing.security.permissions import is_org_manager, organized_activity
from reedsailing.security.principal import Principal

log = logging.getLogger(__name__)


def replace_org_avatar(principal: Principal, org_id: int) -> str:
    """Store the upload as the organization's avatar (its managers and admins); its URL."""
    org = get_or_404(Organization, org_id, "未找到组织。")
    if not principal.is_admin and not is_org_manager(principal.user_id, org.id):
        raise forbidden("只有组织管理员可以修改组织头像。")
    return _replace_avatar(org, "orgs")


def _managed_activity(principal: Principal, activity_id: int) -> Activity:
    return organized_activity(principal, activity_id, "只有活动发起者或组织管理员可以修改活动图片。")


def replace_activity_avatar(principal: Principal, activity_id: int) -> str:
    """Store the upload as the activity's picture (owner, organization managers, admins)."""
    return _replace_avatar(_managed_activity(principal, activity_id), "acts")


def clear_activity_avatar(principal: Principal, activity_id: int) -> None:
    """Remove the activity's picture and its file."""
    activity = _managed_activity(principal, activity_id)
    old, owner_id = activity.avatar, activity.id
    activity.avatar = None
    db.session.flush()
    on_commit(lambda: storage.remove_owned(old, "acts", owner_id))


def _replace_avatar(owner: Organization | Activity, sub: str) -> str:
    """Store the uploaded `image` as `owner.avatar` (an Organization or Activity).

    The stored file is Pillow's re-encoding of the upload (storage.prepare_image), named
    for its owner row. It is written before the row changes and removed again if the
    unit of work rolls back; the replaced file is removed after the commit, and only
    when this row owns it (storage.remove_owned).
    """
    data, extension = storage.prepare_image(read_image_part())
    url = storage.save(sub, data, extension, name=storage.owned_name(sub, owner.id, extension))
    old, owner_id = owner.avatar, owner.id
    owner.avatar = url
    if old != url:  # the same name was overwritten in place: nothing to undo or remove
        on_rollback(lambda: storage.remove_url(url))
        on_commit(lambda: storage.remove_owned(old, sub, owner_id))
    db.session.flush()
    return url


def page_code(path: str, width: int) -> str:
    """URL of a code image for a mini-program page, rendered once per (path, width).

    The name is an HMAC of the request, so repeated shares reuse one file and nobody
    can guess the names of codes others made.
    """
    source = "wx" if wechat.configured() else "qr"
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, f"{source}|{width}|{path}".encode(), hashlib.sha256).hexdigest()[:32]
    for extension in storage.EXTENSIONS.values():
        if (storage.folder("qrcode") / f"{digest}.{extension}").exists():
            return storage.public_url("qrcode", f"{digest}.{extension}")
    if source == "wx":
        data, extension = _wechat_code(path, width)
    else:
        data, extension = render_qr(path, width), "png"
    return storage.save("qrcode", data, extension, name=f"{digest}.{extension}")


def _wechat_code(path: str, width: int) -> tuple[bytes, str]:
    try:
        data = wechat.mini_program_code(path, width)
    except wechat.WeChatError as error:
        log.warning("WeChat mini-program code failed: %s (code %s)", error, error.code)
        raise ApiError(502, f"生成小程序码失败：{error}") from error
    extension = storage.identify(data)
    if extension is None:
        # WeChat answered something that is not an image: never store it as one.
        raise ApiError(502, "生成小程序码失败：微信返回的不是图片。")
    return data, extension


def render_qr(text: str, width: int) -> bytes:
    """A plain PNG QR code of `text`, about `width` pixels wide (pages, check-in codes)."""
    code = qrcode.QRCode(border=2, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(text)
    code.make(fit=True)
    modules = code.modules_count + 2 * code.border
    code.box_size = max(1, width // modules)
    buffer = io.BytesIO()
    code.make_image().save(buffer)
    return buffer.getvalue()
