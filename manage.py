"""The admin CLI: `python manage.py --help` lists every command (db, seed, admins, doctor, ...)."""

import os
import sys

from flask.cli import FlaskGroup

os.environ.setdefault("SOCKETIO_ASYNC_MODE", "threading")

try:
    from reedsailing import create_app
except ValueError as error:  # config.SettingError: a bad value in the environment or .env
    if type(error).__name__ != "SettingError":
        raise
    sys.exit(str(error))

cli = FlaskGroup(create_app=create_app)

if __name__ == "__main__":
    cli()
