"""The error tree has no trap: every 4xx under ClientError, every 400 under
BadRequestError, and the seed SDK's ``except`` pattern still picks the same
branch for each answer, sync and async."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

import ding
from ding.models import errors
from tests._stub import AUTH_UUID, Reply, StubDing, json_reply

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

DING_400 = json_reply(
    400,
    {
        "code": "invalid_auth_uuid",
        "message": "the authentication does not exist",
        "doc_url": "https://docs.prelude.so/verify/v1/documentation/errors#invalid_auth_uuid",
    },
)
HTML_400 = (400, {"content-type": "text/html"}, b"<h1>Bad Request</h1>")
FORBIDDEN = json_reply(403, {"message": "Forbidden"})
TEXT = {"content-type": "text/plain"}

# Every 4xx answer, and the class it must raise.
CLIENT_ERRORS: list[tuple[Reply, type[ding.ClientError]]] = [
    (DING_400, ding.ErrorResponse),
    (HTML_400, ding.BadRequestError),
    (json_reply(400, ["not", "an", "object"]), ding.BadRequestError),
    ((401, TEXT, b"no key"), ding.AuthenticationError),
    (FORBIDDEN, ding.PermissionDeniedError),
    ((404, TEXT, b"nope"), ding.NotFoundError),
    ((409, TEXT, b"conflict"), ding.ClientError),
    ((429, TEXT, b"slow down"), ding.RateLimitError),
]

# The seed SDK's documented pattern, and the branch each answer took there.
SEED_BRANCHES: list[tuple[Reply, str]] = [
    (DING_400, "ErrorResponse invalid_auth_uuid the authentication does not exist"),
    (HTML_400, "SDKError 400 unknown content-type received: text/html"),
    (FORBIDDEN, "SDKError 403 API error occurred"),
    ((404, TEXT, b"nope"), "SDKError 404 API error occurred"),
    ((500, TEXT, b"oops"), "SDKError 500 API error occurred"),
    ((200, TEXT, b"{}"), "SDKError 200 unknown content-type received: text/plain"),
]


def seed_handler(call: Callable[[], object]) -> str:
    """The seed README's error handling, as a caller wrote it in 2023."""
    try:
        call()
    except errors.ErrorResponse as e:
        return f"ErrorResponse {e.code} {e.message}"
    except errors.SDKError as e:
        return f"SDKError {e.status_code} {e.message}"
    return "no error"


async def async_seed_handler(call: Callable[[], Awaitable[object]]) -> str:
    """The same pattern around an awaited call."""
    try:
        await call()
    except errors.ErrorResponse as e:
        return f"ErrorResponse {e.code} {e.message}"
    except errors.SDKError as e:
        return f"SDKError {e.status_code} {e.message}"
    return "no error"


def test_the_tree_has_no_trap() -> None:
    assert issubclass(ding.ErrorResponse, ding.BadRequestError)
    assert issubclass(ding.BadRequestError, ding.ClientError)
    assert issubclass(ding.ClientError, ding.SDKError)
    assert issubclass(ding.PermissionDeniedError, ding.AuthenticationError)
    for cls in (ding.AuthenticationError, ding.NotFoundError, ding.RateLimitError):
        assert issubclass(cls, ding.ClientError)
    assert not issubclass(ding.ServerError, ding.ClientError)
    assert errors.ErrorResponse is ding.ErrorResponse
    assert errors.PermissionDeniedError is ding.PermissionDeniedError


@pytest.mark.parametrize(("reply", "cls"), CLIENT_ERRORS)
@pytest.mark.anyio
async def test_every_4xx_is_a_client_error(
    client: ding.AsyncDing, stub: StubDing, reply: Reply, cls: type[ding.ClientError]
) -> None:
    stub.script.append(reply)
    with pytest.raises(ding.ClientError) as info:
        await client.otp.check(authentication_uuid=AUTH_UUID, check_code="1")
    assert type(info.value) is cls
    assert info.value.status_code == reply[0]


@pytest.mark.parametrize(("reply", "cls"), CLIENT_ERRORS)
def test_every_4xx_is_a_client_error_sync(
    sync_client: ding.Ding,
    tcp_stub: tuple[StubDing, str],
    reply: Reply,
    cls: type[ding.ClientError],
) -> None:
    tcp_stub[0].script.append(reply)
    with pytest.raises(ding.ClientError) as info:
        sync_client.otp.check(authentication_uuid=AUTH_UUID, check_code="1")
    assert type(info.value) is cls


@pytest.mark.anyio
async def test_a_ding_400_is_a_bad_request(
    client: ding.AsyncDing, stub: StubDing
) -> None:
    stub.script.append(DING_400)
    with pytest.raises(ding.BadRequestError) as info:
        await client.otp.retry(authentication_uuid=AUTH_UUID)
    assert isinstance(info.value, ding.ErrorResponse)
    assert info.value.code == errors.Code.INVALID_AUTH_UUID
    assert info.value.args == ()  # as the seed SDK's dataclass exception


@pytest.mark.parametrize(("reply", "branch"), SEED_BRANCHES)
@pytest.mark.anyio
async def test_seed_except_pattern_takes_the_same_branch(
    client: ding.AsyncDing, stub: StubDing, reply: Reply, branch: str
) -> None:
    stub.script.append(reply)
    taken = await async_seed_handler(
        lambda: client.otp.check(authentication_uuid=AUTH_UUID, check_code="1")
    )
    assert taken == branch


@pytest.mark.parametrize(("reply", "branch"), SEED_BRANCHES)
def test_seed_except_pattern_takes_the_same_branch_sync(
    sync_client: ding.Ding, tcp_stub: tuple[StubDing, str], reply: Reply, branch: str
) -> None:
    tcp_stub[0].script.append(reply)
    taken = seed_handler(
        lambda: sync_client.otp.check(authentication_uuid=AUTH_UUID, check_code="1")
    )
    assert taken == branch
