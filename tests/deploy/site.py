"""Render the shipped nginx site (deploy/nginx-reedsailing.conf) for a local run, and run
nginx with it: used by the suite (tests/test_deploy*.py), the deployment test
(.ci/deploy-test) and `make bench --nginx`.

Rendering makes exactly the edits README.md's step by step asks of an operator — the
server name, the certificate paths, the process list (upstream and Socket.IO map), the
listen ports, UPLOAD_FOLDER and the console folder — and fails when one of them no
longer matches the shipped file, so the file and this test cannot drift apart.

The nginx started here runs with its prefix in a temporary folder (`-p`), so a path the
machine's config leaves relative to nginx's own prefix would point there: Debian's
modules-enabled/*.conf say `load_module modules/ngx_..._module.so;` (nginx-light's echo
module, nginx-full's stream and mail). The suite's main file therefore reads nothing of
the machine's nginx; the deployment test's (the machine's nginx.conf) has such paths made
absolute first. Either works with Debian's nginx, nginx-light and nginx-full alike.
"""

import functools
import glob
import re
import shlex
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
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
    text = _replace(
        text, "server_name www.reedsailing.xyz reedsailing.xyz;", f"server_name {server_name};", 2
    )
    text = _replace(text, "/etc/letsencrypt/live/www.reedsailing.xyz/fullchain.pem", str(cert), 1)
    text = _replace(text, "/etc/letsencrypt/live/www.reedsailing.xyz/privkey.pem", str(key), 1)
    text = _replace(text, "alias /var/lib/reedsailing/uploads/;", f"alias {str(uploads).rstrip('/')}/;", 1)
    text = _replace(text, "root /srv/reedsailing-console;", f"root {str(console).rstrip('/')};", 1)
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


# ---- which nginx, built how ------------------------------------------------------------
def find_nginx():
    """The machine's nginx binary, or None (the tests that need one skip, saying so)."""
    found = shutil.which("nginx")
    if found:
        return found
    return "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None


def nginx_binary():
    return find_nginx() or "/usr/sbin/nginx"


NO_NGINX = "needs nginx: none installed (Debian: apt-get install nginx; .ci/deploy-test installs it)"


@dataclass(frozen=True)
class NginxBuild:
    """What `nginx -V` says: the version and the paths nginx resolves relative ones against."""

    version: tuple
    prefix: Path  # `load_module modules/x.so;` and relative log/pid paths hang off it (or `-p`)
    modules_path: Path  # where the dynamic modules are installed

    @property
    def has_error_log_flag(self):
        """`-e <file>`, the log nginx writes before it has read the config (nginx 1.19.5+)."""
        return self.version >= (1, 19, 5)


def parse_nginx_build(text):
    """An NginxBuild from `nginx -V`'s output; an unset path takes nginx's own default."""
    version = re.search(r"nginx/(\d+)\.(\d+)\.(\d+)", text)
    options = {}
    configure = re.search(r"^configure arguments:(.*)$", text, re.M)
    for word in shlex.split(configure.group(1)) if configure else ():
        name, sep, value = word.partition("=")
        if sep and name.startswith("--"):
            options[name[2:]] = value
    prefix = Path(options.get("prefix", "/usr/local/nginx"))
    return NginxBuild(
        version=tuple(int(part) for part in version.groups()) if version else (0, 0, 0),
        prefix=prefix,
        modules_path=prefix / options.get("modules-path", "modules"),  # an absolute one wins
    )


@functools.cache
def nginx_build(binary=None):
    result = subprocess.run([binary or nginx_binary(), "-V"], capture_output=True, text=True, check=True)
    return parse_nginx_build(result.stderr + result.stdout)


# ---- the main file ---------------------------------------------------------------------
# The dynamic modules the shipped site needs: none (every directive it uses is built into
# Debian's nginx, light or full, and into nginx.org's). One would be loaded by absolute
# path from the build's --modules-path, never through the machine's modules-enabled/.
SITE_MODULES: tuple = ()

# The types the tests' nginx serves files as (the console's pages, uploads), written into
# the main file: /etc/nginx/mime.types need not exist.
MIME_TYPES = {
    "text/html": "html htm",
    "text/css": "css",
    "text/plain": "txt",
    "application/javascript": "js",
    "application/json": "json map",
    "image/png": "png",
    "image/jpeg": "jpg jpeg",
    "image/gif": "gif",
    "image/webp": "webp",
    "image/svg+xml": "svg",
    "image/x-icon": "ico",
    "font/woff": "woff",
    "font/woff2": "woff2",
}

LOG_FORMAT = (
    'log_format deploytest \'$remote_addr "$request" $status $body_bytes_sent '
    "upstream=$upstream_addr gzip=$sent_http_content_encoding';"
)


def _access_log(workdir, access_log):
    return f"access_log {workdir}/access.log deploytest;" if access_log else "access_log off;"


def own_main_conf(workdir, site_path, access_log=True, modules=SITE_MODULES, build=None, user=None):
    """A self-contained nginx.conf: it reads no file of the machine's nginx (no
    modules-enabled/, no mime.types), every path in it is absolute and in `workdir`, and a
    module in `modules` (names like "ngx_http_echo_module") is loaded from the build's
    --modules-path. As root give `user="root"`: the workers would run as `nobody`, who
    cannot read pytest's temporary folders."""
    workdir = Path(workdir)
    loads = "".join(f"load_module {(build or nginx_build()).modules_path / name}.so;\n" for name in modules)
    types = "".join(f"    {kind} {exts};\n" for kind, exts in MIME_TYPES.items())
    temp = "".join(
        f"  {kind}_temp_path {workdir}/temp-{kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return (
        loads
        + (f"user {user};\n" if user else "")
        + f"pid {workdir}/nginx.pid;\nerror_log {workdir}/error.log;\nworker_processes auto;\n"
        "events { worker_connections 768; }\n"
        f"http {{\n  types {{\n{types}  }}\n  default_type application/octet-stream;\n"
        f"{temp}  {LOG_FORMAT}\n  {_access_log(workdir, access_log)}\n  include {site_path};\n}}\n"
    )


_INCLUDE = re.compile(r"""^(\s*)include\s+["']?([^"';\s]+)["']?\s*;""", re.M)
_LOAD_MODULE = re.compile(r"""^(\s*)load_module\s+["']?([^"';\s]+)["']?\s*;""", re.M)


def resolve_machine_paths(text, prefix, conf_dir, depth=0):
    """The machine's config with the paths nginx would resolve against its own prefix and
    conf folder made absolute, so that it means the same under `-p <workdir>`:
    `load_module modules/x.so;` (Debian's modules-enabled/*.conf) becomes
    `<prefix>/modules/x.so`, a relative `include` is taken from `conf_dir` (the main
    file's folder), and an include that loads modules is written out in place (its files
    say `modules/...` too). `prefix`: the build's --prefix (nginx_build())."""
    if depth > 8:
        raise ValueError("nginx includes nested too deep (a loop?)")
    prefix, conf_dir = Path(prefix), Path(conf_dir)

    def include(match):
        indent, pattern = match.group(1), match.group(2)
        absolute = str(conf_dir / pattern)  # an absolute pattern stays as it is
        names = sorted(glob.glob(absolute)) if glob.has_magic(absolute) else [absolute]
        files = {name: Path(name).read_text(encoding="utf-8") for name in names if Path(name).is_file()}
        if not any(_LOAD_MODULE.search(part) for part in files.values()):
            return f"{indent}include {absolute};"
        return "\n".join(
            f"{indent}# from {name}\n{resolve_machine_paths(part, prefix, conf_dir, depth + 1).strip()}"
            for name, part in files.items()
        )

    text = _LOAD_MODULE.sub(lambda m: f"{m.group(1)}load_module {prefix / m.group(2)};", text)
    return _INCLUDE.sub(include, text)


def machine_main_conf(workdir, site_path, access_log=True, main=DEBIAN_MAIN, build=None):
    """The machine's own main file (Debian's /etc/nginx/nginx.conf), as a deployment has
    it, with the pid, logs and site include pointed at `workdir`, conf.d/ left out, and
    its modules (modules-enabled/: nginx-light's echo, nginx-full's stream, mail, ...)
    loaded from where the machine's nginx finds them (resolve_machine_paths)."""
    workdir, build = Path(workdir), build or nginx_build()
    text = Path(main).read_text(encoding="utf-8")
    text = re.sub(r"^pid .*;$", f"pid {workdir}/nginx.pid;", text, count=1, flags=re.M)
    text = re.sub(r"^(\s*)error_log .*;$", rf"\1error_log {workdir}/error.log;", text, flags=re.M)
    text = re.sub(
        r"^(\s*)access_log .*;$", rf"\1{LOG_FORMAT}\n\1{_access_log(workdir, access_log)}", text, flags=re.M
    )
    text = re.sub(r"^\s*include (\S*/)?conf\.d/\*\.conf;$", "", text, flags=re.M)
    text, found = re.subn(
        r"^(\s*)include (\S*/)?sites-enabled/\*;$", rf"\1include {site_path};", text, flags=re.M
    )
    if not found:
        raise ValueError(f"could not point {main} at the site")
    return resolve_machine_paths(text, build.prefix, Path(main).parent)


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
    """A private nginx master (the system's binary) on a rendered site, prefix and every
    file in `workdir`. `machine=True`: on the machine's main file as a deployment has it
    (machine_main_conf; the deployment test and bench), else on a self-contained one
    (own_main_conf; the suite). `user`: own main file only (see there). `main`: the
    machine's main file; `build`: an NginxBuild other than the binary's (tests)."""

    def __init__(
        self, workdir, site_text, access_log=True, machine=False, user=None, build=None, main=DEBIAN_MAIN
    ):
        self.workdir = Path(workdir)
        self.build = build or nginx_build()
        self.site = self.workdir / "site.conf"
        self.site.write_text(site_text, encoding="utf-8")
        self.conf = self.workdir / "nginx.conf"
        if machine and Path(main).exists():
            text = machine_main_conf(self.workdir, self.site, access_log, main=main, build=self.build)
        else:
            text = own_main_conf(self.workdir, self.site, access_log, build=self.build, user=user)
        self.conf.write_text(text, encoding="utf-8")
        self.process = None

    def command(self, *extra):
        # -e: what nginx logs before it has read the config goes to the workdir too, not
        # to the build's --error-log-path (/var/log/nginx/error.log on most builds)
        early_log = ("-e", str(self.workdir / "error.log")) if self.build.has_error_log_flag else ()
        return [nginx_binary(), "-p", str(self.workdir), *early_log, "-c", str(self.conf), *extra]

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
