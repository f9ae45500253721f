"""Render the shipped nginx site (deploy/nginx-reedsailing.conf) for a local run, and run
nginx with it: used by the deployment test (.ci/deploy-test) and `make bench --nginx`.

Rendering makes exactly the edits README.md's step by step asks of an operator — the
server name, the certificate paths, the process list (upstream and Socket.IO map), the
listen ports, UPLOAD_FOLDER and the console folder — and fails when one of them no
longer matches the shipped file, so the file and this test cannot drift apart.
"""

import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "deploy" / "nginx-reedsailing.conf"
DEBIAN_MAIN = Path("/etc/nginx/nginx.conf")
SHIPPED_PORTS = (8001, 8002)


def _replace(text, old, new, count=None):
    found = text.count(old)
    if not found or (count is not None and found != count):
        raise ValueError(
            f"the shipped nginx site changed: expected {count or 'some'} of {old!r}, found {found}"
        )
    return text.replace(old, new)


def render_site(
    *, ports, http_port, https_port, cert, key, uploads, console, server_name="localhost", balance=None
):
    """The shipped site with local values. `ports`: the server processes' ports."""
    text = SITE.read_text(encoding="utf-8")
    text = _replace(text, "server_name www.reedsailing.xyz;", f"server_name {server_name};", 2)
    text = _replace(text, "/etc/letsencrypt/live/www.reedsailing.xyz/fullchain.pem", str(cert), 1)
    text = _replace(text, "/etc/letsencrypt/live/www.reedsailing.xyz/privkey.pem", str(key), 1)
    text = _replace(text, "alias /var/lib/reedsailing/uploads/;", f"alias {str(uploads).rstrip('/')}/;", 1)
    text = _replace(text, "alias /var/www/reedsailing-console/;", f"alias {str(console).rstrip('/')}/;", 1)
    text = _replace(text, "listen 80;", f"listen 127.0.0.1:{http_port};", 1)
    text = _replace(text, "listen [::]:80;", f"listen [::1]:{http_port};", 1)
    text = _replace(text, "listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;", 1)
    text = _replace(text, "listen [::]:443 ssl http2;", f"listen [::1]:{https_port} ssl http2;", 1)
    # The process list: the shipped two lines become one line per local process.
    servers = "".join(f"    server 127.0.0.1:{port};\n" for port in ports)
    routes = "".join(f'    "~^{port}\\."      127.0.0.1:{port};\n' for port in ports)
    shipped_servers = "".join(f"    server 127.0.0.1:{port};\n" for port in SHIPPED_PORTS)
    shipped_routes = "".join(f'    "~^{port}\\."      127.0.0.1:{port};\n' for port in SHIPPED_PORTS)
    text = _replace(text, shipped_servers, servers, 1)
    text = _replace(text, shipped_routes, routes, 1)
    if balance:  # bench only: compare with another balancing method (e.g. the old ip_hash)
        text = _replace(text, "    least_conn;\n", f"    {balance};\n", 1)
    return text


def main_conf(workdir, site_path, access_log=True):
    """nginx.conf for a private nginx: Debian's own main file when there is one (as a
    deployment has it), with the pid, logs and site include pointed at `workdir`."""
    workdir = Path(workdir)
    fmt = (
        'log_format deploytest \'$remote_addr "$request" $status $body_bytes_sent '
        "upstream=$upstream_addr gzip=$sent_http_content_encoding';\n"
    )
    log = f"access_log {workdir}/access.log deploytest;" if access_log else "access_log off;"
    if DEBIAN_MAIN.exists():
        text = DEBIAN_MAIN.read_text(encoding="utf-8")
        text = re.sub(r"^pid .*;$", f"pid {workdir}/nginx.pid;", text, count=1, flags=re.M)
        text = re.sub(r"^(\s*)error_log .*;$", rf"\1error_log {workdir}/error.log;", text, flags=re.M)
        text = re.sub(r"^(\s*)access_log .*;$", rf"\1{fmt}\1{log}", text, flags=re.M)
        text = re.sub(r"^\s*include /etc/nginx/conf\.d/\*\.conf;$", "", text, flags=re.M)
        text = re.sub(
            r"^(\s*)include /etc/nginx/sites-enabled/\*;$", rf"\1include {site_path};", text, flags=re.M
        )
        if str(site_path) not in text:
            raise ValueError("could not point Debian's nginx.conf at the site")
        return text
    mime = next((p for p in (Path("/etc/nginx/mime.types"),) if p.exists()), None)
    return (
        f"pid {workdir}/nginx.pid;\nerror_log {workdir}/error.log;\nworker_processes auto;\n"
        "events { worker_connections 768; }\n"
        f"http {{\n  {'include ' + str(mime) + ';' if mime else ''}\n  default_type application/octet-stream;\n"
        f"  {fmt}  {log}\n  include {site_path};\n}}\n"
    )


def nginx_binary():
    return shutil.which("nginx") or "/usr/sbin/nginx"


def make_certificate(directory):
    """A throw-away self-signed certificate for localhost / 127.0.0.1: (cert, key)."""
    cert, key = Path(directory) / "cert.pem", Path(directory) / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    key.chmod(0o600)
    return cert, key


class Nginx:
    """A private nginx master (the system's binary) on a rendered site."""

    def __init__(self, workdir, site_text, access_log=True):
        self.workdir = Path(workdir)
        self.site = self.workdir / "site.conf"
        self.site.write_text(site_text, encoding="utf-8")
        self.conf = self.workdir / "nginx.conf"
        self.conf.write_text(main_conf(self.workdir, self.site, access_log), encoding="utf-8")
        self.process = None

    def command(self, *extra):
        return [nginx_binary(), "-p", str(self.workdir), "-c", str(self.conf), *extra]

    def test(self):
        """`nginx -t`: (ok, output)."""
        result = subprocess.run(self.command("-t"), capture_output=True, text=True)
        return result.returncode == 0, result.stderr + result.stdout

    def start(self, timeout=15):
        ok, output = self.test()
        if not ok:
            raise RuntimeError(f"nginx -t refused the rendered site:\n{output}")
        log = open(self.workdir / "nginx-master.log", "wb")  # noqa: SIM115 - lives as long as nginx
        self.process = subprocess.Popen(self.command("-g", "daemon off;"), stdout=log, stderr=log)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx exited: {self.log_tail()}")
            if (self.workdir / "nginx.pid").exists():
                return self
            time.sleep(0.05)
        raise RuntimeError("nginx did not start in time")

    def log_tail(self, size=3000):
        parts = []
        for name in ("nginx-master.log", "error.log"):
            path = self.workdir / name
            if path.exists():
                parts.append(f"--- {name}\n" + path.read_text(errors="replace")[-size:])
        return "\n".join(parts)

    def stop(self, timeout=10):
        """Graceful stop (SIGQUIT: finish the open requests), then SIGTERM, then SIGKILL."""
        if not self.process or self.process.poll() is not None:
            return self.process.returncode if self.process else None
        for sig, wait in ((signal.SIGQUIT, timeout), (signal.SIGTERM, 5), (signal.SIGKILL, 5)):
            self.process.send_signal(sig)
            try:
                return self.process.wait(timeout=wait)
            except subprocess.TimeoutExpired:
                continue
        return None
