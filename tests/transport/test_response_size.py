"""A hostile answer cannot take more memory than ``max_response_size``.

Bodies are read and decoded (gzip and deflate included) up to the bound and
no further, on every transport: a longer success raises
`ding.ResponseTooLargeError`, a longer error answer keeps its first bytes,
and an error's ``str()`` shows at most the first 1,000 characters.
"""

from __future__ import annotations

import functools
import gzip
import json
import tracemalloc
import zlib
from typing import TYPE_CHECKING

import httpx
import pytest

import ding
from tests._stub import AUTH_UUID, StubDing, json_reply

if TYPE_CHECKING:
    from tests.conftest import Connect

pytestmark = pytest.mark.anyio

# Stopping early inside a streamed body leaves httpx's nested stream
# generators to the garbage collector, and trio warns when it finalizes an
# unexhausted one (asyncio does not); the connection itself is closed.
trio_finalizer_warning = pytest.mark.filterwarnings(
    "ignore:Async generator .* was garbage collected:ResourceWarning",
    "ignore::pytest.PytestUnraisableExceptionWarning",
)

MiB = 1 << 20
JSON = {"content-type": "application/json"}


def padded(size: int) -> bytes:
    """A valid check answer of about *size* bytes."""
    pad = "x" * max(0, size - 80)
    return json.dumps(
        {"authentication_uuid": AUTH_UUID, "status": "valid", "pad": pad}
    ).encode()


def exactly(size: int) -> bytes:
    """A valid check answer of exactly *size* bytes."""
    fields = {"authentication_uuid": AUTH_UUID, "status": "valid", "pad": ""}
    fields["pad"] = "x" * (size - len(json.dumps(fields)))
    body = json.dumps(fields).encode()
    assert len(body) == size
    return body


@functools.cache
def bomb(encoding: str, inflated: int) -> bytes:
    """A gzip or deflate body that inflates to *inflated* zero bytes (built once)."""
    wbits = zlib.MAX_WBITS | 16 if encoding == "gzip" else zlib.MAX_WBITS
    compressor = zlib.compressobj(9, zlib.DEFLATED, wbits)
    block = bytes(MiB)
    parts = [compressor.compress(block) for _ in range(inflated // MiB)]
    return b"".join(parts) + compressor.flush()


async def check(client: ding.AsyncDing) -> ding.models.operations.CheckResponse:
    return await client.otp.check(authentication_uuid=AUTH_UUID, check_code="123456")


async def test_a_body_within_the_bound_is_read(
    connect: Connect, stub: StubDing
) -> None:
    client = connect(api_key="k", max_retries=0)
    stub.script.append((200, JSON, padded(MiB - 1000)))
    result = await check(client)
    assert result.create_check_response is not None
    assert result.raw_response is not None
    assert len(result.raw_response.content) > MiB - 2000


@trio_finalizer_warning
async def test_a_long_success_raises_without_reading_the_rest(
    connect: Connect, stub: StubDing
) -> None:
    client = connect(api_key="k", max_retries=0)
    stub.script.append((200, JSON, padded(20 * MiB)))
    tracemalloc.start()
    try:
        with pytest.raises(
            ding.ResponseTooLargeError, match="max_response_size"
        ) as info:
            await check(client)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert isinstance(info.value, ding.MalformedResponseError)
    assert len(info.value.raw_response.content) <= MiB
    # The stub holds the 20 MiB it sends; the client held about the bound.
    assert peak < 8 * MiB


@trio_finalizer_warning
@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
async def test_a_compression_bomb_stops_at_the_bound(
    connect: Connect, stub: StubDing, encoding: str
) -> None:
    client = connect(api_key="k", max_retries=0)
    body = bomb(encoding, 400 * MiB)
    assert len(body) < MiB  # about 0.4 MB on the wire
    stub.script.append((200, {**JSON, "content-encoding": encoding}, body))
    tracemalloc.start()
    try:
        with pytest.raises(ding.ResponseTooLargeError):
            await check(client)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 16 * MiB


@trio_finalizer_warning
@pytest.mark.parametrize("encoding", ["identity", "gzip"])
async def test_a_long_error_keeps_its_status_and_a_short_str(
    connect: Connect, stub: StubDing, encoding: str
) -> None:
    client = connect(api_key="k", max_retries=0)
    body = b"e" * (10 * MiB)
    headers = {"content-type": "text/plain"}
    if encoding == "gzip":  # streamed and cut at the bound
        headers["content-encoding"] = "gzip"
        body = gzip.compress(body)
    stub.script.append((500, headers, body))
    with pytest.raises(ding.ServerError) as info:
        await check(client)
    # Not read at all when its Content-Length says too long, else cut.
    assert len(info.value.body) <= MiB
    assert len(str(info.value)) < 1200
    if info.value.body:
        assert len(info.value.body) == MiB
        assert str(info.value).endswith(f"[{MiB - 1000:,} more characters]")


async def test_a_long_ding_error_message_is_shortened(
    connect: Connect, stub: StubDing
) -> None:
    client = connect(api_key="k", max_retries=0)
    stub.script.append(
        json_reply(400, {"code": "invalid_phone_number", "message": "m" * 100_000})
    )
    with pytest.raises(ding.ErrorResponse) as info:
        await check(client)
    assert len(str(info.value)) < 1200
    assert len(repr(info.value)) < 1300
    assert info.value.message == "m" * 100_000  # the attribute keeps it whole


@trio_finalizer_warning
async def test_the_default_bound_is_1_mib(connect: Connect, stub: StubDing) -> None:
    # 1,048,576 bytes of body are read; one more is too long.
    client = connect(api_key="k", max_retries=0)
    stub.script.append((200, JSON, exactly(MiB)))
    assert (await check(client)).create_check_response is not None
    stub.script.append((200, JSON, exactly(MiB + 1)))
    with pytest.raises(
        ding.ResponseTooLargeError, match=r"\(1,048,576 bytes once decoded\)"
    ):
        await check(client)


@trio_finalizer_warning
async def test_the_bound_is_settable(connect: Connect, stub: StubDing) -> None:
    small = connect(api_key="k", max_retries=0, max_response_size=64)
    stub.script.append(
        json_reply(200, {"authentication_uuid": AUTH_UUID, "status": "valid"})
    )
    with pytest.raises(ding.ResponseTooLargeError, match="64 bytes"):
        await check(small)
    stub.script.append(
        json_reply(200, {"authentication_uuid": AUTH_UUID, "status": "valid"})
    )
    roomier = small.with_options(max_response_size=4096)
    assert (await check(roomier)).create_check_response is not None


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "1"])
def test_the_bound_must_be_a_positive_integer(bad: object) -> None:
    with pytest.raises(ding.UsageError, match="max_response_size"):
        ding.AsyncDing(api_key="k", max_response_size=bad)  # type: ignore[arg-type]


async def test_an_encoding_the_sdk_did_not_ask_for_is_malformed(
    connect: Connect, stub: StubDing
) -> None:
    client = connect(api_key="k", max_retries=0)
    stub.script.append((200, {**JSON, "content-encoding": "br"}, b"\x1b\x00"))
    with pytest.raises(ding.MalformedResponseError, match="Content-Encoding"):
        await check(client)
    assert stub.requests[-1].headers["accept-encoding"] == "gzip, deflate"


async def test_only_the_encodings_the_sdk_decodes_are_asked_for_whatever_the_headers(
    connect: Connect, stub: StubDing
) -> None:
    # An answer in an encoding the bounded reader cannot decode would be
    # refused: a default or per-call Accept-Encoding cannot ask for one.
    client = connect(api_key="k", default_headers={"Accept-Encoding": "br"})
    await check(client)
    await client.otp.retry(
        authentication_uuid=AUTH_UUID, extra_headers={"accept-encoding": "zstd"}
    )
    assert [r.headers.get_list("accept-encoding") for r in stub.requests] == [
        ["gzip, deflate"],
        ["gzip, deflate"],
    ]


async def test_gzip_answers_still_decode(connect: Connect, stub: StubDing) -> None:
    client = connect(api_key="k", max_retries=0)
    body = gzip.compress(padded(300))
    stub.script.append((200, {**JSON, "content-encoding": "gzip"}, body))
    result = await check(client)
    assert result.create_check_response is not None
    assert result.create_check_response.authentication_uuid == AUTH_UUID


@trio_finalizer_warning
async def test_a_body_that_cannot_be_decompressed_is_malformed_and_says_why(
    connect: Connect, stub: StubDing
) -> None:
    # Broken compression is a malformed answer, whose garbled bytes are not
    # kept as its body.
    client = connect(api_key="k", max_retries=0)
    stub.script.append((200, {**JSON, "content-encoding": "gzip"}, b"not gzip"))
    with pytest.raises(ding.MalformedResponseError) as info:
        await check(client)
    assert type(info.value) is ding.MalformedResponseError
    assert str(info.value) == (
        "the response body could not be decoded (Content-Encoding): Status 200"
    )
    assert info.value.status_code == 200
    assert info.value.body == ""
    assert info.value.raw_response.status_code == 200
    assert isinstance(info.value.__cause__, httpx.DecodingError)


@trio_finalizer_warning
async def test_a_long_success_says_the_bound_and_that_the_rest_was_not_read(
    connect: Connect, stub: StubDing
) -> None:
    small = connect(api_key="k", max_retries=0, max_response_size=64)
    stub.script.append((200, JSON, padded(300)))
    with pytest.raises(ding.ResponseTooLargeError) as info:
        await check(small)
    assert str(info.value) == (
        "POST /v1/check: the answer is longer than max_response_size (64 bytes "
        "once decoded); the rest was not read: Status 200"
    )
    assert info.value.status_code == 200
    assert info.value.body == ""
    assert info.value.raw_response.status_code == 200


@trio_finalizer_warning
async def test_a_long_redirect_is_still_a_redirect(
    connect: Connect, stub: StubDing
) -> None:
    # Only a success is refused for its length: a 3xx is an error answer,
    # which keeps its status and its first bytes.
    small = connect(api_key="k", max_retries=0, max_response_size=64)
    stub.script.append(
        (300, {**JSON, "location": "https://elsewhere.test/v1/check"}, padded(300))
    )
    with pytest.raises(ding.RedirectError) as info:
        await check(small)
    assert info.value.status_code == 300
    assert info.value.location == "https://elsewhere.test/v1/check"


def test_the_smallest_bound_is_one_byte() -> None:
    # "A positive integer": 1 is the smallest bound accepted.
    assert (
        ding.AsyncDing(api_key="k", max_response_size=1)._pipeline.max_response_size
        == 1
    )
    with pytest.raises(
        ding.UsageError,
        match=r"^max_response_size must be a positive integer \(bytes\)$",
    ):
        ding.AsyncDing(api_key="k", max_response_size=0)
