"""The Socket.IO test client of the suite's app, connected as a student (or with any token)."""

from reedsailing.extensions import socketio
from reedsailing.security import auth


def connect(app, client, user=None, token=None, **kwargs):
    if token is None and user is not None:
        token = auth.issue_user_token(user)
    return socketio.test_client(
        app, auth={"token": token} if token is not None else None, flask_test_client=client, **kwargs
    )


def events(sio, name):
    return [event["args"][0] for event in sio.get_received() if event["name"] == name]
