"""Request bodies and answers of check-in and attendance (docs/api.md §21)."""

from marshmallow import fields, validate

from reedsailing.checkin.services import DEFAULT_MINUTES
from reedsailing.core.fields import DateTime, LenientInteger, Schema
from reedsailing.core.schemas import PublicUserSchema


class OpenBody(Schema):
    minutes = LenientInteger(
        minimum=1,
        maximum=240,
        load_default=DEFAULT_MINUTES,
        metadata={
            "description": "How long the new code is valid, in whole minutes (1-240, default 15); "
            'a string of digits ("15") is accepted too, a fraction (1.5, "1.5") is a 400'
        },
    )


class CodeResult(Schema):
    code = fields.String(
        metadata={
            "description": "The open check-in code: 6 random ASCII digits to show at the door "
            "(the QR code holds `reedsailing:checkin:<activity id>:<code>`)"
        }
    )
    opened_at = DateTime(
        metadata={
            "description": "When this code's window began: every opening, a reopen too, starts a new one"
        }
    )
    expires_at = DateTime(
        metadata={
            "description": "When this code stops working: `opened_at` plus the `minutes` of that opening"
        }
    )


class CheckInBody(Schema):
    # [0-9], not \d: \d (and str.isdigit()) take every script's digits ("１２３４５６")
    code = fields.String(
        required=True,
        validate=validate.Regexp(r"^\s*[0-9]{6}\s*$", error="签到码是 6 位数字。"),
        metadata={
            "description": "The check-in code the organizer shows (or the QR code holds): "
            "6 ASCII digits, blanks around them are ignored"
        },
    )


class QrQuery(Schema):
    width = LenientInteger(minimum=128, maximum=1280, load_default=430)


class AttendanceSchema(Schema):
    person = fields.Nested(PublicUserSchema, attribute="user")
    method = fields.String(metadata={"enum": ["code", "hand"]})
    checked_in_at = DateTime()


class MarkResult(Schema):
    act = fields.Integer(attribute="act_id")
    person = fields.Integer(attribute="user_id")
    method = fields.String()
    checked_in_at = DateTime()


class SummarySchema(Schema):
    participants = fields.Integer()
    attended = fields.Integer()
    rate = fields.Float(allow_none=True)
    opened = fields.Boolean()
    expires_at = DateTime(allow_none=True)
    attendees = fields.List(fields.Nested(AttendanceSchema))
