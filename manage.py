"""The admin CLI: `python manage.py --help` lists every command (db, seed, create-admin, ...)."""

import os

from flask.cli import FlaskGroup

os.environ.setdefault("SOCKETIO_ASYNC_MODE", "threading")

from reedsailing import create_app

cli = FlaskGroup(create_app=create_app)

if __name__ == "__main__":
    cli()
