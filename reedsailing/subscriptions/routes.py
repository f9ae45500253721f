"""The student's subscribe-message allowances (docs/api.md §22)."""

from reedsailing.apidocs.spec import doc
from reedsailing.core.http import json_body
from reedsailing.security import auth
from reedsailing.subscriptions import services
from reedsailing.subscriptions.blueprint import bp
from reedsailing.subscriptions.schemas import REPORT_BODY, SubscriptionsSchema

subscriptions_schema = SubscriptionsSchema()


@bp.get("/subscriptions/")
@doc(response=SubscriptionsSchema)
@auth.user_required
def my_subscriptions():
    """The templates the app may ask for and the caller's unused allowances."""
    return subscriptions_schema.dump(services.subscriptions_of(auth.current_user()))


@bp.post("/subscriptions/")
@doc(body=REPORT_BODY, response=SubscriptionsSchema)
@auth.user_required
def report_subscriptions():
    """Report what the student allowed in `wx.requestSubscribeMessage`.

    Send the call's success result as it is: each `"<template id>": "accept"` of a
    configured template adds one allowance (one message); other keys are ignored.
    """
    services.add_allowances(auth.current_user(), json_body())
    return subscriptions_schema.dump(services.subscriptions_of(auth.current_user()))
