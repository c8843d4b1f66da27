"""The fake's HTTP face, `FakeApp`: an ASGI app, its methods, its own endpoints."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import anyio
import httpx
import pytest

from ding.testing import (
    DEFAULT_CUSTOMER_UUID,
    FakeDing,
    ManualClock,
    deterministic_codes,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from ding.testing._server import Message

pytestmark = pytest.mark.anyio

PHONE = "+14155550123"
AUTH_UUID = "a3c6b9a8-4b8f-4e5e-9c52-1f4f0c7e6d10"


@pytest.fixture
def fake() -> FakeDing:
    return FakeDing(clock=ManualClock(), codes=deterministic_codes(7), seed=7)


@pytest.fixture
async def http(fake: FakeDing) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=fake.transport(),
        base_url="http://fake",
        headers={"customer-uuid": DEFAULT_CUSTOMER_UUID},
    ) as client:
        yield client


# --------------------------------------------------------------------------
# An ASGI app
# --------------------------------------------------------------------------


async def test_the_app_acknowledges_the_asgi_lifespan(fake: FakeDing) -> None:
    # Served by any ASGI server (uvicorn, hypercorn), the app answers the
    # lifespan protocol: startup acknowledged at once, shutdown acknowledged,
    # and then the lifespan call returns.
    script: list[Message] = [
        {"type": "lifespan.startup"},
        {"type": "lifespan.shutdown"},
    ]
    events: list[tuple[str, Any]] = []

    async def receive() -> Message:
        assert script, "the app waited for a message after the shutdown"
        message = script.pop(0)
        events.append(("received", message["type"]))
        return message

    async def send(message: Message) -> None:
        events.append(("sent", message))

    scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}}
    with anyio.fail_after(5):
        await fake.app(scope, receive, send)
    assert events == [
        ("received", "lifespan.startup"),
        ("sent", {"type": "lifespan.startup.complete"}),
        ("received", "lifespan.shutdown"),
        ("sent", {"type": "lifespan.shutdown.complete"}),
    ]
    assert fake.handled_requests == 0  # a lifespan is no request


# --------------------------------------------------------------------------
# One method per API path
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("GET", "/v1/authentication", "POST"),
        ("PUT", "/v1/check", "POST"),
        ("GET", "/v1/retry", "POST"),
        ("DELETE", "/v1/authentication/feedback", "POST"),
        ("POST", f"/v1/authentication/{AUTH_UUID}", "GET"),
        ("DELETE", f"/v1/lookup/{PHONE}", "GET"),
    ],
)
async def test_a_wrong_method_is_a_405_naming_the_right_one(
    http: httpx.AsyncClient, fake: FakeDing, method: str, path: str, allowed: str
) -> None:
    # Each API path answers one method; any other gets 405 with `Allow`
    # naming it (RFC 9110), a JSON body, and the operation does not happen.
    answer = await http.request(method, path, json={"phone_number": PHONE})
    assert answer.status_code == 405
    assert answer.headers["allow"] == allowed
    # ASGI: "header names must be lowercased".
    assert (b"allow", allowed.encode()) in answer.headers.raw
    assert answer.headers["content-type"] == "application/json"
    assert answer.json() == {"message": "Method Not Allowed"}
    assert len(fake.outbox) == 0
    assert all(fake.faults.calls(op) == 0 for op in ("lookup", "check", "retry"))


@pytest.mark.parametrize("body", [b"{", b"[1, 2", b"nul"])
async def test_a_body_that_is_not_json_is_a_bad_request(
    http: httpx.AsyncClient, fake: FakeDing, body: bytes
) -> None:
    # The real API's error body, its code `bad_request`; nothing happens.
    answer = await http.post("/v1/authentication", content=body)
    assert answer.status_code == 400
    assert answer.json() == {
        "code": "bad_request",
        "message": "the request body is not valid JSON",
        "doc_url": "https://docs.prelude.so/verify/v1/documentation/errors#bad_request",
    }
    assert len(fake.outbox) == 0


@pytest.mark.parametrize("body", [b"", b"  \n"])
async def test_an_empty_body_is_no_json_object(
    http: httpx.AsyncClient, body: bytes
) -> None:
    # No body is not malformed JSON: the operation answers that it needs an
    # object, as it does for `null`.
    for payload in (body, b"null"):
        answer = await http.post("/v1/check", content=payload)
        assert answer.status_code == 400
        assert answer.json()["code"] == "bad_request"
        assert answer.json()["message"] == "The request body must be a JSON object."


# --------------------------------------------------------------------------
# /_fake: the outbox and the faults
# --------------------------------------------------------------------------


async def test_an_outbox_message_has_the_documented_fields(
    http: httpx.AsyncClient, fake: FakeDing
) -> None:
    # docs/fake.md, "Its endpoints": a message is these seven fields, its
    # time in ISO 8601 form.
    create = {"phone_number": PHONE, "customer_uuid": DEFAULT_CUSTOMER_UUID}
    sent = await http.post("/v1/authentication", json=create)
    assert sent.status_code == 200
    message = fake.outbox.last(PHONE)
    assert message is not None
    documented = {
        "phone_number": PHONE,
        "code": message.code,
        "content": f"Your verification code is {message.code}",
        "authentication_uuid": sent.json()["authentication_uuid"],
        "attempt_number": 1,
        "customer_uuid": DEFAULT_CUSTOMER_UUID,
        "sent_at": "2025-01-01T00:00:00+00:00",
    }
    last = await http.get("/_fake/outbox/last", params={"phone_number": PHONE})
    assert last.json() == documented
    every = await http.get("/_fake/outbox")
    assert every.json() == {"messages": [documented]}


async def test_the_fakes_own_endpoints_answer_as_documented(
    http: httpx.AsyncClient, fake: FakeDing
) -> None:
    # docs/fake.md, "Its endpoints": the outbox, all of it or one number's,
    # its last message or a 404 saying why, a reset, a health check;
    # anything else under /_fake is not found.
    other = "+14155550199"
    for number in (PHONE, other):
        create = {"phone_number": number, "customer_uuid": DEFAULT_CUSTOMER_UUID}
        assert (await http.post("/v1/authentication", json=create)).status_code == 200
    every = await http.get("/_fake/outbox")
    assert every.status_code == 200
    assert [m["phone_number"] for m in every.json()["messages"]] == [PHONE, other]
    mine = await http.get("/_fake/outbox", params={"phone_number": PHONE})
    assert mine.status_code == 200
    assert [m["phone_number"] for m in mine.json()["messages"]] == [PHONE]
    missing = await http.get("/_fake/outbox/last", params={"phone_number": "+1415"})
    assert missing.status_code == 404
    assert missing.json() == {"message": "no code was sent to that number"}
    reset = await http.post("/_fake/reset")
    assert (reset.status_code, reset.json()) == (200, {"status": "reset"})
    assert len(fake.outbox) == 0
    health = await http.get("/_fake/health")
    assert (health.status_code, health.json()) == (200, {"status": "ok"})
    for method, path in [("GET", "/_fake/nothing"), ("POST", "/_fake/nothing")]:
        unknown = await http.request(method, path, json={"fault": "server_error"})
        assert unknown.status_code == 404
        assert unknown.json() == {"message": "Not Found"}
    assert fake.faults.pending == 0


FAULT_NAMES = [
    "server_error",
    "rate_limited",
    "unavailable",
    "delay",
    "drop_before_response",
    "drop_mid_response",
    "malformed_json",
    "wrong_content_type",
    "html_error",
    "empty_body",
]


@pytest.mark.parametrize("name", FAULT_NAMES)
async def test_each_fault_can_be_scheduled_by_its_name(
    http: httpx.AsyncClient, fake: FakeDing, name: str
) -> None:
    # docs/fake.md: `{"fault": "unavailable", ...}` answers
    # `{"scheduled": "unavailable"}`, and the next call gets that fault.
    answer = await http.post("/_fake/faults", json={"fault": name})
    assert (answer.status_code, answer.json()) == (200, {"scheduled": name})
    assert fake.faults.pending == 1
    fault = fake.faults.take("lookup")
    assert fault is not None
    assert fault.kind == name


async def test_a_fault_spec_is_for_its_operation_only(
    http: httpx.AsyncClient,
) -> None:
    spec = {"operation": "check", "fault": "server_error", "status_code": 503}
    assert (await http.post("/_fake/faults", json=spec)).status_code == 200
    assert (await http.get(f"/v1/lookup/{PHONE}")).status_code == 200
    check = {"authentication_uuid": AUTH_UUID, "check_code": "123456"}
    assert (await http.post("/v1/check", json=check)).status_code == 503


async def test_a_fault_spec_fires_on_the_calls_it_numbers(
    http: httpx.AsyncClient, fake: FakeDing
) -> None:
    # `on_call` numbers the operation's calls from the start: [2, 3] are
    # the second and third, not the next two.
    spec = {"operation": "lookup", "fault": "server_error", "on_call": [2, 3]}
    assert (await http.post("/_fake/faults", json=spec)).status_code == 200
    statuses = [(await http.get(f"/v1/lookup/{PHONE}")).status_code for _ in range(4)]
    assert statuses == [200, 500, 500, 200]
    assert fake.faults.pending == 0


async def test_a_fault_spec_fires_on_the_next_times_calls(
    http: httpx.AsyncClient, fake: FakeDing
) -> None:
    spec = {"operation": "lookup", "fault": "server_error", "times": 2}
    assert (await http.post("/_fake/faults", json=spec)).status_code == 200
    statuses = [(await http.get(f"/v1/lookup/{PHONE}")).status_code for _ in range(3)]
    assert statuses == [500, 500, 200]
    assert fake.faults.pending == 0


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ([{"fault": "server_error"}], "bad fault spec: expected a JSON object"),
        ({"fault": "meteor"}, "bad fault spec: 'meteor'"),
        ({"operation": "send", "fault": "server_error"}, "bad fault spec: unknown"),
    ],
)
async def test_a_bad_fault_spec_is_a_400_with_the_names_it_accepts(
    http: httpx.AsyncClient, fake: FakeDing, spec: object, message: str
) -> None:
    # docs/fake.md: "A bad spec answers 400 with the names it accepts."
    answer = await http.post("/_fake/faults", json=spec)
    assert answer.status_code == 400
    body = answer.json()
    assert body.keys() == {"message", "faults", "operations"}
    assert body["message"].startswith(message)
    assert body["faults"] == sorted(FAULT_NAMES)
    assert body["operations"] == [
        "*",
        "create_authentication",
        "check",
        "retry",
        "authentication_status",
        "feedback",
        "lookup",
    ]
    assert fake.faults.pending == 0
