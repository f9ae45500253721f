"""A client for the university's 博雅 course site (BYKC).

Plain Python: no Flask, no database. It logs in through CAS, speaks the site's
AES/RSA request scheme and returns typed course records; the import in
`reedsailing.boya` decides what to do with them.
"""

from crawler.client import BykcClient
from crawler.errors import BykcError, InvalidCourse, LoginFailed, ProtocolChanged, SiteDown, TokenExpired
from crawler.models import Course, parse_course

__all__ = [
    "BykcClient",
    "BykcError",
    "Course",
    "InvalidCourse",
    "LoginFailed",
    "ProtocolChanged",
    "SiteDown",
    "TokenExpired",
    "parse_course",
]
