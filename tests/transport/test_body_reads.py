"""The body rules, on the bytes as they arrive: decoded, bounded, never guessed.

`ding._transport._body.read_bounded` reads every answer of every transport:
whatever the encoding (none, gzip, deflate with or without its zlib
wrapper) and however the bytes are split on the way, the body kept is the
decoded body cut at the bound, and the call says whether there was more.
A body that does not decode is an error, never a guess at what it meant.
`unread_body_dropped` stands in for an answer whose body httpx dropped (a
client hook raised): the same answer, saying it has no body.

The tests of the whole call are in test_response_size.py; these give the
bytes to the reader directly, split where a network may split them.
"""

from __future__ import annotations

import gzip
import itertools
import tracemalloc
import zlib
from typing import TYPE_CHECKING

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ding._transport._body import read_bounded, unread_body_dropped
from tests._examples import examples

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Sequence

pytestmark = pytest.mark.anyio

URL = "https://api.ding.live/v1/check"


def deflate(data: bytes, wbits: int) -> bytes:
    compressor = zlib.compressobj(6, zlib.DEFLATED, wbits)
    return compressor.compress(data) + compressor.flush()


# Each Content-Encoding the SDK decodes, and how a server may produce it.
ENCODERS: dict[str, Callable[[bytes], bytes]] = {
    "identity": lambda data: data,
    "gzip": lambda data: gzip.compress(data, mtime=0),
    "x-gzip": lambda data: gzip.compress(data, mtime=0),
    # RFC 9110's deflate: the zlib format.
    "deflate": lambda data: deflate(data, zlib.MAX_WBITS),
    # What some servers send as deflate: the raw format, no zlib wrapper.
    "raw deflate": lambda data: deflate(data, -zlib.MAX_WBITS),
}


class Pieces(httpx.AsyncByteStream):
    """A body that arrives in the given pieces.

    An iterator of its own rather than an async generator, which a reader
    that stops early would leave to the garbage collector.
    """

    def __init__(self, pieces: Sequence[bytes]) -> None:
        self.pieces = iter(pieces)
        self.closed = False

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self

    async def __anext__(self) -> bytes:
        try:
            return next(self.pieces)
        except StopIteration:
            raise StopAsyncIteration from None

    async def aclose(self) -> None:
        self.closed = True


def answer(
    encoding: str, pieces: Sequence[bytes], **headers: str
) -> tuple[httpx.Response, Pieces]:
    stream = Pieces(pieces)
    label = "deflate" if encoding == "raw deflate" else encoding
    response = httpx.Response(
        200,
        headers={"content-encoding": label, **headers},
        stream=stream,
        request=httpx.Request("POST", URL),
    )
    return response, stream


def split(data: bytes, cuts: Sequence[int]) -> list[bytes]:
    """*data* cut at the given offsets (taken modulo its length, sorted)."""
    points = sorted({cut % (len(data) + 1) for cut in cuts})
    edges = [0, *points, len(data)]
    return [data[a:b] for a, b in itertools.pairwise(edges)]


@settings(max_examples=examples(200))
@given(
    body=st.binary(max_size=3000) | st.integers(0, 200_000).map(bytes),
    encoding=st.sampled_from(sorted(ENCODERS)),
    cuts=st.lists(st.integers(0, 10_000), max_size=8),
    limit=st.integers(1, 250_000),
)
async def test_any_split_of_any_encoding_reads_the_decoded_body_to_the_bound(
    body: bytes, encoding: str, cuts: list[int], limit: int
) -> None:
    # A highly compressible body (zeros) decodes to far more than it sends:
    # the bound is on what it decodes to.
    response, stream = answer(encoding, split(ENCODERS[encoding](body), cuts))
    longer = await read_bounded(response, limit)
    assert response.content == body[:limit]
    assert longer is (len(body) > limit)
    assert stream.closed
    await assert_left_as_read(response)


async def assert_left_as_read(response: httpx.Response) -> None:
    """*response* is as `Response.aread` leaves one: closed, its stream spent."""
    assert response.is_closed
    assert response.is_stream_consumed
    assert await response.aread() == response.content
    with pytest.raises(httpx.StreamConsumed):
        async for _ in response.aiter_raw():
            pass


@pytest.mark.parametrize(("limit", "longer"), [(100, False), (99, True)])
async def test_a_body_the_transport_read_is_held_to_the_bound_too(
    limit: int, longer: bool
) -> None:
    # The transport's fast path reads a short body whole, before the bound
    # is known: it is cut here, exactly at the bound.
    response = httpx.Response(200, content=b"x" * 100)
    assert await read_bounded(response, limit) is longer
    assert response.content == b"x" * limit
    await assert_left_as_read(response)


async def test_an_empty_content_encoding_is_no_encoding() -> None:
    response, _ = answer("", [b'{"status": "valid"}'])
    assert await read_bounded(response, 1000) is False
    assert response.content == b'{"status": "valid"}'


async def test_a_body_split_anywhere_is_decoded_no_further_than_the_bound() -> None:
    # The first piece decodes to the bound exactly; the second would inflate
    # to 64 MiB: one byte more is all it takes to know the body is longer.
    limit = 4 << 20
    compressor = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    first = compressor.compress(bytes(limit)) + compressor.flush(zlib.Z_SYNC_FLUSH)
    second = compressor.compress(bytes(64 << 20)) + compressor.flush()
    response, _ = answer("gzip", [first, second])
    tracemalloc.start()
    try:
        assert await read_bounded(response, limit) is True
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.content == bytes(limit)
    # The bound's bytes, joined and cut once each: about three times it.
    assert peak < 4 * limit


async def test_a_declared_length_over_the_bound_is_not_read_at_all() -> None:
    response, stream = answer("identity", [b"x" * 100], **{"content-length": "100"})
    assert await read_bounded(response, 99) is True
    assert response.content == b""
    assert stream.closed


async def test_a_declared_length_at_the_bound_is_read() -> None:
    response, _ = answer("identity", [b"x" * 100], **{"content-length": "100"})
    assert await read_bounded(response, 100) is False
    assert response.content == b"x" * 100


@pytest.mark.parametrize("encoding", ["gzip", "x-gzip"])
async def test_a_gzip_label_on_what_is_not_gzip_is_not_decoded(encoding: str) -> None:
    # Raw deflate is tolerated only where the label says deflate.
    response, stream = answer(encoding, [deflate(b'{"a": 1}', -zlib.MAX_WBITS)])
    with pytest.raises(httpx.DecodingError, match=f"not valid {encoding}:") as info:
        await read_bounded(response, 1000)
    assert stream.closed
    # httpx's contract: the error carries the request whose answer it is.
    assert info.value.request is response.request


async def test_bytes_after_a_broken_check_are_not_decoded_as_a_new_body() -> None:
    # A zlib body whose end is wrong, followed by bytes that would decode
    # on their own: the answer is broken, whatever comes after the break.
    first = b"x\x9c" + deflate(b'{"status": ', -zlib.MAX_WBITS)
    rest = deflate(b'"valid"}', -zlib.MAX_WBITS)
    response, _ = answer("deflate", [first, rest])
    with pytest.raises(httpx.DecodingError, match="not valid deflate:"):
        await read_bounded(response, 1000)


def stored(data: bytes, first: int) -> bytes:
    """*data* as raw deflate in stored blocks, the first byte of it *first*.

    A non-final stored block, then an empty final one. The first byte's
    bits after the block type are padding, which a decoder ignores.
    """
    size = len(data).to_bytes(2, "little")
    check = (len(data) ^ 0xFFFF).to_bytes(2, "little")
    return bytes([first]) + size + check + data + b"\x01\x00\x00\xff\xff"


# Raw deflate that half passes the zlib header's check: the checksum of
# its first two bytes (0x00, 31), or the method in the first's low bits.
HALF_ZLIB = {
    "checksum": stored(b'{"status": "valid", "x": "abcd"}'[:31], 0x00),
    "method": stored(b'{"status": "valid"}', 0x08),
}


@pytest.mark.parametrize("case", sorted(HALF_ZLIB))
async def test_raw_deflate_is_read_whatever_its_first_bits(case: str) -> None:
    body = HALF_ZLIB[case]
    response, _ = answer("raw deflate", [body])
    assert await read_bounded(response, 1000) is False
    assert response.content == zlib.decompress(body, -zlib.MAX_WBITS)


async def test_an_encoding_the_sdk_did_not_ask_for_is_refused_unread() -> None:
    response, stream = answer("br", [b"\x0b\x02\x80{}\x03"])
    with pytest.raises(
        httpx.DecodingError, match="unsupported Content-Encoding 'br'"
    ) as info:
        await read_bounded(response, 1000)
    assert stream.closed
    assert info.value.request is response.request


async def test_an_answer_whose_body_httpx_dropped_keeps_all_but_its_body() -> None:
    # What send_once gets when an injected client's hook raised before the
    # body was read: the status, headers, request and status line stand;
    # the headers no longer describe a body that is not there.
    request = httpx.Request("POST", URL)
    dropped = httpx.Response(
        503,
        headers={
            "content-type": "application/json",
            "content-encoding": "gzip",
            "content-length": "1000",
            "transfer-encoding": "chunked",
            "retry-after": "7",
        },
        stream=Pieces([b"never read"]),
        request=request,
        extensions={"reason_phrase": b"Come back later", "http_version": b"HTTP/1.0"},
    )
    await dropped.aclose()
    copy = unread_body_dropped(dropped)
    assert copy.status_code == 503
    assert copy.content == b""
    assert copy.request is request
    assert copy.reason_phrase == "Come back later"
    assert copy.http_version == "HTTP/1.0"
    assert copy.headers["retry-after"] == "7"
    assert copy.headers["content-type"] == "application/json"
    assert "content-encoding" not in copy.headers
    assert "transfer-encoding" not in copy.headers
    assert copy.headers.get("content-length", "0") == "0"
    assert await read_bounded(copy, 1000) is False


async def test_a_dropped_answer_without_body_headers_loses_nothing_more() -> None:
    request = httpx.Request("GET", URL)
    dropped = httpx.Response(
        502, headers={"x-trace": "t1"}, stream=Pieces([b"lost"]), request=request
    )
    await dropped.aclose()
    copy = unread_body_dropped(dropped)
    assert (copy.status_code, copy.headers["x-trace"], copy.content) == (
        502,
        "t1",
        b"",
    )


async def test_an_answer_read_before_it_was_dropped_is_itself() -> None:
    response = httpx.Response(503, content=b"busy", request=httpx.Request("GET", URL))
    assert unread_body_dropped(response) is response
