"""Pages a person opens load and render in a real browser: headless Chromium (Debian's
`chromium` package), driven through its DevTools protocol with websocket-client.

The app is served on loopback from this process. Each page must render its content
with no console error and no uncaught exception; a screenshot of each is saved under
the test's temp dir (kept by CI as an artefact; the path is printed).
"""

import base64
import contextlib
import itertools
import json
import os
import re
import shutil
import subprocess
import threading
import time

import pytest
from werkzeug.serving import make_server

IN_CI = os.environ.get("CI", "").lower() == "true"
# Debian packages; fonts-noto-cjk so the Chinese text in screenshots is not tofu boxes.
# .ci/run installs them up front; the fixture below does it when run on its own.
PACKAGES = ("chromium", "chromium-driver", "fonts-noto-cjk")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--remote-debugging-port=0",
    "--window-size=1280,1600",
    # nothing but loopback: a page that reaches out to another host fails visibly here
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
]


def find_chromium():
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def install_chromium():
    """apt-get the Debian packages (root only); returns the binary or None."""
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return None
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    try:
        subprocess.run(["apt-get", "update", "-qq"], env=env, check=True, capture_output=True, timeout=300)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", *PACKAGES],
            env=env,
            check=True,
            capture_output=True,
            timeout=600,
        )
    except (subprocess.SubprocessError, OSError):
        return None
    return find_chromium()


@pytest.fixture(scope="session")
def chromium():
    binary = find_chromium() or install_chromium()
    if binary is None:
        message = "headless Chromium is needed: apt-get update && apt-get install -y " + " ".join(PACKAGES)
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return binary


@pytest.fixture
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


class Browser:
    """One headless Chromium with a fresh profile, one page, DevTools over a WebSocket."""

    def __init__(self, binary, profile_dir):
        import websocket

        self.process = subprocess.Popen(
            [binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile_dir}", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        url = self._devtools_url()
        self.ws = websocket.create_connection(url, timeout=30, suppress_origin=True)
        self.ids = itertools.count(1)
        self.events = []
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            self.call(f"{domain}.enable", session=True)

    def _devtools_url(self):
        deadline = time.monotonic() + 30
        lines = []
        while time.monotonic() < deadline:
            line = self.process.stderr.readline()
            if not line and self.process.poll() is not None:
                break
            lines.append(line)
            found = re.search(r"DevTools listening on (ws://\S+)", line)
            if found:
                threading.Thread(target=self._drain, daemon=True).start()
                return found.group(1)
        self.close()
        raise RuntimeError("Chromium did not start: " + "".join(lines)[-2000:])

    def _drain(self):
        for _ in self.process.stderr:
            pass

    def call(self, method, session=False, **params):
        message = {"id": next(self.ids), "method": method, "params": params}
        if session:
            message["sessionId"] = self.session
        self.ws.send(json.dumps(message))
        while True:
            reply = json.loads(self.ws.recv())
            if reply.get("id") == message["id"]:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def evaluate(self, expression):
        result = self.call("Runtime.evaluate", session=True, expression=expression, returnByValue=True)
        return result.get("result", {}).get("value")

    def wait_for(self, expression, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = self.evaluate(expression)
            if value:
                return value
            time.sleep(0.2)
        return self.evaluate(expression)

    def errors(self):
        """Console errors, uncaught exceptions and failed loads seen so far."""
        found = []
        for event in self.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.exceptionThrown":
                details = params["exceptionDetails"]
                found.append(f"{details.get('text')} {details.get('exception', {}).get('description', '')}")
            elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                found.append(
                    " ".join(str(arg.get("value", arg.get("description"))) for arg in params["args"])
                )
            elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
                found.append(f"{params['entry'].get('text')} {params['entry'].get('url', '')}")
        return found

    def screenshot(self, path):
        data = self.call("Page.captureScreenshot", session=True, format="png", captureBeyondViewport=True)[
            "data"
        ]
        path.write_bytes(base64.b64decode(data))
        return path

    def close(self):
        with contextlib.suppress(Exception):
            self.ws.close()
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def check_swagger(browser):
    """Swagger UI lists the operations of /apispec_1.json."""
    count = browser.wait_for("document.querySelectorAll('.opblock').length")
    assert count and count >= 10, f"Swagger UI rendered {count} operations"
    paths = browser.evaluate(
        "[...document.querySelectorAll('.opblock-summary-path')].map(e => e.innerText.replace(/\\u200b/g, ''))"
    )
    assert "/api/show/" in paths and "/api/health/" in paths, paths
    text = browser.evaluate("document.body.innerText")
    assert "一苇以航" in text
    assert (
        "development login: the code `demo-<n>` is the openid" in text.replace("\n", " ")
        or "demo-<n>" in text
    )
    # Swagger UI 5 from the pinned package, keeping the token across reloads
    assert browser.evaluate("window.ui.getConfigs().persistAuthorization") is True
    assert browser.evaluate("document.querySelector('meta[name=version]').content").startswith("5.")
    # The login operation shows its request and response examples (demo-1)
    browser.evaluate(
        "[...document.querySelectorAll('.opblock-summary-path')]"
        ".find(e => e.innerText.replace(/\u200b/g, '') === '/api/userLogin/')"
        ".closest('.opblock-summary').querySelector('button').click()"
    )
    body = browser.wait_for(
        "(() => { const b = document.querySelector('.opblock.is-open .opblock-body');"
        " return b && b.innerText.includes('demo-1') && b.innerText.includes('userExist') ? b.innerText : ''; })()"
    )
    assert body, "the login example did not show"
    assert '"code": "demo-1"' in body and '"token"' in body


PAGES = [
    pytest.param("/apidocs/", check_swagger, id="swagger-ui"),
    pytest.param("/charts/#token={admin_token}", "check_charts", id="admin-charts"),
]


def check_charts(browser):
    """The admin charts page draws its three charts from the JSON routes.

    The three charts load in parallel, so each is waited for before the text is read.
    """
    bars = browser.wait_for("document.querySelectorAll('#orgs svg rect').length")
    assert bars and bars >= 2, f"{bars} bars in the organizations chart"
    assert browser.wait_for("document.querySelectorAll('#acts svg rect').length"), "no activities chart"
    assert browser.wait_for("document.querySelectorAll('#categories svg').length") == 1
    text = browser.evaluate("document.body.innerText")
    assert "热门社团" in text and "篮球赛" in text, text[:500]


@pytest.mark.slow
@pytest.mark.timeout(900)  # the first run may apt-get Chromium
@pytest.mark.parametrize(("path", "check"), PAGES)
def test_page_renders_in_headless_chromium(chromium, live_server, tmp_path, path, check):
    if check == "check_charts":
        path, check = path.format(admin_token=_campus_with_charts()), check_charts
    browser = Browser(chromium, tmp_path / "profile")
    try:
        browser.call("Page.navigate", session=True, url=live_server + path)
        browser.wait_for("document.readyState === 'complete'")
        check(browser)
        shot = browser.screenshot(
            tmp_path / f"{path.split('#')[0].strip('/').replace('/', '_') or 'root'}.png"
        )
        print(f"screenshot: {shot}")
        assert shot.stat().st_size > 10_000
        assert browser.errors() == []
    finally:
        browser.close()


def _campus_with_charts():
    """Two organizations with followers and an activity with participants; the admin token."""
    from tests.factories import follow, headers, join, make_activity, make_admin, make_org, make_user

    popular, quiet = make_org(name="热门社团"), make_org(name="小众社团")
    for _ in range(3):
        follow(popular, make_user())
    follow(quiet, make_user())
    activity = make_activity(org=popular, name="篮球赛")
    join(activity, make_user())
    return headers(make_admin())["Token"]
