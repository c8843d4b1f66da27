"""Reading a response body with a bound on its decoded size.

Ding's answers are a few hundred bytes. A server (or whatever answers in its
place) may send megabytes, or a small gzip body that inflates to gigabytes;
`read_bounded` reads and decodes at most ``limit`` bytes and stops there,
whichever transport delivers the bytes. It decodes ``gzip`` and ``deflate``
itself, with zlib's output bound, because httpx's decoders inflate a whole
chunk at once. The SDK asks for nothing else (``Accept-Encoding: gzip,
deflate``); any other encoding is refused as undecodable.
"""

from __future__ import annotations

import contextlib
import zlib
from typing import TYPE_CHECKING, Final, cast

import httpx

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, AsyncIterator

__all__ = ["ACCEPT_ENCODING", "read_bounded", "unread_body_dropped"]

#: What the SDK accepts, on every request it sends.
ACCEPT_ENCODING: Final = "gzip, deflate"


class _Inflate:
    """A gzip or deflate decoder that never produces more than asked.

    ``deflate`` is the zlib format (RFC 9110), but some servers send the raw
    format without its two-byte zlib header: which one a body is, is read
    from its first two bytes, however the body is split on the way.
    """

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        gzip = encoding in {"gzip", "x-gzip"}
        self._zlib = zlib.decompressobj(zlib.MAX_WBITS | 16 if gzip else zlib.MAX_WBITS)
        # The first bytes of a deflate body, until there are two to look at.
        self._head: bytes | None = None if gzip else b""

    def take(self, data: bytes, room: int) -> bytes:
        """Decode *data*, returning at most *room* bytes (room >= 1).

        zlib stops short of *room* only once all of *data* is decoded: the
        input it leaves (``unconsumed_tail``) is never needed, as the caller
        stops at its bound.

        Raises:
            zlib.error: The data is not valid for the encoding.
        """
        if self._head is not None:
            data = self._head + data
            if len(data) < _ZLIB_HEADER:
                self._head = data
                return b""
            self._head = None
            if not _zlib_header(data):
                self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
        return self._zlib.decompress(data, room)


#: The size of the zlib format's header (RFC 1950).
_ZLIB_HEADER: Final = 2


def _zlib_header(data: bytes) -> bool:
    """Whether *data* starts with a zlib header: method 8, check bits right."""
    return data[0] & 0x0F == zlib.DEFLATED and (data[0] << 8 | data[1]) % 31 == 0


async def read_bounded(response: httpx.Response, limit: int) -> bool:
    """Read *response*'s decoded body, keeping at most *limit* bytes.

    The body is left on the response as `Response.aread` leaves it (so
    ``response.content`` and ``response.text`` work), cut at *limit* bytes
    when it was longer (empty when its ``Content-Length`` already said so);
    the rest is not read, and the connection is closed rather than reused.

    Returns:
        True when the body was longer than *limit*.

    Raises:
        httpx.DecodingError: An unsupported or broken ``Content-Encoding``.
        httpx.HTTPError: The transport failed while reading.
    """
    try:
        content = response.content  # read already (the transport's fast path)
    except httpx.ResponseNotRead:
        pass
    else:
        if len(content) <= limit:
            return False
        _keep(response, content[:limit])
        return True
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        # Longer than the bound before any decoding: not read at all.
        await response.aclose()
        _keep(response, b"")
        return True
    encoding = response.headers.get("content-encoding", "identity").strip().lower()
    inflate: _Inflate | None = None
    if encoding in {"gzip", "x-gzip", "deflate"}:
        inflate = _Inflate(encoding)
    elif encoding not in {"identity", ""}:
        await response.aclose()
        raise httpx.DecodingError(
            f"unsupported Content-Encoding {encoding!r}", request=response.request
        )
    try:
        # aclosing: returning early must close the generator now (trio warns
        # about one left to the garbage collector).
        raws = cast("AsyncGenerator[bytes]", response.aiter_raw())
        async with contextlib.aclosing(raws):
            content, longer = await _read(raws, inflate, limit, response.request)
    finally:
        await response.aclose()
    _keep(response, content)
    return longer


async def _read(
    raws: AsyncIterator[bytes],
    inflate: _Inflate | None,
    limit: int,
    request: httpx.Request,
) -> tuple[bytes, bool]:
    """Return the first *limit* decoded bytes and whether there were more."""
    chunks: list[bytes] = []
    size = 0
    async for raw in raws:
        if inflate is None:
            data = raw
        else:
            try:
                # One byte past the bound at most: enough to tell it was longer.
                data = inflate.take(raw, limit - size + 1)
            except zlib.error as exc:
                raise httpx.DecodingError(
                    f"the body is not valid {inflate.encoding}: {exc}", request=request
                ) from None
        size += len(data)
        chunks.append(data)
        if size > limit:
            return b"".join(chunks)[:limit], True
    return b"".join(chunks), False


def _keep(response: httpx.Response, content: bytes) -> None:
    """Leave *content* on *response* as `Response.aread` would."""
    response._content = content  # noqa: SLF001  # pyright: ignore[reportPrivateUsage] - what aread() sets
    response.is_stream_consumed = True
    response.is_closed = True


def unread_body_dropped(response: httpx.Response) -> httpx.Response:
    """Return *response*, or a bodiless copy if httpx closed it unread.

    httpx closes the response when one of the client's response hooks raises,
    before anything has read its body (unless the hook did): the status and
    headers are still known, the body is lost.
    """
    try:
        response.content  # noqa: B018 - raises when the body was never read
    except httpx.ResponseNotRead:
        headers = httpx.Headers(response.headers)
        for name in ("content-encoding", "content-length", "transfer-encoding"):
            headers.pop(name, None)
        return httpx.Response(  # no content: an empty body, read
            response.status_code,
            headers=headers,
            request=response.request,
            extensions=response.extensions,
        )
    return response
