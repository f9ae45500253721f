"""HTTP client of the 博雅 course site: CAS login, the encrypted API, paging.

Everything it needs (URLs, credentials, the RSA key, timeouts) comes in through the
constructor; it never reads settings itself.
"""

import json
import logging
import re
import time
from html.parser import HTMLParser
from urllib.parse import unquote, urljoin, urlsplit

import requests

from crawler.crypto import aes_decrypt, aes_encrypt, load_public_key, random_aes_key, rsa_encrypt, sha1_hex
from crawler.errors import BykcError, LoginFailed, ProtocolChanged, SiteDown, TokenExpired

log = logging.getLogger(__name__)

COURSES_API = "queryStudentSemesterCourseByPage"
PROFILE_API = "getUserProfile"
USER_AGENT = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36"
)
MAX_REDIRECTS = 10
# A safety stop for a site that reports an absurd page count.
MAX_PAGES = 200
_TOKEN_IN_URL = re.compile(r"[?&#]token=([^&#]+)")


class _Rejected(Exception):
    """The site did not accept the call with the current token (internal signal)."""

    def __init__(self, message, garbled):
        super().__init__(message)
        self.garbled = garbled

    def final_error(self):
        # Still refused after a fresh login: garbage is a protocol change, a refusal
        # is a token problem.
        if self.garbled:
            return ProtocolChanged(f"{self} (even after a fresh login)")
        return TokenExpired(f"{self} (even after a fresh login)")


class BykcClient:
    """One logged-in session with the course site.

    The token is kept in memory and reused until the site refuses it; then the
    client logs in once more and retries the call once. Network errors and 5xx
    answers are retried `retries` times with exponential backoff (`backoff`,
    `2*backoff`, ... seconds; `sleep` is injectable for tests).
    """

    def __init__(
        self,
        base_url,
        sso_url,
        username,
        password,
        rsa_public_key,
        *,
        timeout=10.0,
        retries=2,
        backoff=1.0,
        page_size=200,
        sleep=time.sleep,
        session=None,
    ):
        if not username or not password:
            raise LoginFailed("no username or password for the course site")
        self.base_url = base_url.rstrip("/")
        self.sso_url = sso_url
        self.username = username
        self.password = password
        self.public_key = load_public_key(rsa_public_key)
        self.timeout = timeout
        self.retries = max(0, int(retries))
        self.backoff = backoff
        self.page_size = page_size
        self.sleep = sleep
        self.session = session or requests.Session()
        self.session.headers.setdefault("User-Agent", USER_AGENT)
        self.token = None

    # -- transport ---------------------------------------------------------------

    def _request(self, method, url, **kwargs):
        """One HTTP exchange, redirects not followed; retried on network errors and 5xx."""
        error = None
        for attempt in range(self.retries + 1):
            if attempt:
                self.sleep(self.backoff * 2 ** (attempt - 1))
            try:
                response = self.session.request(
                    method, url, timeout=self.timeout, allow_redirects=False, **kwargs
                )
            except requests.Timeout:
                error = SiteDown(f"{_host(url)} did not answer within {self.timeout} s")
            except requests.ConnectionError as exc:
                error = SiteDown(f"cannot reach {_host(url)}: {exc.__class__.__name__}")
            except requests.RequestException as exc:
                error = SiteDown(f"request to {_host(url)} failed: {exc.__class__.__name__}: {exc}")
            else:
                if response.status_code < 500:
                    return response
                error = SiteDown(f"{_host(url)} answered HTTP {response.status_code}")
            log.warning("course site: %s (attempt %d of %d)", error, attempt + 1, self.retries + 1)
        raise error

    def _follow(self, response):
        """Follow redirects by hand. Returns (token, None) as soon as a URL carries
        `token=`, else (None, the first non-redirect response)."""
        for _ in range(MAX_REDIRECTS):
            token = _token_in(response.url)
            if token:
                return token, None
            location = response.headers.get("Location") if response.is_redirect else None
            if not location:
                return None, response
            url = urljoin(response.url, location)
            token = _token_in(url)
            if token:
                return token, None
            response = self._request("GET", url)
        raise ProtocolChanged(f"more than {MAX_REDIRECTS} redirects while logging in")

    # -- login -------------------------------------------------------------------

    def login(self):
        """Log in through the SSO form and keep the token; returns it."""
        self.token = None
        token, page = self._follow(self._request("GET", f"{self.base_url}/cas/login"))
        if token is None:
            fields = _form_fields(page.text)
            if "execution" not in fields:
                raise ProtocolChanged("the SSO login page has no hidden 'execution' field")
            query = urlsplit(page.url).query
            target = f"{self.sso_url}?{query}" if query else self.sso_url
            answer = self._request(
                "POST",
                target,
                data={
                    "username": self.username,
                    "password": self.password,
                    "submit": "登录",
                    "type": "username_password",
                    "execution": fields["execution"],
                    "_eventId": "submit",
                },
            )
            if not answer.is_redirect:
                if "execution" in _form_fields(answer.text):
                    raise LoginFailed("the SSO server refused the username or password")
                raise ProtocolChanged(f"the SSO server answered HTTP {answer.status_code} to the login form")
            token, _ = self._follow(answer)
            if token is None:
                raise ProtocolChanged("the CAS redirects ended without a token")
        self.token = token
        log.info("course site: logged in as %s", self.username)
        return token

    # -- the encrypted API ---------------------------------------------------------

    def call(self, api, body=None):
        """`data` of one API call; logs in first when there is no token yet, and once
        more (then retries) when the site refuses the token."""
        if self.token is None:
            self.login()
        try:
            return self._call_once(api, body or {})
        except _Rejected as rejected:
            log.info("course site: %s; logging in again", rejected)
        self.login()
        try:
            return self._call_once(api, body or {})
        except _Rejected as rejected:
            self.token = None
            raise rejected.final_error() from None

    def _call_once(self, api, body):
        plain = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        key = random_aes_key()
        headers = {
            "Content-Type": "application/json;charset=utf-8",
            "auth_token": self.token,
            "authtoken": self.token,
            "ak": rsa_encrypt(key, self.public_key).decode(),
            "sk": rsa_encrypt(sha1_hex(plain).encode(), self.public_key).decode(),
            "ts": str(int(time.time() * 1000)),
        }
        response = self._request(
            "POST", f"{self.base_url}/{api}", data=aes_encrypt(plain, key), headers=headers
        )
        if response.status_code in (401, 403) or response.is_redirect:
            raise _Rejected(f"{api}: HTTP {response.status_code}", garbled=False)
        if response.status_code != 200:
            raise ProtocolChanged(f"{api}: the site answered HTTP {response.status_code}")
        answer = _decode(response.text, key)
        if answer is None:
            raise _Rejected(f"{api}: the response cannot be decrypted", garbled=True)
        if not isinstance(answer, dict) or "status" not in answer:
            raise ProtocolChanged(f"{api}: the response has no 'status'")
        if str(answer["status"]) != "0":
            raise _Rejected(f"{api}: status {answer['status']}: {answer.get('errmsg') or ''}", garbled=False)
        return answer.get("data")

    # -- what the import needs -------------------------------------------------------

    def check_login(self):
        """The logged-in student's profile (a cheap check that the token works)."""
        return self.call(PROFILE_API)

    def fetch_course_records(self):
        """Every course object of the current semester, read page by page until
        `totalPages`; a course listed twice (the list moved while paging) once."""
        records, seen = [], set()
        page, total_pages = 1, 1
        while page <= total_pages:
            data = self.call(COURSES_API, {"pageNumber": page, "pageSize": self.page_size})
            if not isinstance(data, dict) or not isinstance(data.get("content"), list):
                raise ProtocolChanged(f"{COURSES_API}: no 'content' list in data")
            reported = data.get("totalPages")
            if isinstance(reported, bool) or not isinstance(reported, int) or reported < 0:
                raise ProtocolChanged(f"{COURSES_API}: no 'totalPages' number in data")
            total_pages = min(reported, MAX_PAGES)
            for record in data["content"]:
                key = record.get("id") if isinstance(record, dict) else None
                if key is not None and key in seen:
                    continue
                seen.add(key)
                records.append(record)
            page += 1
        log.info("course site: %d courses on %d pages", len(records), total_pages)
        return records


def _host(url):
    return urlsplit(url).netloc or url


def _token_in(url):
    match = _TOKEN_IN_URL.search(url or "")
    return unquote(match.group(1)) if match else None


def _decode(text, key):
    """The JSON object of a response: decrypted, or (some error answers) plain JSON.
    None when it is neither."""
    try:
        return json.loads(aes_decrypt(text, key))
    except (BykcError, ValueError):
        pass
    try:
        answer = json.loads(text)
    except ValueError:
        return None
    # Only a refusal may come unencrypted; a plain "success" is not this protocol.
    if isinstance(answer, dict) and "status" in answer and str(answer["status"]) != "0":
        return answer
    return None


class _InputCollector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.fields = {}

    def handle_starttag(self, tag, attrs):
        if tag == "input":
            attributes = dict(attrs)
            if attributes.get("name"):
                self.fields[attributes["name"]] = attributes.get("value") or ""


def _form_fields(html):
    collector = _InputCollector()
    try:
        collector.feed(html or "")
        collector.close()
    except Exception:  # html.parser is lenient; this is only a last guard
        return {}
    return collector.fields
