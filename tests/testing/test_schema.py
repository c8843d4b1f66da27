"""Every response of the fake validates against the contract's OpenAPI document.

The document is ``tests/conformance/openapi.yaml`` (the contract with one
documented fix: the status endpoint's event union is ``anyOf``). Each request
below goes through HTTP to the in-process fake, and every response is checked
against the operation that was called:

* the status is one the operation declares, and never a 5xx (the ``5XX``
  entry of the contract is for the real API's outages; the fake only answers
  one when a fault is scheduled, which no test here does);
* the content type is the declared ``application/json`` and the body is JSON;
* the body validates (JSON Schema 2020-12, ``$ref`` resolved in the document,
  formats ``date-time``, ``uuid`` and ``phone_number`` asserted) against the
  schema declared for that status, and against a closed copy of it, so the
  fake sends no property the contract does not declare;
* each status-endpoint event also validates against the variant its ``type``
  names, and each webhook payload against ``WebhookEvent``.

Realistic flows cover every operation and outcome; hypothesis then sends
hostile requests: any bytes or JSON as a body, any path segment, any
``type`` query values and header values, in open and strict mode.
"""

from __future__ import annotations

import functools
import json
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, cast
from urllib.parse import quote

import httpx
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import event as note
from hypothesis import strategies as st
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from ding.testing import (
    DEFAULT_CUSTOMER_UUID,
    RESERVED_NUMBERS,
    FakeDing,
    FakeSettings,
    ManualClock,
    deterministic_codes,
)
from tests._examples import examples

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Mapping, Sequence

    from jsonschema import ValidationError

pytestmark = pytest.mark.anyio

SPEC_PATH: Final = Path(__file__).resolve().parents[1] / "conformance" / "openapi.yaml"
SPEC: Final = cast("dict[str, Any]", yaml.safe_load(SPEC_PATH.read_text("utf-8")))
BASE_URI: Final = "urn:ding:openapi"

KEY: Final = "schema-test-key"
CUSTOMER: Final = DEFAULT_CUSTOMER_UUID
OTHER_CUSTOMER: Final = "0b7e3f7c-3d0e-4b8e-9a51-3c9f1a7d2e10"
PHONE: Final = "+14155550123"
UNKNOWN_UUID: Final = "7d1f4c5e-2b8a-4e3f-9c6d-1a2b3c4d5e6f"
EVENT_VARIANTS: Final = {
    "attempt": "Attempt",
    "check": "Check",
    "delivery_status": "DeliveryStatus",
    "balance_update": "BalanceUpdate",
}

# --------------------------------------------------------------------------
# The document: operations, validators
# --------------------------------------------------------------------------


def _operations() -> dict[str, tuple[str, str]]:
    """Map each operationId to its (method, path template)."""
    found: dict[str, tuple[str, str]] = {}
    for path, item in cast("dict[str, dict[str, Any]]", SPEC["paths"]).items():
        for method, operation in item.items():
            found[cast("dict[str, str]", operation)["operationId"]] = (method, path)
    return found


OPERATIONS: Final = _operations()
POST_OPERATIONS: Final = sorted(op for op, (m, _) in OPERATIONS.items() if m == "post")


def _pointer_escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _resolve(pointer: str) -> Any:
    node: Any = SPEC
    for token in pointer.lstrip("/").split("/"):
        node = node[token.replace("~1", "/").replace("~0", "~")]
    return node


def _closed(node: object) -> object:
    """Copy *node*, closing every object schema that does not say otherwise.

    The contract leaves its objects open (clients ignore unknown keys); the
    closed copy is stricter on purpose: the fake must not invent properties.
    """
    if isinstance(node, list):
        return [_closed(item) for item in cast("list[object]", node)]
    if not isinstance(node, dict):
        return node
    schema = {k: _closed(v) for k, v in cast("dict[str, object]", node).items()}
    if isinstance(schema.get("properties"), dict):
        schema.setdefault("additionalProperties", False)
    return schema


REGISTRY: Final = Registry[Any]().with_resources(
    [
        (BASE_URI, DRAFT202012.create_resource(SPEC)),
        (
            BASE_URI + ":closed",
            DRAFT202012.create_resource(cast("dict[str, Any]", _closed(SPEC))),
        ),
    ]
)

_RFC3339: Final = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?"
    r"(?:[Zz]|[+-](\d{2}):(\d{2}))"
)
_UUID: Final = re.compile(r"[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}")
_E164: Final = re.compile(r"\+[1-9][0-9]{1,14}")

FORMATS: Final = FormatChecker(formats=())


@FORMATS.checks("date-time", raises=ValueError)
def _is_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    match = _RFC3339.fullmatch(value)
    if match is None:
        return False
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    # Raises ValueError for an impossible date or time (leap second allowed).
    datetime(year, month, day, hour, minute, min(second, 59))  # noqa: DTZ001 - only checks the fields
    offset_hours, offset_minutes = match.group(7), match.group(8)
    return offset_hours is None or (int(offset_hours) < 24 and int(offset_minutes) < 60)


@FORMATS.checks("uuid")
def _is_uuid(value: object) -> bool:
    return not isinstance(value, str) or _UUID.fullmatch(value) is not None


@FORMATS.checks("phone_number")
def _is_phone_number(value: object) -> bool:
    return not isinstance(value, str) or _E164.fullmatch(value) is not None


@functools.cache
def _validator(pointer: str, *, closed: bool = False) -> Draft202012Validator:
    base = BASE_URI + ":closed" if closed else BASE_URI
    return Draft202012Validator(
        {"$ref": f"{base}#{pointer}"}, registry=REGISTRY, format_checker=FORMATS
    )


def _errors(validator: Draft202012Validator, instance: Any) -> list[ValidationError]:
    # The stubs' deprecated overload leaves `iter_errors` partially unknown.
    errors = validator.iter_errors(instance)  # pyright: ignore[reportUnknownMemberType]
    return list(errors)


def _problems(pointer: str, instance: object, *, closed: bool = False) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path)) or '<body>'}: {e.message}"
        for e in _errors(_validator(pointer, closed=closed), instance)
    ]


def _response_schema(operation: str, status: int) -> tuple[str, list[str]]:
    """Return the pointer to the declared JSON schema and the media types."""
    method, path = OPERATIONS[operation]
    responses = cast(
        "dict[str, Any]", _resolve(f"/paths/{_pointer_escape(path)}/{method}/responses")
    )
    assert str(status) in responses, (
        f"{operation} answered {status}; it declares {sorted(responses)}"
    )
    pointer = f"/paths/{_pointer_escape(path)}/{method}/responses/{status}"
    response = cast("dict[str, Any]", responses[str(status)])
    if "$ref" in response:
        pointer = cast("str", response["$ref"]).removeprefix("#")
        response = cast("dict[str, Any]", _resolve(pointer))
    content = cast("dict[str, Any]", response["content"])
    media = sorted(content)
    assert media == ["application/json"], media
    return f"{pointer}/content/application~1json/schema", media


def check_response(operation: str, response: httpx.Response) -> Any:
    """Assert *response* is one *operation* declares; return its JSON body."""
    request = response.request
    where = f"{request.method} {request.url.raw_path.decode('ascii')}"
    assert response.status_code in {200, 400, 403}, (
        f"{where} -> {response.status_code} {response.content[:300]!r}"
    )
    pointer, media = _response_schema(operation, response.status_code)
    content_type = response.headers.get("content-type", "")
    assert content_type.split(";")[0].strip().lower() in media, (
        f"{where} -> content-type {content_type!r}"
    )
    body = json.loads(response.content)
    for closed in (False, True):
        problems = _problems(pointer, body, closed=closed)
        assert not problems, (
            f"{where} -> {response.status_code} {body!r} breaks "
            f"{'the closed ' if closed else ''}{pointer}: {problems}"
        )
    if response.status_code == 400:
        assert body["doc_url"].endswith("#" + body["code"]), body
    if response.status_code == 403:
        assert body == {"message": "Forbidden"}, body
    if operation == "getAuthenticationStatus" and response.status_code == 200:
        for event in body.get("events", []):
            variant = EVENT_VARIANTS.get(event.get("type"))
            assert variant is not None, f"{where}: event of unknown type {event!r}"
            pointer = f"/components/schemas/{variant}"
            for closed in (False, True):
                problems = _problems(pointer, event, closed=closed)
                assert not problems, (
                    f"{where}: event {event!r} breaks {variant}: {problems}"
                )
    return body


# --------------------------------------------------------------------------
# Driving the fake over HTTP
# --------------------------------------------------------------------------


class Probe:
    """An HTTP client to one fake that checks every answer against the document."""

    def __init__(self, fake: FakeDing, *, api_key: str | None = KEY) -> None:
        self.fake = fake
        self.api_key = api_key
        self.webhooks: list[dict[str, Any]] = []
        fake.webhook_sink = lambda _url, payload: self.webhooks.append(payload)
        self.http = httpx.AsyncClient(
            transport=fake.transport(), base_url="https://ding.fake/v1"
        )
        self.answers: list[tuple[str, int]] = []

    async def aclose(self) -> None:
        await self.http.aclose()
        for payload in self.webhooks:
            problems = _problems("/components/schemas/WebhookEvent", payload)
            assert not problems, f"webhook {payload!r}: {problems}"

    def _headers(self, headers: Mapping[str, str] | None) -> dict[str, str]:
        sent = {} if self.api_key is None else {"x-api-key": self.api_key}
        sent.update(headers or {})
        return sent

    async def post(
        self,
        operation: str,
        body: object = None,
        *,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[int, Any]:
        """POST *body* as JSON (or the raw *content*) to *operation*."""
        _, path = OPERATIONS[operation]
        if content is None:
            content = json.dumps(body).encode()
        sent = {"content-type": "application/json", **self._headers(headers)}
        response = await self.http.post(path, content=content, headers=sent)
        return self._answer(operation, response)

    async def get(
        self,
        operation: str,
        segment: str,
        *,
        params: Mapping[str, Sequence[str]] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[int, Any]:
        """GET *operation* with *segment* as its one path parameter."""
        _, path = OPERATIONS[operation]
        url = re.sub(r"\{[^}]+\}", lambda _: _segment(segment), path)
        response = await self.http.get(
            url, params=params or {}, headers=self._headers(headers)
        )
        return self._answer(operation, response)

    def _answer(self, operation: str, response: httpx.Response) -> tuple[int, Any]:
        body = check_response(operation, response)
        self.answers.append((operation, response.status_code))
        return response.status_code, body

    # The operations, with valid defaults --------------------------------

    async def create(self, phone: str = PHONE, **extra: object) -> tuple[int, Any]:
        return await self.post(
            "create-authentication",
            {"customer_uuid": CUSTOMER, "phone_number": phone, **extra},
        )

    async def check(self, auth: str, code: str) -> tuple[int, Any]:
        return await self.post(
            "check",
            {
                "customer_uuid": CUSTOMER,
                "authentication_uuid": auth,
                "check_code": code,
            },
        )

    async def retry(self, auth: str) -> tuple[int, Any]:
        return await self.post(
            "retry", {"customer_uuid": CUSTOMER, "authentication_uuid": auth}
        )

    async def status(self, auth: str) -> tuple[int, Any]:
        return await self.get("getAuthenticationStatus", auth)

    async def feedback(self, phone: str, status: str) -> tuple[int, Any]:
        return await self.post(
            "feedback",
            {"customer_uuid": CUSTOMER, "phone_number": phone, "status": status},
        )

    async def lookup(
        self, phone: str, *types: str, customer: str | None = CUSTOMER
    ) -> tuple[int, Any]:
        headers = {} if customer is None else {"customer-uuid": customer}
        return await self.get("lookup", phone, params={"type": types}, headers=headers)

    def code(self, phone: str = PHONE) -> str:
        code = self.fake.outbox.last_code(phone)
        assert code is not None
        return code


def _segment(value: str) -> str:
    """Percent-encode *value* as one path segment, dots included."""
    return quote(value, safe="").replace(".", "%2E")


def _fake(**policy: Any) -> FakeDing:
    return FakeDing(
        FakeSettings(**policy),
        clock=ManualClock(),
        codes=deterministic_codes(3),
        seed=3,
    )


def _clock(probe: Probe) -> ManualClock:
    clock = probe.fake.clock
    assert isinstance(clock, ManualClock)
    return clock


@pytest.fixture
async def probe() -> AsyncIterator[Probe]:
    p = Probe(_fake())
    yield p
    await p.aclose()


# --------------------------------------------------------------------------
# The document itself
# --------------------------------------------------------------------------


def test_the_document_declares_the_six_operations_and_is_valid_json_schema() -> None:
    assert sorted(OPERATIONS) == [
        "check",
        "create-authentication",
        "feedback",
        "getAuthenticationStatus",
        "lookup",
        "retry",
    ]
    for name, schema in cast("dict[str, Any]", SPEC["components"]["schemas"]).items():
        Draft202012Validator.check_schema(schema)
        assert _validator(f"/components/schemas/{name}").schema
    for operation in OPERATIONS:
        for status in (200, 400, 403):
            _response_schema(operation, status)


def test_the_event_union_is_any_of_because_one_of_rejects_real_events() -> None:
    items = SPEC["components"]["schemas"]["AuthenticationStatusResponse"]["properties"][
        "events"
    ]["items"]
    assert "oneOf" not in items
    variants = [f"{BASE_URI}#/components/schemas/{v}" for v in EVENT_VARIANTS.values()]
    assert [BASE_URI + ref["$ref"] for ref in items["anyOf"]] == variants
    # Why: the variants are all-optional, open and undiscriminated, so an
    # ordinary event matches several of them and `oneOf` rejects it.
    one_of = Draft202012Validator(
        {"oneOf": [{"$ref": ref} for ref in variants]}, registry=REGISTRY
    )
    any_of = Draft202012Validator(
        {"anyOf": [{"$ref": ref} for ref in variants]}, registry=REGISTRY
    )
    for event in (
        {"type": "balance_update", "amount": 0.009, "balance_update_type": "attempt"},
        {"type": "attempt", "id": "a", "attempt_number": 1, "status": "delivered"},
    ):
        assert not _errors(any_of, event)
        assert _errors(one_of, event)


def test_the_format_checks_bite() -> None:
    pointer = "/components/schemas/CreateAuthenticationResponse"
    assert not _problems(pointer, {"created_at": "2025-01-01T00:00:00.5Z"})
    assert _problems(pointer, {"created_at": "2025-01-01 00:00:00"})
    assert _problems(pointer, {"created_at": "2025-02-30T00:00:00Z"})
    assert _problems(pointer, {"authentication_uuid": "not-a-uuid"})
    assert _problems(pointer, {"status": "approved"})
    assert _problems(pointer, {"surprise": 1}, closed=True)
    assert not _problems(pointer, {"surprise": 1})
    assert _problems("/components/schemas/LookupResponse", {"phone_number": "0123"})


# --------------------------------------------------------------------------
# Realistic flows
# --------------------------------------------------------------------------


async def test_create_check_and_status_with_every_field(probe: Probe) -> None:
    status, created = await probe.create(
        ip="203.0.113.7",
        device_id="device-1",
        device_type="ANDROID",
        app_version="1.2.3",
        sender_id="Acme",
        callback_url="https://hooks.example.test/ding",
        app_realm="FA+9qCX9VSu",
        os_version="14",
        device_model="Pixel 8",
        is_returning_user=True,
        template_id="tpl-1",
        correlation_id="corr-1",
        locale="en-US",
    )
    assert (status, created["status"]) == (200, "pending")
    auth = created["authentication_uuid"]
    status, history = await probe.status(auth)
    assert status == 200
    assert [e["type"] for e in history["events"]] == [
        "attempt",
        "delivery_status",
        "balance_update",
    ]
    assert history["signals"]["device_type"] == "ANDROID"

    assert (await probe.check(auth, "not-the-code"))[1]["status"] == "invalid"
    assert (await probe.check(auth, probe.code()))[1]["status"] == "valid"
    assert (await probe.check(auth, probe.code()))[1]["status"] == "already_validated"
    assert (await probe.retry(auth))[1]["status"] == "already_validated"
    status, history = await probe.status(auth)
    assert [e["status"] for e in history["events"] if e["type"] == "check"] == [
        "invalid",
        "valid",
        "already_validated",
    ]
    assert {p["type"] for p in probe.webhooks} == {
        "authentication",
        "attempt",
        "delivery_status",
    }


async def test_retries_approved_denied_exhausted_and_expired(probe: Probe) -> None:
    _, created = await probe.create()
    auth = created["authentication_uuid"]
    assert (await probe.retry(auth))[1]["status"] == "denied"
    for _ in range(3):
        _clock(probe).advance(timedelta(seconds=30))
        _, retried = await probe.retry(auth)
        assert retried["status"] == "approved"
    _clock(probe).advance(timedelta(seconds=30))
    _, denied = await probe.retry(auth)
    assert (denied["status"], denied["remaining_retry"]) == ("denied", 0)
    _clock(probe).advance(timedelta(minutes=10))
    assert (await probe.retry(auth))[1]["status"] == "expired_auth"
    assert (await probe.check(auth, probe.code()))[1]["status"] == "expired_auth"
    status, history = await probe.status(auth)
    assert status == 200
    assert len(history["events"]) == 4 * 3 + 1


async def test_wrong_codes_lock_the_authentication(probe: Probe) -> None:
    _, created = await probe.create()
    auth = created["authentication_uuid"]
    for _ in range(5):
        assert (await probe.check(auth, "000000x"))[1]["status"] == "invalid"
    assert (await probe.check(auth, probe.code()))[1]["status"] == "rate_limited"
    assert (await probe.retry(auth))[1]["status"] == "rate_limited"
    assert (await probe.status(auth))[0] == 200


@pytest.mark.parametrize("number", sorted(RESERVED_NUMBERS))
async def test_every_reserved_number(probe: Probe, number: str) -> None:
    outcome = RESERVED_NUMBERS[number]
    status, created = await probe.create(number)
    if status == 400:
        assert created["code"] == outcome
        assert (await probe.feedback(number, "onboarded"))[0] == 400
        assert (await probe.lookup(number))[0] == 200
        return
    assert (status, created["status"]) == (200, outcome)
    auth = created["authentication_uuid"]
    _, checked = await probe.check(auth, "123456")
    _, retried = await probe.retry(auth)
    expected = {
        "rate_limited": ("rate_limited", "rate_limited"),
        "spam_detected": ("without_attempt", "no_attempt"),
    }[outcome]
    assert (checked["status"], retried["status"]) == expected
    _, history = await probe.status(auth)
    assert [e["type"] for e in history["events"]] == ["check"]
    assert (await probe.feedback(number, "not_onboarded"))[0] == 200


async def test_feedback_outcomes(probe: Probe) -> None:
    status, error = await probe.feedback(PHONE, "onboarded")
    assert (status, error["code"]) == (400, "no_associated_auth_found")
    await probe.create()
    status, error = await probe.feedback(PHONE, "maybe")
    assert (status, error["code"]) == (400, "invalid_feedback_status")
    status, error = await probe.feedback("0044", "onboarded")
    assert (status, error["code"]) == (400, "invalid_phone_number")
    assert (await probe.feedback(PHONE, "onboarded"))[0] == 200
    status, error = await probe.feedback(PHONE, "onboarded")
    assert (status, error["code"]) == (400, "duplicated_feedback_status")
    assert (await probe.feedback(PHONE, "not_onboarded"))[0] == 200


@pytest.mark.parametrize(
    "number",
    [
        PHONE,
        "+33612345678",
        "+442071838750",
        "+8613800138000",
        "+80012345678",
        "+447700900123",
    ],
)
async def test_lookups_with_and_without_cnam(probe: Probe, number: str) -> None:
    status, plain = await probe.lookup(number)
    assert status == 200
    assert "caller_name" not in plain
    status, named = await probe.lookup(number, "cnam")
    assert status == 200
    assert named["caller_name"]
    assert (await probe.lookup(number, "cnam", "cnam"))[0] == 200


async def test_lookup_errors(probe: Probe) -> None:
    for call, code in [
        (probe.lookup(PHONE, customer=None), "bad_request"),
        (probe.lookup(PHONE, "carrier"), "bad_request"),
        (probe.lookup(PHONE, customer="not-a-uuid"), "account_invalid"),
        (probe.lookup("14155550123"), "invalid_phone_number"),
        (probe.lookup(""), "invalid_phone_number"),
        (probe.lookup("+999123456789"), "invalid_phone_number"),  # no such country code
        (probe.lookup("+12"), "invalid_phone_number"),
    ]:
        status, error = await call
        assert (status, error["code"]) == (400, code)


async def test_malformed_requests_get_error_responses(probe: Probe) -> None:
    _, created = await probe.create()
    auth = created["authentication_uuid"]
    for operation in POST_OPERATIONS:
        for content in (b"", b"{", b"[]", b"null", b'"x"', b"\xff\xfe", b"[" * 100_000):
            status, error = await probe.post(operation, content=content)
            assert (status, error["code"]) == (400, "bad_request"), content[:10]
        status, error = await probe.post(operation, {})
        assert (status, error["code"]) == (400, "bad_request")
    cases: list[tuple[str, dict[str, object], str]] = [
        ("create-authentication", {"phone_number": PHONE}, "bad_request"),
        ("create-authentication", {"customer_uuid": CUSTOMER, "phone_number": 1}, "bad_request"),
        ("create-authentication", {"customer_uuid": "x", "phone_number": PHONE}, "account_invalid"),
        ("create-authentication", {"customer_uuid": CUSTOMER, "phone_number": "+0"}, "invalid_phone_number"),
        ("create-authentication", {"customer_uuid": CUSTOMER, "phone_number": PHONE, "ip": "::1"}, "bad_request"),
        ("create-authentication", {"customer_uuid": CUSTOMER, "phone_number": PHONE, "device_type": "IPADOS"}, "bad_request"),
        ("create-authentication", {"customer_uuid": CUSTOMER, "phone_number": PHONE, "callback_url": "ftp://x"}, "bad_request"),
        ("create-authentication", {"customer_uuid": CUSTOMER, "phone_number": PHONE, "app_realm": "h"}, "app_realm_require_device_type"),
        ("create-authentication", {"customer_uuid": CUSTOMER, "phone_number": PHONE, "app_realm": "h", "device_type": "IOS"}, "unsupported_app_realm_device_type"),
        ("create-authentication", {"customer_uuid": CUSTOMER, "phone_number": PHONE, "is_returning_user": "yes"}, "bad_request"),
        ("check", {"customer_uuid": CUSTOMER, "authentication_uuid": auth}, "bad_request"),
        ("check", {"customer_uuid": CUSTOMER, "authentication_uuid": "nope", "check_code": "1"}, "invalid_auth_uuid"),
        ("check", {"customer_uuid": CUSTOMER, "authentication_uuid": UNKNOWN_UUID, "check_code": "1"}, "invalid_auth_uuid"),
        ("retry", {"customer_uuid": CUSTOMER, "authentication_uuid": UNKNOWN_UUID}, "invalid_auth_uuid"),
        ("retry", {"customer_uuid": 7, "authentication_uuid": auth}, "bad_request"),
        ("feedback", {"customer_uuid": CUSTOMER, "phone_number": PHONE}, "bad_request"),
    ]  # fmt: skip
    for operation, body, code in cases:
        status, error = await probe.post(operation, body)
        assert (status, error["code"]) == (400, code), (operation, body)
    for segment in ("nope", UNKNOWN_UUID, "", ".", "..", "a/b", "é?#%"):
        status, error = await probe.status(segment)
        assert (status, error["code"]) == (400, "invalid_auth_uuid"), segment


async def test_stateless_mode_reuses_the_live_authentication() -> None:
    probe = Probe(_fake(stateless=True, retry_interval=timedelta(0)))
    _, first = await probe.create()
    _, second = await probe.create()
    assert first["authentication_uuid"] == second["authentication_uuid"]
    auth = first["authentication_uuid"]
    for _ in range(5):
        await probe.check(auth, "bad")
    _, locked = await probe.create()
    assert locked["status"] == "rate_limited"
    await probe.aclose()


async def test_strict_mode_answers_403_to_every_operation_without_a_good_key() -> None:
    policy = {
        "strict": True,
        "api_keys": frozenset({KEY}),
        "customer_uuids": frozenset({CUSTOMER}),
    }
    fake = _fake(**policy)
    good = Probe(fake)
    _, created = await good.create()
    auth = created["authentication_uuid"]
    for api_key in (None, "", "wrong", KEY.upper(), KEY + " "):
        probe = Probe(fake, api_key=api_key)
        answers = [
            await probe.create(),
            await probe.check(auth, good.code()),
            await probe.retry(auth),
            await probe.status(auth),
            await probe.feedback(PHONE, "onboarded"),
            await probe.lookup(PHONE),
        ]
        assert [status for status, _ in answers] == [403] * 6, api_key
        await probe.aclose()
    # The right key with another customer's UUID is a 400, not a 403.
    status, error = await good.post(
        "create-authentication",
        {"customer_uuid": OTHER_CUSTOMER, "phone_number": PHONE},
    )
    assert (status, error["code"]) == (400, "account_invalid")
    status, error = await good.lookup(PHONE, customer=OTHER_CUSTOMER)
    assert (status, error["code"]) == (400, "account_invalid")
    assert (await good.check(auth, good.code()))[1]["status"] == "valid"
    assert {op for op, status in good.answers if status == 200} == {
        "create-authentication",
        "check",
    }
    await good.aclose()


# --------------------------------------------------------------------------
# Hostile requests
# --------------------------------------------------------------------------

AUTH_MARK: Final = "<the authentication>"
CODE_MARK: Final = "<its code>"

json_values: st.SearchStrategy[object] = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)


def _request_schema(operation: str) -> dict[str, Any]:
    method, path = OPERATIONS[operation]
    content = SPEC["paths"][path][method]["requestBody"]["content"]
    ref = cast("str", content["application/json"]["schema"]["$ref"])
    return cast("dict[str, Any]", _resolve(ref.removeprefix("#")))


e164: Final = st.from_regex(r"\+[1-9][0-9]{1,14}", fullmatch=True)
PLAUSIBLE: Final[dict[str, st.SearchStrategy[object]]] = {
    "customer_uuid": st.sampled_from([CUSTOMER, OTHER_CUSTOMER, CUSTOMER.upper()])
    | st.uuids().map(str),
    "phone_number": st.sampled_from([PHONE, *RESERVED_NUMBERS]) | e164,
    "authentication_uuid": st.just(AUTH_MARK) | st.uuids().map(str),
    "check_code": st.just(CODE_MARK) | st.text("0123456789", max_size=8),
    "status": st.sampled_from(["onboarded", "not_onboarded"]),
    "ip": st.ip_addresses(v=4).map(str),
    "device_type": st.sampled_from(["IOS", "ANDROID", "WEB"]),
    "callback_url": st.sampled_from(
        ["https://hooks.example.test/x", "http://[::1]:80/"]
    ),
    "is_returning_user": st.booleans(),
    # Valid only with device_type ANDROID; JSON null counts as absent.
    "app_realm": st.none() | st.text(max_size=12),
}


def _near_valid(operation: str) -> st.SearchStrategy[dict[str, object]]:
    """Bodies of *operation*'s schema, then up to two fields made anything."""
    schema = _request_schema(operation)
    names = sorted(schema["properties"])
    required = set(schema["required"])

    def plausible(name: str) -> st.SearchStrategy[object]:
        return PLAUSIBLE.get(name, st.text(max_size=12))

    valid = st.fixed_dictionaries(
        {n: plausible(n) for n in names if n in required},
        optional={n: plausible(n) for n in names if n not in required},
    )
    broken: st.SearchStrategy[dict[str, object]] = st.just(
        dict[str, object]()
    ) | st.dictionaries(
        st.sampled_from(names) | st.text(max_size=8), json_values, max_size=2
    )
    dropped = st.just(frozenset[str]()) | st.frozensets(
        st.sampled_from(names), max_size=1
    )
    return st.tuples(valid, broken, dropped).map(
        lambda parts: {
            k: v for k, v in {**parts[0], **parts[1]}.items() if k not in parts[2]
        }
    )


def _bodies(operation: str) -> st.SearchStrategy[bytes]:
    return st.one_of(
        st.binary(max_size=40),
        json_values.map(lambda v: json.dumps(v).encode()),
        _near_valid(operation).map(lambda v: json.dumps(v).encode()),
        _near_valid(operation).map(lambda v: json.dumps(v).encode()),
    )


header_values: Final = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40
)
api_keys: Final = st.none() | st.just(KEY) | header_values
segments: Final = st.text(st.characters(codec="utf-8"), max_size=40).filter(
    # GET /authentication/feedback is the concrete path /authentication/feedback
    # (OpenAPI matches concrete paths first), which has no GET: not this operation.
    lambda s: s != "feedback"
)
FUZZ: Final = settings(
    max_examples=examples(100),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


async def _hostile_probe(strict: bool, api_key: str | None) -> tuple[Probe, str]:
    fake = _fake(
        strict=strict,
        api_keys=frozenset({KEY}),
        customer_uuids=frozenset({CUSTOMER}),
        retry_interval=timedelta(0),
    )
    setup = Probe(fake)
    status, created = await setup.create()
    assert status == 200
    await setup.aclose()
    return Probe(fake, api_key=api_key), created["authentication_uuid"]


def _fill(body: bytes, auth: str, code: str) -> bytes:
    mark = json.dumps(AUTH_MARK).encode()
    return body.replace(mark, json.dumps(auth).encode()).replace(
        json.dumps(CODE_MARK).encode(), json.dumps(code).encode()
    )


@FUZZ
@given(
    requests=st.lists(
        st.sampled_from(POST_OPERATIONS).flatmap(
            lambda operation: st.tuples(
                st.just(operation),
                _bodies(operation),
                st.dictionaries(
                    st.sampled_from(["content-type", "accept", "x-extra"]),
                    header_values,
                    max_size=2,
                ),
            )
        ),
        min_size=1,
        max_size=4,
    ),
    strict=st.booleans(),
    api_key=api_keys,
)
async def test_hostile_bodies_get_declared_answers(
    requests: list[tuple[str, bytes, dict[str, str]]],
    strict: bool,
    api_key: str | None,
) -> None:
    probe, auth = await _hostile_probe(strict, api_key)
    code = probe.code()
    for operation, body, headers in requests:
        status, _ = await probe.post(
            operation, content=_fill(body, auth, code), headers=headers
        )
        note(f"{operation} {status}")
        if strict and api_key != KEY:
            # The key is checked before the body is even parsed.
            assert status == 403
    await probe.aclose()
    after = Probe(probe.fake)
    _, history = await after.status(auth)
    assert history["uuid"] == auth
    await after.aclose()


@FUZZ
@given(
    segment=segments | st.uuids().map(str) | st.just(AUTH_MARK),
    strict=st.booleans(),
    api_key=api_keys,
)
async def test_hostile_status_paths_get_declared_answers(
    segment: str, strict: bool, api_key: str | None
) -> None:
    probe, auth = await _hostile_probe(strict, api_key)
    status, body = await probe.status(auth if segment == AUTH_MARK else segment)
    note(f"status {status}")
    if status == 200:
        assert body["uuid"] == auth
    await probe.aclose()


@FUZZ
@given(
    phone=segments | e164 | st.sampled_from(sorted(RESERVED_NUMBERS)),
    types=st.lists(st.just("cnam") | st.text(max_size=10), max_size=3),
    customer=st.none() | st.just(CUSTOMER) | header_values,
    strict=st.booleans(),
    api_key=api_keys,
)
async def test_hostile_lookups_get_declared_answers(
    phone: str,
    types: list[str],
    customer: str | None,
    strict: bool,
    api_key: str | None,
) -> None:
    probe, _ = await _hostile_probe(strict, api_key)
    status, body = await probe.lookup(phone, *types, customer=customer)
    note(f"lookup {status}")
    if status == 200:
        assert body["phone_number"] == phone
        assert ("caller_name" in body) == ("cnam" in types)
    await probe.aclose()
