"""Marking notices read and listing them."""

from marshmallow import fields, validate

from reedsailing.core.fields import Id, Schema
from reedsailing.core.queries import PageQuery
from reedsailing.core.schemas import NoticeSchema

MAX_READ_IDS = 5000  # per call, over REST and over the socket


class ReadBody(Schema):
    notifications = fields.List(
        Id(),
        required=True,
        validate=validate.Length(max=MAX_READ_IDS, error=f"一次最多标记 {MAX_READ_IDS} 条通知。"),
    )


class NoticeListQuery(PageQuery):
    unread = fields.Boolean(load_default=False)


class NoticeWithReadSchema(NoticeSchema):
    read = fields.Boolean()


read_body = ReadBody()
notice_list_query = NoticeListQuery()
