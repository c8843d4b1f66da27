"""A canned Ding API for the core tests: one handler, two ways to serve it.

`StubDing` answers every v1 operation with a fixed, valid body and records
what it received. It is served in-process through `httpx.MockTransport`
(`StubDing.async_transport`) and over real TCP by `StubServer`, one server
for the whole session that serves whichever `StubDing` the running test
installed (`StubServer.serving`): every test gets a fresh stub, on either.

Scripted answers (`StubDing.script`) replace the canned body for the next
requests, so error mapping and retries can be driven exactly. A scripted
`Wire` step is a failure of the connection itself, the same on both: `DROP`
closes it without an answer, `STALL` never answers (in-process, the
transport raises what a real one would: `httpx.RemoteProtocolError`,
`httpx.ReadTimeout`). A scripted exception is raised inside the in-process
transport; over TCP it can only drop the connection.
"""

from __future__ import annotations

import contextlib
import enum
import json
import threading
import time
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, Final

import anyio
import httpx

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Generator

CUSTOMER_UUID = "28591d9e-a825-47f6-ab11-1a61726305bf"
AUTH_UUID = "b96e4807-1510-4bd2-8106-8ca1a09d679e"
TIMESTAMP = "2024-11-07T05:31:56Z"

Reply = tuple[int, dict[str, str], bytes]
# How long a stalled answer is held at most, should a test forget the client.
STALL_LIMIT = 10.0


class Wire(enum.Enum):
    """A failure of the connection rather than an answer."""

    DROP = "drop"  # close the connection without a word
    STALL = "stall"  # never answer; the client times out


DROP: Final = Wire.DROP
STALL: Final = Wire.STALL

Step = Reply | Wire | BaseException | Callable[[httpx.Request], Reply]


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
                "phone_number": "+14155550123",
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


class _Body(httpx.AsyncByteStream):
    def __init__(self, content: bytes) -> None:
        self._content = content

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self._content


class StubDing:
    """The canned API plus a record of every request and a script of overrides."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.script: list[Step] = []
        self.delay = 0.0
        self.lock = threading.Lock()
        # Set when the test is over: a stalled answer gives up.
        self.released = threading.Event()

    def answer(self, request: httpx.Request) -> Reply | Wire:
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
        if isinstance(step, Wire):
            return step
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
        reply = self.answer(request)
        if reply is DROP:
            # What httpcore raises when the server closes without a word.
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a response.", request=request
            )
        if reply is STALL:
            raise httpx.ReadTimeout("timed out", request=request)
        status, headers, content = reply
        # As a real transport hands it over: still encoded, read later. (A
        # Response made with content= would decode it here, in the transport.)
        return httpx.Response(status, headers=headers, stream=_Body(content))

    def async_transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self._handle)

    def release(self) -> None:
        """End the test: stalled answers give up, and no later one stalls."""
        self.released.set()

    @property
    def last(self) -> httpx.Request:
        return self.requests[-1]


# Answers that carry no body (RFC 9110): neither a body nor its length is sent.
_NO_BODY: Final = frozenset({204, 304})


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # The head and the body go out in two writes: with Nagle's algorithm the
    # body waits for the client's delayed ACK, 40 ms an answer.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass

    def _serve(self) -> None:
        # The stub of the test that is running when the request arrives: a
        # late request of an earlier test's client lands in that test's stub.
        assert isinstance(self.server, _Server)
        stub = self.server.stub
        length = int(self.headers.get("content-length") or 0)
        content = self.rfile.read(length) if length else b""
        if stub is None:
            self.close_connection = True
            return
        request = httpx.Request(
            self.command,
            "http://stub" + self.path,
            headers=list(self.headers.items()),
            content=content,
        )
        pause = stub.delay + float(self.headers.get("x-stub-sleep") or 0)
        if pause:
            time.sleep(pause)
        reply = stub.answer(request)
        if isinstance(reply, Wire):
            if reply is STALL:
                stub.released.wait(STALL_LIMIT)
            self.close_connection = True
            return
        status, headers, body = reply
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if status in _NO_BODY:
            self.end_headers()
            return
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _serve  # noqa: N815 - http.server's naming


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's default backlog of 5 overflows when 32 threads connect
    # at once; the kernel then resets some of those connections.
    request_queue_size = 128
    stub: StubDing | None = None

    def handle_error(self, request: object, client_address: object) -> None:
        # A client that gave up (timeout, interrupt) leaves a broken pipe here;
        # that is the behaviour under test, not a failure of the stub.
        pass


class StubServer:
    """One TCP server that serves the stub of the running test.

    Starting and stopping a server per test would cost each test the half
    second `serve_forever` polls at; a test installs its fresh `StubDing`
    with `serving` instead, so no test sees another's script or requests.
    """

    def __init__(self) -> None:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self.url = f"http://127.0.0.1:{self._server.server_port}/v1"
        threading.Thread(
            # The poll interval is how long close() waits.
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            daemon=True,
        ).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    @contextlib.contextmanager
    def serving(self, stub: StubDing) -> Generator[StubDing]:
        """Serve *stub* until the block ends; then release its stalled answers."""
        self._server.stub = stub
        try:
            yield stub
        finally:
            self._server.stub = None
            stub.release()


@contextlib.contextmanager
def serve_tcp() -> Generator[StubServer]:
    """Run a `StubServer` on 127.0.0.1 (its URL has the /v1 prefix)."""
    server = StubServer()
    try:
        yield server
    finally:
        server.close()


def new_uuid() -> str:
    return str(uuid.uuid4())
