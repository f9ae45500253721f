"""Uploaded and generated images: validation by content, storage, public URLs.

Layout (binding; the scheduler's housekeeping looks for orphans there):
`UPLOAD_FOLDER/<orgs|acts|qrcode>/<unguessable name>.<real extension>`, served by the
app at `/uploads/<sub>/<name>` and published as `{PUBLIC_BASE_URL}/uploads/<sub>/<name>`.

An image is accepted only when Pillow decodes all of it as PNG, JPEG, GIF or WebP,
nothing follows the format's end marker, and it carries no markup or archive that a
browser or unzip tool could be tricked into reading (polyglots).
"""

import io
import logging
import os
import re
import secrets
import tempfile
import warnings
from pathlib import Path

from flask import current_app
from PIL import Image, UnidentifiedImageError

from reedsailing.core.errors import bad_request

log = logging.getLogger(__name__)

SUBFOLDERS = ("orgs", "acts", "qrcode")
EXTENSIONS = {"PNG": "png", "JPEG": "jpg", "GIF": "gif", "WEBP": "webp"}
SAFE_NAME = re.compile(r"[0-9a-f]{32}\.(png|jpg|gif|webp)")
MAX_PIXELS = 40_000_000  # decompression bombs: a 5 MB file may claim gigapixels
MAX_FRAMES = 500
# Text a browser would run or render, and zip's directory records: no real photo or
# drawing needs them, a polyglot does. The markers are long enough that compressed
# pixels match one by chance in well under one in a million 5 MB files.
FORBIDDEN_MARKERS = (
    b"<script",
    b"<iframe",
    b"<!doctype html",
    b"<html>",
    b"<html ",
    b"<body>",
    b"<body ",
    b"<svg xmlns",
    b"<?php ",
    b"javascript:",
)
ZIP_MARKERS = (b"PK\x01\x02", b"PK\x05\x06")

NOT_AN_IMAGE = "上传的文件不是有效的图片（仅支持 PNG、JPEG、GIF、WebP）。"


class InvalidImage(Exception):
    pass


def max_bytes() -> int:
    return int(current_app.config["MAX_UPLOAD_MB"] * 1024 * 1024)


def check_image(data: bytes) -> str:
    """The real extension of an acceptable image, else bad_request with a detail."""
    if not data:
        raise bad_request("上传的文件为空。")
    if len(data) > max_bytes():
        raise bad_request(f"图片不能超过 {current_app.config['MAX_UPLOAD_MB']:g} MB。")
    try:
        return _sniff(data)
    except InvalidImage as error:
        raise bad_request(str(error) or NOT_AN_IMAGE) from error


def identify(data: bytes) -> str | None:
    """The extension of bytes whose header is a supported image, else None.

    Only for images from a trusted source (WeChat's mini-program codes): it tells an
    image from an error document without decoding every pixel.
    """
    try:
        with Image.open(io.BytesIO(data)) as image:
            return EXTENSIONS.get(image.format or "")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return None


def _sniff(data: bytes) -> str:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                kind = image.format
                if kind not in EXTENSIONS:
                    raise InvalidImage(NOT_AN_IMAGE)
                width, height = image.size
                if width * height > MAX_PIXELS:
                    raise InvalidImage("图片尺寸过大。")
                frames = getattr(image, "n_frames", 1)
                if frames > MAX_FRAMES:
                    raise InvalidImage("动图帧数过多。")
                # Decode every pixel of every frame: a truncated or corrupt file fails here.
                for index in range(frames):
                    image.seek(index)
                    image.load()
    except InvalidImage:
        raise
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        EOFError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ) as error:
        raise InvalidImage(NOT_AN_IMAGE) from error
    if _trailing_data(kind, data):
        raise InvalidImage("图片文件末尾有多余的数据。")
    lowered = data.lower()
    if any(marker in lowered for marker in FORBIDDEN_MARKERS) or all(m in data for m in ZIP_MARKERS):
        raise InvalidImage("图片中夹带了其他内容。")
    return EXTENSIONS[kind]


def _trailing_data(kind: str, data: bytes) -> bool:
    """True when bytes follow the format's own end (where appended payloads hide)."""
    if kind == "PNG":
        end = data.rfind(b"IEND")
        return end < 0 or len(data) != end + 8  # "IEND" + its 4-byte CRC
    if kind == "JPEG":
        return not data.rstrip(b"\x00").endswith(b"\xff\xd9")
    if kind == "GIF":
        return not data.endswith(b"\x3b")
    if kind == "WEBP":
        return len(data) != int.from_bytes(data[4:8], "little") + 8  # RIFF size + header
    return True


def folder(sub: str) -> Path:
    if sub not in SUBFOLDERS:
        raise ValueError(sub)
    path = Path(current_app.config["UPLOAD_FOLDER"]) / sub
    path.mkdir(parents=True, exist_ok=True)
    return path


def public_url(sub: str, name: str) -> str:
    return f"{current_app.config['PUBLIC_BASE_URL']}/uploads/{sub}/{name}"


def new_name(extension: str) -> str:
    return f"{secrets.token_hex(16)}.{extension}"


def save(sub: str, data: bytes, extension: str, name: str | None = None) -> str:
    """Write the bytes under `sub` atomically; returns the public URL."""
    name = name or new_name(extension)
    target = folder(sub) / name
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return public_url(sub, name)


def local_path(url: str | None) -> Path | None:
    """The file behind one of our upload URLs, or None for anything else."""
    if not url or not isinstance(url, str):
        return None
    prefix = f"{current_app.config['PUBLIC_BASE_URL']}/uploads/"
    if not url.startswith(prefix):
        return None
    sub, _, name = url[len(prefix) :].partition("/")
    if sub not in SUBFOLDERS or not SAFE_NAME.fullmatch(name):
        return None
    return Path(current_app.config["UPLOAD_FOLDER"]) / sub / name


def remove_url(url: str | None) -> None:
    """Delete the file behind an upload URL we issued (a replaced avatar); never raises."""
    path = local_path(url)
    if path is None:
        return
    try:
        path.unlink(missing_ok=True)
    except OSError:
        log.warning("could not remove replaced upload %s", path, exc_info=True)
