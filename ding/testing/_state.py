"""The state machine behind the fake Ding API: authentications, codes, checks.

`FakeState` implements the domain of the Ding OTP API v1 without any I/O: the
HTTP layer parses JSON, routes each request to one method here and sends the
`Reply` back. What it answers (reserved numbers, choices where the real API is
undocumented, webhook events) is described in ``docs/fake.md``.
"""

from __future__ import annotations

import hashlib
import ipaddress
import random
import re
import secrets
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from types import MappingProxyType
from typing import Any, Final, TypeAlias, cast, overload
from urllib.parse import urlsplit

import attrs

from ding._errors import UsageError
from ding.testing._lookup_data import (
    CALLING_CODES,
    CARRIERS,
    CNAM_FIRST_NAMES,
    CNAM_LAST_NAMES,
    UNKNOWN_COUNTRY,
)

__all__ = [
    "RESERVED_NUMBERS",
    "Clock",
    "CodeGenerator",
    "FakeSettings",
    "FakeState",
    "ManualClock",
    "Outbox",
    "Reply",
    "SentMessage",
    "WebhookSink",
    "deterministic_codes",
    "random_codes",
]

Clock: TypeAlias = Callable[[], datetime]
"""A source of the current time (aware, UTC)."""

CodeGenerator: TypeAlias = Callable[[str], str]
"""Makes the code to send to a phone number."""

WebhookSink: TypeAlias = Callable[[str, dict[str, Any]], None]
"""Receives each webhook event: ``(callback_url, payload)``."""

RESERVED_NUMBERS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "+15005550001": "rate_limited",
        "+15005550002": "spam_detected",
        "+15005550003": "blocked_number",
        "+15005550004": "unsupported_region",
        "+15005550005": "invalid_line",
        "+15005550006": "negative_balance",
    }
)
"""Phone numbers with a fixed ``POST /authentication`` outcome (docs/fake.md)."""

_UTC: Final = timezone.utc
_DEFAULT_START: Final = datetime(2025, 1, 1, tzinfo=_UTC)
_DOC_URL: Final = "https://docs.prelude.so/verify/v1/documentation/errors#"
_E164: Final = re.compile(r"\+[1-9][0-9]{1,14}")
_UUID: Final = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)
_DEVICE_TYPES: Final = frozenset({"IOS", "ANDROID", "WEB"})
_FEEDBACK_STATUSES: Final = frozenset({"onboarded", "not_onboarded"})
_LOOKUP_TYPES: Final = frozenset({"cnam"})
_OPTIONAL_STRINGS: Final = (
    "device_id",
    "app_version",
    "sender_id",
    "app_realm",
    "os_version",
    "device_model",
    "template_id",
    "correlation_id",
    "locale",
)
_SIGNAL_NAMES: Final = (
    "ip",
    "device_id",
    "device_type",
    "app_version",
    "app_realm",
    "os_version",
    "device_model",
    "is_returning_user",
)
_PRICE: Final = 0.009
_CURRENCY: Final = "EUR"
_CAPABILITY: Final = "text"
# Line types by weight out of 256 (from one byte of the number's hash).
_LINE_TYPES: Final = (
    (208, "Mobile"),
    (232, "FixedLine"),
    (246, "Voip"),
    (251, "TollFree"),
    (256, "Unknown"),
)
_PORTED_BELOW: Final = 38  # about 15 % of numbers are ported
_TEMPORARY_BELOW: Final = 8  # about 3 % are disposable

_FIXED_MESSAGES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "blocked_number": "The phone number is in the blocklist.",
        "unsupported_region": "Ding does not support this region yet.",
        "invalid_line": "Ding does not support this type of phone number.",
        "negative_balance": "You have a negative balance.",
        "app_realm_require_device_type": "app_realm requires device_type to be set.",
        "unsupported_app_realm_device_type": (
            "app_realm is only supported with device_type ANDROID."
        ),
        "no_associated_auth_found": "No authentication was found for this phone number.",
    }
)


def _require_aware(when: datetime, what: str) -> datetime:
    if when.tzinfo is None or when.utcoffset() is None:
        raise UsageError(f"{what} must be a timezone-aware datetime, got {when!r}")
    return when.astimezone(_UTC)


def _rfc3339(when: datetime) -> str:
    """Format as RFC 3339 in UTC with ``Z``; microseconds only when nonzero."""
    w = when.astimezone(_UTC)
    text = (
        f"{w.year:04d}-{w.month:02d}-{w.day:02d}"
        f"T{w.hour:02d}:{w.minute:02d}:{w.second:02d}"
    )
    if w.microsecond:
        text += f".{w.microsecond:06d}"
    return text + "Z"


def _webhook_time(when: datetime) -> str:
    """Format like the webhook docs: ``2023-05-09T12:09:31+0000``."""
    return _rfc3339(when).removesuffix("Z") + "+0000"


# --------------------------------------------------------------------------
# Public value types
# --------------------------------------------------------------------------


def _at_least(
    minimum: int,
) -> Callable[[object, attrs.Attribute[int], object], None]:
    def check(_: object, attribute: attrs.Attribute[int], value: object) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise UsageError(
                f"{attribute.name} must be an integer >= {minimum}, got {value!r}",
            )

    return check


def _positive(
    _: object, attribute: attrs.Attribute[timedelta], value: timedelta
) -> None:
    if value <= timedelta(0):
        raise UsageError(f"{attribute.name} must be positive, got {value!r}")


def _not_negative(
    _: object, attribute: attrs.Attribute[timedelta], value: timedelta
) -> None:
    if value < timedelta(0):
        raise UsageError(f"{attribute.name} must not be negative, got {value!r}")


@attrs.frozen(kw_only=True)
class FakeSettings:
    """How the fake behaves where the real API's policy is unknown.

    Attributes:
        lifetime: How long an authentication can be checked or retried
            (``expires_at = created_at + lifetime``).
        max_invalid_checks: Wrong codes allowed per authentication; once that
            many were submitted every check and retry answers ``rate_limited``.
        max_retries: Retries approved per authentication.
        retry_interval: Wait after an attempt before a retry is approved
            (``next_retry_at = last attempt + retry_interval``).
        stateless: Stateless mode: a create for a number (same customer) with
            a live authentication re-uses it, and counts as a retry when one is
            allowed.
        strict: Accept only the API keys and customer UUIDs listed below; in
            open mode (the default) any of them is accepted.
        api_keys: The API keys accepted in strict mode.
        customer_uuids: The customer UUIDs accepted in strict mode.
        code_length: Digits in the codes of the default code generators.
    """

    lifetime: timedelta = attrs.field(
        default=timedelta(minutes=10), validator=_positive
    )
    max_invalid_checks: int = attrs.field(default=5, validator=_at_least(1))
    max_retries: int = attrs.field(default=3, validator=_at_least(0))
    retry_interval: timedelta = attrs.field(
        default=timedelta(seconds=30), validator=_not_negative
    )
    stateless: bool = False
    strict: bool = False
    api_keys: frozenset[str] = frozenset()
    customer_uuids: frozenset[str] = frozenset()
    code_length: int = attrs.field(default=6, validator=_at_least(1))


@attrs.frozen(kw_only=True)
class Reply:
    """What the HTTP layer sends back: a status and a JSON-ready body."""

    status: int
    body: dict[str, Any]


@attrs.frozen(kw_only=True)
class SentMessage:
    """One SMS the fake "sent"."""

    phone_number: str
    code: str
    content: str
    authentication_uuid: str
    attempt_number: int
    sent_at: datetime
    customer_uuid: str


class ManualClock:
    """A clock that only moves when told to; starts at 2025-01-01T00:00:00Z.

    Args:
        start: The initial time; must be timezone-aware (kept in UTC).
    """

    def __init__(self, start: datetime | None = None) -> None:
        self._lock = threading.Lock()
        self._now = _DEFAULT_START if start is None else _require_aware(start, "start")

    def __call__(self) -> datetime:
        """Return the current time."""
        with self._lock:
            return self._now

    def advance(self, delta: timedelta | float) -> None:
        """Move the clock by ``delta`` (a `timedelta` or seconds)."""
        step = delta if isinstance(delta, timedelta) else timedelta(seconds=delta)
        with self._lock:
            self._now += step

    def set(self, when: datetime) -> None:
        """Jump to ``when`` (timezone-aware), forwards or backwards."""
        aware = _require_aware(when, "when")
        with self._lock:
            self._now = aware

    def __repr__(self) -> str:
        return f"ManualClock({_rfc3339(self())})"


def random_codes(length: int = 6) -> CodeGenerator:
    """Return a generator of unpredictable ``length``-digit codes."""
    if length < 1:
        raise UsageError(f"length must be at least 1, got {length}")

    def generate(_phone_number: str) -> str:
        return "".join(secrets.choice("0123456789") for _ in range(length))

    return generate


def deterministic_codes(seed: int = 0, length: int = 6) -> CodeGenerator:
    """Return a generator of reproducible ``length``-digit codes.

    The codes come from ``random.Random(seed)`` in call order, whatever the
    phone number; the generator can be shared between threads.
    """
    if length < 1:
        raise UsageError(f"length must be at least 1, got {length}")
    rng = random.Random(seed)  # noqa: S311 - reproducible codes for tests, not secrets
    lock = threading.Lock()

    def generate(_phone_number: str) -> str:
        with lock:
            return "".join(rng.choice("0123456789") for _ in range(length))

    return generate


class Outbox(Sequence[SentMessage]):
    """Every message the fake sent, in send order; safe to read from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._messages: list[SentMessage] = []

    @overload
    def __getitem__(self, index: int) -> SentMessage: ...
    @overload
    def __getitem__(self, index: slice) -> list[SentMessage]: ...
    def __getitem__(self, index: int | slice) -> SentMessage | list[SentMessage]:
        with self._lock:
            return self._messages[index]

    def __len__(self) -> int:
        with self._lock:
            return len(self._messages)

    def __iter__(self) -> Iterator[SentMessage]:
        with self._lock:
            return iter(list(self._messages))

    def __repr__(self) -> str:
        return f"Outbox({len(self)} messages)"

    def last(self, phone_number: str) -> SentMessage | None:
        """Return the newest message sent to ``phone_number``, if any."""
        with self._lock:
            for message in reversed(self._messages):
                if message.phone_number == phone_number:
                    return message
        return None

    def last_code(self, phone_number: str) -> str | None:
        """Return the newest code sent to ``phone_number``, if any."""
        message = self.last(phone_number)
        return None if message is None else message.code

    def for_number(self, phone_number: str) -> list[SentMessage]:
        """Return the messages sent to ``phone_number``, oldest first."""
        with self._lock:
            return [m for m in self._messages if m.phone_number == phone_number]

    def clear(self) -> None:
        """Forget every message."""
        with self._lock:
            self._messages.clear()

    def _append(self, message: SentMessage) -> None:
        with self._lock:
            self._messages.append(message)


# --------------------------------------------------------------------------
# Request validation
# --------------------------------------------------------------------------


class _ApiError(Exception):
    """An error answer, raised while handling a request."""

    def __init__(self, code: str, message: str | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.message = _FIXED_MESSAGES.get(code, code) if message is None else message

    def reply(self) -> Reply:
        return Reply(
            status=400,
            body={
                "code": self.code,
                "message": self.message,
                "doc_url": _DOC_URL + self.code,
            },
        )


def _bad_request(message: str) -> _ApiError:
    return _ApiError("bad_request", message)


def _json_object(body: object) -> dict[str, object]:
    if not isinstance(body, dict):
        raise _bad_request("The request body must be a JSON object.")
    return cast("dict[str, object]", body)


def _required_str(fields: Mapping[str, object], name: str) -> str:
    value = fields.get(name)
    if value is None:
        raise _bad_request(f"The field {name} is required.")
    if not isinstance(value, str):
        raise _bad_request(f"The field {name} must be a string.")
    return value


def _optional_str(fields: Mapping[str, object], name: str) -> str | None:
    value = fields.get(name)
    if value is None or isinstance(value, str):
        return value
    raise _bad_request(f"The field {name} must be a string.")


def _optional_bool(fields: Mapping[str, object], name: str) -> bool | None:
    value = fields.get(name)
    if value is None or isinstance(value, bool):
        return value
    raise _bad_request(f"The field {name} must be a boolean.")


def _is_ipv4(value: str) -> bool:
    try:
        ipaddress.IPv4Address(value)
    except ValueError:
        return False
    return True


def _is_http_url(value: str) -> bool:
    if any(c.isspace() or not c.isprintable() for c in value):
        return False
    try:
        parts = urlsplit(value)
        host = parts.hostname
        _ = parts.port
    except ValueError:
        return False
    return parts.scheme in {"http", "https"} and bool(host)


def _customer(value: str, settings: FakeSettings) -> str:
    if not _UUID.fullmatch(value):
        raise _ApiError("account_invalid", f"{value} is not a valid customer UUID.")
    customer = value.lower()
    if settings.strict and customer not in {c.lower() for c in settings.customer_uuids}:
        raise _ApiError("account_invalid", f"The customer UUID {value} is invalid.")
    return customer


def _phone(value: str) -> str:
    if not _E164.fullmatch(value):
        raise _ApiError("invalid_phone_number", f"{value} is not a valid phone number")
    return value


@attrs.frozen(kw_only=True)
class _CreateRequest:
    customer_uuid: str
    phone_number: str
    signals: dict[str, Any]
    sender_id: str | None
    template_id: str | None
    correlation_id: str | None
    callback_url: str | None
    app_realm: str | None


def _parse_create(body: object, settings: FakeSettings) -> _CreateRequest:
    fields = _json_object(body)
    customer = _required_str(fields, "customer_uuid")
    phone = _required_str(fields, "phone_number")
    values: dict[str, Any] = {n: _optional_str(fields, n) for n in _OPTIONAL_STRINGS}
    device_type = _optional_str(fields, "device_type")
    if device_type is not None and device_type not in _DEVICE_TYPES:
        raise _bad_request("The field device_type must be one of IOS, ANDROID, WEB.")
    ip = _optional_str(fields, "ip")
    if ip is not None and not _is_ipv4(ip):
        raise _bad_request("The field ip must be an IPv4 address.")
    callback_url = _optional_str(fields, "callback_url")
    if callback_url is not None and not _is_http_url(callback_url):
        raise _bad_request("The field callback_url must be an absolute http(s) URL.")
    values.update(
        ip=ip,
        device_type=device_type,
        is_returning_user=_optional_bool(fields, "is_returning_user"),
    )
    customer = _customer(customer, settings)
    phone = _phone(phone)
    if values["app_realm"] is not None:
        if device_type is None:
            raise _ApiError("app_realm_require_device_type")
        if device_type != "ANDROID":
            raise _ApiError("unsupported_app_realm_device_type")
    return _CreateRequest(
        customer_uuid=customer,
        phone_number=phone,
        signals={n: values[n] for n in _SIGNAL_NAMES if values[n] is not None},
        sender_id=values["sender_id"],
        template_id=values["template_id"],
        correlation_id=values["correlation_id"],
        callback_url=callback_url,
        app_realm=values["app_realm"],
    )


# --------------------------------------------------------------------------
# State
# --------------------------------------------------------------------------


@attrs.define(kw_only=True, eq=False)
class _Attempt:
    id: str
    number: int
    code: str
    sent_at: datetime


@attrs.define(kw_only=True, eq=False)
class _Authentication:
    uuid: str
    customer_uuid: str
    phone_number: str
    outcome: str  # the status create answered: pending / rate_limited / spam_detected
    created_at: datetime
    expires_at: datetime
    signals: dict[str, Any]
    sender_id: str | None
    template_id: str | None
    correlation_id: str | None
    callback_url: str | None
    app_realm: str | None
    attempts: list[_Attempt] = attrs.field(factory=list[_Attempt])
    events: list[dict[str, Any]] = attrs.field(factory=list[dict[str, Any]])
    invalid_checks: int = 0
    validated: bool = False

    def expired(self, now: datetime) -> bool:
        return now >= self.expires_at

    def locked(self, settings: FakeSettings) -> bool:
        return (
            self.outcome == "rate_limited"
            or self.invalid_checks >= settings.max_invalid_checks
        )

    def retries_used(self) -> int:
        return max(0, len(self.attempts) - 1)

    def next_retry_at(self, settings: FakeSettings) -> datetime:
        last = self.attempts[-1].sent_at if self.attempts else self.created_at
        return last + settings.retry_interval

    def retry_allowed(self, settings: FakeSettings, now: datetime) -> bool:
        return self.retries_used() < settings.max_retries and now >= self.next_retry_at(
            settings
        )


@attrs.define(kw_only=True, eq=False)
class _Context:
    """One request: its time, the settings it saw, the webhooks it owes."""

    now: datetime
    settings: FakeSettings
    webhooks: list[tuple[str, dict[str, Any]]] = attrs.field(
        factory=list[tuple[str, dict[str, Any]]]
    )


def _lookup_body(phone_number: str, *, cnam: bool) -> dict[str, Any]:
    digest = hashlib.sha256(phone_number.encode()).digest()
    digits = phone_number[1:]
    country, mcc = next(
        (CALLING_CODES[digits[:n]] for n in (3, 2, 1) if digits[:n] in CALLING_CODES),
        UNKNOWN_COUNTRY,
    )
    carriers = CARRIERS.get(country) or (
        (f"{country} Mobile", mcc, "01"),
        (f"{country} Telecom", mcc, "02"),
        (f"{country} Wireless", mcc, "03"),
    )
    carrier, carrier_mcc, mnc = carriers[digest[0] % len(carriers)]
    line_type = next(t for limit, t in _LINE_TYPES if digest[1] < limit)
    body: dict[str, Any] = {
        "phone_number": phone_number,
        "country_code": country,
        "carrier": carrier,
        "mcc": carrier_mcc,
        "mnc": mnc,
        "line_type": line_type,
        "number_ported": digest[2] < _PORTED_BELOW,
        "temporary_phone_number": digest[3] < _TEMPORARY_BELOW,
    }
    if cnam:
        first = CNAM_FIRST_NAMES[digest[4] % len(CNAM_FIRST_NAMES)]
        last = CNAM_LAST_NAMES[digest[5] % len(CNAM_LAST_NAMES)]
        body["caller_name"] = f"{first} {last}"
    return body


def _message_content(code: str, app_realm: str | None) -> str:
    content = f"Your verification code is {code}"
    # The Android SMS Retriever finds the message by the app hash at its end.
    return content if app_realm is None else f"{content}\n\n{app_realm}"


class FakeState:
    """A stateful, in-memory Ding OTP API v1.

    Args:
        settings: The policy (defaults to `FakeSettings()`).
        clock: The time source; the default is the system clock in UTC.
        codes: Makes each code sent; the default is `deterministic_codes` when
            ``seed`` is given, else `random_codes`, both of
            ``settings.code_length`` digits.
        seed: Makes the UUIDs of authentications, attempts, checks, webhook
            events and feedback reproducible (``random.Random(seed)``); without
            it they are random (`uuid.uuid4`).
        webhook_sink: Called with ``(callback_url, payload)`` for each webhook
            event, after the request's state change and outside the lock; its
            exceptions reach the caller.

    All methods are safe to call from several threads at once.
    """

    def __init__(
        self,
        settings: FakeSettings | None = None,
        *,
        clock: Clock | None = None,
        codes: CodeGenerator | None = None,
        seed: int | None = None,
        webhook_sink: WebhookSink | None = None,
    ) -> None:
        self.settings: FakeSettings = FakeSettings() if settings is None else settings
        self.clock: Clock = clock if clock is not None else _system_clock
        if codes is None:
            length = self.settings.code_length
            codes = (
                random_codes(length)
                if seed is None
                else deterministic_codes(seed, length)
            )
        self.codes: CodeGenerator = codes
        self.webhook_sink: WebhookSink | None = webhook_sink
        self.outbox: Outbox = Outbox()
        self._ids = None if seed is None else random.Random(seed)  # noqa: S311 - reproducible ids for tests
        self._lock = threading.Lock()
        self._authentications: dict[str, _Authentication] = {}
        self._by_number: dict[tuple[str, str], list[_Authentication]] = {}
        self._feedback: dict[tuple[str, str], set[str]] = {}

    # ---------------------------------------------------------------- public

    def authorize(self, api_key: str | None) -> Reply | None:
        """Check the ``x-api-key`` header; return the 403 to send, or None."""
        settings = self.settings
        if settings.strict and (api_key is None or api_key not in settings.api_keys):
            return Reply(status=403, body={"message": "Forbidden"})
        return None

    def create_authentication(self, body: object) -> Reply:
        """``POST /authentication``: create an authentication, send a code."""
        return self._run(lambda ctx: self._create(body, ctx))

    def check(self, body: object) -> Reply:
        """``POST /check``: check a code."""
        return self._run(lambda ctx: self._check(body, ctx))

    def retry(self, body: object) -> Reply:
        """``POST /retry``: send a new code."""
        return self._run(lambda ctx: self._retry(body, ctx))

    def authentication_status(self, auth_uuid: str) -> Reply:
        """``GET /authentication/{auth_uuid}``: an authentication's history."""
        return self._run(lambda _ctx: self._status(auth_uuid))

    def feedback(self, body: object) -> Reply:
        """``POST /authentication/feedback``: record an onboarding outcome."""
        return self._run(lambda ctx: self._record_feedback(body, ctx))

    def lookup(
        self, phone_number: str, customer_uuid: str | None, types: Sequence[str]
    ) -> Reply:
        """``GET /lookup/{phone_number}`` with header ``customer-uuid``, query ``type``."""
        return self._run(
            lambda ctx: self._lookup(phone_number, customer_uuid, types, ctx)
        )

    def reset(self) -> None:
        """Forget every authentication, feedback and sent message."""
        with self._lock:
            self._authentications.clear()
            self._by_number.clear()
            self._feedback.clear()
            self.outbox.clear()

    # -------------------------------------------------------------- plumbing

    def _run(self, operation: Callable[[_Context], Reply]) -> Reply:
        with self._lock:
            ctx = _Context(now=self._now(), settings=self.settings)
            try:
                reply = operation(ctx)
            except _ApiError as error:
                reply = error.reply()
        sink = self.webhook_sink
        if sink is not None:
            for url, payload in ctx.webhooks:
                sink(url, payload)
        return reply

    def _now(self) -> datetime:
        now = self.clock()
        if now.tzinfo is None:
            return now.replace(tzinfo=_UTC)
        return now.astimezone(_UTC)

    def _new_id(self) -> str:
        if self._ids is None:
            return str(uuid.uuid4())
        return str(uuid.UUID(int=self._ids.getrandbits(128), version=4))

    def _find(self, auth_uuid: str, customer: str | None) -> _Authentication:
        if not _UUID.fullmatch(auth_uuid):
            raise _ApiError(
                "invalid_auth_uuid", f"{auth_uuid} is not a valid authentication UUID."
            )
        auth = self._authentications.get(auth_uuid.lower())
        if auth is None or (customer is not None and auth.customer_uuid != customer):
            raise _ApiError(
                "invalid_auth_uuid",
                f"No authentication was found with UUID {auth_uuid}.",
            )
        return auth

    def _auth_for_request(
        self, fields: Mapping[str, object], ctx: _Context, *, with_code: bool
    ) -> tuple[_Authentication, str]:
        customer = _required_str(fields, "customer_uuid")
        auth_uuid = _required_str(fields, "authentication_uuid")
        code = _required_str(fields, "check_code") if with_code else ""
        customer = _customer(customer, ctx.settings)
        auth = self._find(auth_uuid, customer if ctx.settings.strict else None)
        return auth, code

    def _webhook(
        self,
        auth: _Authentication,
        ctx: _Context,
        kind: str,
        extra: dict[str, Any],
        *,
        priced: bool,
    ) -> None:
        if auth.callback_url is None:
            return
        payload: dict[str, Any] = {
            "id": self._new_id(),
            "auth_uuid": auth.uuid,
            "type": kind,
            "recipient_phone_number": auth.phone_number,
        }
        if priced:
            payload["price"] = {"amount": _PRICE, "currency": _CURRENCY}
        payload["time"] = _webhook_time(ctx.now)
        payload.update(extra)
        if auth.correlation_id is not None:
            payload["correlation_id"] = auth.correlation_id
        ctx.webhooks.append((auth.callback_url, payload))

    def _send_attempt(self, auth: _Authentication, ctx: _Context) -> None:
        number = len(auth.attempts) + 1
        code = self.codes(auth.phone_number)
        attempt = _Attempt(id=self._new_id(), number=number, code=code, sent_at=ctx.now)
        auth.attempts.append(attempt)
        content = _message_content(code, auth.app_realm)
        when = _rfc3339(ctx.now)
        event: dict[str, Any] = {
            "type": "attempt",
            "created_at": when,
            "id": attempt.id,
            "content": content,
            "capability": _CAPABILITY,
            "attempt_number": number,
            "status": "delivered",
        }
        if auth.sender_id is not None:
            event["sender_id"] = auth.sender_id
        auth.events.extend(
            (
                event,
                {
                    "type": "delivery_status",
                    "created_at": when,
                    "attempt_id": attempt.id,
                    "attempt_number": number,
                    "status": "delivered",
                    "originated_at": when,
                },
                {
                    "type": "balance_update",
                    "created_at": when,
                    "balance_update_type": "attempt",
                    "amount": _PRICE,
                },
            )
        )
        self.outbox._append(  # noqa: SLF001  # pyright: ignore[reportPrivateUsage]
            SentMessage(
                phone_number=auth.phone_number,
                code=code,
                content=content,
                authentication_uuid=auth.uuid,
                attempt_number=number,
                sent_at=ctx.now,
                customer_uuid=auth.customer_uuid,
            )
        )
        link = {"attempt_uuid": attempt.id, "attempt_number": number}
        self._webhook(
            auth, ctx, "attempt", {**link, "capability": _CAPABILITY}, priced=True
        )
        self._webhook(
            auth, ctx, "delivery_status", {**link, "status": "delivered"}, priced=False
        )

    # ------------------------------------------------------------ operations

    def _create(self, body: object, ctx: _Context) -> Reply:
        request = _parse_create(body, ctx.settings)
        outcome = RESERVED_NUMBERS.get(request.phone_number, "pending")
        if outcome not in {"pending", "rate_limited", "spam_detected"}:
            raise _ApiError(outcome)
        key = (request.customer_uuid, request.phone_number)
        if outcome == "pending" and ctx.settings.stateless:
            live = next(
                (
                    a
                    for a in reversed(self._by_number.get(key, []))
                    if a.outcome == "pending"
                    and not a.validated
                    and not a.expired(ctx.now)
                ),
                None,
            )
            if live is not None:
                return self._reuse(live, ctx)
        auth = _Authentication(
            uuid=self._new_id(),
            customer_uuid=request.customer_uuid,
            phone_number=request.phone_number,
            outcome=outcome,
            created_at=ctx.now,
            expires_at=ctx.now + ctx.settings.lifetime,
            signals=request.signals,
            sender_id=request.sender_id,
            template_id=request.template_id,
            correlation_id=request.correlation_id,
            callback_url=request.callback_url,
            app_realm=request.app_realm,
        )
        if outcome == "pending":
            self._webhook(auth, ctx, "authentication", {}, priced=True)
            self._send_attempt(auth, ctx)
        # Stored last: a failing code generator leaves no half-made authentication.
        self._authentications[auth.uuid] = auth
        self._by_number.setdefault(key, []).append(auth)
        return _create_reply(auth, outcome)

    def _reuse(self, auth: _Authentication, ctx: _Context) -> Reply:
        if auth.locked(ctx.settings):
            return _create_reply(auth, "rate_limited")
        if auth.retry_allowed(ctx.settings, ctx.now):
            self._send_attempt(auth, ctx)
        return _create_reply(auth, "pending")

    def _check(self, body: object, ctx: _Context) -> Reply:
        fields = _json_object(body)
        auth, code = self._auth_for_request(fields, ctx, with_code=True)
        if auth.validated:
            status = "already_validated"
        elif auth.expired(ctx.now):
            status = "expired_auth"
        elif auth.locked(ctx.settings):
            status = "rate_limited"
        elif not auth.attempts:
            status = "without_attempt"
        elif code == auth.attempts[-1].code:
            status = "valid"
            auth.validated = True
        else:
            status = "invalid"
            auth.invalid_checks += 1
        auth.events.append(
            {
                "type": "check",
                "created_at": _rfc3339(ctx.now),
                "id": self._new_id(),
                "code": code,
                "status": status,
            }
        )
        return Reply(
            status=200, body={"authentication_uuid": auth.uuid, "status": status}
        )

    def _retry(self, body: object, ctx: _Context) -> Reply:
        fields = _json_object(body)
        auth, _ = self._auth_for_request(fields, ctx, with_code=False)
        settings = ctx.settings
        closed = True
        if auth.validated:
            status = "already_validated"
        elif auth.expired(ctx.now):
            status = "expired_auth"
        elif auth.locked(settings):
            status = "rate_limited"
        elif not auth.attempts:
            status = "no_attempt"
        elif not auth.retry_allowed(settings, ctx.now):
            status, closed = "denied", False
        else:
            status, closed = "approved", False
            self._send_attempt(auth, ctx)
        remaining = 0 if closed else max(0, settings.max_retries - auth.retries_used())
        # `next_retry_at` is when another retry will be accepted; with none
        # left that is never, so the latest honest answer is the expiry.
        next_retry_at = auth.next_retry_at(settings) if remaining else auth.expires_at
        return Reply(
            status=200,
            body={
                "authentication_uuid": auth.uuid,
                "status": status,
                "created_at": _rfc3339(ctx.now),
                "next_retry_at": _rfc3339(max(next_retry_at, ctx.now)),
                "remaining_retry": remaining,
            },
        )

    def _status(self, auth_uuid: str) -> Reply:
        auth = self._find(auth_uuid, None)
        body: dict[str, Any] = {
            "uuid": auth.uuid,
            "phone_number": auth.phone_number,
            "created_at": _rfc3339(auth.created_at),
        }
        if auth.template_id is not None:
            body["template_id"] = auth.template_id
        if auth.correlation_id is not None:
            body["correlation_id"] = auth.correlation_id
        body["signals"] = dict(auth.signals)
        body["events"] = [dict(event) for event in auth.events]
        return Reply(status=200, body=body)

    def _record_feedback(self, body: object, ctx: _Context) -> Reply:
        fields = _json_object(body)
        customer = _required_str(fields, "customer_uuid")
        phone = _required_str(fields, "phone_number")
        status = _required_str(fields, "status")
        customer = _customer(customer, ctx.settings)
        phone = _phone(phone)
        if status not in _FEEDBACK_STATUSES:
            raise _ApiError(
                "invalid_feedback_status", f"{status} is not a valid feedback status."
            )
        key = (customer, phone)
        if not self._by_number.get(key):
            raise _ApiError("no_associated_auth_found")
        recorded = self._feedback.setdefault(key, set())
        if status in recorded:
            raise _ApiError(
                "duplicated_feedback_status",
                f"The feedback status {status} was already recorded for {phone}.",
            )
        recorded.add(status)
        return Reply(status=200, body={"uuid": self._new_id()})

    def _lookup(
        self,
        phone_number: str,
        customer_uuid: str | None,
        types: Sequence[str],
        ctx: _Context,
    ) -> Reply:
        if customer_uuid is None:
            raise _bad_request("The header customer-uuid is required.")
        wanted = [types] if isinstance(types, str) else list(types)
        for kind in wanted:
            if kind not in _LOOKUP_TYPES:
                raise _bad_request(f"Unknown lookup type {kind!r}; expected 'cnam'.")
        _customer(customer_uuid, ctx.settings)
        _phone(phone_number)
        return Reply(status=200, body=_lookup_body(phone_number, cnam="cnam" in wanted))


def _create_reply(auth: _Authentication, status: str) -> Reply:
    return Reply(
        status=200,
        body={
            "authentication_uuid": auth.uuid,
            "status": status,
            "created_at": _rfc3339(auth.created_at),
            "expires_at": _rfc3339(auth.expires_at),
        },
    )


def _system_clock() -> datetime:
    return datetime.now(_UTC)
