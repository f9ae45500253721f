"""The chart query and the `{name, value}` items of every chart."""

from marshmallow import fields, validate

from reedsailing.core.fields import Schema


class ChartQuery(Schema):
    limit = fields.Integer(
        validate=validate.Range(min=1, max=200, error="limit 须在 1 到 200 之间。"), load_default=20
    )


class ChartItem(Schema):
    name = fields.String()
    value = fields.Integer()


chart_query = ChartQuery()
