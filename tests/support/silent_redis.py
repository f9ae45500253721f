"""Redis servers that fail in the two ways an outage looks like: nothing listens (the
connection is refused at once), or a socket accepts and never answers (every command
waits for the client's read timeout)."""

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

UNREACHABLE_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1


@dataclass
class SilentRedis:
    url: str
    connections: list[socket.socket] = field(default_factory=list)

    @property
    def accepted(self) -> int:
        """How many connections clients opened (each timed-out command drops its own)."""
        return len(self.connections)


@contextmanager
def silent_redis() -> Iterator[SilentRedis]:
    """A Redis that accepts connections and never replies."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    server.settimeout(0.1)
    stop = threading.Event()
    silent = SilentRedis(f"redis://127.0.0.1:{server.getsockname()[1]}/0")

    def accept() -> None:
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except OSError:
                continue
            silent.connections.append(connection)  # kept open, never answered

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield silent
    finally:
        stop.set()
        thread.join(2)
        for connection in silent.connections:
            connection.close()
        server.close()
