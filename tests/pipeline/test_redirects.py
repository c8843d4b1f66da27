"""Redirects are never followed: the request carries the API key.

Whatever client the caller injects (even one made with
``follow_redirects=True``), a 3xx answer is raised as `ding.RedirectError`
naming the location, and nothing is sent to it.
"""

from __future__ import annotations

import contextlib
import traceback
from typing import TYPE_CHECKING

import httpx
import pytest

import ding
from tests._listen import listening
from tests._stub import AUTH_UUID, CUSTOMER_UUID, json_reply

if TYPE_CHECKING:
    import socket
    import threading
    from collections.abc import Generator

    from tests._stub import StubDing
    from tests.conftest import Connect

pytestmark = pytest.mark.anyio

SECRET = "redirect-secret-key"  # noqa: S105 - a test key


@contextlib.contextmanager
def listener() -> Generator[tuple[str, list[bytes]]]:
    """A TCP port that records what arrives on it and answers nothing."""
    received: list[bytes] = []

    def handle(conn: socket.socket, _stop: threading.Event) -> None:
        with conn:
            conn.settimeout(1)
            with contextlib.suppress(OSError):
                received.append(conn.recv(65536))

    with listening(handle) as origin:
        yield origin, received


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
async def test_a_redirect_is_an_error_naming_the_location(
    connect: Connect, stub: StubDing, status: int
) -> None:
    client = connect(api_key=SECRET)
    stub.script.append(
        json_reply(status, {}, location="https://elsewhere.example/v1/check")
    )
    with pytest.raises(ding.RedirectError) as info:
        await client.otp.check(authentication_uuid=AUTH_UUID, check_code="123456")
    error = info.value
    assert isinstance(error, ding.SDKError)
    assert error.status_code == status
    assert error.location == "https://elsewhere.example/v1/check"
    assert "https://elsewhere.example/v1/check" in str(error)
    assert "server_url" in str(error)
    assert len(stub.requests) == 1  # not followed
    assert error.raw_response.request.headers["x-api-key"] == "[redacted]"
    assert SECRET not in "".join(traceback.format_exception(error))


async def test_a_relative_location_is_shown_absolute(
    connect: Connect, stub: StubDing
) -> None:
    client = connect(api_key=SECRET)
    stub.script.append(json_reply(307, {}, location="/v2/check"))
    with pytest.raises(ding.RedirectError) as info:
        await client.otp.check(authentication_uuid=AUTH_UUID, check_code="123456")
    assert info.value.location is not None
    assert info.value.location.endswith("/v2/check")
    assert info.value.location.startswith(("http://", "https://"))


async def test_credentials_in_the_location_are_not_shown(
    connect: Connect, stub: StubDing
) -> None:
    client = connect(api_key=SECRET)
    stub.script.append(
        json_reply(302, {}, location="https://user:hunter2-pw@elsewhere.example/v1")
    )
    with pytest.raises(ding.RedirectError) as info:
        await client.otp.check(authentication_uuid=AUTH_UUID, check_code="123456")
    assert info.value.location == "https://elsewhere.example/v1"
    assert "hunter2-pw" not in str(info.value)


async def test_a_redirect_without_a_location(connect: Connect, stub: StubDing) -> None:
    client = connect(api_key=SECRET)
    stub.script.append(json_reply(300, {}))
    with pytest.raises(ding.RedirectError, match="without a Location") as info:
        await client.otp.check(authentication_uuid=AUTH_UUID, check_code="123456")
    assert info.value.location is None


@pytest.mark.parametrize("operation", ["get", "post"])
async def test_an_injected_client_that_follows_redirects_does_not(
    tcp_stub: tuple[StubDing, str], operation: str
) -> None:
    stub, url = tcp_stub
    with listener() as (elsewhere, received):
        stub.script.append(json_reply(307, {}, location=f"{elsewhere}/v1/stolen"))
        async with httpx.AsyncClient(follow_redirects=True) as http:
            client = ding.AsyncDing(
                api_key=SECRET, server_url=url, client=http, customer_uuid=CUSTOMER_UUID
            )
            call = (
                client.otp.get_authentication_status(AUTH_UUID)
                if operation == "get"
                else client.otp.check(
                    authentication_uuid=AUTH_UUID, check_code="123456"
                )
            )
            with pytest.raises(ding.RedirectError) as info:
                await call
    assert received == []  # nothing, and so no key, went to the other origin
    assert info.value.location == f"{elsewhere}/v1/stolen"
    assert info.value.raw_response.history == []
    assert info.value.raw_response.request.headers["x-api-key"] == "[redacted]"


def test_the_sync_client_raises_it_too(
    sync_client: ding.Ding, tcp_stub: tuple[StubDing, str]
) -> None:
    stub, _ = tcp_stub
    stub.script.append(json_reply(308, {}, location="https://elsewhere.example/v1"))
    with pytest.raises(ding.RedirectError):
        sync_client.otp.get_authentication_status(AUTH_UUID)
    assert len(stub.requests) == 1


async def test_a_redirect_says_it_is_not_followed_and_what_to_do(
    connect: Connect, stub: StubDing
) -> None:
    # The seed SDK's form: the message, the status, the body; the message
    # names the request, the location and the fix.
    client = connect(api_key=SECRET)
    stub.script.append(json_reply(301, {}, location="https://api.example/v2"))
    with pytest.raises(ding.RedirectError) as info:
        await client.otp.check(authentication_uuid=AUTH_UUID, check_code="123456")
    assert str(info.value) == (
        "POST /v1/check: the server answered 301 with a redirect to "
        "https://api.example/v2; the SDK does not follow redirects, since the "
        "request carries the API key. If the API moved, set server_url to its "
        "new address: Status 301\n{}"
    )
    stub.script.append(json_reply(302, {}))
    with pytest.raises(ding.RedirectError) as info:
        await client.otp.check(authentication_uuid=AUTH_UUID, check_code="123456")
    assert info.value.message == (
        "POST /v1/check: the server answered 302 with a redirect without a "
        "Location; the SDK does not follow redirects, since the request carries "
        "the API key. If the API moved, set server_url to its new address"
    )


async def test_a_long_location_is_cut_in_the_message_and_kept_whole(
    connect: Connect, stub: StubDing
) -> None:
    client = connect(api_key=SECRET)
    location = "https://elsewhere.example/" + "p" * 974  # 1,000 characters
    stub.script.append(json_reply(307, {}, location=location))
    with pytest.raises(ding.RedirectError) as info:
        await client.otp.check(authentication_uuid=AUTH_UUID, check_code="123456")
    assert info.value.location == location
    shown = f"with a redirect to {location[:300]}... [700 more characters]; "
    assert shown in str(info.value)


async def test_an_invalid_location_is_named_as_such(
    tcp_stub: tuple[StubDing, str],
) -> None:
    # On the SDK's own transports (aiohttp on asyncio, httpcore on trio);
    # httpx.AsyncClient refuses such an answer itself, before the SDK sees it.
    stub, url = tcp_stub
    stub.script.append(json_reply(302, {}, location="http://a:b:c/"))
    async with ding.AsyncDing(
        api_key=SECRET, server_url=url, customer_uuid=CUSTOMER_UUID
    ) as client:
        with pytest.raises(ding.RedirectError) as info:
            await client.otp.check(authentication_uuid=AUTH_UUID, check_code="123456")
    assert info.value.location == "an invalid URL"
    assert "answered 302 with a redirect to an invalid URL; " in str(info.value)
