"""Reading the `image` part of an upload, whatever content type the client declared.

wx.uploadFile sends multipart/form-data, but the mini-program declares
`content-type: application/x-www-form-urlencoded` (docs/api.md §16). When the
declared type is not multipart, the body is parsed as multipart anyway if it starts
like one (`--<boundary>\r\n`), with the boundary taken from that first line.
"""

import io
import re

from flask import request
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.formparser import FormDataParser

from reedsailing.core.errors import bad_request
from reedsailing.images.storage import max_bytes, too_large

# RFC 2046 boundary characters, 1-70 long.
BOUNDARY = re.compile(rb"--([0-9A-Za-z'()+_,./:=? -]{1,70})\r\n")
FORM_OVERHEAD = 64 * 1024  # part headers and boundaries around the file
MISSING = "请用 multipart/form-data 的 image 字段上传图片。"


def read_image_part() -> bytes:
    """The bytes of the `image` part; 400/413 with a detail for anything else."""
    limit = max_bytes() + FORM_OVERHEAD
    if request.content_length is not None and request.content_length > limit:
        raise too_large()
    request.max_content_length = limit
    try:
        if request.mimetype == "multipart/form-data":
            part = request.files.get("image")
        else:
            part = _mislabelled_multipart_part(request.get_data(cache=False), limit)
        if part is None:
            raise bad_request(MISSING)
        data = part.stream.read(max_bytes() + 1)
    except RequestEntityTooLarge as error:
        raise too_large() from error
    return data


def _mislabelled_multipart_part(raw: bytes, limit: int) -> FileStorage | None:
    match = BOUNDARY.match(raw)
    if match is None:
        return None
    parser = FormDataParser(max_content_length=limit, max_form_memory_size=FORM_OVERHEAD, max_form_parts=20)
    _, _, files = parser.parse(
        io.BytesIO(raw), "multipart/form-data", len(raw), {"boundary": match.group(1).decode("ascii")}
    )
    return files.get("image")
