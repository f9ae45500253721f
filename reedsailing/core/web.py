"""HTTP plumbing: merged slashes, bounded int ids, request ids, the proxy, body limits and
the security headers of every answer (README "Security")."""

import re
import uuid

from flask import Response, current_app, g, request
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from reedsailing.core.fields import MAX_ID

_SLASHES = re.compile(r"/{2,}")
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


class MergeSlashesMiddleware:
    """Collapse `//` in the path before routing, without a redirect.

    The mini-program calls `/api//activities/comments/{id}/` (docs/api.md §1.2);
    Werkzeug's own merge_slashes would answer 308, which is not enough.
    """

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if "//" in path:
            environ["PATH_INFO"] = _SLASHES.sub("/", path)
        return self.wsgi_app(environ, start_response)


class BoundedIntConverter(IntegerConverter):
    """`<int:id>` whose value the database can hold.

    An id beyond 2^31-1 becomes 0, which names no row, so the view answers its usual
    404 (or 403 on self-only routes). Refusing the match instead (`max=`) makes Werkzeug
    answer 405 for PUT/DELETE on those paths.
    """

    def to_python(self, value):
        number = super().to_python(value)
        return number if number <= MAX_ID else 0


def init_app(app):
    app.wsgi_app = MergeSlashesMiddleware(app.wsgi_app)
    proxies = app.config.get("TRUSTED_PROXY_COUNT", 0)
    if proxies:
        # Client address and scheme as nginx saw them (rate limits, logs, HSTS). Not the
        # host: nginx never sets X-Forwarded-Host, so a client could forge it.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
    # No body is read beyond the largest upload (the JSON routes allow far less, core/http.py).
    app.config.setdefault("MAX_CONTENT_LENGTH", int(app.config["MAX_UPLOAD_MB"] * 1024 * 1024) + 64 * 1024)
    app.url_map.converters["int"] = BoundedIntConverter
    # Both `/api/users/5` and `/api/users/5/` answer directly (no redirect).
    app.url_map.strict_slashes = False
    app.url_map.merge_slashes = False

    @app.before_request
    def assign_request_id():
        given = request.headers.get("X-Request-ID", "")
        g.request_id = given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex[:16]

    @app.after_request
    def add_request_id(response):
        response.headers.setdefault("X-Request-ID", getattr(g, "request_id", ""))
        return response

    app.after_request(add_security_headers)


def add_security_headers(response: Response) -> Response:
    """Headers a browser honours; the API answers JSON, so nothing may sniff or frame it.

    The HTML pages (/charts/, /apidocs/) keep their own scripts and styles: they get the
    framing and sniffing rules but no script policy. HSTS only over https (a plain http
    answer carrying it is ignored by browsers and misleads whoever reads it).
    """
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "no-referrer")
    if response.mimetype == "application/json":
        headers.setdefault("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
    else:
        headers.setdefault("Content-Security-Policy", "frame-ancestors 'none'")
    seconds = current_app.config.get("HSTS_SECONDS") or 0
    if request.is_secure and seconds > 0:
        headers.setdefault("Strict-Transport-Security", f"max-age={int(seconds)}")
    return response
