"""A small HTTP/1.1 load generator that can choose each connection's source address.

wrk cannot bind a source address, and the question of `make bench --nginx` is exactly
whether connections from one client address (a campus NAT) reach every server process.
On loopback every 127.x.y.z is this machine, so connection i can come from its own
address (127.0.<i+1>.1: a different /24 each, which is what nginx's ip_hash keys on) or
all from 127.0.0.1. One asyncio process, keep-alive connections, requests built once;
it measures requests/s and latency percentiles like run.py's wrk runs, and its own CPU
time (it shares the two cores with nginx and the servers).
"""

import asyncio
import ssl
import statistics
import time
from urllib.parse import urlsplit


def source_addresses(mode, count):
    """`many`: one address per connection, each in its own /24; `one`: all 127.0.0.1."""
    if mode == "one":
        return ["127.0.0.1"] * count
    return [f"127.0.{i + 1}.1" for i in range(count)]


def build_request(host, method, path, token, body):
    data = body.encode() if body else b""
    lines = [
        f"{method} {path} HTTP/1.1",
        f"Host: {host}",
        "Content-Type: application/json",
        f"Content-Length: {len(data)}",
    ]
    if token:
        lines.append(f"Authorization: Bearer {token}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + data


async def read_response(reader):
    """(status, keep-alive?) of one response, its body read and dropped."""
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length, chunked, close = None, False, False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
        elif name == b"connection" and b"close" in value.lower():
            close = True
    if chunked:
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif length:
        await reader.readexactly(length)
    return status, not close


async def _connection(url, conn, source, deadline, context, out):
    """One client connection from `source`, reopened when the server closes it (nginx
    ends a keep-alive connection after keepalive_requests, 1000 by default)."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    requests_ = [build_request(parts.hostname, m, p, conn["token"], b) for m, p, b in conn["steps"]]
    latencies, errors, step = [], {}, 0

    def count(kind):
        errors[kind] = errors.get(kind, 0) + 1

    while time.monotonic() < deadline:
        try:
            reader, writer = await asyncio.open_connection(
                "127.0.0.1",
                port,
                ssl=context,
                server_hostname=parts.hostname if context else None,
                local_addr=(source, 0),
            )
        except OSError as error:
            count(type(error).__name__)
            await asyncio.sleep(0.05)
            continue
        try:
            keep = True
            while keep and time.monotonic() < deadline:
                request = requests_[step % len(requests_)]
                step += 1
                began = time.perf_counter()
                writer.write(request)
                status, keep = await read_response(reader)
                latencies.append(time.perf_counter() - began)
                if status >= 400:
                    count(status)
        except (OSError, asyncio.IncompleteReadError, ValueError) as error:
            count(type(error).__name__)
        finally:
            writer.close()
    out.append((latencies, errors))


async def _run(url, conns, seconds, sources, cafile):
    context = None
    if url.startswith("https"):
        context = ssl.create_default_context(cafile=cafile)
    out = []
    deadline = time.monotonic() + seconds
    tasks = [
        _connection(url, conns[i % len(conns)], sources[i], deadline, context, out)
        for i in range(len(sources))
    ]
    started = time.monotonic()
    await asyncio.gather(*tasks)
    return out, time.monotonic() - started


def run(url, conns, seconds, sources, cafile=None):
    """Load `url` with one connection per source address; the same dict as run.py's wrk."""
    cpu = time.process_time()
    out, elapsed = asyncio.run(_run(url, conns, seconds, sources, cafile))
    cpu = time.process_time() - cpu
    latencies = [x for lat, _ in out for x in lat]
    kinds = {}
    for _, errors in out:
        for kind, count in errors.items():
            kinds[str(kind)] = kinds.get(str(kind), 0) + count
    cuts = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0] * 99
    return {
        "rps": len(latencies) / elapsed,
        "p50_ms": cuts[49] * 1000,
        "p95_ms": cuts[94] * 1000,
        "p99_ms": cuts[98] * 1000,
        "errors": sum(kinds.values()),
        "error_kinds": kinds,
        "requests": len(latencies),
        "loadgen_cpu": cpu / elapsed,
    }
