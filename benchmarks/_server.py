"""The micro-benchmarks' HTTP server: fixed answer, keep-alive, as fast as possible.

Every request, whatever its method and path, is answered ``200`` with the
same small JSON body, shaped like Ding's answer to ``POST /v1/check``. The
server is a bare `asyncio.Protocol`: no HTTP library, no routing, no
allocation beyond the bytes received, so that it is never what limits a
client benchmark (the orchestrator measures its CPU share to show it).

It understands just enough HTTP/1.1 for the clients benchmarked here:
``Content-Length`` request bodies, pipelining, keep-alive, and
``Connection: close``. Chunked request bodies are refused with a close.

Run it alone with ``python -m benchmarks._server``: it prints its base URL
(``http://127.0.0.1:PORT``) on the first line and serves until SIGTERM.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import sys
from typing import Final

#: The body of every answer: a valid check, as Ding answers ``POST /v1/check``.
BODY: Final = (
    b'{"authentication_uuid":"b96e4807-1510-4bd2-8106-8ca1a09d679e","status":"valid"}'
)
RESPONSE: Final = (
    b"HTTP/1.1 200 OK\r\n"
    b"content-type: application/json\r\n"
    b"content-length: " + str(len(BODY)).encode() + b"\r\n"
    b"\r\n" + BODY
)
_MAX_BUFFER: Final = 1 << 20


def _header(head: bytes, name: bytes) -> bytes | None:
    """Return the value of header *name* (lower case) in *head*, if present."""
    start = head.find(b"\r\n" + name + b":")
    if start < 0:
        return None
    start += len(name) + 3
    end = head.find(b"\r\n", start)
    return head[start : end if end >= 0 else len(head)].strip()


class _Connection(asyncio.Protocol):
    """One keep-alive connection: answer each complete request as it arrives."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)  # noqa: S101 - TCP
        self.transport = transport
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def data_received(self, data: bytes) -> None:
        transport = self.transport
        if transport is None:  # pragma: no cover - only after connection_made
            return
        buffer = self.buffer + data if self.buffer else data
        answers = 0
        close = False
        while True:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                break
            head = buffer[:end].lower()
            length = _header(head, b"content-length")
            size = end + 4 + (int(length) if length else 0)
            if _header(head, b"transfer-encoding") is not None:
                close = True  # chunked bodies are not needed by any client here
                break
            if len(buffer) < size:
                break
            buffer = buffer[size:]
            answers += 1
            if _header(head, b"connection") == b"close":
                close = True
                break
        self.buffer = buffer
        if answers:
            transport.write(RESPONSE * answers)
        if close or len(buffer) > _MAX_BUFFER:
            transport.close()

    def connection_lost(self, exc: Exception | None) -> None:  # noqa: ARG002
        self.transport = None


async def serve(host: str = "127.0.0.1", port: int = 0) -> None:
    """Serve until SIGTERM or SIGINT, printing the base URL first."""
    loop = asyncio.get_running_loop()
    server = await loop.create_server(_Connection, host, port, backlog=4096)
    address = server.sockets[0].getsockname()
    print(f"http://{address[0]}:{address[1]}", flush=True)  # noqa: T201
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):  # Windows
            loop.add_signal_handler(signum, stop.set)
    async with server:
        await stop.wait()


def main() -> int:
    """Run the server; return the exit status."""
    asyncio.run(serve())
    return 0


if __name__ == "__main__":
    sys.exit(main())
