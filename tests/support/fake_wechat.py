"""A fake WeChat server API on loopback, speaking the real endpoints' protocol.

Codes: any code maps to openid `openid-<code>`, except `invalid-code` (errcode 40029)
and `busy-code` (errcode -1, "system error"). stable_token hands out numbered tokens;
getwxacodeunlimit answers a PNG for a known token and an errcode JSON otherwise.
"""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

PNG_BYTES = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


class FakeWeChat:
    def __init__(self, appid="wx-test-appid", secret="wx-test-secret"):
        self.appid = appid
        self.secret = secret
        self.requests = []  # (path, query or body)
        self.tokens_issued = 0
        self.valid_tokens = set()
        self.fail_token_requests = False
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
