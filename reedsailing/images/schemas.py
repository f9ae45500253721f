"""The QR code body and the answer naming an image's URL."""

from marshmallow import fields, validate

from reedsailing.core.fields import LenientInteger, Schema


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


qr_body = QrBody()
