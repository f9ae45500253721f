"""The allowance report the app sends and the answer it gets."""

from marshmallow import fields

from reedsailing.core.fields import Schema

# The body is the success result of `wx.requestSubscribeMessage` as the app got it:
# `{"errMsg": "requestSubscribeMessage:ok", "<template id>": "accept" | "reject" | ...}`.
REPORT_BODY = {
    "type": "object",
    "properties": {"errMsg": {"type": "string"}},
    "additionalProperties": {"type": "string", "enum": ["accept", "reject", "ban", "filter"]},
    "example": {"errMsg": "requestSubscribeMessage:ok", "tmpl-activity-canceled": "accept"},
}


class SubscriptionsSchema(Schema):
    templates = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        metadata={"description": "notice type -> template id, the templates the app may ask for"},
    )
    allowances = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        metadata={"description": "template id -> messages the caller allowed and we did not send yet"},
    )
