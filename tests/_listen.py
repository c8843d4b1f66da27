"""A local TCP listener for tests that need a server of their own making."""

from __future__ import annotations

import contextlib
import socket
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Generator


@contextlib.contextmanager
def listening(
    handle: Callable[[socket.socket, threading.Event], None],
) -> Generator[str]:
    """Serve each connection with ``handle(conn, stop)`` in its own thread.

    Yields the origin (``http://127.0.0.1:PORT``); on exit sets ``stop`` and
    closes the listening socket.
    """
    sock = socket.create_server(("127.0.0.1", 0))
    sock.settimeout(0.05)
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=handle, args=(conn, stop), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        stop.set()
        sock.close()
        thread.join(5)


def read_head(conn: socket.socket) -> bool:
    """Read one request head; False when the client closed."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return False
        data += chunk
    return True
