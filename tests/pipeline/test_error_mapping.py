"""Every failure maps onto the one `DingError` tree; nothing raw escapes."""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import traceback
from typing import TYPE_CHECKING

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ding
from ding.models import errors, operations
from tests._examples import examples
from tests._stub import AUTH_UUID, CUSTOMER_UUID, DROP, STALL, StubDing, json_reply

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator

    from tests.conftest import Connect

pytestmark = pytest.mark.anyio

SECRET = "sk_live_do_not_leak_0123456789"  # noqa: S105 - a fake key to hunt for


KEY_REFUSED = (
    "The API key was refused; it came from the api_key argument. Check that "
    "it is a current key of your Ding account (the key itself is never shown)."
)


def where(client: ding.AsyncDing) -> str:
    """The host:port a client's requests go to, the port spelt out."""
    url = httpx.URL(client.server_url)
    return f"{url.host}:{url.port or 443}"


def error_body(code: str) -> dict[str, str]:
    return {
        "code": code,
        "message": "+0 is not a valid phone number",
        "doc_url": f"https://docs.prelude.so/verify/v1/documentation/errors#{code}",
    }


# Long enough for an answer on loopback, short enough for a stall.
SHORT = 0.5


@pytest.fixture
async def secret_client(connect: Connect) -> ding.AsyncDing:
    return connect(api_key=SECRET, max_retries=0)


async def test_400_error_response(client: ding.AsyncDing, stub: StubDing) -> None:
    # The stub answers as the API would for "+0" (which, with phonenumbers
    # installed, the SDK itself refuses before sending: a possible number here).
    stub.script.append(json_reply(400, error_body("invalid_phone_number")))
    with pytest.raises(errors.ErrorResponse) as info:
        await client.otp.create_authentication(phone_number="+14155550123")
    err = info.value
    assert err.code == errors.Code.INVALID_PHONE_NUMBER
    assert err.message == "+0 is not a valid phone number"
    assert err.doc_url is not None
    assert err.doc_url.endswith("#invalid_phone_number")
    assert err.status_code == 400
    assert err.raw_response.status_code == 400
    assert isinstance(err, ding.DingError)
    assert json.loads(str(err)) == error_body("invalid_phone_number")


async def test_400_with_an_unknown_code_keeps_it(
    client: ding.AsyncDing, stub: StubDing
) -> None:
    stub.script.append(json_reply(400, error_body("quantum_entanglement_detected")))
    with pytest.raises(errors.ErrorResponse) as info:
        await client.otp.check(authentication_uuid=AUTH_UUID, check_code="1")
    assert info.value.code == "quantum_entanglement_detected"


@pytest.mark.parametrize(
    "code",
    [
        "spending_limit_exceeded",
        "impossible_code",
        "suspended_account",
        "invalid_sender_id",
    ],
)
async def test_newer_documented_codes_are_members(
    client: ding.AsyncDing, stub: StubDing, code: str
) -> None:
    stub.script.append(json_reply(400, error_body(code)))
    with pytest.raises(errors.ErrorResponse) as info:
        await client.otp.retry(authentication_uuid=AUTH_UUID)
    assert isinstance(info.value.code, errors.Code)
    assert info.value.code.value == code


async def test_403_forbidden_is_an_sdk_error_in_seed_form(
    client: ding.AsyncDing, stub: StubDing
) -> None:
    stub.script.append(json_reply(403, {"message": "Forbidden"}))
    with pytest.raises(errors.SDKError) as info:
        await client.otp.create_authentication(phone_number="+14155550123")
    err = info.value
    assert isinstance(err, ding.AuthenticationError)
    assert err.status_code == 403
    assert err.message == "API error occurred"
    # The seed SDK's form, then the hint on a line of its own.
    assert str(err) == (
        'API error occurred: Status 403\n{"message": "Forbidden"}\n' + KEY_REFUSED
    )
    assert err.raw_response.status_code == 403


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (401, ding.AuthenticationError),
        (404, ding.NotFoundError),
        (409, ding.ClientError),
        (429, ding.RateLimitError),
        (500, ding.ServerError),
        (502, ding.ServerError),
        (503, ding.ServerError),
    ],
)
async def test_status_families(
    client: ding.AsyncDing, stub: StubDing, status: int, cls: type[errors.SDKError]
) -> None:
    stub.script.append((status, {"content-type": "text/plain"}, b"nope"))
    with pytest.raises(cls) as info:
        await client.otp.check(authentication_uuid=AUTH_UUID, check_code="1")
    assert type(info.value) is cls
    assert info.value.status_code == status
    # Only a refused key has a hint here (the server URL ends in /v1).
    hint = f"\n{KEY_REFUSED}" if status == 401 else ""
    assert str(info.value) == f"API error occurred: Status {status}\nnope{hint}"


async def test_400_without_a_ding_body(client: ding.AsyncDing, stub: StubDing) -> None:
    stub.script.append((400, {"content-type": "text/html"}, b"<h1>Bad</h1>"))
    with pytest.raises(ding.BadRequestError) as info:
        await client.otp.check(authentication_uuid=AUTH_UUID, check_code="1")
    assert info.value.message == "unknown content-type received: text/html"
    stub.script.append(json_reply(400, ["not", "an", "object"]))
    with pytest.raises(ding.BadRequestError, match="API error occurred"):
        await client.otp.check(authentication_uuid=AUTH_UUID, check_code="1")
    stub.script.append((400, {"content-type": "application/json"}, b"{broken"))
    with pytest.raises(ding.BadRequestError):
        await client.otp.check(authentication_uuid=AUTH_UUID, check_code="1")


@pytest.mark.parametrize(
    ("reply", "match"),
    [
        (
            (200, {"content-type": "text/html"}, b"<html>oops</html>"),
            "unknown content-type",
        ),
        ((200, dict[str, str](), b""), "unknown content-type"),
        ((200, {"content-type": "application/json"}, b""), "not valid JSON"),
        ((200, {"content-type": "application/json"}, b'{"status": '), "not valid JSON"),
        ((200, {"content-type": "application/json"}, b"\xff\xfe"), "not valid JSON"),
        ((200, {"content-type": "application/json"}, b"[1, 2]"), "does not match"),
        (
            (200, {"content-type": "application/json"}, b'{"created_at": "yesterday"}'),
            "does not match",
        ),
    ],
)
async def test_malformed_success_bodies(
    client: ding.AsyncDing,
    stub: StubDing,
    reply: tuple[int, dict[str, str], bytes],
    match: str,
) -> None:
    stub.script.append(reply)
    with pytest.raises(ding.MalformedResponseError, match=match) as info:
        await client.otp.retry(authentication_uuid=AUTH_UUID)
    assert isinstance(info.value, errors.SDKError)
    assert info.value.status_code == 200


async def test_malformed_json_keeps_the_cause(
    client: ding.AsyncDing, stub: StubDing
) -> None:
    stub.script.append((200, {"content-type": "application/json"}, b"{"))
    with pytest.raises(ding.MalformedResponseError) as info:
        await client.otp.retry(authentication_uuid=AUTH_UUID)
    assert isinstance(info.value.__cause__, ValueError)


@pytest.mark.in_process_only(
    reason="a ConnectError is raised before a connection exists; a server that "
    "accepted one cannot cause it (transport/test_own_pool.py refuses real connections)"
)
async def test_connection_error(client: ding.AsyncDing, stub: StubDing) -> None:
    stub.script.append(httpx.ConnectError("connection refused"))
    with pytest.raises(ding.APIConnectionError) as info:
        await client.otp.create_authentication(phone_number="+14155550123")
    assert str(info.value) == (
        "POST /v1/authentication: cannot connect to stub.test:443: "
        "ConnectError: connection refused"
    )
    assert not isinstance(info.value, ding.APITimeoutError)
    assert isinstance(info.value.__cause__, httpx.ConnectError)
    assert info.value.request is not None


async def test_dropped_connection(client: ding.AsyncDing, stub: StubDing) -> None:
    stub.script.append(DROP)
    with pytest.raises(ding.APIConnectionError) as info:
        await client.otp.check(authentication_uuid=AUTH_UUID, check_code="1")
    # The same words on every transport: the SDK's, then the cause's.
    assert str(info.value) == (
        f"POST /v1/check: no complete answer from {where(client)}: "
        "RemoteProtocolError: Server disconnected without sending a response."
    )
    assert type(info.value) is ding.APIConnectionError
    assert type(info.value.__cause__) is httpx.RemoteProtocolError


async def test_a_connection_error_writes_an_ipv6_host_in_brackets() -> None:
    # A failed connection names the host and port it was for, as a URL
    # writes them: an IPv6 address in brackets, its colons apart from the
    # port's.
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    async with ding.AsyncDing(
        api_key="k",
        server_url="https://[2001:db8::1]/v1",
        customer_uuid=CUSTOMER_UUID,
        max_retries=0,
        client=httpx.AsyncClient(transport=httpx.MockTransport(refuse)),
    ) as client:
        with pytest.raises(ding.APIConnectionError) as info:
            await client.otp.check(authentication_uuid=AUTH_UUID, check_code="1")
    assert str(info.value) == (
        "POST /v1/check: cannot connect to [2001:db8::1]:443: "
        "ConnectError: connection refused"
    )


def reset_by_peer() -> httpx.ReadError:
    # What httpcore raises on asyncio when the peer resets: no words of its
    # own, the operating system's two links down the chain.
    inner = httpx.ReadError("")
    inner.__cause__ = ConnectionResetError(104, "Connection reset by peer")
    outer = httpx.ReadError("")
    outer.__cause__ = inner
    return outer


def chained(*links: BaseException) -> httpx.ReadError:
    """A ReadError without words, each of *links* the cause of the one before."""
    outer = httpx.ReadError("")
    behind: BaseException = outer
    for link in links:
        behind.__cause__ = link
        behind = link
    return outer


def wordless(count: int) -> list[BaseException]:
    return [httpx.ReadError("") for _ in range(count)]


READING = "the connection to stub.test:443 broke while reading the answer"
SENDING = "the connection to stub.test:443 broke while sending the request"
NO_DETAIL = "(the transport gave no detail)"
RESET = "[Errno 104] Connection reset by peer"


@pytest.mark.parametrize(
    ("exc", "detail"),
    [
        (httpx.ReadError(""), f"{READING}: ReadError {NO_DETAIL}"),
        (
            reset_by_peer(),
            f"{READING}: ReadError: ConnectionResetError: {RESET}",
        ),
        (
            httpx.WriteError(""),
            f"{SENDING}: WriteError {NO_DETAIL}",
        ),
        (
            httpx.CloseError(""),
            f"the connection to stub.test:443 failed: CloseError {NO_DETAIL}",
        ),
        (OSError(), f"the connection to stub.test:443 failed: OSError {NO_DETAIL}"),
        # Never empty: an operating-system error without words is no detail.
        (chained(OSError()), f"{READING}: ReadError {NO_DETAIL}"),
        # Only an operating-system error's words are shown, not a library's.
        (
            chained(RuntimeError("a library's words")),
            f"{READING}: ReadError {NO_DETAIL}",
        ),
        # The chain is followed 8 links deep, no further (nor round a cycle).
        (
            chained(
                *wordless(7), ConnectionResetError(104, "Connection reset by peer")
            ),
            f"{READING}: ReadError: ConnectionResetError: {RESET}",
        ),
        (
            chained(
                *wordless(8), ConnectionResetError(104, "Connection reset by peer")
            ),
            f"{READING}: ReadError {NO_DETAIL}",
        ),
    ],
)
@pytest.mark.in_process_only(
    reason="a transport exception without words is raised on demand; "
    "transport/test_own_pool.py resets real connections"
)
async def test_every_connection_error_has_a_detail(
    client: ding.AsyncDing, stub: StubDing, exc: Exception, detail: str
) -> None:
    stub.script.append(exc)
    with pytest.raises(ding.APIConnectionError) as info:
        await client.otp.check(authentication_uuid=AUTH_UUID, check_code="1")
    assert str(info.value) == f"POST /v1/check: {detail}"


@pytest.mark.parametrize(
    "exc",
    [
        httpx.ReadTimeout("slow"),
        httpx.ConnectTimeout("slow"),
        httpx.PoolTimeout("busy"),
    ],
)
@pytest.mark.in_process_only(
    reason="maps each httpx timeout class; connect and pool timeouts are raised "
    "inside the transport, which no server can make happen on demand"
)
async def test_timeouts(
    client: ding.AsyncDing, stub: StubDing, exc: httpx.TimeoutException
) -> None:
    stub.script.append(exc)
    with pytest.raises(ding.APITimeoutError) as info:
        await client.otp.check(authentication_uuid=AUTH_UUID, check_code="1")
    assert info.value.__cause__ is exc


async def test_a_stalled_answer_is_a_read_timeout(
    client: ding.AsyncDing, stub: StubDing
) -> None:
    stub.script.append(STALL)
    with pytest.raises(ding.APITimeoutError) as info:
        await client.otp.check(
            authentication_uuid=AUTH_UUID, check_code="1", timeout=SHORT
        )
    assert str(info.value) == "POST /v1/check: read timeout"
    assert type(info.value.__cause__) is httpx.ReadTimeout
    assert info.value.request is not None
    assert info.value.request.headers["x-api-key"] == "[redacted]"


async def test_connection_refused_for_real() -> None:
    # Port 9 (discard) on loopback is closed here; nothing listens.
    client = ding.AsyncDing(
        api_key="k",
        server_url="http://127.0.0.1:9/v1",
        customer_uuid=CUSTOMER_UUID,
        max_retries=0,
    )
    with pytest.raises(ding.APIConnectionError) as info:
        await client.otp.check(authentication_uuid=AUTH_UUID, check_code="1")
    assert isinstance(info.value.__cause__, httpx.ConnectError)
    await client.aclose()


@pytest.mark.parametrize("status", [401, 403])
async def test_a_refused_key_says_where_it_came_from(
    connect: Connect,
    stub: StubDing,
    monkeypatch: pytest.MonkeyPatch,
    status: int,
) -> None:
    monkeypatch.setenv("DING_API_KEY", SECRET)
    from_env = connect(max_retries=0)
    stub.script.append(json_reply(status, {"message": "Forbidden"}))
    with pytest.raises(ding.AuthenticationError) as info:
        await from_env.otp.retry(authentication_uuid=AUTH_UUID)
    assert info.value.hint == (
        "The API key was refused; it came from the DING_API_KEY environment "
        "variable. Check that it is a current key of your Ding account (the "
        "key itself is never shown)."
    )
    assert str(info.value).endswith(f"\n{info.value.hint}")
    stub.script.append(json_reply(status, {"message": "Forbidden"}))
    with pytest.raises(ding.AuthenticationError) as info:
        await from_env.with_options(api_key="other").otp.retry(
            authentication_uuid=AUTH_UUID
        )
    assert info.value.hint is not None
    assert "came from the api_key argument of with_options()." in info.value.hint
    stub.script.append(json_reply(status, {"message": "Forbidden"}))
    with pytest.raises(ding.AuthenticationError) as info:
        await connect(api_key="", max_retries=0).otp.retry(
            authentication_uuid=AUTH_UUID
        )
    assert info.value.hint == (
        "The API key is empty (from the api_key argument): pass api_key=... "
        "or set DING_API_KEY to your Ding API key."
    )
    assert info.value.message == "API error occurred"
    assert SECRET not in str(info.value) + repr(info.value)


async def test_a_404_says_when_the_server_url_lacks_v1(
    client: ding.AsyncDing, stub: StubDing
) -> None:
    root = client.server_url.removesuffix("/v1")
    stub.script.append(json_reply(404, {"message": "Not Found"}))
    with pytest.raises(ding.NotFoundError) as info:
        await client.with_options(server_url=root + "/").otp.retry(
            authentication_uuid=AUTH_UUID
        )
    hint = (
        f"The server URL {root} (from the server_url argument of with_options()) "
        f"does not end in /v1, where the Ding API's operations are: try {root}/v1."
    )
    assert info.value.hint == hint
    assert str(info.value) == (
        f'API error occurred: Status 404\n{{"message": "Not Found"}}\n{hint}'
    )
    stub.script.append(json_reply(404, {"message": "Not Found"}))
    with pytest.raises(ding.NotFoundError) as info:
        await client.otp.retry(authentication_uuid=AUTH_UUID)
    assert info.value.hint is None


async def test_a_base_url_from_the_environment_is_named_in_the_404_hint(
    stub: StubDing, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DING_BASE_URL", "https://stub.test/api")
    stub.script.append((404, {}, b""))
    async with (
        httpx.AsyncClient(transport=stub.async_transport()) as http,
        ding.AsyncDing(api_key="k", customer_uuid=CUSTOMER_UUID, client=http) as c,
    ):
        with pytest.raises(ding.NotFoundError) as info:
            await c.otp.retry(authentication_uuid=AUTH_UUID)
    assert str(info.value) == (
        "API error occurred: Status 404\n"
        "The server URL https://stub.test/api (from the DING_BASE_URL "
        "environment variable) does not end in /v1, where the Ding API's "
        "operations are: try https://stub.test/api/v1."
    )


async def test_the_key_never_appears_in_errors(
    secret_client: ding.AsyncDing, stub: StubDing
) -> None:
    stub.script.extend(
        [
            json_reply(400, error_body("bad_request")),
            json_reply(403, {"message": "Forbidden"}),
            (200, {"content-type": "application/json"}, b"{"),
            # Twice: over TCP the first drop, on a reused connection, is
            # sent once more (ding._transport._reuse).
            DROP,
            DROP,
            STALL,
        ],
    )
    for _ in range(5):
        with pytest.raises(ding.DingError) as info:
            await secret_client.otp.check(
                authentication_uuid=AUTH_UUID, check_code="1", timeout=SHORT
            )
        rendered = "".join(
            [str(info.value), repr(info.value), *map(str, info.value.args)]
        )
        assert SECRET not in rendered
        assert SECRET not in str(info.getrepr(showlocals=True, style="long"))


@pytest.mark.in_process_only(
    reason="scripts the error h11 raises for an invalid header, which a "
    "sound request cannot make a real transport raise"
)
async def test_the_key_never_appears_in_a_traceback_of_an_invalid_header(
    secret_client: ding.AsyncDing, stub: StubDing
) -> None:
    # h11 refuses a header it cannot send by quoting it, and the header can
    # be the key: what a user's traceback shows must not hold it.
    stub.script.append(
        httpx.LocalProtocolError(f"Illegal header value b'{SECRET}\\x00'")
    )
    with pytest.raises(ding.APIConnectionError) as info:
        await secret_client.otp.check(authentication_uuid=AUTH_UUID, check_code="1")
    printed = "".join(traceback.format_exception(info.value))
    assert "the request could not be sent (invalid HTTP)" in printed
    assert SECRET not in printed
    assert SECRET not in str(info.getrepr(style="long", chain=True))


@st.composite
def replies(draw: st.DrawFn) -> tuple[int, dict[str, str], bytes]:
    status = draw(
        st.sampled_from([200, 201, 204, 301, 400, 401, 403, 404, 429, 500, 503, 599])
    )
    content_type = draw(
        st.sampled_from(
            ["application/json", "application/json; charset=utf-8", "text/html", ""]
        ),
    )
    json_values = st.recursive(
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats(allow_nan=False)
        | st.text(),
        lambda children: (
            st.lists(children, max_size=3)
            | st.dictionaries(
                st.sampled_from(
                    ["status", "code", "created_at", "remaining_retry", "x", "message"]
                ),
                children,
                max_size=4,
            )
        ),
        max_leaves=8,
    )
    raw = draw(
        st.one_of(
            json_values.map(lambda v: json.dumps(v).encode()),
            st.binary(max_size=30),
        ),
    )
    headers = {"content-type": content_type} if content_type else {}
    return status, headers, raw


async def any_answer_is_an_envelope_or_a_ding_error(
    client: ding.AsyncDing, stub: StubDing, reply: tuple[int, dict[str, str], bytes]
) -> None:
    stub.script.append(reply)
    outcome: object
    try:
        outcome = await client.otp.retry(authentication_uuid=AUTH_UUID)
    except ding.DingError as exc:  # anything else fails the test
        outcome = exc
    if isinstance(outcome, ding.DingError):
        assert SECRET not in str(outcome) + repr(outcome)
        if isinstance(outcome, errors.SDKError | errors.ErrorResponse):
            assert outcome.status_code == reply[0]
    else:
        assert isinstance(outcome, operations.RetryResponse)
        assert 200 <= outcome.status_code < 300


# 150 answers in the suite; the `fuzz` nox session runs 2,000 (CI) and
# `nox -s fuzz -- --answers N` more.
FUZZ_EXAMPLES = int(os.environ.get("DING_FUZZ_EXAMPLES", "150"))


@pytest.mark.in_process_only(
    reason="the search itself, 150 answers; over sockets the next test sends 25 "
    "on each transport, which keeps the suite within CI's time"
)
@settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(reply=replies())
async def test_any_answer_is_an_envelope_or_a_ding_error(
    secret_client: ding.AsyncDing,
    stub: StubDing,
    reply: tuple[int, dict[str, str], bytes],
) -> None:
    await any_answer_is_an_envelope_or_a_ding_error(secret_client, stub, reply)


@settings(
    max_examples=examples(25),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(reply=replies())
async def test_any_answer_on_each_transport(
    secret_client: ding.AsyncDing,
    stub: StubDing,
    reply: tuple[int, dict[str, str], bytes],
) -> None:
    await any_answer_is_an_envelope_or_a_ding_error(secret_client, stub, reply)


async def test_a_malformed_success_keeps_its_words_status_body_and_response(
    client: ding.AsyncDing, stub: StubDing
) -> None:
    stub.script.append((200, {"content-type": "text/html"}, b"<p>hi</p>"))
    with pytest.raises(ding.MalformedResponseError) as info:
        await client.otp.retry(authentication_uuid=AUTH_UUID)
    assert info.value.message == "unknown content-type received: text/html"
    assert str(info.value) == (
        "unknown content-type received: text/html: Status 200\n<p>hi</p>"
    )
    assert info.value.status_code == 200
    assert info.value.body == "<p>hi</p>"
    assert info.value.raw_response.content == b"<p>hi</p>"


async def test_a_success_without_a_content_type_is_malformed_saying_so(
    client: ding.AsyncDing, stub: StubDing
) -> None:
    stub.script.append((200, {}, b'{"authentication_uuid": "a"}'))
    with pytest.raises(ding.MalformedResponseError) as info:
        await client.otp.retry(authentication_uuid=AUTH_UUID)
    assert info.value.message == "unknown content-type received: "


async def test_any_2xx_with_a_body_is_decoded(
    client: ding.AsyncDing, stub: StubDing
) -> None:
    stub.script.append(
        json_reply(201, {"authentication_uuid": AUTH_UUID, "status": "approved"})
    )
    res = await client.otp.retry(authentication_uuid=AUTH_UUID)
    assert res.status_code == 201
    assert res.retry_authentication_response is not None
    assert res.retry_authentication_response.authentication_uuid == AUTH_UUID


@pytest.mark.parametrize("status", [201, 202])
async def test_an_empty_2xx_other_than_200_is_no_content(
    client: ding.AsyncDing, stub: StubDing, status: int
) -> None:
    # An empty 200 is malformed (test_malformed_success_bodies); any other
    # empty success, like a 204, carries no model.
    stub.script.append((status, {"content-type": "application/json"}, b""))
    res = await client.otp.retry(authentication_uuid=AUTH_UUID)
    assert res.status_code == status
    assert res.retry_authentication_response is None


@pytest.mark.in_process_only(
    reason="a 204 with a body, which HTTP/1.1 transports never hand over"
)
async def test_a_204_is_no_content_whatever_body_comes_with_it(
    client: ding.AsyncDing, stub: StubDing
) -> None:
    stub.script.append(
        json_reply(204, {"authentication_uuid": AUTH_UUID, "status": "approved"})
    )
    res = await client.otp.retry(authentication_uuid=AUTH_UUID)
    assert res.status_code == 204
    assert res.retry_authentication_response is None


async def test_a_body_of_the_wrong_shape_names_each_path_and_problem(
    client: ding.AsyncDing, stub: StubDing
) -> None:
    stub.script.append(json_reply(200, {"remaining_retry": "3", "status": 1}))
    with pytest.raises(ding.MalformedResponseError) as info:
        await client.otp.retry(authentication_uuid=AUTH_UUID)
    cls = "RetryAuthenticationResponse"
    assert info.value.message == (
        f"response body does not match {cls}: cannot decode {cls}: "
        "expected a string (RetryAuthenticationResponseStatus value), got number"
        " @ $.status; expected an integer, got string @ $.remaining_retry"
    )


JSON_MEDIA_TYPES = [
    "application/json; charset=utf-8",
    "application/json;charset=utf-8; profile=x",
    "Application/JSON",
    " application/json ",
    "application/problem+json",
    "application/vnd.ding.v1+json; charset=utf-8",
]


async def test_every_json_media_type_is_read(
    client: ding.AsyncDing, stub: StubDing
) -> None:
    for content_type in JSON_MEDIA_TYPES:
        body = b'{"remaining_retry": 2}'
        stub.script.append((200, {"content-type": content_type}, body))
        res = await client.otp.retry(authentication_uuid=AUTH_UUID)
        assert res.retry_authentication_response is not None, content_type
        assert res.retry_authentication_response.remaining_retry == 2


@contextlib.asynccontextmanager
async def client_at_api_without_v1(stub: StubDing) -> AsyncGenerator[ding.AsyncDing]:
    """A client of the stub whose server_url argument lacks /v1."""
    async with (
        httpx.AsyncClient(transport=stub.async_transport()) as http,
        ding.AsyncDing(
            api_key="k",
            customer_uuid=CUSTOMER_UUID,
            client=http,
            server_url="https://stub.test/api",
        ) as c,
    ):
        yield c


async def test_a_server_url_argument_lacking_v1_is_named_in_the_404_hint(
    stub: StubDing,
) -> None:
    stub.script.append((404, {}, b""))
    async with client_at_api_without_v1(stub) as c:
        with pytest.raises(ding.NotFoundError) as info:
            await c.otp.retry(authentication_uuid=AUTH_UUID)
    assert info.value.hint == (
        "The server URL https://stub.test/api (from the server_url argument) "
        "does not end in /v1, where the Ding API's operations are: try "
        "https://stub.test/api/v1."
    )


async def test_the_404_hint_keeps_naming_where_the_url_came_from_in_a_copy(
    stub: StubDing,
) -> None:
    # A with_options copy that changes allow_insecure_http, not the URL,
    # still names the URL's own source.
    stub.script.append((404, {}, b""))
    async with client_at_api_without_v1(stub) as c:
        with pytest.raises(ding.NotFoundError) as info:
            await c.with_options(allow_insecure_http=True).otp.retry(
                authentication_uuid=AUTH_UUID
            )
    assert info.value.hint is not None
    assert "(from the server_url argument) does not end" in info.value.hint


def test_errors_keep_their_fields_through_pickle() -> None:
    # Errors cross process boundaries (multiprocessing, job queues) whole.
    request = httpx.Request("POST", "https://stub.test/v1/check")
    connection = ding.APIConnectionError("POST /v1/check: refused", request=request)
    copy = pickle.loads(pickle.dumps(connection))  # noqa: S301 - our own bytes
    assert copy.message == "POST /v1/check: refused"
    assert copy.request is not None
    assert copy.request.url == "https://stub.test/v1/check"
    body = error_body("invalid_phone_number")
    refused = ding.ErrorResponse(
        code=body["code"],
        message=body["message"],
        doc_url=body["doc_url"],
        raw_response=httpx.Response(400, json=body, request=request),
    )
    again = pickle.loads(pickle.dumps(refused))  # noqa: S301 - our own bytes
    assert (again.code, again.message, again.doc_url) == (
        errors.Code.INVALID_PHONE_NUMBER,
        body["message"],
        body["doc_url"],
    )
    assert again.status_code == 400
    assert json.loads(again.body) == body


def test_an_sdk_error_has_the_seed_sdks_args() -> None:
    # The seed SDK's SDKError was built as SDKError(message, status_code,
    # body, raw_response), and those were its args.
    response = httpx.Response(500, text="boom")
    for cls in (ding.SDKError, ding.ServerError, ding.MalformedResponseError):
        error = cls("API error occurred", 500, "boom", response)
        assert error.args == ("API error occurred", 500, "boom", response)


def test_an_error_built_by_hand_has_sound_defaults() -> None:
    # Callers build errors too, in their own tests' fakes.
    response = httpx.Response(200, text="{}")
    missing = ding.MissingFieldError("no status in the answer", 200, "{}", response)
    assert missing.field == ""
    assert missing.hint is None
    redirect = ding.RedirectError("moved", 301, "", response)
    assert redirect.location is None


def test_the_repr_of_an_error_names_its_class_and_status_not_its_body() -> None:
    response = httpx.Response(500, text="a body that may be long")
    assert repr(ding.ServerError("API error occurred", 500, "boom", response)) == (
        "ServerError(message='API error occurred', status_code=500)"
    )
    refused = httpx.Response(400, json={"code": "invalid_line"})
    with_message = ding.ErrorResponse(
        code="invalid_line", message="no", doc_url=None, raw_response=refused
    )
    assert repr(with_message) == (
        "ErrorResponse(status_code=400, code='invalid_line', message='no')"
    )
    without = ding.ErrorResponse(
        code="invalid_line", message=None, doc_url=None, raw_response=refused
    )
    assert repr(without).endswith(", message=None)")


async def test_a_status_past_5xx_is_a_plain_sdk_error(
    client: ding.AsyncDing, stub: StubDing
) -> None:
    # Neither a server error nor a client error: only SDKError catches it.
    stub.script.append((600, {"content-type": "text/plain"}, b"odd"))
    with pytest.raises(ding.SDKError) as info:
        await client.otp.check(authentication_uuid=AUTH_UUID, check_code="1")
    assert type(info.value) is ding.SDKError
    assert str(info.value) == "API error occurred: Status 600\nodd"


@pytest.mark.parametrize(
    ("length", "shown"),
    [(1000, "b" * 1000), (1001, "b" * 1000 + "... [1 more characters]")],
)
async def test_an_error_shows_at_most_1000_characters_of_the_body(
    client: ding.AsyncDing, stub: StubDing, length: int, shown: str
) -> None:
    stub.script.append((500, {"content-type": "text/plain"}, b"b" * length))
    with pytest.raises(ding.ServerError) as info:
        await client.otp.check(authentication_uuid=AUTH_UUID, check_code="1")
    assert str(info.value) == f"API error occurred: Status 500\n{shown}"
    assert info.value.body == "b" * length


async def test_a_400_without_a_content_type_is_a_bad_request(
    client: ding.AsyncDing, stub: StubDing
) -> None:
    # The seed SDK's message, with the (empty) content type it received.
    stub.script.append((400, {}, b'{"code": "invalid_line"}'))
    with pytest.raises(ding.BadRequestError) as info:
        await client.otp.check(authentication_uuid=AUTH_UUID, check_code="1")
    assert type(info.value) is ding.BadRequestError
    assert info.value.message == "unknown content-type received: "
