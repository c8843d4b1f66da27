"""A canned Ding API for the core tests: one handler, two ways to serve it.

`StubDing` answers every v1 operation with a fixed, valid body and records
what it received. It is served in-process through `httpx.MockTransport`
(`StubDing.async_transport`) and over real TCP by `serve_tcp`, for the tests
that need sockets (fork, interrupts, the seed examples).

Scripted answers (`StubDing.script`) replace the canned body for the next
requests, so error mapping and retries can be driven exactly.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

import anyio
import httpx

if TYPE_CHECKING:
    from collections.abc import Callable, Generator

CUSTOMER_UUID = "28591d9e-a825-47f6-ab11-1a61726305bf"
AUTH_UUID = "b96e4807-1510-4bd2-8106-8ca1a09d679e"
TIMESTAMP = "2024-11-07T05:31:56Z"

Reply = tuple[int, dict[str, str], bytes]


def json_reply(status: int, body: object, **headers: str) -> Reply:
    return (
        status,
        {"content-type": "application/json", **headers},
        json.dumps(body).encode(),
    )


def canned(method: str, path: str, query: str, body: dict[str, Any]) -> Reply:  # noqa: PLR0911
    """Return the canned answer for one request (path without the /v1 prefix)."""
    if method == "POST" and path == "/authentication":
        return json_reply(
            200,
            {
                "authentication_uuid": AUTH_UUID,
                "status": "pending",
                "created_at": TIMESTAMP,
                "expires_at": "2024-11-07T05:41:56.123456789+00:00",
            },
        )
    if method == "POST" and path == "/check":
        return json_reply(
            200,
            {"authentication_uuid": body.get("authentication_uuid"), "status": "valid"},
        )
    if method == "POST" and path == "/retry":
        return json_reply(
            200,
            {
                "authentication_uuid": body.get("authentication_uuid"),
                "status": "approved",
                "created_at": TIMESTAMP,
                "next_retry_at": "2024-11-07T05:32:56+0000",
                "remaining_retry": 2,
            },
        )
    if method == "POST" and path == "/authentication/feedback":
        return json_reply(200, {"uuid": "123e4567-e89b-12d3-a456-4266141740a0"})
    if method == "GET" and path.startswith("/authentication/"):
        return json_reply(
            200,
            {
                "uuid": path.rsplit("/", 1)[1],
                "phone_number": "+1234567890",
                "created_at": TIMESTAMP,
                "signals": {"device_type": "IOS", "is_returning_user": False},
                "events": [
                    {
                        "type": "attempt",
                        "id": "a1",
                        "attempt_number": 1,
                        "status": "delivered",
                        "capability": "text",
                        "created_at": TIMESTAMP,
                    },
                    {"type": "check", "code": "123456", "status": "valid"},
                    {
                        "type": "delivery_status",
                        "status": "delivered",
                        "attempt_id": "a1",
                    },
                    {
                        "type": "balance_update",
                        "balance_update_type": "attempt",
                        "amount": 0.009,
                    },
                ],
            },
        )
    if method == "GET" and path.startswith("/lookup/"):
        reply = {
            "phone_number": path.rsplit("/", 1)[1].replace("%2B", "+"),
            "carrier": "AT&T",
            "country_code": "US",
            "line_type": "Mobile",
            "mcc": "310",
            "mnc": "410",
            "number_ported": False,
        }
        if "type=cnam" in query:
            reply["caller_name"] = "JOHN DOE"
        return json_reply(200, reply)
    return json_reply(404, {"message": "Not Found"})


class StubDing:
    """The canned API plus a record of every request and a script of overrides."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.script: list[Reply | Callable[[httpx.Request], Reply] | BaseException] = []
        self.delay = 0.0
        self.lock = threading.Lock()

    def answer(self, request: httpx.Request) -> Reply:
        # A snapshot: the SDK redacts the key on its own request object once
        # the call is over, and the tests want to see what went on the wire.
        seen = httpx.Request(
            request.method,
            request.url,
            headers=request.headers.multi_items(),
            content=request.content,
            extensions=request.extensions,
        )
        with self.lock:
            self.requests.append(seen)
            step = self.script.pop(0) if self.script else None
        if isinstance(step, BaseException):
            raise step
        if callable(step):
            return step(request)
        if step is not None:
            return step
        path = request.url.raw_path.decode().split("?", 1)[0].removeprefix("/v1")
        body: dict[str, Any] = json.loads(request.content) if request.content else {}
        return canned(request.method, path, request.url.query.decode(), body)

    async def _handle(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        if self.delay:
            await anyio.sleep(self.delay)
        status, headers, content = self.answer(request)
        return httpx.Response(status, headers=headers, content=content)

    def async_transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self._handle)

    @property
    def last(self) -> httpx.Request:
        return self.requests[-1]


class _Handler(BaseHTTPRequestHandler):
    stub: StubDing
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass

    def _serve(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        content = self.rfile.read(length) if length else b""
        request = httpx.Request(
            self.command,
            "http://stub" + self.path,
            headers=list(self.headers.items()),
            content=content,
        )
        pause = self.stub.delay + float(self.headers.get("x-stub-sleep") or 0)
        if pause:
            time.sleep(pause)
        status, headers, body = self.stub.answer(request)
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _serve  # noqa: N815 - http.server's naming


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's default backlog of 5 overflows when 32 threads connect
    # at once; the kernel then resets some of those connections.
    request_queue_size = 128

    def handle_error(self, request: object, client_address: object) -> None:
        # A client that gave up (timeout, interrupt) leaves a broken pipe here;
        # that is the behaviour under test, not a failure of the stub.
        pass


@contextlib.contextmanager
def serve_tcp(stub: StubDing) -> Generator[str]:
    """Serve *stub* on 127.0.0.1 and yield its base URL (with the /v1 prefix)."""
    handler = type("Handler", (_Handler,), {"stub": stub})
    server = _Server(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/v1"
    finally:
        server.shutdown()
        server.server_close()


def new_uuid() -> str:
    return str(uuid.uuid4())
