"""Uploaded and generated images: validation by content, storage, public URLs.

Layout (binding; the scheduler's housekeeping looks for orphans there):
`UPLOAD_FOLDER/<orgs|acts|qrcode>/<unguessable name>.<real extension>`, served by the
app at `/uploads/<sub>/<name>` and published as `{PUBLIC_BASE_URL}/uploads/<sub>/<name>`.

An upload is accepted only when Pillow reads it as PNG, JPEG, GIF or WebP, nothing
follows the format's end marker, it carries no markup or archive that a browser or
unzip tool could be tricked into reading (polyglots), and its size is bounded before a
pixel is decoded: width x height of a frame, and width x height x frames of an
animation (image bombs). What is stored is never the upload itself but Pillow's
re-encoding of it: no EXIF (a phone photo's GPS position), no text chunks, turned
upright, and scaled down to UPLOAD_MAX_SIDE (phone originals up to MAX_UPLOAD_MB).

Every avatar file names its owner: `<16 random hex><16 hex HMAC of sub, owner id and
the random part>.<ext>`, so replacing an avatar removes the old file only when that
row owns it, never a file another organization's avatar URL was pointed at.
"""

import hashlib
import hmac
import io
import logging
import os
import re
import secrets
import tempfile
import warnings
from pathlib import Path

from flask import current_app
from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

from reedsailing.core.errors import ApiError, bad_request

log = logging.getLogger(__name__)

SUBFOLDERS = ("orgs", "acts", "qrcode")
EXTENSIONS = {"PNG": "png", "JPEG": "jpg", "GIF": "gif", "WEBP": "webp"}
SAFE_NAME = re.compile(r"[0-9a-f]{32}\.(png|jpg|gif|webp)")
MAX_PIXELS = 50_000_000  # one frame: a 48-50 MP phone original fits, a bomb's gigapixels do not
MAX_ANIMATION_PIXELS = 32_000_000  # all frames together (e.g. 480 x 480 x 130)
MAX_FRAMES = 300
JPEG_QUALITY = 85
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


def too_large() -> ApiError:
    """413 with a text the mini-program shows as a toast."""
    return ApiError(413, f"图片过大，请选择不超过 {current_app.config['MAX_UPLOAD_MB']:g} MB 的图片。")


def check_image(data: bytes) -> str:
    """The real extension of an acceptable image, else 400/413 with a detail."""
    if not data:
        raise bad_request("上传的文件为空。")
    if len(data) > max_bytes():
        raise too_large()
    try:
        return _sniff(data)
    except InvalidImage as error:
        raise bad_request(str(error) or NOT_AN_IMAGE) from error


def prepare_image(data: bytes) -> tuple[bytes, str]:
    """Check an upload (`check_image`) and re-encode it; (bytes to store, extension)."""
    extension = check_image(data)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            return _reencode(data), extension
    except (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombWarning) as error:
        raise bad_request(NOT_AN_IMAGE) from error


def _reencode(data: bytes) -> bytes:
    side = current_app.config["UPLOAD_MAX_SIDE"]
    buffer = io.BytesIO()
    with Image.open(io.BytesIO(data)) as image:
        kind = image.format or ""
        if getattr(image, "n_frames", 1) > 1:
            _save_animation(image, kind, side, buffer)
            return buffer.getvalue()
        if kind == "JPEG":
            image.draft("RGB", (side, side))  # decode a phone original at 1/2, 1/4 or 1/8 size
        upright = ImageOps.exif_transpose(image)
        upright.thumbnail((side, side), Image.Resampling.LANCZOS)
        options: dict = {}
        if image.info.get("icc_profile"):
            options["icc_profile"] = image.info["icc_profile"]  # colours, not metadata
        if kind == "JPEG":
            if upright.mode not in ("RGB", "L"):
                upright = upright.convert("RGB")
            upright.save(buffer, "JPEG", quality=JPEG_QUALITY, **options)
        elif kind == "GIF":
            upright.save(buffer, "GIF")
        elif kind == "WEBP":
            upright.save(buffer, "WEBP", quality=JPEG_QUALITY, **options)
        else:
            upright.save(buffer, "PNG", **options)
    return buffer.getvalue()


def _save_animation(image: Image.Image, kind: str, side: int, buffer: io.BytesIO) -> None:
    frames, durations = [], []
    for frame in ImageSequence.Iterator(image):
        copy = frame.convert("RGBA")
        copy.thumbnail((side, side), Image.Resampling.LANCZOS)
        frames.append(copy)
        durations.append(frame.info.get("duration", 100))
    first, rest = frames[0], frames[1:]
    options: dict = {"save_all": True, "append_images": rest, "duration": durations}
    if "loop" in image.info:
        options["loop"] = image.info["loop"]
    if kind == "WEBP":
        first.save(buffer, "WEBP", **options)
    else:
        first.save(buffer, "GIF", disposal=2, **options)


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
                # Counting frames reads the frame headers only, no pixels.
                frames = getattr(image, "n_frames", 1)
                if frames > MAX_FRAMES:
                    raise InvalidImage("动图帧数过多。")
                if frames > 1 and width * height * frames > MAX_ANIMATION_PIXELS:
                    raise InvalidImage("动图过大（尺寸 × 帧数），请压缩后再上传。")
                image.verify()  # the structure and checksums, without decoding the pixels
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


def _owner_mark(sub: str, owner_id: int, random_part: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    message = f"{sub}:{owner_id}:{random_part}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:16]


def owned_name(sub: str, owner_id: int, extension: str) -> str:
    """A new file name that records which row (`sub`, `owner_id`) it belongs to."""
    random_part = secrets.token_hex(8)
    return f"{random_part}{_owner_mark(sub, owner_id, random_part)}.{extension}"


def owns(url: str | None, sub: str, owner_id: int) -> bool:
    """True when `url` is one of our uploads under `sub` made for this owner."""
    path = local_path(url)
    if path is None or path.parent.name != sub:
        return False
    random_part, mark = path.name[:16], path.name[16:32]
    return hmac.compare_digest(mark, _owner_mark(sub, owner_id, random_part))


def remove_owned(url: str | None, sub: str, owner_id: int) -> None:
    """Delete the file behind `url` only when the row (`sub`, `owner_id`) owns it; a URL
    pointing elsewhere (someone else's avatar, a QR code) is left alone."""
    if owns(url, sub, owner_id):
        remove_url(url)


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
