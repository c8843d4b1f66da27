"""Receiving Ding's webhook events: parse them, authenticate them, drop repeats.

For an authentication created with ``callback_url``, Ding POSTs one JSON
object per event to that URL, and sends it again until the receiver answers
HTTP 200 (for up to two weeks), so an event can arrive more than once. v1
documents three kinds, and the field-by-field payload of the first only:

* ``authentication``: the authentication was created (and billed):
  `AuthenticationEvent`;
* ``attempt``: a code was sent to the user: `AttemptEvent`;
* ``delivery_status``: the carrier's delivery report for an attempt:
  `DeliveryStatusEvent`.

Any other ``type`` becomes an `UnknownWebhookEvent`, which keeps the payload as it
came; every event keeps it in ``raw``, so a field this module does not know
is never lost. Timestamps are read leniently (Ding writes
``2023-05-09T12:09:31+0000``, an offset without a colon).

v1 signs nothing: anybody who learns the URL can post to it. The documented
defence here is a secret of your own in the URL: `callback_url` adds a
random token to the URL you give Ding, and `verify_token` checks the token
of an incoming request in constant time.

A receiver, in outline::

    from ding import webhooks

    SECRET = webhooks.new_token()  # kept in your settings, not in code
    seen = webhooks.Deduplicator()  # or Deduplicator(your_shared_store)

    # when sending a code:
    #     callback_url=webhooks.callback_url("https://example.com/ding", SECRET)

    def receive(url: str, body: bytes) -> int:  # returns the HTTP status
        if not webhooks.verify_token(webhooks.token_of(url), SECRET):
            return 403
        try:
            event = webhooks.parse_event(body)
        except webhooks.WebhookError:
            return 400
        if seen.first_time(event):
            handle(event)  # your code
        return 200  # anything else makes Ding send the event again

`examples/webhook_receiver.py` is a complete receiver, run against the
fake server (`ding.testing`), which sends exactly these events.
"""

from __future__ import annotations

import collections
import collections.abc
import hmac
import json
import secrets
import threading
import time
import urllib.parse
from typing import TYPE_CHECKING, Any, Final, Protocol, cast

import attrs

from ding import _unknown
from ding._errors import DingError
from ding._schema._timestamps import parse_timestamp

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Callable, Mapping

    from ding._enums import Capability, DeliveryStatusStatus
    from ding._unknown import UnknownValue

__all__ = [
    "TOKEN_PARAMETER",
    "AttemptEvent",
    "AuthenticationEvent",
    "Deduplicator",
    "DeliveryStatusEvent",
    "InMemorySeenStore",
    "Price",
    "SeenStore",
    "UnknownWebhookEvent",
    "WebhookError",
    "WebhookEvent",
    "callback_url",
    "new_token",
    "parse_event",
    "token_of",
    "verify_token",
]

TOKEN_PARAMETER: Final = "ding_token"  # noqa: S105 - a parameter name, not a secret
"""The query parameter `callback_url` puts the token in."""

# Ding sends an event again for up to two weeks; a day more covers the
# last re-send's own delays.
_DEFAULT_TTL: Final = 15 * 24 * 3600.0
_DEFAULT_MAX_ENTRIES: Final = 100_000


class WebhookError(DingError):
    """A webhook request whose body is not a Ding event.

    The message names what is wrong (not JSON, not an object, a field of
    the wrong type); it quotes no value from the body.
    """


@attrs.frozen(kw_only=True)
class Price:
    """What an event cost, as Ding reports it (``{"amount": 0.009, "currency": "EUR"}``)."""

    amount: float | None = None
    currency: str | None = None


@attrs.frozen(kw_only=True)
class _Envelope:
    """The fields every event has (each may be missing: v1 documents little)."""

    id: str | None = None
    """The event's identifier, the same on every re-send of it."""
    auth_uuid: str | None = None
    """The authentication the event belongs to."""
    time: dt.datetime | None = None
    """When the event happened (aware)."""
    recipient_phone_number: str | None = None
    correlation_id: str | None = None
    """The ``correlation_id`` given when the authentication was created."""
    raw: Mapping[str, Any] = attrs.field(factory=dict[str, Any], repr=False, eq=False)
    """The payload as received, unknown fields included."""


@attrs.frozen(kw_only=True)
class AuthenticationEvent(_Envelope):
    """``type: "authentication"``: the authentication was created and billed."""

    price: Price | None = None


@attrs.frozen(kw_only=True)
class _AboutAnAttempt(_Envelope):
    """The fields of an event about one attempt (a code sent)."""

    attempt_uuid: str | None = None
    attempt_number: int | None = None


@attrs.frozen(kw_only=True)
class AttemptEvent(_AboutAnAttempt):
    """``type: "attempt"``: a code was sent (one event per attempt)."""

    capability: Capability | UnknownValue | None = attrs.field(
        default=None, converter=_unknown.capability
    )
    """The channel: a `ding.models.shared.Capability`, or the string Ding sent."""
    price: Price | None = None


@attrs.frozen(kw_only=True)
class DeliveryStatusEvent(_AboutAnAttempt):
    """``type: "delivery_status"``: a delivery report for an attempt."""

    status: DeliveryStatusStatus | UnknownValue | None = attrs.field(
        default=None, converter=_unknown.delivery_status
    )
    """``submitted``, ``in_transit``, ``delivered``, ``undeliverable`` or
    ``unknown`` (a `ding.models.shared.DeliveryStatusStatus`), or the string Ding sent."""


@attrs.frozen(kw_only=True)
class UnknownWebhookEvent(_Envelope):
    """An event of a kind this SDK does not know; ``raw`` holds all of it."""

    type: str = ""


WebhookEvent = (
    AuthenticationEvent | AttemptEvent | DeliveryStatusEvent | UnknownWebhookEvent
)
"""Any event `parse_event` returns."""


# --- parsing -------------------------------------------------------------------


def parse_event(body: bytes | str | Mapping[str, Any]) -> WebhookEvent:
    """Read one webhook event: the request body, or its JSON already decoded.

    Fields of an unexpected type are an error; unknown fields are kept in
    ``raw``; a missing field is None.

    Args:
        body: The raw body (UTF-8 JSON), or the decoded JSON object.

    Returns:
        The typed event; an `UnknownWebhookEvent` for a ``type`` this SDK does not know.

    Raises:
        WebhookError: The body is not a JSON object with a string ``type``,
            or a known field has the wrong type or an unreadable timestamp.
    """
    payload = _decode(body)
    kind = payload.get("type")
    if not isinstance(kind, str):
        raise WebhookError("the event has no string 'type' field")
    reader = _Reader(payload)
    envelope: dict[str, Any] = {
        "id": reader.text("id"),
        "auth_uuid": reader.text("auth_uuid"),
        "time": reader.timestamp("time"),
        "recipient_phone_number": reader.text("recipient_phone_number"),
        "correlation_id": reader.text("correlation_id"),
        "raw": payload,
    }
    if kind == "authentication":
        return AuthenticationEvent(**envelope, price=reader.price("price"))
    if kind in {"attempt", "delivery_status"}:
        envelope["attempt_uuid"] = reader.text("attempt_uuid")
        envelope["attempt_number"] = reader.integer("attempt_number")
    if kind == "attempt":
        return AttemptEvent(
            **envelope,
            capability=reader.text("capability"),
            price=reader.price("price"),
        )
    if kind == "delivery_status":
        return DeliveryStatusEvent(**envelope, status=reader.text("status"))
    return UnknownWebhookEvent(**envelope, type=kind)


def _decode(body: bytes | str | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(body, (bytes, bytearray, memoryview, str)):
        try:
            payload: object = json.loads(
                bytes(body) if not isinstance(body, str) else body
            )
        except (
            ValueError,
            RecursionError,
        ):  # JSONDecodeError and UnicodeDecodeError are ValueErrors
            raise WebhookError("the webhook body is not JSON") from None
    else:
        payload = body
    if not isinstance(payload, collections.abc.Mapping):
        raise WebhookError("the webhook body is not a JSON object")
    return dict(payload)  # pyright: ignore[reportUnknownArgumentType] - JSON keys


class _Reader:
    """Reads typed fields of a payload, naming the field when one is wrong."""

    def __init__(self, payload: Mapping[str, Any]) -> None:
        self._payload = payload

    def _get(self, name: str, kinds: tuple[type, ...], what: str) -> object:
        value: object = self._payload.get(name)
        # bool is an int to Python, never a number or a text to Ding.
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, kinds)
        ):
            raise WebhookError(f"the event's {name!r} field is not {what}")
        return value

    def text(self, name: str) -> str | None:
        value = self._get(name, (str,), "a string")
        return value if isinstance(value, str) else None

    def number(self, name: str) -> float | None:
        value = self._get(name, (int, float), "a number")
        return float(value) if isinstance(value, (int, float)) else None

    def integer(self, name: str) -> int | None:
        value = self._get(name, (int, float), "an integer")
        if isinstance(value, float) and not value.is_integer():
            raise WebhookError(f"the event's {name!r} field is not an integer")
        return int(value) if isinstance(value, (int, float)) else None

    def timestamp(self, name: str) -> dt.datetime | None:
        text = self.text(name)
        if text is None:
            return None
        try:
            return parse_timestamp(text.strip())
        except ValueError:
            raise WebhookError(
                f"the event's {name!r} field is not a timestamp"
            ) from None

    def price(self, name: str) -> Price | None:
        value = self._get(name, (collections.abc.Mapping,), "an object")
        if not isinstance(value, collections.abc.Mapping):
            return None
        inner = _Reader(cast("Mapping[str, Any]", value))
        return Price(amount=inner.number("amount"), currency=inner.text("currency"))


# --- authenticating ----------------------------------------------------------------


def new_token() -> str:
    """Return a new random secret for `callback_url` (43 URL-safe characters)."""
    return secrets.token_urlsafe(32)


def callback_url(url: str, token: str, *, parameter: str = TOKEN_PARAMETER) -> str:
    """Return *url* with *token* added as the query parameter *parameter*.

    Give the result to Ding as ``callback_url``; check each request's token
    with `verify_token`. The rest of the URL (path, query, no fragment) is
    kept as it is.

    Args:
        url: Your receiver's absolute ``https://`` (or ``http://``) URL.
        token: Your secret, e.g. from `new_token` (kept out of your code).
        parameter: The query parameter to carry it.

    Returns:
        The URL with the token.

    Raises:
        UsageError: *url* is not absolute http(s), has a fragment, or
            already has *parameter*; or *token* is empty.
    """
    from ding._errors import UsageError  # noqa: PLC0415 - only for bad arguments

    if not token:
        raise UsageError("the webhook token is empty")
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise UsageError("callback_url needs an absolute http(s) URL")
    if parts.fragment:
        raise UsageError("callback_url takes no fragment (it never reaches the server)")
    query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    if any(name == parameter for name, _ in query):
        raise UsageError(f"the URL already has a {parameter!r} query parameter")
    query.append((parameter, token))
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))


def token_of(url: str, *, parameter: str = TOKEN_PARAMETER) -> str | None:
    """Return the token of a request URL (or its query string), None if absent.

    A URL that carries the parameter more than once gives None: a forged
    request could otherwise pick which copy is checked.

    Args:
        url: The request's full URL, its path with the query, or the query alone.
        parameter: The query parameter `callback_url` used.

    Returns:
        The token, or None.
    """
    query = urllib.parse.urlsplit(url).query if "?" in url else url
    values = urllib.parse.parse_qs(query, keep_blank_values=True).get(parameter, [])
    return values[0] if len(values) == 1 else None


def verify_token(received: str | None, expected: str) -> bool:
    """Whether *received* is *expected*, compared in constant time.

    Args:
        received: The token of the request (`token_of`), None if it had none.
        expected: Your secret.

    Returns:
        True only for an exact match of a non-empty secret.
    """
    if received is None or not expected:
        return False
    return hmac.compare_digest(received.encode(), expected.encode())


# --- de-duplicating --------------------------------------------------------------


class SeenStore(Protocol):
    """Where `Deduplicator` records the events it has let through.

    Share one between processes (several workers, several hosts) with a
    store of your own: a Redis ``SET key 1 NX EX ttl`` or a database insert
    on a unique key is exactly `add`.
    """

    def add(self, key: str, ttl: float) -> bool:
        """Record *key* for *ttl* seconds; return True if it was not recorded yet.

        Must be atomic: of two concurrent calls with one key, one returns True.
        """
        ...


class InMemorySeenStore:
    """A `SeenStore` in this process: thread-safe, bounded, expiring.

    Args:
        max_entries: The most keys kept; past it the oldest go first.
        clock: Seconds, monotonic (for tests).
    """

    def __init__(
        self,
        *,
        max_entries: int = _DEFAULT_MAX_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_entries < 1:
            from ding._errors import UsageError  # noqa: PLC0415 - only for bad arguments

            raise UsageError("max_entries must be at least 1")
        self._max = max_entries
        self._clock = clock
        self._lock = threading.Lock()
        # key -> expiry, oldest first.
        self._entries: collections.OrderedDict[str, float] = collections.OrderedDict()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def add(self, key: str, ttl: float) -> bool:
        """Record *key* for *ttl* seconds; return True if it was not recorded yet."""
        with self._lock:
            entries = self._entries
            expiry = entries.get(key)
            now = self._clock()
            if expiry is not None and expiry > now:
                return False
            entries.pop(key, None)
            entries[key] = now + ttl
            # Drop the expired at the old end, then the oldest past the bound.
            while entries:
                oldest, until = next(iter(entries.items()))
                if until > now and len(entries) <= self._max:
                    break
                del entries[oldest]
            return True


class Deduplicator:
    """Lets each event through once, however often Ding delivers it.

    Args:
        store: Where the keys go (default: an `InMemorySeenStore`, which
            only this process sees).
        ttl: How long a key is kept, in seconds (default 15 days: Ding
            re-sends for up to two weeks).
    """

    def __init__(
        self, store: SeenStore | None = None, *, ttl: float = _DEFAULT_TTL
    ) -> None:
        self.store: SeenStore = store if store is not None else InMemorySeenStore()
        self.ttl = ttl

    @staticmethod
    def key(event: WebhookEvent) -> str:
        """Return the key an event is known by: its ``id``, else its content.

        Ding's events have an ``id``, the same on every re-send. One without
        gets a key from its kind, authentication, attempt, status and time.
        """
        if event.id:
            return f"id:{event.id}"
        parts: list[object] = [type(event).__name__, event.auth_uuid, event.time]
        if isinstance(event, _AboutAnAttempt):
            parts += [event.attempt_uuid, event.attempt_number]
        if isinstance(event, DeliveryStatusEvent):
            parts.append(event.status)
        if isinstance(event, UnknownWebhookEvent):
            parts.append(json.dumps(event.raw, sort_keys=True, default=str))
        return "content:" + json.dumps(parts, default=str)

    def first_time(self, event: WebhookEvent) -> bool:
        """Record *event*; return True the first time it is seen, False after.

        Call it once the event is handled, or before and accept that an
        event whose handling then fails is not handled again.
        """
        return self.store.add(self.key(event), self.ttl)
