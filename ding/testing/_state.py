"""The state machine behind the fake Ding API: authentications, codes, checks.

`FakeState` implements the domain of the Ding OTP API v1 without any I/O: the
HTTP layer parses JSON, routes each request to one method here and sends the
`Reply` back. What it answers (reserved numbers, choices where the real API is
undocumented, webhook events) is described in ``docs/fake.md``.
"""

from __future__ import annotations

import random
import threading
import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

import attrs

from ding.testing._lookup import lookup_body
from ding.testing._validation import (
    UUID_PATTERN,
    ApiError,
    bad_request,
    json_object,
    parse_create,
    required_str,
    valid_customer,
    valid_phone,
)
from ding.testing._values import (
    RESERVED_NUMBERS,
    UTC,
    Clock,
    CodeGenerator,
    FakeSettings,
    MovableClock,
    Outbox,
    Reply,
    SentMessage,
    WebhookSink,
    as_utc,
    deterministic_codes,
    movable,
    random_codes,
    rfc3339,
    webhook_time,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

__all__ = ["FakeState"]

_FEEDBACK_STATUSES: Final = frozenset({"onboarded", "not_onboarded"})
_LOOKUP_TYPES: Final = frozenset({"cnam"})
_PRICE: Final = 0.009
_CURRENCY: Final = "EUR"
_CAPABILITY: Final = "text"


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


def _message_content(code: str, app_realm: str | None) -> str:
    content = f"Your verification code is {code}"
    # The Android SMS Retriever finds the message by the app hash at its end.
    return content if app_realm is None else f"{content}\n\n{app_realm}"


class FakeState:
    """A stateful, in-memory Ding OTP API v1.

    Args:
        settings: The policy (defaults to `FakeSettings()`).
        clock: The time source; the default is the system clock in UTC.
            ``self.clock`` is a `MovableClock`: a `ManualClock` is kept as it
            is, any other clock is wrapped in a `ShiftedClock`.
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
        # Always movable: a plain callable (the system clock by default) is
        # wrapped, so ``fake.clock.advance(...)`` type-checks and works.
        self.clock: MovableClock = movable(_system_clock if clock is None else clock)
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
            except ApiError as error:
                reply = error.reply()
        sink = self.webhook_sink
        if sink is not None:
            for url, payload in ctx.webhooks:
                sink(url, payload)
        return reply

    def _now(self) -> datetime:
        return as_utc(self.clock())

    def _new_id(self) -> str:
        if self._ids is None:
            return str(uuid.uuid4())
        return str(uuid.UUID(int=self._ids.getrandbits(128), version=4))

    def _find(self, auth_uuid: str, customer: str | None) -> _Authentication:
        if not UUID_PATTERN.fullmatch(auth_uuid):
            raise ApiError(
                "invalid_auth_uuid", f"{auth_uuid} is not a valid authentication UUID."
            )
        auth = self._authentications.get(auth_uuid.lower())
        if auth is None or (customer is not None and auth.customer_uuid != customer):
            raise ApiError(
                "invalid_auth_uuid",
                f"No authentication was found with UUID {auth_uuid}.",
            )
        return auth

    def _auth_for_request(
        self, fields: Mapping[str, object], ctx: _Context, *, with_code: bool
    ) -> tuple[_Authentication, str]:
        customer = required_str(fields, "customer_uuid")
        auth_uuid = required_str(fields, "authentication_uuid")
        code = required_str(fields, "check_code") if with_code else ""
        customer = valid_customer(customer, ctx.settings)
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
        payload["time"] = webhook_time(ctx.now)
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
        when = rfc3339(ctx.now)
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
        request = parse_create(body, ctx.settings)
        outcome = RESERVED_NUMBERS.get(request.phone_number, "pending")
        if outcome not in {"pending", "rate_limited", "spam_detected"}:
            raise ApiError(outcome)
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
        fields = json_object(body)
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
                "created_at": rfc3339(ctx.now),
                "id": self._new_id(),
                "code": code,
                "status": status,
            }
        )
        return Reply(
            status=200, body={"authentication_uuid": auth.uuid, "status": status}
        )

    def _retry(self, body: object, ctx: _Context) -> Reply:
        fields = json_object(body)
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
                "created_at": rfc3339(ctx.now),
                "next_retry_at": rfc3339(max(next_retry_at, ctx.now)),
                "remaining_retry": remaining,
            },
        )

    def _status(self, auth_uuid: str) -> Reply:
        auth = self._find(auth_uuid, None)
        body: dict[str, Any] = {
            "uuid": auth.uuid,
            "phone_number": auth.phone_number,
            "created_at": rfc3339(auth.created_at),
        }
        if auth.template_id is not None:
            body["template_id"] = auth.template_id
        if auth.correlation_id is not None:
            body["correlation_id"] = auth.correlation_id
        body["signals"] = dict(auth.signals)
        body["events"] = [dict(event) for event in auth.events]
        return Reply(status=200, body=body)

    def _record_feedback(self, body: object, ctx: _Context) -> Reply:
        fields = json_object(body)
        customer = required_str(fields, "customer_uuid")
        phone = required_str(fields, "phone_number")
        status = required_str(fields, "status")
        customer = valid_customer(customer, ctx.settings)
        phone = valid_phone(phone)
        if status not in _FEEDBACK_STATUSES:
            raise ApiError(
                "invalid_feedback_status", f"{status} is not a valid feedback status."
            )
        key = (customer, phone)
        if not self._by_number.get(key):
            raise ApiError("no_associated_auth_found")
        recorded = self._feedback.setdefault(key, set())
        if status in recorded:
            raise ApiError(
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
            raise bad_request("The header customer-uuid is required.")
        wanted = [types] if isinstance(types, str) else list(types)
        for kind in wanted:
            if kind not in _LOOKUP_TYPES:
                raise bad_request(f"Unknown lookup type {kind!r}; expected 'cnam'.")
        valid_customer(customer_uuid, ctx.settings)
        valid_phone(phone_number)
        return Reply(status=200, body=lookup_body(phone_number, cnam="cnam" in wanted))


def _create_reply(auth: _Authentication, status: str) -> Reply:
    return Reply(
        status=200,
        body={
            "authentication_uuid": auth.uuid,
            "status": status,
            "created_at": rfc3339(auth.created_at),
            "expires_at": rfc3339(auth.expires_at),
        },
    )


def _system_clock() -> datetime:
    return datetime.now(UTC)
