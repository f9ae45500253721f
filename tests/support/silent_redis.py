"""Redis servers that fail in the two ways an outage looks like: nothing listens (the
connection is refused at once), or a socket accepts and never answers (every command
waits for the client's read timeout)."""

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

UNREACHABLE_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1


@contextmanager
def silent_redis() -> Iterator[str]:
    """The URL of a Redis that accepts connections and never replies."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    server.settimeout(0.2)
    stop = threading.Event()
    held: list[socket.socket] = []

    def accept() -> None:
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except OSError:
                continue
            held.append(connection)  # kept open, never answered

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"
    finally:
        stop.set()
        thread.join(2)
        for connection in held:
            connection.close()
        server.close()
