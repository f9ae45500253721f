"""Query-string paging and name searches, shared by every list route."""

from marshmallow import fields, validate

from reedsailing.core.fields import Schema, Text
from reedsailing.core.http import query_params


class PageQuery(Schema):
    limit = fields.Integer(validate=validate.Range(min=1, max=1000, error="limit 须在 1 到 1000 之间。"))
    offset = fields.Integer(
        validate=validate.Range(min=0, max=10**9, error="offset 不能为负数。"), load_default=0
    )


class SearchBody(Schema):
    name = Text(100, required=True)


page_query = PageQuery()
search_body = SearchBody()


def paginate(statement):
    """Apply `?limit=&offset=` to a select. Lists stay bare arrays (docs/api.md §1.4)."""
    args = page_query.load(query_params())
    if "limit" in args:
        statement = statement.limit(args["limit"])
    if args["offset"]:
        statement = statement.offset(args["offset"])
    return statement


def page_slice(items):
    """Apply `?limit=&offset=` to a list already fetched (each bucket of a status partition)."""
    args = page_query.load(query_params())
    end = args["offset"] + args["limit"] if "limit" in args else None
    return items[args["offset"] : end]


def search_term(body):
    """The `name` of a search body: required; `%` and `_` are literal characters."""
    return search_body.load(body)["name"]


def contains(column, term):
    """Case-insensitive substring match with wildcards escaped."""
    return column.icontains(term, autoescape=True)
