"""The answer about a student's feed; the feeds themselves are iCal, not JSON."""

from marshmallow import fields

from reedsailing.core.fields import DateTime, Schema

ICAL_RESPONSE = {"type": "string", "description": "an iCalendar (RFC 5545) document, text/calendar"}


class FeedSchema(Schema):
    url = fields.String(
        allow_none=True,
        metadata={"description": "the private feed URL (null: none, or revoked); anyone with it can read it"},
    )
    created_at = DateTime(allow_none=True)
