"""The sign-up sheet's query (docs/api.md §21)."""

from marshmallow import fields, validate

from reedsailing.core.fields import Schema


class SheetQuery(Schema):
    format = fields.String(
        load_default="xlsx", validate=validate.OneOf(["xlsx", "csv"], error="格式只能是 xlsx 或 csv。")
    )
