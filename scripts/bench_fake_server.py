"""Measure requests/second through ``ding.testing``'s HTTP server.

A trivial ASGI app answers every request with a small JSON body. One
``httpx.AsyncClient`` sends GET requests for a few seconds, from 1 and then
from 16 concurrent tasks, to:

* ``tcp/process httpx``: the server in a child process (its own core, as a
  test suite talking to ``python -m ding.testing`` would see it);
* ``tcp/process raw``: the same server, with a minimal raw-socket keep-alive
  client instead of httpx, to show what the server itself sustains (httpx's
  client side is the bottleneck above);
* ``tcp/loop httpx``: the server in the client's own event loop;
* ``asgi httpx``: no server, ``httpx.ASGITransport`` in-process.

One line per configuration. Usage:
python scripts/bench_fake_server.py [--seconds S] [--backend asyncio|trio]
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import anyio
import httpx

from ding.testing._server import serve

if TYPE_CHECKING:
    from ding.testing._server import Receive, Scope, Send

BODY = (
    b'{"authentication_uuid":"b96e4807-1510-4bd2-8106-8ca1a09d679e","status":"valid"}'
)
HEADERS = [
    (b"content-type", b"application/json"),
    (b"content-length", str(len(BODY)).encode()),
]


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    """Answer every HTTP request with the same small JSON body."""
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body", False):
        pass
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY})


async def measure(
    client: httpx.AsyncClient, url: str, concurrency: int, seconds: float
) -> float:
    """Return the requests/second *concurrency* tasks sustain for *seconds*."""
    for _ in range(50):  # warm up: connections, caches
        (await client.get(url)).raise_for_status()
    done = 0
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal done
        while time.perf_counter() < deadline:
            response = await client.get(url)
            response.raise_for_status()
            done += 1

    start = time.perf_counter()
    async with anyio.create_task_group() as tg:
        for _ in range(concurrency):
            tg.start_soon(worker)
    return done / (time.perf_counter() - start)


async def measure_raw(url: str, concurrency: int, seconds: float) -> float:
    """Like `measure`, with a minimal keep-alive client on raw sockets instead of httpx."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    request = b"GET / HTTP/1.1\r\nHost: bench\r\n\r\n"
    done = 0
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal done
        async with await anyio.connect_tcp(host, port) as stream:
            await stream.send(request)
            first = b""
            while not first.endswith(BODY):
                first += await stream.receive()
            size = len(first)
            while time.perf_counter() < deadline:
                await stream.send(request)
                received = 0
                while received < size:
                    received += len(await stream.receive())
                done += 1

    start = time.perf_counter()
    async with anyio.create_task_group() as tg:
        for _ in range(concurrency):
            tg.start_soon(worker)
    return done / (time.perf_counter() - start)


async def run_all(seconds: float, backend: str) -> None:
    """Measure every configuration and print one line each."""
    levels = (1, 16)

    def report(name: str, concurrency: int, rate: float) -> None:
        print(
            f"{name:<17} {backend:<8} concurrency={concurrency:<3} {rate:8.0f} req/s",
            flush=True,
        )

    command = [sys.executable, __file__, "--serve-only", "--backend", backend]
    async with await anyio.open_process(command, stderr=None) as child:
        try:
            if child.stdout is None:  # pragma: no cover - stdout is a pipe
                raise RuntimeError("no stdout from the server process")
            line = b""
            while not line.endswith(b"\n"):
                line += await child.stdout.receive()
            url = line.decode().strip()
            async with httpx.AsyncClient() as client:
                for concurrency in levels:
                    rate = await measure(client, url + "/", concurrency, seconds)
                    report("tcp/process httpx", concurrency, rate)
            for concurrency in levels:
                rate = await measure_raw(url, concurrency, seconds)
                report("tcp/process raw", concurrency, rate)
        finally:
            child.terminate()

    async with anyio.create_task_group() as tg:
        url = await tg.start(serve, app)
        async with httpx.AsyncClient() as client:
            for concurrency in levels:
                rate = await measure(client, url + "/", concurrency, seconds)
                report("tcp/loop httpx", concurrency, rate)
        tg.cancel_scope.cancel()

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://asgi") as client:
        for concurrency in levels:
            rate = await measure(client, "/", concurrency, seconds)
            report("asgi httpx", concurrency, rate)


async def serve_only() -> None:
    """Serve `app` until killed; print the base URL first."""
    async with anyio.create_task_group() as tg:
        url = await tg.start(serve, app)
        print(url, flush=True)


def main() -> None:
    """Parse the options and run."""
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0] if __doc__ else ""
    )
    parser.add_argument("--seconds", type=float, default=3.0, help="per configuration")
    parser.add_argument("--backend", choices=["asyncio", "trio"], default="asyncio")
    parser.add_argument("--serve-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_only:
        anyio.run(serve_only, backend=args.backend)
    else:
        anyio.run(run_all, args.seconds, args.backend, backend=args.backend)


if __name__ == "__main__":
    main()
