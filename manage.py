"""The admin CLI: `python manage.py --help` lists every command (db, seed, admins, doctor, ...)."""

import os
import sys

from flask.cli import FlaskGroup

from config import SettingError
from reedsailing import create_app

os.environ.setdefault("SOCKETIO_ASYNC_MODE", "threading")


def create_cli_app():
    """The app of every command; a bad value in the environment or .env ends the command
    with the one line that names it, not a traceback."""
    try:
        return create_app()
    except SettingError as error:
        sys.exit(str(error))


cli = FlaskGroup(create_app=create_cli_app)

if __name__ == "__main__":
    cli()
