"""Hostile input from either side ends in a typed `DingError`, never a raw one."""

from __future__ import annotations

import gc
import gzip
import os
import pickle
import subprocess
import sys
import weakref
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
import trio

import ding
from ding.models import errors, shared
from tests._stub import AUTH_UUID, CUSTOMER_UUID, DROP, StubDing, json_reply

if TYPE_CHECKING:
    from tests.conftest import Connect

pytestmark = pytest.mark.anyio

KEY = "sk_hostile_secret_key_42"


def bad(value: object) -> Any:
    """Pass a value of the wrong type past the type checker, on purpose."""
    return value


Call = Callable[[ding.AsyncDing], Coroutine[Any, Any, object]]


@pytest.fixture
async def keyed(connect: Connect) -> ding.AsyncDing:
    return connect(api_key=KEY, max_retries=0)


BAD_CALLS: list[tuple[str, Call]] = [
    (
        "extra_headers list",
        lambda c: c.otp.retry(
            authentication_uuid=AUTH_UUID, extra_headers=bad([("a", "b")])
        ),
    ),
    (
        "extra_headers int name",
        lambda c: c.otp.retry(
            authentication_uuid=AUTH_UUID, extra_headers=bad({1: "b"})
        ),
    ),
    (
        "header name with space",
        lambda c: c.otp.retry(
            authentication_uuid=AUTH_UUID, extra_headers={"bad name": "v"}
        ),
    ),
    (
        "header value with newline",
        lambda c: c.otp.retry(
            authentication_uuid=AUTH_UUID, extra_headers={"x": "a\r\nb"}
        ),
    ),
    ("dot path", lambda c: c.otp.get_authentication_status(".")),
    ("dot-dot path", lambda c: c.otp.get_authentication_status("..")),
    ("dot-dot lookup", lambda c: c.lookup.lookup("..")),
    ("surrogate path", lambda c: c.otp.get_authentication_status("\ud800")),
    ("surrogate lookup", lambda c: c.lookup.lookup("\udcff")),
    ("non-str path", lambda c: c.otp.get_authentication_status(bad(42))),
    ("type_ int", lambda c: c.lookup.lookup("+14155550123", type_=bad(5))),
    ("type_ list of int", lambda c: c.lookup.lookup("+14155550123", type_=bad([5]))),
    (
        "post_lookup str",
        lambda c: c.lookup.post_lookup(CUSTOMER_UUID, bad("+14155550123")),
    ),
    ("post_lookup empty", lambda c: c.lookup.post_lookup(CUSTOMER_UUID, {})),
    (
        "timeout str",
        lambda c: c.otp.retry(authentication_uuid=AUTH_UUID, timeout=bad("5")),
    ),
    (
        "timeout nan",
        lambda c: c.otp.retry(authentication_uuid=AUTH_UUID, timeout=float("nan")),
    ),
    (
        "timeout negative",
        lambda c: c.otp.retry(authentication_uuid=AUTH_UUID, timeout=-1),
    ),
    (
        "timeout object",
        lambda c: c.otp.retry(authentication_uuid=AUTH_UUID, timeout=bad(object())),
    ),
    ("customer uuid with newline", lambda c: c.lookup.lookup("+14155550123", "a\nb")),
]


@pytest.mark.parametrize(
    ("label", "call"), BAD_CALLS, ids=[label for label, _ in BAD_CALLS]
)
async def test_bad_arguments_are_usage_errors(
    keyed: ding.AsyncDing, stub: StubDing, label: str, call: Call
) -> None:
    with pytest.raises(ding.UsageError) as info:
        await call(keyed)
    assert KEY not in str(info.value), label
    assert stub.requests == [], f"{label}: a request was sent"


BAD_SETTINGS: list[tuple[str, dict[str, Any]]] = [
    ("key with trailing space", {"api_key": f" {KEY} "}),
    ("key with tab", {"api_key": f"{KEY}\t"}),
    ("key not str", {"api_key": 42}),
    ("server_idx str", {"server_idx": "0"}),
    ("server_idx float", {"server_idx": 0.5}),
    ("server_url int", {"server_url": 5}),
    ("url_params int value", {"server_url": "http://{h}/v1", "url_params": {"h": 5}}),
    ("timeout str", {"timeout": "x"}),
    ("max_retries negative", {"max_retries": -1}),
    ("max_retries bool", {"max_retries": True}),
    ("retry_config dict", {"retry_config": {"strategy": "backoff"}}),
    (
        "backoff of strings",
        {
            "retry_config": ding.RetryConfig(
                "backoff",
                ding.BackoffStrategy(bad("1"), 2, 3, 4),
                retry_connection_errors=True,
            )
        },
    ),
    ("default_headers list", {"default_headers": [("a", "b")]}),
]


@pytest.mark.parametrize(
    ("label", "settings"), BAD_SETTINGS, ids=[label for label, _ in BAD_SETTINGS]
)
def test_bad_settings_are_usage_errors(label: str, settings: dict[str, Any]) -> None:
    kwargs: dict[str, Any] = {"api_key": "k", **settings}
    with pytest.raises(ding.UsageError) as info:
        ding.AsyncDing(**kwargs)
    assert KEY not in str(info.value), label


def test_bad_with_options_are_usage_errors() -> None:
    client = ding.AsyncDing(api_key="k")
    cases: list[dict[str, Any]] = [
        {"server_url": 5},
        {"timeout": "x"},
        {"api_key": " k"},
        {"max_retries": -2},
    ]
    for kwargs in cases:
        with pytest.raises(ding.UsageError):
            client.with_options(**kwargs)


@pytest.mark.parametrize("status", [200, 400])
async def test_deeply_nested_json(
    client: ding.AsyncDing, stub: StubDing, status: int
) -> None:
    body = b'{"a": ' * 50_000 + b"1" + b"}" * 50_000
    stub.script.append((status, {"content-type": "application/json"}, body))
    with pytest.raises(ding.SDKError) as info:
        await client.otp.retry(authentication_uuid=AUTH_UUID)
    expected = ding.MalformedResponseError if status == 200 else ding.BadRequestError
    assert type(info.value) is expected


async def test_400_json_without_code_is_still_an_error_response(
    client: ding.AsyncDing, stub: StubDing
) -> None:
    stub.script.append(json_reply(400, {"message": "Bad Request", "doc_url": 7}))
    with pytest.raises(errors.ErrorResponse) as info:
        await client.otp.retry(authentication_uuid=AUTH_UUID)
    assert info.value.code is None
    assert info.value.message == "Bad Request"
    assert info.value.doc_url is None


# httpx leaves its inner body generators suspended when its decoder raises;
# trio reports them when they are garbage collected. That is httpx's cleanup,
# not a leak of the SDK's: the response itself is closed.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
async def test_broken_content_encoding_is_malformed(
    client: ding.AsyncDing, stub: StubDing
) -> None:
    stub.script.append(
        (
            200,
            {"content-type": "application/json", "content-encoding": "gzip"},
            b"not gzip",
        ),
    )
    with pytest.raises(ding.MalformedResponseError, match="Content-Encoding") as info:
        await client.otp.retry(authentication_uuid=AUTH_UUID)
    assert isinstance(info.value.__cause__, httpx.DecodingError)


async def test_gzip_body_is_decoded(client: ding.AsyncDing, stub: StubDing) -> None:
    stub.script.append(
        (
            200,
            {"content-type": "application/json", "content-encoding": "gzip"},
            gzip.compress(b'{"status": "approved", "remaining_retry": 1}'),
        ),
    )
    res = await client.otp.retry(authentication_uuid=AUTH_UUID)
    assert res.retry_authentication_response is not None
    assert res.retry_authentication_response.remaining_retry == 1


@pytest.mark.parametrize("hook_reads_the_body", [False, True])
async def test_raise_for_status_hook_of_an_injected_client(
    stub: StubDing, hook_reads_the_body: bool
) -> None:
    # httpx closes the response when a response hook raises: the status still
    # maps to its error; the body is kept if the hook read it, else it is lost.
    async def raise_for_status(response: httpx.Response) -> None:
        if hook_reads_the_body:
            await response.aread()
        response.raise_for_status()

    stub.script.append(json_reply(503, {"message": "busy"}))
    async with httpx.AsyncClient(
        transport=stub.async_transport(),
        event_hooks={"response": [raise_for_status]},
    ) as http:
        client = ding.AsyncDing(api_key="k", client=http, customer_uuid=CUSTOMER_UUID)
        with pytest.raises(ding.DingError) as info:
            await client.otp.retry(authentication_uuid=AUTH_UUID)
    assert isinstance(info.value, ding.ServerError), repr(info.value)
    assert info.value.status_code == 503
    assert info.value.body == ('{"message": "busy"}' if hook_reads_the_body else "")


async def test_closed_injected_client_is_a_usage_error(stub: StubDing) -> None:
    http = httpx.AsyncClient(transport=stub.async_transport())
    await http.aclose()
    client = ding.AsyncDing(api_key="k", client=http, customer_uuid=CUSTOMER_UUID)
    with pytest.raises(ding.UsageError, match="closed"):
        await client.otp.retry(authentication_uuid=AUTH_UUID)


@pytest.mark.in_process_only(
    reason="a transport that fails with a bare OSError or RuntimeError, which "
    "the transports under test do not do: only a scripted one can"
)
@pytest.mark.parametrize(
    "raised",
    [OSError("socket gone"), RuntimeError("Event loop is closed")],
)
async def test_raw_transport_failures_are_connection_errors(
    client: ding.AsyncDing, stub: StubDing, raised: Exception
) -> None:
    stub.script.append(raised)
    with pytest.raises(ding.APIConnectionError) as info:
        await client.otp.retry(authentication_uuid=AUTH_UUID)
    assert info.value.__cause__ is raised


async def test_the_key_is_redacted_on_every_reachable_request(
    keyed: ding.AsyncDing, stub: StubDing
) -> None:
    res = await keyed.otp.retry(authentication_uuid=AUTH_UUID)
    assert stub.last.headers["x-api-key"] == KEY  # it did go on the wire
    assert res.raw_response is not None
    assert KEY not in repr(res.raw_response.request.headers)
    assert KEY not in repr(res)

    stub.script.append(json_reply(403, {"message": "Forbidden"}))
    with pytest.raises(ding.AuthenticationError) as denied:
        await keyed.otp.retry(authentication_uuid=AUTH_UUID)
    assert KEY not in repr(denied.value.raw_response.request.headers)

    # Over TCP the first drop, on a reused connection, is sent once more
    # (ding._transport._reuse); the second, on a new connection, fails the call.
    stub.script.extend([DROP, DROP])
    with pytest.raises(ding.APIConnectionError) as failed:
        await keyed.otp.retry(authentication_uuid=AUTH_UUID)
    assert failed.value.request is not None
    assert KEY not in repr(failed.value.request.headers)
    assert KEY not in str(failed.getrepr(showlocals=True, style="long"))


def test_owned_client_survives_two_event_loops(tcp_stub: tuple[StubDing, str]) -> None:
    # In a child process: the connections of the first loop are abandoned when
    # asyncio.run() closes it, and their sockets are only reclaimed by the
    # garbage collector (with a ResourceWarning), which would leak into the
    # other tests of this process.
    _, url = tcp_stub
    code = f"""
import asyncio, ding
client = ding.AsyncDing(api_key="k", server_url={url!r}, customer_uuid="c")
first = asyncio.run(client.otp.retry(authentication_uuid="a"))
second = asyncio.run(client.otp.retry(authentication_uuid="a"))
print(first.status_code, second.status_code)
"""
    result = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["200", "200"]


def test_errors_pickle() -> None:
    response = httpx.Response(
        400,
        json={"code": "invalid_phone_number", "message": "no"},
        request=httpx.Request("POST", "https://stub.test/v1/authentication"),
    )
    cases: list[ding.DingError] = [
        ding.ErrorResponse(
            code=errors.Code.INVALID_PHONE_NUMBER,
            message="no",
            doc_url=None,
            raw_response=response,
        ),
        ding.ServerError("API error occurred", 500, "boom", response),
        ding.APITimeoutError("GET /lookup: read timeout"),
        ding.UsageError("bad"),
    ]
    for error in cases:
        copy = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own bytes
        assert type(copy) is type(error)
        assert str(copy) == str(error)


def test_seed_request_models_are_frozen() -> None:
    req = shared.CreateCheckRequest(authentication_uuid=AUTH_UUID, check_code="1")
    with pytest.raises(AttributeError):
        setattr(req, "check_code", "2")  # noqa: B010 - the checkers know it is frozen


@pytest.mark.in_process_only(
    reason="a transport that fails with a bare RuntimeError, which only a "
    "scripted one can"
)
async def test_a_client_that_cannot_send_says_so_with_the_request(
    client: ding.AsyncDing, stub: StubDing
) -> None:
    # httpx and anyio raise RuntimeError for a client used after close or
    # across event loops: a connection error naming the call and the cause.
    stub.script.append(RuntimeError("Event loop is closed"))
    with pytest.raises(ding.APIConnectionError) as info:
        await client.otp.retry(authentication_uuid=AUTH_UUID)
    assert str(info.value) == (
        "POST /v1/retry: the HTTP client cannot send: Event loop is closed"
    )
    assert info.value.request is not None
    assert info.value.request.headers["x-api-key"] == "[redacted]"


def test_one_client_per_event_loop_reused_on_that_loop(
    tcp_stub: tuple[StubDing, str],
) -> None:
    # In this process, unlike test_owned_client_survives_two_event_loops, so
    # that the switch itself is seen: calls on one loop share one HTTP client
    # (its connections); on another loop a fresh one is made, and the first,
    # bound to a loop that is gone, is let go rather than kept.
    _, url = tcp_stub
    client = ding.AsyncDing(api_key="k", server_url=url, customer_uuid=CUSTOMER_UUID)
    made: list[httpx.AsyncClient | None] = []

    async def use_twice() -> None:
        for _ in range(2):
            res = await client.otp.retry(authentication_uuid=AUTH_UUID)
            assert res.status_code == 200
            made.append(client._pipeline.pool.client)

    trio.run(use_twice)
    first = weakref.ref(made[0]) if made[0] is not None else None
    trio.run(use_twice)
    trio.run(client.aclose)
    assert made[0] is not None
    assert made[0] is made[1]
    assert made[2] is made[3]
    assert made[2] is not made[0]
    made.clear()
    gc.collect()
    assert first is not None
    assert first() is None


def _nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


#: Values that, in an answer's object, nest it at most `MAX_JSON_DEPTH` (64)
#: levels, though they hold more brackets than that: each is read.
WITHIN_THE_NESTING_LIMIT = [
    b"[" + b"[]," * 10 + _nested(62) + b"]",
    b'{"a": ' * 63 + b"1" + b"}" * 63,
    b"[" + _nested(40) + b"," + _nested(40) + b"]",
    b'["' + b"[{" * 100 + b'"]',
    b'["\\"' + b"[" * 100 + b'"]',
]
#: Bodies nested 65 levels deep, some behind strings with escapes: refused.
PAST_THE_NESTING_LIMIT = [
    _nested(65),
    b'{"a": ' * 65 + b"1" + b"}" * 65,
    b"[[[]," + _nested(63) + b"]]",
    b'["\\"", ' + _nested(64) + b"]",
    b'["\\\\", ' + _nested(64) + b"]",
    b'["a", ' + _nested(64) + b"]",
]


async def test_json_nested_more_than_64_levels_is_refused(
    client: ding.AsyncDing, stub: StubDing
) -> None:
    for body in WITHIN_THE_NESTING_LIMIT:
        wrapped = b'{"remaining_retry": 1, "padding": ' + body + b"}"
        stub.script.append((200, {"content-type": "application/json"}, wrapped))
        res = await client.otp.retry(authentication_uuid=AUTH_UUID)
        assert res.retry_authentication_response is not None, body
    for body in PAST_THE_NESTING_LIMIT:
        stub.script.append((200, {"content-type": "application/json"}, body))
        with pytest.raises(ding.MalformedResponseError) as info:
            await client.otp.retry(authentication_uuid=AUTH_UUID)
        assert info.value.message == "response body is not valid JSON", body
        parse_error = info.value.__cause__.__cause__ if info.value.__cause__ else None
        assert str(parse_error) == "JSON nested deeper than 64 levels", body
