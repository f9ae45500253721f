"""Bodies of the block, category and address routes (docs/api.md §7); the answers are
the shared `BlockSchema`, `CategorySchema` and `AddressSchema` of core/schemas.py."""

from reedsailing.core.fields import DecimalString, Schema, Text


class NameBody(Schema):
    name = Text(50, min_length=1, required=True)


class AddressBody(Schema):
    name = Text(50, min_length=1, required=True)
    longitude = DecimalString(minimum=-180, maximum=180, required=True)
    latitude = DecimalString(minimum=-90, maximum=90, required=True)
