"""The deployment, run for real (.ci/deploy-test; not part of pytest's run).

What README.md "Deployment" tells an operator to do, on this machine: the production
env template filled in (sourced by bash for the CLI steps, read the systemd way for the
processes), `manage.py db upgrade / seed / create-admin`, two server processes and the
scheduler started as their systemd units would start them (Environment=, EnvironmentFile=,
ExecStart=), on MariaDB + Redis, with WeChat configured against the fake WeChat server;
then the shipped nginx site rendered with a throw-away certificate and local ports, and a
smoke scenario through nginx only. Everything it starts is stopped at the end, also on
failure; the logs stay in the work directory (printed by .ci/deploy-test on failure).

    python -m tests.deploy.smoke --workdir DIR [--mariadb-url mysql+pymysql://root@127.0.0.1:3306] \\
        [--redis-url redis://127.0.0.1:6379/13]
"""

import argparse
import io
import json
import os
import re
import secrets
import shlex
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import pymysql  # noqa: E402
import requests  # noqa: E402
import socketio as socketio_client  # noqa: E402
import websocket  # noqa: E402  (websocket-client)
from PIL import Image  # noqa: E402

from tests.deploy.site import Nginx, make_certificate, render_site  # noqa: E402
from tests.support.fake_wechat import FakeWeChat  # noqa: E402
from tests.support.smtp_sink import SmtpSink, free_port  # noqa: E402

DEPLOY = ROOT / "deploy"
WAIT = 15


PIDS = None  # a file in the work directory: .ci/deploy-test's trap ends these if we cannot


def remember(pid):
    if PIDS is not None:
        with open(PIDS, "a", encoding="ascii") as out:
            out.write(f"{pid}\n")


STARTED = time.monotonic()


def step(text):
    print(f"-- [{time.monotonic() - STARTED:5.1f} s] {text}", flush=True)


def check(condition, text):
    if not condition:
        raise AssertionError(text)


# ---- the env file and the systemd units, read as systemd reads them -------------------
def render_env_file(values):
    """deploy/reedsailing.env.example with `values` put in (every key must exist there)."""
    text = (DEPLOY / "reedsailing.env.example").read_text(encoding="utf-8")
    for key, value in values.items():
        text, found = re.subn(
            rf"^#? ?{key}=.*$", lambda _m, k=key, v=value: f"{k}={v}", text, count=1, flags=re.M
        )
        check(found == 1, f"{key} is not in deploy/reedsailing.env.example")
    leftover = re.findall(r"^([A-Z_]+)=.*<[^>]*>.*$", text, re.M)
    allowed = {"MAIL_DEFAULT_SENDER"}  # an address in angle brackets, not a placeholder
    check(not set(leftover) - allowed, f"placeholders left in the env file: {set(leftover) - allowed}")
    return text


def systemd_environment_file(text):
    """KEY=VALUE lines as systemd's EnvironmentFile= takes them (quotes stripped)."""
    env = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        key, _, value = line.partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1].replace('\\"', '"')
        env[key.strip()] = value
    return env


def unit(path, instance=None):
    """(Environment= as a dict, ExecStart= argv, WorkingDirectory=) of a unit file."""
    text = path.read_text(encoding="utf-8")
    if instance is not None:
        text = text.replace("%i", str(instance))
    env, argv, workdir = {}, None, None
    for line in text.splitlines():
        key, _, value = line.partition("=")
        if key == "Environment":
            name, _, setting = value.partition("=")
            env[name] = setting
        elif key == "ExecStart":
            argv = shlex.split(value)
        elif key == "WorkingDirectory":
            workdir = value
    return env, argv, workdir


class Unit:
    """One process started as its systemd unit would start it (the repository standing in
    for /opt/reedsailing, this Python for its .venv)."""

    def __init__(self, name, path, env_file, workdir, instance=None):
        self.name = name
        unit_env, argv, unit_dir = unit(path, instance)
        check(unit_dir == "/opt/reedsailing", f"{path.name}: WorkingDirectory changed")
        check(argv[0] == "/opt/reedsailing/.venv/bin/python", f"{path.name}: ExecStart changed")
        self.argv = [sys.executable, *argv[1:]]
        base = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}
        # systemd: EnvironmentFile= wins over Environment=
        self.env = {**base, **unit_env, **systemd_environment_file(env_file.read_text(encoding="utf-8"))}
        self.log_path = Path(workdir) / f"{name}.log"
        self.process = None

    def start(self):
        log = open(self.log_path, "wb")  # noqa: SIM115 - closed with the process
        self.process = subprocess.Popen(
            self.argv, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
        )
        remember(self.process.pid)
        return self

    def alive(self):
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout=20):
        """SIGTERM (the units' KillSignal), wait TimeoutStopSec, then SIGKILL: seconds taken."""
        if not self.alive():
            return None
        began = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(f"{self.name} ignored SIGTERM for {timeout} s") from None
        return time.monotonic() - began


def wait_healthy(url, proc, verify=True, timeout=40):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and not proc.alive():
            raise AssertionError(f"{proc.name} exited with {proc.process.returncode}")
        try:
            response = requests.get(f"{url}/api/health/", timeout=2, verify=verify)
            if response.status_code == 200:
                return response.json()
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} did not become healthy in {timeout} s")


def run_cli(env_file, *args):
    """A README CLI step: `set -a; . reedsailing.env; set +a` then the command, in bash -e."""
    script = f'set -euo pipefail; set -a; . {shlex.quote(str(env_file))}; set +a; exec "$@"'
    result = subprocess.run(
        ["bash", "-c", script, "cli", sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            "HOME": os.environ.get("HOME", "/root"),
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    check(
        result.returncode == 0 and "No such file" not in result.stderr,
        f"manage.py {' '.join(args)} failed ({result.returncode}):\n{result.stdout[-1500:]}{result.stderr[-3000:]}",
    )
    return result.stdout


# ---- Socket.IO clients --------------------------------------------------------------
class Inbox:
    def __init__(self):
        self.events = []
        self.changed = threading.Condition()

    def add(self, name, payload):
        with self.changed:
            self.events.append((name, payload))
            self.changed.notify_all()

    def wait_for(self, predicate, timeout=WAIT):
        with self.changed:
            self.changed.wait_for(lambda: any(predicate(n, p) for n, p in self.events), timeout=timeout)
            return [(n, p) for n, p in self.events if predicate(n, p)]


def socket_client(base, token, transport, cert):
    session = requests.Session()
    session.trust_env = False  # else REQUESTS_CA_BUNDLE from the environment beats `verify`
    session.verify = str(cert)
    inbox = Inbox()
    client = socketio_client.Client(reconnection=False, http_session=session)
    client.on("notification", lambda payload: inbox.add("notification", payload))
    client.on("notifications", lambda payload: inbox.add("notifications", payload))
    if transport == "upgrade":  # what browsers do: long-polling first, then the WebSocket upgrade
        client.connect(base, auth={"token": token}, wait_timeout=WAIT)
        deadline = time.monotonic() + WAIT
        while client.transport() != "websocket" and time.monotonic() < deadline:
            time.sleep(0.05)
        check(client.transport() == "websocket", "the polling session was not upgraded to a WebSocket")
    else:
        client.connect(base, auth={"token": token}, transports=[transport], wait_timeout=WAIT)
        check(client.transport() == transport, f"connected over {client.transport()}, not {transport}")
    return client, inbox


# ---- the scenario ------------------------------------------------------------------
def scenario(site, http_site, cert, admin_password, wechat, smtp, nginx, servers, scheduler):
    http = requests.Session()
    http.trust_env = False  # else REQUESTS_CA_BUNDLE from the environment beats `verify`
    http.verify = str(cert)

    def api(method, path, token=None, admin=None, expect=(200,), **kwargs):
        headers = kwargs.pop("headers", {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if admin:
            headers["Token"] = admin
        response = http.request(method, site + path, headers=headers, timeout=30, **kwargs)
        check(
            response.status_code in expect, f"{method} {path}: {response.status_code} {response.text[:500]}"
        )
        return response

    step("health through nginx, and the port-80 redirect")
    health = api("GET", "/api/health/").json()
    check(health == {"status": "ok", "database": "ok", "redis": "ok"}, f"health: {health}")
    redirect = requests.get(http_site + "/api/health/", allow_redirects=False, timeout=10)
    check(
        redirect.status_code == 301 and redirect.headers["Location"].startswith("https://"),
        "no redirect to https",
    )
    check(api("GET", "/nothing-here", expect=(404,)).status_code == 404, "unknown paths are 404")

    step("login (WeChat configured: the fake WeChat server answers jscode2session)")
    users = {}
    for name in ("alice", "bob", "carol", "dave"):
        body = api("POST", "/api/userLogin/", json={"code": f"{name}-{uuid.uuid4().hex[:8]}"}).json()
        users[name] = (body["id"], body["token"])
    check(
        sum(path == "/sns/jscode2session" for path, _ in wechat.requests) >= 4,
        "the servers did not ask WeChat",
    )
    (alice, alice_token), (bob, bob_token) = users["alice"], users["bob"]

    step("e-mail verification (the code comes by SMTP from whichever process served it)")
    for name in ("alice", "bob"):
        uid, token = users[name]
        address = f"{name}-{uuid.uuid4().hex[:10]}@buaa.edu.cn"
        api("POST", "/api/sendVerify/", token=token, json={"email": address})
        deadline = time.monotonic() + WAIT
        while not [m for m in smtp.messages if address in m["to"]] and time.monotonic() < deadline:
            time.sleep(0.1)
        mails = [m for m in smtp.messages if address in m["to"]]
        check(mails, f"no verification mail to {address}")
        code = re.search(r"验证码是 ([0-9a-f]{6})", mails[-1]["body"]).group(1)
        api("POST", "/api/verify/", token=token, json={"email": address, "verifyCode": code, "id": uid})

    step("publish an activity (alice) and join it (bob)")
    category = api("GET", "/api/activities/categories/", token=alice_token).json()[0]["id"]
    address = api(
        "POST",
        "/api/activities/addresses/",
        token=alice_token,
        expect=(200, 201),
        json={"name": "新主楼", "longitude": "116.34", "latitude": "39.98"},
    ).json()["id"]
    begin = time.strftime("%Y-%m-%dT%H:%M", time.localtime(time.time() + 3 * 86400))
    end = time.strftime("%Y-%m-%dT%H:%M", time.localtime(time.time() + 3 * 86400 + 7200))
    activity = {
        "id": -1,
        "name": "部署测试羽毛球",
        "begin_time": begin,
        "end_time": end,
        "contain": "30",
        "description": "经 nginx 发布",
        "review": False,
        "owner": alice,
        "type": category,
        "org": None,
        "location": address,
        "block": 5,
    }
    act = api("POST", "/api/activities/", token=alice_token, expect=(201,), json=activity).json()["id"]
    api(
        "POST",
        "/api/activities/participants/",
        token=bob_token,
        expect=(200, 201),
        json={"person": bob, "act": str(act)},
    )
    check(api("GET", f"/api/activities/{act}/", token=bob_token).json()["name"] == "部署测试羽毛球", "detail")

    step("Socket.IO through nginx: alice over WebSocket, bob and dave over long-polling, carol upgraded")
    clients = []
    try:
        # polling first: each holds a long-poll GET open, so least_conn spreads the
        # handshakes over the processes and the sessions live on different ones
        poll_client, bob_inbox = socket_client(site, bob_token, "polling", cert)
        clients.append(poll_client)
        # carol: polling, then upgraded to a WebSocket (the upgrade request carries the sid)
        extra = [
            socket_client(site, users["carol"][1], "upgrade", cert),
            socket_client(site, users["dave"][1], "polling", cert),
        ]
        clients += [c for c, _ in extra]
        # least_conn spreads them; should a race have put them all on one process, add
        # polling sessions (bounded) until both processes hold one
        node = lambda c: c.eio.sid.split(".", 1)[0]  # noqa: E731
        for _ in range(6):
            if {node(c) for c in clients} >= {str(p) for p in servers}:
                break
            clients.append(socket_client(site, users["dave"][1], "polling", cert)[0])
        ws_client, alice_inbox = socket_client(site, alice_token, "websocket", cert)
        clients.append(ws_client)
        for inbox in (alice_inbox, bob_inbox, *(i for _, i in extra)):
            check(inbox.wait_for(lambda n, p: n == "notifications"), "no `notifications` on connect")

        # alice edits the activity: bob (participant, long-polling) gets notice 1
        api(
            "PUT",
            f"/api/activities/{act}/",
            token=alice_token,
            expect=(200,),
            json={**activity, "id": str(act), "description": "改到下午"},
        )
        got = bob_inbox.wait_for(lambda n, p: n == "notification" and p.get("act") == act)
        check(got, "bob (polling) got no notice of the change")
        # bob comments: alice (owner, WebSocket) gets the comment notice
        api(
            "POST",
            "/api/activities/comments/",
            token=bob_token,
            expect=(200, 201),
            json={"act": act, "content": "经 nginx 评论", "score": 5},
        )
        got = alice_inbox.wait_for(lambda n, p: n == "notification" and p.get("act") == act)
        check(got, "alice (WebSocket) got no notice of the comment")
        # long-polling keeps working: several more polls per session over a few seconds
        time.sleep(3)
        for client in clients:
            check(client.connected, "a Socket.IO client lost its session")
        sids = {client.eio.sid for client in clients if client is not ws_client}  # began with polling
    finally:
        for client in clients:
            client.disconnect()

    step("the legacy /ws/link/<uid>/ socket (LEGACY_WS_ENABLED=true)")
    legacy = websocket.create_connection(
        site.replace("https://", "wss://") + f"/ws/link/{alice}/",
        sslopt={"ca_certs": str(cert)},
        timeout=WAIT,
    )
    try:
        frame = json.loads(legacy.recv())
        check(isinstance(frame, list) and any(n.get("act") == act for n in frame), f"legacy frame: {frame}")
    finally:
        legacy.close()

    step("an upload, served by nginx from UPLOAD_FOLDER")
    picture = io.BytesIO()
    Image.new("RGB", (96, 64), (200, 30, 30)).save(picture, "PNG")
    img = api(
        "POST",
        f"/api/activities/{act}/avatar/",
        token=alice_token,
        expect=(200, 201),
        files={"image": ("a.png", io.BytesIO(picture.getvalue()), "image/png")},
    ).json()["img"]
    check(img.startswith(site + "/uploads/acts/"), f"image URL {img} is not under PUBLIC_BASE_URL/uploads/")
    served = http.get(img, timeout=10)
    check(
        served.status_code == 200 and served.headers["Content-Type"] == "image/png",
        f"upload: {served.status_code}",
    )
    check(
        len(served.content) > 0 and served.headers.get("X-Content-Type-Options") == "nosniff",
        "upload headers",
    )

    step("Swagger UI, its static files and the spec; gzip on JSON")
    page = api("GET", "/apidocs/").text
    check("swagger" in page.lower(), "no Swagger UI")
    statics = re.findall(r'(?:src|href)="(/apidocs/[^"]+)"', page)
    check(statics, "Swagger UI names no /apidocs/ static file")
    for path in statics:
        api("GET", path)
    spec = api("GET", "/apispec_1.json", headers={"Accept-Encoding": "gzip"})
    check("/api/activities/" in spec.json()["paths"], "spec without paths")
    check(spec.headers.get("Content-Encoding") == "gzip", "JSON not gzipped by nginx")
    listing = api("GET", "/api/activities/", token=alice_token, headers={"Accept-Encoding": "gzip"})
    check(listing.headers.get("Content-Type", "").startswith("application/json"), "not JSON")
    if int(listing.headers.get("Content-Length") or 2048) >= 1024:  # gzip_min_length
        check(listing.headers.get("Content-Encoding") == "gzip", "an /api/ JSON answer was not gzipped")

    step("the admin charts page and its JSON (admin from `manage.py create-admin`)")
    admin_token = api(
        "POST", "/api/adminLogIn/", json={"username": "admin", "password": admin_password}
    ).json()["token"]
    charts_page = api("GET", "/charts/")
    check(
        charts_page.headers["Content-Type"].startswith("text/html") and "数据统计" in charts_page.text,
        "charts page",
    )
    charts = api("GET", "/api/charts/popular_acts/", admin=admin_token).json()
    check(any(item["name"] == "部署测试羽毛球" for item in charts), f"charts: {charts}")
    check("console" in api("GET", "/").text, "console static root")

    step("the access log: where nginx sent what")
    log = (nginx.workdir / "access.log").read_text(errors="replace").splitlines()
    ports = {str(server_port) for server_port in servers}
    api_upstreams = {
        m.group(1)
        for line in log
        if '"GET /api/' in line or '"POST /api/' in line
        for m in [re.search(r"upstream=127\.0\.0\.1:(\d+)", line)]
        if m
    }
    check(
        api_upstreams == ports,
        f"/api/ reached {api_upstreams}, not every process {ports} (all from one address)",
    )
    routed = 0
    for line in log:
        found = re.search(
            r'"(?:GET|POST) /socket\.io/\?[^" ]*sid=(\d+)\.[^"]*" (\d+) .*upstream=127\.0\.0\.1:(\d+)', line
        )
        if found:
            check(found.group(1) == found.group(3), f"a polling request went to the wrong process: {line}")
            check(found.group(2) in ("200", "101"), f"a Socket.IO request failed: {line}")
            routed += 1
    check(routed >= 8, f"only {routed} Socket.IO requests with a sid in the log")
    upgrades = [line for line in log if "transport=websocket" in line and "sid=" in line and '" 101 ' in line]
    check(upgrades, "no WebSocket upgrade of a polling session in the access log")
    session_nodes = {sid.split(".", 1)[0] for sid in sids}
    check(session_nodes == ports, f"polling session ids {sids} do not name every process {ports}")
    upload_lines = [line for line in log if "/uploads/acts/" in line]
    check(
        upload_lines and all("upstream=-" in line for line in upload_lines),
        f"upload went upstream: {upload_lines}",
    )
    gz = [line for line in log if "/apispec_1.json" in line and "gzip=gzip" in line]
    check(gz, "no gzipped spec in the access log")
    check(scheduler.alive(), "the scheduler died")
    print(
        f"   /api/ reached ports {sorted(api_upstreams)}; {routed} Socket.IO requests routed by sid "
        f"(sessions on {sorted(session_nodes)}); uploads served by nginx",
        flush=True,
    )


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workdir", required=True)
    parser.add_argument(
        "--mariadb-url", default=os.environ.get("MARIADB_BASE", "mysql+pymysql://root@127.0.0.1:3306")
    )
    parser.add_argument(
        "--redis-url", default=os.environ.get("DEPLOY_REDIS_URL", "redis://127.0.0.1:6379/13")
    )
    parser.add_argument("--processes", type=int, default=2)
    args = parser.parse_args()
    workdir = Path(args.workdir)
    began = time.monotonic()
    global PIDS
    PIDS = workdir / "pids"
    # A TERM from the wrapper (time limit, Ctrl-C) still runs the clean-up below.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    db = urlsplit(args.mariadb_url)
    db_name = f"rs_deploy_{os.getpid()}"
    connect = {
        "host": db.hostname,
        "port": db.port or 3306,
        "user": db.username or "root",
        "password": db.password or "",
        "connect_timeout": 5,
    }
    conn = pymysql.connect(**connect)
    with conn.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{db_name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    conn.close()

    wechat = FakeWeChat().start()
    smtp = SmtpSink().start()
    units, nginx = [], None
    try:
        step("the env file from deploy/reedsailing.env.example")
        https_port, http_port = free_port(), free_port()
        site = f"https://localhost:{https_port}"
        uploads = workdir / "uploads"
        for sub in ("orgs", "acts", "qrcode"):  # README: install -d ... uploads/{orgs,acts,qrcode}
            (uploads / sub).mkdir(parents=True, exist_ok=True)
        console = workdir / "console"
        console.mkdir()
        (console / "index.html").write_text("<!doctype html><title>console</title>", encoding="utf-8")
        for path in (workdir, uploads, console):  # nginx's workers (www-data) read these
            path.chmod(0o755)
        admin_password = secrets.token_urlsafe(12)
        env_file = workdir / "reedsailing.env"
        env_file.write_text(
            render_env_file(
                {
                    "SECRET_KEY": secrets.token_urlsafe(48),
                    "DATABASE_URL": f"mysql+pymysql://{connect['user']}:{connect['password']}@{connect['host']}:"
                    f"{connect['port']}/{db_name}?charset=utf8mb4",
                    "REDIS_URL": args.redis_url,
                    "CORS_ORIGINS": site,
                    "WECHAT_APPID": wechat.appid,
                    "WECHAT_SECRET": wechat.secret,
                    "WECHAT_API_BASE": wechat.base_url,
                    "MAIL_SERVER": "127.0.0.1",
                    "MAIL_PORT": str(smtp.port),
                    "MAIL_USE_TLS": "false",  # the SMTP sink is a plain local relay (README "Security", Mail)
                    "UPLOAD_FOLDER": str(uploads),
                    "PUBLIC_BASE_URL": site,
                    "BYKC_USERNAME": "",
                    "BYKC_PASSWORD": "",
                    "LEGACY_WS_ENABLED": "true",
                    "SOCKETIO_CHANNEL": f"reedsailing-deploy-{uuid.uuid4().hex}",
                }
            ),
            encoding="utf-8",
        )
        env_file.chmod(0o600)

        step("manage.py db upgrade / seed / create-admin (README's CLI steps)")
        run_cli(env_file, "db", "upgrade")
        run_cli(env_file, "seed")
        run_cli(env_file, "create-admin", "admin", "--password", admin_password)

        step(
            f"{args.processes} reedsailing-web@PORT processes and reedsailing-scheduler, as systemd starts them"
        )
        ports = [free_port() for _ in range(args.processes)]
        for port in ports:
            units.append(
                Unit(f"web@{port}", DEPLOY / "reedsailing-web@.service", env_file, workdir, port).start()
            )
        scheduler = Unit("scheduler", DEPLOY / "reedsailing-scheduler.service", env_file, workdir).start()
        units.append(scheduler)
        for port, proc in zip(ports, units, strict=False):
            check(wait_healthy(f"http://127.0.0.1:{port}", proc)["redis"] == "ok", "a process without Redis")

        step("nginx: the shipped site, rendered with a throw-away certificate and local ports")
        cert, key = make_certificate(workdir)
        nginx = Nginx(
            workdir,
            render_site(
                ports=ports,
                http_port=http_port,
                https_port=https_port,
                cert=cert,
                key=key,
                uploads=uploads,
                console=console,
            ),
            machine=True,  # Debian's nginx.conf, as the deployment has it
        )
        ok, output = nginx.test()
        print("   " + output.strip().replace("\n", "\n   "), flush=True)
        check(ok, "nginx -t failed")
        nginx.start()
        remember(nginx.process.pid)
        wait_healthy(site, None, verify=str(cert))

        scenario(
            site, f"http://127.0.0.1:{http_port}", cert, admin_password, wechat, smtp, nginx, ports, scheduler
        )

        step("stop: nginx (graceful), the server processes and the scheduler (SIGTERM)")
        code = nginx.stop()
        check(code == 0, f"nginx exited with {code}")
        for proc in units:
            took = proc.stop()
            print(f"   {proc.name}: stopped in {took:.1f} s (exit {proc.process.returncode})", flush=True)
        print(f"deployment test passed in {time.monotonic() - began:.0f} s", flush=True)
    finally:
        if nginx is not None:
            nginx.stop()
        for proc in units:
            try:
                proc.stop(timeout=10)
            except AssertionError as error:
                print(error, file=sys.stderr)
        wechat.stop()
        smtp.stop()
        conn = pymysql.connect(**connect)
        with conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{db_name}`")
        conn.close()


if __name__ == "__main__":
    main()
