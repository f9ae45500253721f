"""What can go wrong when talking to the course site. Every failure the client meets
ends as one of these (never a bare `requests` or `cryptography` exception), so the
caller can tell an operator what to fix."""


class BykcError(Exception):
    """Base class of every course-site failure."""


class LoginFailed(BykcError):
    """The SSO server refused the username or password (it showed its login page again)."""


class TokenExpired(BykcError):
    """The site refused the token even right after a fresh login."""


class ProtocolChanged(BykcError):
    """The site answered something this client does not understand: a missing login
    form field, a response that cannot be decrypted, an unexpected JSON shape."""


class SiteDown(BykcError):
    """The site could not be reached, did not answer in time, or kept answering 5xx."""


class InvalidCourse(BykcError):
    """One course record cannot be turned into a `Course` (the others still can)."""

    def __init__(self, message, course_id=None):
        super().__init__(message)
        self.course_id = course_id
