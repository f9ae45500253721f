"""A fake 博雅 course site on loopback speaking the protocol of docs/boya.md.

It has its own RSA key pair (made here, per instance) and serves:
- `GET /sscv/cas/login` -> 302 to `/sso/login?service=.../sscv/casLogin`;
- `GET /sso/login` -> the login page with a hidden `execution` field;
- `POST /sso/login` -> the login page again (wrong password) or 302 with a ticket;
- `GET /sscv/casLogin?ticket=` -> 302 to `/sscv/system/home`, -> 302 to a
  `/cas-login?token=` URL (two hops, so the client must follow by hand);
- `POST /sscv/<api>` -> the encrypted API (getUserProfile,
  queryStudentSemesterCourseByPage with paging, getAllConfig).

Knobs for failure tests: `expire_tokens()`, `reject_all_tokens`,
`expired_as_garbage`, `garble`,
`slow_seconds`, `fail_5xx` (that many 500 answers first), `max_page_size`.
"""

import base64
import json
import secrets
import threading
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, urlparse

from cryptography.hazmat.primitives import hashes, padding, serialization
from cryptography.hazmat.primitives.asymmetric import padding as asym_padding
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

LOGIN_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>统一身份认证</title></head>
<body><form id="fm1" method="post" action="login">
<input type="text" name="username" value="">
<input type="password" name="password" value="">
<input type="hidden" name="execution" value="{execution}"/>
<input type="hidden" name="_eventId" value="submit">
<input type="submit" name="submit" value="登录">{error}
</form></body></html>"""


def course(course_id, name=None, start=None, hours=2, place="学院路校区主楼219教室", capacity=100, **extra):
    """A course object as the site returns it (start: a datetime, default in 3 days)."""
    start = start or (datetime.now() + timedelta(days=3)).replace(hour=19, minute=0, second=0, microsecond=0)
    fmt = "%Y-%m-%d %H:%M:%S"
    record = {
        "id": course_id,
        "courseName": name or f"博雅课程{course_id}",
        "coursePosition": place,
        "courseTeacher": "张老师",
        "courseContact": "校团委",
        "courseContactMobile": "010-82310000",
        "courseStartDate": start.strftime(fmt),
        "courseEndDate": (start + timedelta(hours=hours)).strftime(fmt),
        "courseSelectStartDate": (start - timedelta(days=2)).strftime(fmt),
        "courseSelectEndDate": (start - timedelta(days=1)).strftime(fmt),
        "courseCancelEndDate": (start - timedelta(hours=12)).strftime(fmt),
        "courseMaxCount": capacity,
        "courseCurrentCount": 10,
        "courseNewKind1": {"id": 1, "kindName": "博雅课程"},
        "courseNewKind2": {"id": 3, "kindName": "美育"},
        "courseCampus": '["学院路校区"]',
        "courseDesc": "<p>一次关于&nbsp;<b>音乐</b>的讲座</p><p>欢迎参加</p>",
        "courseSignConfig": "{}",
        "selected": False,
    }
    record.update(extra)
    return record


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        # A client that timed out closed its socket before the slow answer: expected.
        pass


class FakeBykc:
    def __init__(self, username="19370000", password="correct-password", courses=()):
        self.username = username
        self.password = password
        self.courses = list(courses)
        self.private_key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
        self.public_key_b64 = base64.b64encode(
            self.private_key.public_key().public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        ).decode()
        self.executions = set()
        self.tickets = set()
        self.tokens = set()
        self.logins = 0  # successful SSO form posts
        self.api_calls = []  # (api, body)
        self.reject_all_tokens = False
        self.expired_as_garbage = False  # refuse a token with an undecryptable page
        self.garble = False
        self.slow_seconds = 0
        self.fail_5xx = 0
        self.max_page_size = None
        self._stop = threading.Event()
        self.server = _QuietServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    @property
    def origin(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def base_url(self):
        return f"{self.origin}/sscv"

    @property
    def sso_url(self):
        return f"{self.origin}/sso/login"

    def client_args(self, **overrides):
        """Constructor arguments of a BykcClient for this site (fast timeouts)."""
        return {
            "base_url": self.base_url,
            "sso_url": self.sso_url,
            "username": self.username,
            "password": self.password,
            "rsa_public_key": self.public_key_b64,
            "timeout": 2.0,
            "retries": 1,
            "backoff": 0,
            **overrides,
        }

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self._stop.set()
        self.server.shutdown()
        self.server.server_close()

    def expire_tokens(self):
        self.tokens.clear()

    def api_names(self):
        return [name for name, _ in self.api_calls]

    # -- the protocol, server side ------------------------------------------------

    def decrypt_request(self, headers, raw):
        key = self.private_key.decrypt(base64.b64decode(headers["ak"]), asym_padding.PKCS1v15())
        digest = self.private_key.decrypt(base64.b64decode(headers["sk"]), asym_padding.PKCS1v15()).decode()
        decryptor = Cipher(algorithms.AES(key), modes.ECB()).decryptor()
        padded = decryptor.update(base64.b64decode(raw)) + decryptor.finalize()
        unpadder = padding.PKCS7(128).unpadder()
        plain = unpadder.update(padded) + unpadder.finalize()
        sha1 = hashes.Hash(hashes.SHA1())
        sha1.update(plain)
        if sha1.finalize().hex() != digest:
            raise ValueError("sk does not match the body")
        return key, json.loads(plain)

    @staticmethod
    def encrypt_response(answer, key):
        padder = padding.PKCS7(128).padder()
        data = padder.update(json.dumps(answer, ensure_ascii=False).encode()) + padder.finalize()
        encryptor = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
        return base64.b64encode(encryptor.update(data) + encryptor.finalize())

    def answer_api(self, api, body):
        if api == "getUserProfile":
            return {"employeeId": self.username, "realName": "测试同学"}
        if api == "getAllConfig":
            semester = {"semesterStartDate": "2025-02-24 00:00:00", "semesterEndDate": "2025-07-06 00:00:00"}
            return {"semester": [semester]}
        if api == "queryStudentSemesterCourseByPage":
            size = max(1, int(body.get("pageSize") or 10))
            if self.max_page_size:
                size = min(size, self.max_page_size)
            number = max(1, int(body.get("pageNumber") or 1))
            total = len(self.courses)
            pages = (total + size - 1) // size
            content = self.courses[(number - 1) * size : number * size]
            return {
                "content": content,
                "totalElements": total,
                "totalPages": pages,
                "number": number - 1,
                "size": size,
            }
        return None

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, status, body=b"", content_type="text/html; charset=utf-8", location=None):
                if isinstance(body, str):
                    body = body.encode()
                self.send_response(status)
                if location:
                    self.send_header("Location", location)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _delay(self):
                if fake.slow_seconds:
                    fake._stop.wait(fake.slow_seconds)
                if fake.fail_5xx:
                    fake.fail_5xx -= 1
                    self._send(502, "<html>502 Bad Gateway</html>")
                    return True
                return False

            def _login_page(self, error=""):
                execution = secrets.token_hex(8)
                fake.executions.add(execution)
                self._send(200, LOGIN_PAGE.format(execution=execution, error=error))

            def do_GET(self):
                if self._delay():
                    return None
                url = urlparse(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                if url.path == "/sscv/cas/login":
                    service = quote(f"{fake.base_url}/casLogin", safe="")
                    return self._send(302, location=f"/sso/login?service={service}")
                if url.path == "/sso/login":
                    return self._login_page()
                if url.path == "/sscv/casLogin":
                    ticket = query.get("ticket")
                    if ticket not in fake.tickets:
                        return self._send(403, "bad ticket")
                    fake.tickets.discard(ticket)
                    token = secrets.token_hex(16)
                    fake.tokens.add(token)
                    return self._send(
                        302, location=f"/sscv/system/home?next={quote('/cas-login?token=' + token)}"
                    )
                if url.path == "/sscv/system/home":
                    return self._send(302, location=query.get("next", "/"))
                return self._send(404, "not found")

            def do_POST(self):
                if self._delay():
                    return None
                url = urlparse(self.path)
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if url.path == "/sso/login":
                    form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
                    service = parse_qs(url.query).get("service", [""])[0]
                    execution = form.get("execution")
                    if execution not in fake.executions or form.get("_eventId") != "submit" or not service:
                        return self._send(400, "bad form")
                    fake.executions.discard(execution)
                    if form.get("username") != fake.username or form.get("password") != fake.password:
                        return self._login_page('<span class="error">用户名或密码错误</span>')
                    fake.logins += 1
                    ticket = f"ST-{secrets.token_hex(8)}"
                    fake.tickets.add(ticket)
                    return self._send(302, location=f"{service}?ticket={ticket}")
                if not url.path.startswith("/sscv/"):
                    return self._send(404, "not found")
                api = url.path[len("/sscv/") :]
                try:
                    key, body = fake.decrypt_request(self.headers, raw)
                except Exception:
                    return self._send(400, "cannot decrypt the request")
                fake.api_calls.append((api, body))
                if fake.garble:
                    return self._send(200, "<html><body>系统维护中</body></html>")
                token = self.headers.get("auth_token")
                if (
                    fake.reject_all_tokens
                    or token not in fake.tokens
                    or self.headers.get("authtoken") != token
                ):
                    if fake.expired_as_garbage:
                        return self._send(200, "<html><body>请重新登录</body></html>")
                    answer = {"status": "1", "errmsg": "会话已失效，请重新登录", "data": None}
                else:
                    data = fake.answer_api(api, body)
                    if data is None:
                        return self._send(404, "no such api")
                    answer = {"status": "0", "errmsg": "请求成功", "data": data}
                self._send(200, fake.encrypt_response(answer, key), content_type="application/json")
                return None

        return Handler
