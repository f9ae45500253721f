"""Upload and QR-code rules; the bytes-level checks live in `storage`."""

import hashlib
import hmac
import io
import logging

import qrcode
from flask import current_app

from reedsailing.core.errors import ApiError
from reedsailing.extensions import db
from reedsailing.images import storage
from reedsailing.images.upload import read_image_part
from reedsailing.integrations import wechat

log = logging.getLogger(__name__)


def replace_avatar(owner, sub):
    """Store the uploaded `image` as `owner.avatar` (an Organization or Activity).

    The new file is written before the row changes and removed again if the commit
    fails; the replaced file is removed only after the commit.
    """
    data = read_image_part()
    extension = storage.check_image(data)
    url = storage.save(sub, data, extension)
    old = owner.avatar
    owner.avatar = url
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        storage.remove_url(url)
        raise
    if old != url:
        storage.remove_url(old)
    return url


def clear_avatar(owner):
    old = owner.avatar
    owner.avatar = None
    db.session.commit()
    storage.remove_url(old)


def page_code(path, width):
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
        data, extension = _local_qr(path, width), "png"
    return storage.save("qrcode", data, extension, name=f"{digest}.{extension}")


def _wechat_code(path, width):
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


def _local_qr(path, width):
    code = qrcode.QRCode(border=2, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(path)
    code.make(fit=True)
    modules = code.modules_count + 2 * code.border
    code.box_size = max(1, width // modules)
    buffer = io.BytesIO()
    code.make_image().save(buffer)
    return buffer.getvalue()
