"""The WSGI module: `app` is what a WSGI server imports (`gunicorn wsgi:app`, uwsgi,
`flask --app wsgi`, a test). Imported like that the server mode is `threading`: nothing
is monkey-patched.

`python wsgi.py` starts the server of README "Server modes" (reedsailing/serve.py). It
runs that file as a script rather than importing it: eventlet and gevent patch the
standard library there before anything imports the app.
"""

from pathlib import Path

if __name__ == "__main__":
    import runpy

    runpy.run_path(str(Path(__file__).resolve().parent / "reedsailing" / "serve.py"), run_name="__main__")
else:
    from reedsailing.serve import wsgi_app

    app = wsgi_app()
