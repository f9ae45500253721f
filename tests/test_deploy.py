"""The deployment files stay in step with config.py: every setting is documented in the
README table and listed in both env templates (tell whoever adds a setting)."""

import re
from pathlib import Path

import pytest

from config import Config

ROOT = Path(__file__).resolve().parents[1]
SETTING = re.compile(r"\benv(?:_bool|_int|_float|_list|_choice)?\(\s*\"([A-Z][A-Z0-9_]*)\"")
# The deployment's checks run nginx, bash and server processes; its quick file checks go
# with them, out of `make test-fast`.
pytestmark = pytest.mark.slow


def settings():
    return sorted(set(SETTING.findall((ROOT / "config.py").read_text(encoding="utf-8"))))


def section(name):
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    found = re.search(rf"<!-- section: {name} -->(.*?)<!-- /section: {name} -->", text, re.S)
    return found.group(1)


def test_config_has_settings():
    assert {"SECRET_KEY", "DATABASE_URL", "REDIS_URL", "UPLOAD_FOLDER", "BYKC_RSA_PUBLIC_KEY"} <= set(
        settings()
    )


def test_every_setting_is_in_the_readme_table():
    rows = set(re.findall(r"^\| `([A-Z][A-Z0-9_]*)` \|", section("configuration"), re.M))
    missing = [name for name in settings() if name not in rows]
    assert not missing, f"add these to the README configuration table: {missing}"


@pytest.mark.parametrize("template", [".env.example", "deploy/reedsailing.env.example"])
def test_every_setting_is_in_the_env_templates(template):
    text = (ROOT / template).read_text(encoding="utf-8")
    listed = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]*)=", text, re.M))
    missing = [name for name in settings() if name not in listed]
    assert not missing, f"add these to {template}: {missing}"


def test_templates_hold_no_real_secret():
    for template in (".env.example", "deploy/reedsailing.env.example"):
        values = dict(re.findall(r"^([A-Z_]+)=(.*)$", (ROOT / template).read_text(encoding="utf-8"), re.M))
        for name in ("SECRET_KEY", "WECHAT_SECRET", "MAIL_PASSWORD", "BYKC_PASSWORD"):
            assert values.get(name, "") in ("",) or values[name].startswith("<"), (template, name)


def test_nginx_and_units_fit_the_app():
    nginx = (ROOT / "deploy/nginx-reedsailing.conf").read_text(encoding="utf-8")
    body_mb = int(re.search(r"client_max_body_size (\d+)m;", nginx).group(1))
    assert body_mb >= Config.MAX_UPLOAD_MB
    for location in (
        "/api/",
        "/socket.io/",
        "/ws/",
        "/uploads/",
        "/apidocs/",
        "= /apispec_1.json",
    ):
        assert f"location {location} " in nginx, location
    assert nginx.count("proxy_set_header Upgrade $http_upgrade;") == 2
    web = (ROOT / "deploy/reedsailing-web@.service").read_text(encoding="utf-8")
    assert "Environment=PORT=%i" in web and "wsgi.py" in web
    scheduler = (ROOT / "deploy/reedsailing-scheduler.service").read_text(encoding="utf-8")
    assert "manage.py scheduler" in scheduler
    # EnvironmentFile= overrides Environment=: the template must not pin a PORT
    assert not re.search(
        r"^PORT=", (ROOT / "deploy/reedsailing.env.example").read_text(encoding="utf-8"), re.M
    )


def test_nginx_answers_its_own_refusals_like_the_api():
    """What nginx refuses itself (a long URL, a big header or body, no process) is JSON
    with a `detail`; each error_page leads to an internal location that returns one, and
    python wsgi.py reads longer request lines than nginx, so nginx is the limit (the
    answers themselves: tests/test_deploy_clients.py, with nginx installed)."""
    import json

    from reedsailing.core.errors import DEFAULT_DETAILS

    nginx = (ROOT / "deploy/nginx-reedsailing.conf").read_text(encoding="utf-8")
    https = nginx[nginx.index("listen 443") :]
    pages = dict(re.findall(r"^\s*error_page ([\d =]+?) (/\S+);", https, re.M))
    codes = {int(code) for spec in pages for code in re.findall(r"\b(\d{3})\b", spec.split("=")[0])}
    assert codes == {400, 413, 414, 494, 502, 504}
    answers = {}
    for spec, uri in pages.items():
        body = re.search(
            rf"location = {re.escape(uri)} \{{\s*internal;\s*default_type application/json;"
            rf"\s*return (\d{{3}}) '([^']*)';\s*\}}",
            https,
        )
        assert body, uri
        answers[spec] = (int(body.group(1)), json.loads(body.group(2)))
    assert answers["400"] == (400, {"detail": DEFAULT_DETAILS[400]})
    assert answers["414"] == (414, {"detail": DEFAULT_DETAILS[414]})
    assert answers["413"] == (413, {"detail": DEFAULT_DETAILS[413]})
    assert answers["502 504"] == (502, {"detail": DEFAULT_DETAILS[503]})
    assert answers["494 =400"] == (400, {"detail": "请求头过大。"})
    size_k = int(re.search(r"^\s*large_client_header_buffers \d+ (\d+)k;", https, re.M).group(1))
    eventlet_limit = re.search(
        r"^EVENTLET_LINE_LIMIT = (\d+) \* 1024$", (ROOT / "reedsailing" / "serve.py").read_text(), re.M
    )
    assert int(eventlet_limit.group(1)) > size_k


def test_nginx_balances_rest_and_routes_polling_by_session_id():
    """REST is balanced over every process (no ip_hash: a campus NAT would pin it to one);
    Socket.IO long-polling follows the process named in the session id, and the map lists
    exactly the processes of the upstream."""
    nginx = (ROOT / "deploy/nginx-reedsailing.conf").read_text(encoding="utf-8")
    upstream = re.search(r"upstream reedsailing \{(.*?)\n\}", nginx, re.S).group(1)
    assert re.search(r"^\s*least_conn;", upstream, re.M) and not re.search(r"^\s*ip_hash;", nginx, re.M)
    servers = re.findall(r"^\s*server (127\.0\.0\.1:(\d+));", upstream, re.M)
    routes = re.findall(r'^\s*"~\^(\d+)\\\."\s+(127\.0\.0\.1:\d+);', nginx, re.M)
    assert servers and sorted((port, addr) for addr, port in servers) == sorted(routes)
    assert "proxy_pass http://$socketio_backend;" in nginx
    assert re.search(r"^\s*gzip_types [^;]*application/json", nginx, re.M)
    assert "location = /charts/ " in nginx
    # works on nginx < 1.25.1 too (Debian 12 has 1.22): no `http2 on;`
    assert not re.search(r"^\s*http2 on;", nginx, re.M)


@pytest.mark.slow
def test_a_server_process_names_itself_in_its_session_ids(tmp_path):
    """What the nginx map routes long-polling on: `python wsgi.py` hands out Engine.IO
    session ids "<PORT>." (or "<SOCKETIO_NODE>.") followed by the random id."""
    import json

    import requests

    from tests.support.server import ServerProcess

    env = {"DATABASE_URL": f"sqlite:///{tmp_path}/node.db", "SECRET_KEY": "node-test-secret"}
    for overrides, prefix in (({}, None), ({"SOCKETIO_NODE": "hostb-8001"}, "hostb-8001")):
        server = ServerProcess({**env, **overrides}).start()
        try:
            sids = set()
            for _ in range(2):
                body = requests.get(f"{server.url}/socket.io/?EIO=4&transport=polling", timeout=10).text
                sids.add(json.loads(body[1:])["sid"])
        finally:
            server.stop()
        expected = f"{prefix or server.port}."
        assert len(sids) == 2 and all(
            sid.startswith(expected) and len(sid) > len(expected) + 10 for sid in sids
        )


# `nginx -V` of Debian 12's nginx (1.22.1; the flags that matter here).
DEBIAN_NGINX_V = """nginx version: nginx/1.22.1
built with OpenSSL 3.0.11 19 Sep 2023
TLS SNI support enabled
configure arguments: --with-cc-opt='-g -O2 -ffile-prefix-map=/build/reproducible-path/nginx-1.22.1=. -Wformat' --with-ld-opt='-Wl,-z,relro -Wl,-z,now -fPIC' --prefix=/usr/share/nginx --conf-path=/etc/nginx/nginx.conf --http-log-path=/var/log/nginx/access.log --error-log-path=stderr --lock-path=/var/lock/nginx.lock --pid-path=/run/nginx.pid --modules-path=/usr/lib/nginx/modules --with-http_ssl_module --with-http_v2_module --with-stream=dynamic --with-mail=dynamic
"""

# Debian 12's /etc/nginx/nginx.conf without its comments; ETC stands for /etc/nginx.
DEBIAN_MAIN_FILE = """user www-data;
worker_processes auto;
pid /run/nginx.pid;
error_log /var/log/nginx/error.log;
include ETC/modules-enabled/*.conf;

events {
	worker_connections 768;
}

http {
	sendfile on;
	tcp_nopush on;
	types_hash_max_size 2048;
	include ETC/mime.types;
	default_type application/octet-stream;
	ssl_protocols TLSv1 TLSv1.1 TLSv1.2 TLSv1.3;
	ssl_prefer_server_ciphers on;
	access_log /var/log/nginx/access.log;
	gzip on;
	include ETC/conf.d/*.conf;
	include ETC/sites-enabled/*;
}
"""


def fake_debian_nginx(root, modules):
    """A Debian layout under `root`/etc/nginx: nginx.conf, mime.types and a
    modules-enabled/ file per module, each `load_module modules/<name>.so;` as
    libnginx-mod-* writes it (nginx-light: echo; nginx-full: stream, mail, ...)."""
    etc = Path(root) / "etc" / "nginx"
    (etc / "modules-enabled").mkdir(parents=True)
    (etc / "conf.d").mkdir()
    (etc / "conf.d" / "default.conf").write_text("server { listen 80 default_server; }\n")
    (etc / "mime.types").write_text("types { text/html html; }\n")
    (etc / "nginx.conf").write_text(DEBIAN_MAIN_FILE.replace("ETC", str(etc)))
    for number, name in enumerate(modules, start=50):
        (etc / "modules-enabled" / f"{number}-mod-{name}.conf").write_text(
            f"load_module modules/{name}.so;\n"
        )
    return etc


def paths_in(text):
    """Every absolute path a config names (not the `/` inside `text/html`)."""
    return re.findall(r"(?<![\w/$])/[^\s;'\"]*", text)


def test_nginx_build_read_from_nginx_V():
    from tests.deploy.site import parse_nginx_build

    debian = parse_nginx_build(DEBIAN_NGINX_V)
    assert debian.version == (1, 22, 1) and debian.has_error_log_flag
    assert debian.prefix == Path("/usr/share/nginx")
    assert debian.modules_path == Path("/usr/lib/nginx/modules")
    # nginx 1.18 (Ubuntu 22.04) has no `-e`; a build without paths uses nginx's defaults
    source = parse_nginx_build("nginx version: nginx/1.18.0\nconfigure arguments: --with-http_ssl_module\n")
    assert source.version == (1, 18, 0) and not source.has_error_log_flag
    assert source.prefix == Path("/usr/local/nginx")
    assert source.modules_path == Path("/usr/local/nginx/modules")
    relative = parse_nginx_build("nginx version: nginx/1.26.3\nconfigure arguments: --prefix=/opt/ngx\n")
    assert relative.modules_path == Path("/opt/ngx/modules")


def test_the_suites_nginx_conf_reads_nothing_of_the_machines_nginx(tmp_path):
    """What tests/test_deploy_clients.py and the `own` nginx -t below run on: no machine
    file (modules-enabled/ made `make test` fail with nginx-light installed, whose
    `load_module modules/...` pointed into the moved prefix), modules only by absolute
    path from --modules-path."""
    from tests.deploy.site import SITE_MODULES, Nginx, own_main_conf, parse_nginx_build

    build = parse_nginx_build(DEBIAN_NGINX_V)
    etc = fake_debian_nginx(tmp_path, ["ngx_http_echo_module"])  # nothing in it is picked up
    work = tmp_path / "work"
    work.mkdir()
    text = Nginx(work, "# the site\n", build=build, main=etc / "nginx.conf").conf.read_text()
    assert "load_module" not in text and SITE_MODULES == ()
    assert "include" not in text.replace(f"include {work}/site.conf;", "")
    assert all(path.startswith(f"{work}/") for path in paths_in(text)), paths_in(text)
    assert "types {" in text  # its own types: /etc/nginx/mime.types need not exist

    with_module = own_main_conf(work, work / "site.conf", modules=["ngx_http_echo_module"], build=build)
    loads = re.findall(r"^load_module (\S+);$", with_module, re.M)
    assert loads == ["/usr/lib/nginx/modules/ngx_http_echo_module.so"]

    command = Nginx(work, "# the site\n", build=build).command("-t")
    assert command[1:] == ["-p", str(work), "-e", f"{work}/error.log", "-c", f"{work}/nginx.conf", "-t"]
    old = parse_nginx_build("nginx version: nginx/1.18.0\nconfigure arguments:\n")
    assert "-e" not in Nginx(work, "# the site\n", build=old).command("-t")


def test_the_deployment_nginx_conf_loads_the_machines_modules_by_absolute_path(tmp_path):
    """.ci/deploy-test and bench keep Debian's nginx.conf, as a deployment has it; its
    modules-enabled/ files (`load_module modules/x.so;`, relative to nginx's prefix) are
    written out with the prefix of the build, not the test's `-p` folder."""
    from tests.deploy.site import Nginx, parse_nginx_build, resolve_machine_paths

    build = parse_nginx_build(DEBIAN_NGINX_V)
    etc = fake_debian_nginx(tmp_path, ["ngx_http_echo_module", "ngx_stream_module"])
    (etc / "modules-enabled" / "60-absolute.conf").write_text("load_module /opt/x/ngx_y_module.so;\n")
    work = tmp_path / "work"
    work.mkdir()
    text = Nginx(work, "# the site\n", machine=True, build=build, main=etc / "nginx.conf").conf.read_text()
    loads = re.findall(r"^\s*load_module (\S+);$", text, re.M)
    assert loads == [
        "/usr/share/nginx/modules/ngx_http_echo_module.so",
        "/usr/share/nginx/modules/ngx_stream_module.so",
        "/opt/x/ngx_y_module.so",  # an absolute one as it is
    ]
    assert "modules-enabled/*" not in text and "conf.d" not in text and "/var/log" not in text
    assert f"include {work}/site.conf;" in text and f"include {etc}/mime.types;" in text
    assert f"pid {work}/nginx.pid;" in text and "user www-data;" in text
    # a relative include is the conf folder's, as for the machine's nginx
    assert resolve_machine_paths("include snippets/x.conf;", "/p", etc).strip() == (
        f"include {etc}/snippets/x.conf;"
    )

    # no module enabled (Debian's plain `nginx`): nothing loaded
    bare = fake_debian_nginx(tmp_path / "bare", [])
    text = Nginx(work, "# the site\n", machine=True, build=build, main=bare / "nginx.conf").conf.read_text()
    assert "load_module" not in text


def needs_nginx(openssl=False):
    import shutil

    from tests.deploy.site import NO_NGINX, find_nginx

    if find_nginx() is None:
        pytest.skip(NO_NGINX)
    if openssl and not shutil.which("openssl"):
        pytest.skip("needs openssl (for the throw-away certificate)")


@pytest.mark.parametrize("main", ["own", "machine"])
def test_rendered_site_passes_nginx_t(tmp_path, main):
    """`nginx -t` on the shipped site as .ci/deploy-test renders it, on the suite's own
    main file and on the machine's (Debian's nginx.conf with whatever modules it enables,
    as the deployment test runs it). Skipped without nginx; .ci/deploy-test installs it
    and runs the whole deployment."""
    from tests.deploy.site import DEBIAN_MAIN, Nginx, make_certificate, render_site

    needs_nginx(openssl=True)
    if main == "machine" and not DEBIAN_MAIN.exists():
        pytest.skip(f"no {DEBIAN_MAIN}: this nginx is not laid out as Debian's")
    cert, key = make_certificate(tmp_path)
    (tmp_path / "uploads").mkdir()
    (tmp_path / "console").mkdir()
    site = render_site(
        ports=[18001, 18002, 18003],
        http_port=18080,
        https_port=18443,
        cert=cert,
        key=key,
        uploads=tmp_path / "uploads",
        console=tmp_path / "console",
    )
    nginx = Nginx(tmp_path, site, machine=main == "machine")
    ok, output = nginx.test()
    assert ok, output
    text = nginx.conf.read_text()
    assert not re.search(r"^\s*load_module [^/]", text, re.M)  # each by absolute path


def test_a_relative_load_module_is_looked_for_under_nginxs_prefix(tmp_path):
    """With the real nginx and no nginx-light: a modules-enabled/ file naming a module
    relative to the prefix makes nginx look for it under the build's prefix (where
    Debian's symlink leads to the module), not under the test's `-p` folder."""
    from tests.deploy.site import Nginx, NginxBuild, nginx_build

    needs_nginx()
    etc = fake_debian_nginx(tmp_path, ["ngx_reedsailing_absent_module"])
    prefix = tmp_path / "prefix"
    build = NginxBuild(nginx_build().version, prefix, prefix / "modules")
    work = tmp_path / "work"
    work.mkdir()
    ok, output = Nginx(work, "", machine=True, build=build, main=etc / "nginx.conf").test()
    assert not ok
    assert f'dlopen() "{prefix}/modules/ngx_reedsailing_absent_module.so" failed' in output, output
    assert f"{work}/modules" not in output


def test_the_env_template_can_be_sourced_by_bash(tmp_path):
    """The README loads it with `set -a; . reedsailing.env` (and systemd reads it too):
    a value with `;`, spaces or `<` must be quoted, or bash runs part of it as a command."""
    import subprocess

    text = (ROOT / "deploy/reedsailing.env.example").read_text(encoding="utf-8")
    filled = re.sub(r"<[^>\n]*>", "placeholder", text)  # what the operator fills in
    env_file = tmp_path / "reedsailing.env"
    env_file.write_text(filled, encoding="utf-8")
    result = subprocess.run(
        ["bash", "-c", f'set -a; . "{env_file}"; echo "$RATELIMIT_ADMIN_LOGIN_PER_ADDRESS"'],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0 and not result.stderr, result.stderr
    assert result.stdout.strip() == "10/minute;100/day"
