"""A fake WeChat server API on loopback, speaking the real endpoints' protocol.

Codes: any code maps to openid `openid-<code>`, except `invalid-code` (errcode 40029)
and `busy-code` (errcode -1, "system error"). stable_token hands out numbered tokens;
getwxacodeunlimit answers a PNG for a known token and an errcode JSON otherwise.
message/subscribe/send records each accepted message in `subscribe_sent`; it answers
40001 for an unknown (or expired, `expire_tokens()`) token, 43101 for an openid in
`refusing_openids`, 47003 for a `thing*` value longer than 20 characters or a `time*`
value that is no time, and errcode -1 (system error) `fail_sends` times.
"""

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

PNG_BYTES = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)

TIME_VALUE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$|^\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}$")


class FakeWeChat:
    def __init__(self, appid="wx-test-appid", secret="wx-test-secret"):
        self.appid = appid
        self.secret = secret
        self.requests = []  # (path, query or body)
        self.tokens_issued = 0
        self.valid_tokens = set()
        self.fail_token_requests = False
        self.subscribe_sent = []  # the bodies of accepted subscribe messages
        self.refusing_openids = set()
        self.fail_sends = 0
        self.send_delay = 0.0  # seconds each subscribe send takes (races)
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def expire_tokens(self):
        self.valid_tokens.clear()

    def subscribe_send(self, query, body):
        """The answer of /cgi-bin/message/subscribe/send, as WeChat gives it."""
        if self.send_delay:
            time.sleep(self.send_delay)
        with self.lock:
            if query.get("access_token") not in self.valid_tokens:
                return {
                    "errcode": 40001,
                    "errmsg": "invalid credential, access_token is invalid or not latest",
                }
            if not body.get("touser") or not body.get("template_id"):
                return {"errcode": 47001, "errmsg": "data format error"}
            for key, item in (body.get("data") or {}).items():
                value = item.get("value") if isinstance(item, dict) else None
                bad = not isinstance(value, str)
                bad = bad or (key.startswith("thing") and len(value) > 20)
                bad = bad or (key.startswith("time") and not TIME_VALUE.match(value))
                if bad:
                    return {"errcode": 47003, "errmsg": f"argument invalid! data.{key}.value invalid"}
            if body["touser"] in self.refusing_openids:
                return {"errcode": 43101, "errmsg": "user refuse to accept the msg"}
            if self.fail_sends > 0:
                self.fail_sends -= 1
                return {"errcode": -1, "errmsg": "system error"}
            self.subscribe_sent.append(body)
            return {"errcode": 0, "errmsg": "ok", "msgid": len(self.subscribe_sent)}

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send_json(self, data, status=200):
                body = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                url = urlparse(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                fake.requests.append((url.path, query))
                if url.path == "/sns/jscode2session":
                    if query.get("appid") != fake.appid or query.get("secret") != fake.secret:
                        return self._send_json({"errcode": 40013, "errmsg": "invalid appid"})
                    code = query.get("js_code", "")
                    if code == "invalid-code":
                        return self._send_json({"errcode": 40029, "errmsg": "invalid code"})
                    if code == "busy-code":
                        return self._send_json({"errcode": -1, "errmsg": "system error"})
                    return self._send_json({"openid": f"openid-{code}", "session_key": "sk"})
                self._send_json({"errcode": 404, "errmsg": "no such api"}, status=404)
                return None

            def do_POST(self):
                url = urlparse(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    body = {}
                fake.requests.append((url.path, {**query, **body}))
                if url.path == "/cgi-bin/stable_token":
                    if fake.fail_token_requests or body.get("secret") != fake.secret:
                        return self._send_json({"errcode": 40125, "errmsg": "invalid appsecret"})
                    fake.tokens_issued += 1
                    token = f"access-token-{fake.tokens_issued}"
                    fake.valid_tokens.add(token)
                    return self._send_json({"access_token": token, "expires_in": 7200})
                if url.path == "/cgi-bin/message/subscribe/send":
                    return self._send_json(fake.subscribe_send(query, body))
                if url.path == "/wxa/getwxacodeunlimit":
                    if query.get("access_token") not in fake.valid_tokens:
                        return self._send_json({"errcode": 40001, "errmsg": "invalid credential"})
                    self.send_response(200)
                    self.send_header("Content-Type", "image/png")
                    self.send_header("Content-Length", str(len(PNG_BYTES)))
                    self.end_headers()
                    self.wfile.write(PNG_BYTES)
                    return None
                self._send_json({"errcode": 404, "errmsg": "no such api"}, status=404)
                return None

        return Handler
