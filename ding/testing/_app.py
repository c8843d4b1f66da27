"""The fake's HTTP face: an ASGI app over the state machine, and its transport.

Routes (relative to the server root; the API lives under ``/v1``):

| method | path | operation |
| --- | --- | --- |
| POST | ``/v1/authentication`` | create an authentication, send a code |
| POST | ``/v1/check`` | check a code |
| POST | ``/v1/retry`` | send the code again |
| GET | ``/v1/authentication/{auth_uuid}`` | status and event history |
| POST | ``/v1/authentication/feedback`` | onboarding feedback |
| GET | ``/v1/lookup/{phone_number}`` | number lookup (header ``customer-uuid``, query ``type``) |
| GET | ``/_fake/outbox`` | every code sent (``?phone_number=`` filters) |
| GET | ``/_fake/outbox/last?phone_number=...`` | the last code sent to a number |
| POST | ``/_fake/faults`` | schedule a fault (JSON: ``operation``, ``fault``, options) |
| POST | ``/_fake/reset`` | forget every authentication, code and fault |
| GET | ``/_fake/health`` | liveness |

The ``/_fake`` routes are the fake's own: they let a test, or a process
outside the server, read the codes it "sent" and script its faults.
"""

from __future__ import annotations

import json
import threading
from typing import TYPE_CHECKING, Any, Final, cast
from urllib.parse import parse_qs, unquote

import anyio
import httpx

from ding._errors import UsageError
from ding.testing._faults import OPERATIONS, Fault, FaultPlan
from ding.testing._server import MAX_BODY_SIZE, ConnectionDropped

if TYPE_CHECKING:
    from collections.abc import Callable

    from ding.testing._server import Receive, Scope, Send
    from ding.testing._state import FakeState
    from ding.testing._values import Reply, SentMessage

__all__ = ["FakeApp", "FakeTransport"]

_JSON: Final = (b"content-type", b"application/json")
_FAULT_KINDS: Final[dict[str, Callable[[dict[str, Any]], Fault]]] = {
    "server_error": lambda o: Fault.server_error(int(o.get("status_code", 500))),
    "rate_limited": lambda o: Fault.rate_limited(float(o.get("retry_after", 1.0))),
    "unavailable": lambda o: Fault.unavailable(
        None if o.get("retry_after") is None else float(o["retry_after"]),
    ),
    "delay": lambda o: Fault.delay(float(o.get("seconds", 1.0))),
    "drop_before_response": lambda _: Fault.drop_before_response(),
    "drop_mid_response": lambda _: Fault.drop_mid_response(),
    "malformed_json": lambda _: Fault.malformed_json(),
    "wrong_content_type": lambda _: Fault.wrong_content_type(),
    "html_error": lambda o: Fault.html_error(int(o.get("status_code", 502))),
    "empty_body": lambda _: Fault.empty_body(),
}


class _Response:
    __slots__ = ("body", "headers", "status")

    def __init__(
        self,
        status: int,
        body: bytes,
        headers: list[tuple[bytes, bytes]] | None = None,
    ) -> None:
        self.status = status
        self.body = body
        self.headers = headers if headers is not None else [_JSON]


def _json(status: int, body: object) -> _Response:
    return _Response(status, json.dumps(body, separators=(",", ":")).encode())


def _reply(reply: Reply) -> _Response:
    return _json(reply.status, reply.body)


_NOT_FOUND: Final = _json(404, {"message": "Not Found"})


def _not_allowed(method: str) -> _Response:
    # Each API path answers exactly one method; `Allow` names it (RFC 9110).
    return _Response(
        405,
        b'{"message":"Method Not Allowed"}',
        [_JSON, (b"allow", method.encode())],
    )


def _bad_json() -> _Response:
    return _json(
        400,
        {
            "code": "bad_request",
            "message": "the request body is not valid JSON",
            "doc_url": "https://docs.prelude.so/verify/v1/documentation/errors#bad_request",
        },
    )


def _message_json(message: SentMessage) -> dict[str, object]:
    return {
        "phone_number": message.phone_number,
        "code": message.code,
        "content": message.content,
        "authentication_uuid": message.authentication_uuid,
        "attempt_number": message.attempt_number,
        "customer_uuid": message.customer_uuid,
        "sent_at": message.sent_at.isoformat(),
    }


class FakeApp:
    """The ASGI application of the fake Ding API.

    Args:
        state: The state machine that answers the operations.
        faults: The fault schedule consulted on every API call.
    """

    def __init__(self, state: FakeState, faults: FaultPlan) -> None:
        self.state = state
        self.faults = faults
        # Served from a server thread and read from the test's: under a lock.
        self._lock = threading.Lock()
        self._requests = 0

    @property
    def requests(self) -> int:
        """HTTP requests that reached the app since it was made or `reset_requests`."""
        return self._requests

    def reset_requests(self) -> None:
        """Count `requests` from zero again."""
        with self._lock:
            self._requests = 0

    async def __call__(  # noqa: C901, PLR0911 - the request's path through the app, in order
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
    ) -> None:
        """Serve one ASGI connection scope."""
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":  # pragma: no cover - websockets are not served
            return
        with self._lock:
            self._requests += 1
        body = b""
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            if len(body) > MAX_BODY_SIZE:
                await _send(send, _json(413, {"message": "Request Entity Too Large"}))
                return
            if not message.get("more_body", False):
                break
        raw_path = cast("bytes", scope.get("raw_path") or scope["path"].encode())
        raw_path = raw_path.split(b"?", 1)[0]
        segments = [unquote(s.decode("latin-1")) for s in raw_path.split(b"/")[1:]]
        # A literal '+' stays a '+': `?phone_number=+14155550123` is how people
        # write a phone number, and form-style '+'-as-space would lose it.
        query_string = cast("bytes", scope.get("query_string", b"")).decode("latin-1")
        query = parse_qs(query_string.replace("+", "%2B"))
        headers = {
            k.decode("latin-1").lower(): v.decode("latin-1")
            for k, v in cast("list[tuple[bytes, bytes]]", scope["headers"])
        }
        method = cast("str", scope["method"])
        if segments and segments[0] == "_fake":
            await _send(send, self._introspect(method, segments[1:], query, body))
            return
        if segments[:1] != ["v1"]:
            await _send(send, _NOT_FOUND)
            return
        # The key is checked first, as a gateway in front of the API would:
        # a request without a valid key learns nothing about its body.
        denied = self.state.authorize(headers.get("x-api-key"))
        if denied is not None:
            await _send(send, _reply(denied))
            return
        route = self._route(method, segments[1:], query, headers, body)
        if isinstance(route, _Response):
            await _send(send, route)
            return
        operation, handler = route
        await self._perform(send, operation, handler)

    def _route(  # noqa: PLR0911 - one return per route
        self,
        method: str,
        path: list[str],
        query: dict[str, list[str]],
        headers: dict[str, str],
        body: bytes,
    ) -> tuple[str, Callable[[], Reply]] | _Response:
        state = self.state
        match path:
            case ["authentication"]:
                return self._post(
                    method, body, "create_authentication", state.create_authentication
                )
            case ["check"]:
                return self._post(method, body, "check", state.check)
            case ["retry"]:
                return self._post(method, body, "retry", state.retry)
            case ["authentication", "feedback"]:
                return self._post(method, body, "feedback", state.feedback)
            case ["authentication", auth_uuid]:
                if method != "GET":
                    return _not_allowed("GET")
                return "authentication_status", lambda: state.authentication_status(
                    auth_uuid
                )
            case ["lookup", number]:
                if method != "GET":
                    return _not_allowed("GET")
                customer, types = headers.get("customer-uuid"), query.get("type", [])
                return "lookup", lambda: state.lookup(number, customer, types)
            case _:
                return _NOT_FOUND

    @staticmethod
    def _post(
        method: str,
        body: bytes,
        operation: str,
        handler: Callable[[object], Reply],
    ) -> tuple[str, Callable[[], Reply]] | _Response:
        if method != "POST":
            return _not_allowed("POST")
        try:
            parsed: object = json.loads(body) if body.strip() else None
        except (ValueError, RecursionError):
            return _bad_json()
        return operation, lambda: handler(parsed)

    async def _perform(
        self,
        send: Send,
        operation: str,
        handler: Callable[[], Reply],
    ) -> None:
        fault = self.faults.take(operation)
        if fault is None:
            await _send(send, _reply(handler()))
            return
        if fault.kind == "delay":
            await anyio.sleep(fault.seconds)
            await _send(send, _reply(handler()))
            return
        if fault.kind == "drop_before_response":
            raise ConnectionDropped
        if not fault.performs_operation:
            await _send(send, _fault_response(fault))
            return
        reply = _reply(handler())
        if fault.kind == "drop_mid_response":
            half = reply.body[: len(reply.body) // 2]
            await send(
                {
                    "type": "http.response.start",
                    "status": reply.status,
                    "headers": [*reply.headers, _length(reply.body)],
                },
            )
            await send({"type": "http.response.body", "body": half, "more_body": True})
            raise ConnectionDropped(mid_response=True)
        if fault.kind == "malformed_json":
            reply.body = reply.body[: max(1, len(reply.body) // 2)]
        elif fault.kind == "wrong_content_type":
            reply.headers = [(b"content-type", b"text/plain; charset=utf-8")]
        else:  # empty_body
            reply.status, reply.body = 200, b""
        await _send(send, reply)

    def _introspect(  # noqa: PLR0911 - one return per route
        self,
        method: str,
        path: list[str],
        query: dict[str, list[str]],
        body: bytes,
    ) -> _Response:
        outbox = self.state.outbox
        numbers = query.get("phone_number")
        phone = numbers[0] if numbers else None
        if method == "GET" and path == ["health"]:
            return _json(200, {"status": "ok"})
        if method == "GET" and path == ["outbox"]:
            messages = list(outbox) if phone is None else outbox.for_number(phone)
            return _json(200, {"messages": [_message_json(m) for m in messages]})
        if method == "GET" and path == ["outbox", "last"]:
            last = outbox.last(phone) if phone is not None else None
            if last is None:
                return _json(404, {"message": "no code was sent to that number"})
            return _json(200, _message_json(last))
        if method == "POST" and path == ["reset"]:
            self.state.reset()
            self.faults.reset()
            return _json(200, {"status": "reset"})
        if method == "POST" and path == ["faults"]:
            return self._schedule_fault(body)
        return _NOT_FOUND

    def _schedule_fault(self, body: bytes) -> _Response:
        try:
            spec = json.loads(body)
            if not isinstance(spec, dict):
                raise TypeError("expected a JSON object")  # noqa: TRY301 - joins the handler below
            options = cast("dict[str, Any]", spec)
            fault = _FAULT_KINDS[options["fault"]](options)
            self.faults.inject(
                options.get("operation", "*"),
                fault,
                on_call=options.get("on_call"),
                times=int(options.get("times", 1)),
            )
        except (ValueError, TypeError, KeyError, UsageError) as exc:
            return _json(
                400,
                {
                    "message": f"bad fault spec: {exc}",
                    "faults": sorted(_FAULT_KINDS),
                    "operations": ["*", *OPERATIONS],
                },
            )
        return _json(200, {"scheduled": fault.kind})


def _fault_response(fault: Fault) -> _Response:
    if fault.kind == "server_error":
        return _json(
            fault.status_code,
            {
                "code": "internal_server_error",
                "message": "An internal server error occurred.",
                "doc_url": "https://docs.prelude.so/verify/v1/documentation/errors#internal_server_error",
            },
        )
    if fault.kind == "html_error":
        page = (
            f"<html><head><title>{fault.status_code} Bad Gateway</title></head>"
            f"<body><h1>{fault.status_code} Bad Gateway</h1></body></html>"
        ).encode()
        return _Response(fault.status_code, page, [(b"content-type", b"text/html")])
    reason = (
        "Too Many Requests" if fault.kind == "rate_limited" else "Service Unavailable"
    )
    response = _json(fault.status_code, {"message": reason})
    if fault.retry_after is not None:
        seconds = f"{fault.retry_after:g}".encode()
        response.headers = [*response.headers, (b"retry-after", seconds)]
    return response


def _length(body: bytes) -> tuple[bytes, bytes]:
    return (b"content-length", str(len(body)).encode())


async def _send(send: Send, response: _Response) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": response.status,
            "headers": [*response.headers, _length(response.body)],
        },
    )
    await send({"type": "http.response.body", "body": response.body})


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


class FakeTransport(httpx.AsyncBaseTransport):
    """An in-process transport to the fake: ASGI, no sockets.

    Wraps `httpx.ASGITransport` so that failures look as they do over TCP: a
    dropped connection raises `httpx.RemoteProtocolError`, and the request's
    read timeout is enforced (`httpx.ReadTimeout`). One difference remains: a
    request that times out in-process is abandoned by the fake too, where a
    server would finish it after the client gave up.
    """

    def __init__(self, app: FakeApp) -> None:
        self._asgi = httpx.ASGITransport(app=app)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send *request* to the app and return its response."""
        timeouts = cast(
            "dict[str, float | None]", request.extensions.get("timeout", {})
        )
        try:
            # No socket, so no read timeout unless it is enforced here.
            with anyio.fail_after(timeouts.get("read")):
                return await self._asgi.handle_async_request(request)
        except TimeoutError:
            raise httpx.ReadTimeout("timed out", request=request) from None
        except ConnectionDropped as exc:
            message = (
                "peer closed connection without sending complete message body"
                if exc.mid_response
                else "Server disconnected without sending a response."
            )
            raise httpx.RemoteProtocolError(message, request=request) from None
