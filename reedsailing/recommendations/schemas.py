"""Answer of the recommendations (docs/api.md §15)."""

from marshmallow import fields

from reedsailing.activities.schemas import ActivitySchema
from reedsailing.core.fields import Schema
from reedsailing.core.schemas import OrgSchema


class RecommendedActSchema(ActivitySchema):
    suitability = fields.Float()


class RecommendResult(Schema):
    acts = fields.List(fields.Nested(RecommendedActSchema))
    orgs = fields.List(fields.Nested(OrgSchema))
