"""Answers of the review flag and the health check."""

from marshmallow import fields

from reedsailing.core.fields import Schema


class ShowResult(Schema):
    show = fields.Boolean()


class HealthResult(Schema):
    status = fields.String()
    database = fields.String()
    redis = fields.String()
