"""The micro-benchmarks' HTTP server: fixed answer, keep-alive, as fast as possible.

Every request, whatever its method and path, is answered ``200`` with the
same small JSON body, shaped like Ding's answer to ``POST /v1/check``. The
server is a bare `asyncio.Protocol`: no HTTP library, no routing, no
allocation beyond the bytes received, so that it is never what limits a
client benchmark (the orchestrator measures its CPU share to show it).

It understands just enough HTTP/1.1 for the clients benchmarked here:
``Content-Length`` request bodies, pipelining, keep-alive, and
``Connection: close``. Chunked request bodies are refused with a close.

With ``--delay SECONDS`` it answers each request that long after it arrived
(a "nearby API": a real one is never instant, and a client's overhead looks
different when it is spread over a wait). The answer is scheduled with
``loop.call_later``, so the server still costs almost no CPU while it waits.
On Linux, epoll's millisecond timeout rounds each wait up, so ``0.002`` means
2 to 3 ms, the same for every client.

Run it alone with ``python -m benchmarks._server [--delay SECONDS]``: it
prints its base URL (``http://127.0.0.1:PORT``) on the first line and serves
until SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
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


def _parse(buffer: bytes) -> tuple[bytes, int, bool]:
    """Consume the complete requests at the start of *buffer*.

    Returns:
        What is left of the buffer, how many requests to answer, and whether
        to close the connection after answering them.
    """
    answers = 0
    while True:
        end = buffer.find(b"\r\n\r\n")
        if end < 0:
            break
        head = buffer[:end].lower()
        if _header(head, b"transfer-encoding") is not None:
            # Chunked bodies are not needed by any client here.
            return buffer, answers, True
        length = _header(head, b"content-length")
        size = end + 4 + (int(length) if length else 0)
        if len(buffer) < size:
            break
        buffer = buffer[size:]
        answers += 1
        if _header(head, b"connection") == b"close":
            return buffer, answers, True
    return buffer, answers, len(buffer) > _MAX_BUFFER


class _Connection(asyncio.Protocol):
    """One keep-alive connection: answer each complete request as it arrives.

    Args:
        delay: Seconds to wait before writing each answer (0: at once).
    """

    def __init__(self, delay: float = 0.0) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = b""
        self.delay = delay
        # Delayed answers, oldest first: (how many, then close?). Each timer
        # takes the oldest, not its own: timers due at the same instant may
        # fire in any order, and a close must follow the answers before it.
        self.pending: collections.deque[tuple[int, bool]] = collections.deque()
        # A close is due: what arrives meanwhile is not answered, as it would
        # not be by a server that closes at once.
        self.closing = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)  # noqa: S101 - TCP
        self.transport = transport
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def data_received(self, data: bytes) -> None:
        if self.transport is None or self.closing:
            return
        self.buffer, answers, close = _parse(
            self.buffer + data if self.buffer else data
        )
        if not (answers or close):
            return
        self.closing = close
        if self.delay > 0:
            self.pending.append((answers, close))
            asyncio.get_running_loop().call_later(self.delay, self._answer_oldest)
        else:
            self._answer(answers, close)

    def _answer_oldest(self) -> None:
        """Write the oldest delayed answers (in the loop, once they are due)."""
        answers, close = self.pending.popleft()
        self._answer(answers, close)

    def _answer(self, answers: int, close: bool) -> None:
        transport = self.transport
        if transport is None or transport.is_closing():  # the client went away
            return
        if answers:
            transport.write(RESPONSE * answers)
        if close:
            transport.close()

    def connection_lost(self, exc: Exception | None) -> None:  # noqa: ARG002
        self.transport = None


async def serve(host: str = "127.0.0.1", port: int = 0, delay: float = 0.0) -> None:
    """Serve until SIGTERM or SIGINT, printing the base URL first.

    Args:
        host: The address to listen on.
        port: The port (0: any free one).
        delay: Seconds to wait before writing each answer.
    """
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: _Connection(delay), host, port, backlog=4096
    )
    address = server.sockets[0].getsockname()
    print(f"http://{address[0]}:{address[1]}", flush=True)  # noqa: T201
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):  # Windows
            loop.add_signal_handler(signum, stop.set)
    async with server:
        await stop.wait()


def main(argv: list[str] | None = None) -> int:
    """Run the server; return the exit status."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks._server")
    parser.add_argument(
        "--delay",
        type=float,
        default=0.0,
        help="seconds to wait before writing each answer (default 0: at once)",
    )
    parser.add_argument("--port", type=int, default=0, help="default: any free one")
    args = parser.parse_args(argv)
    asyncio.run(serve(port=args.port, delay=max(0.0, args.delay)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
