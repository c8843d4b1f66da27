"""What each fault answers, as a client of the fake sees it on the wire.

The faults are built in each test, not at collection: mutation testing maps
a function to the tests during which it runs.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from ding._errors import UsageError
from ding.testing import DEFAULT_CUSTOMER_UUID, OPERATIONS, FakeDing, Fault, FaultPlan

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

pytestmark = pytest.mark.anyio

PHONE = "+14155550123"


@pytest.fixture
def fake() -> FakeDing:
    return FakeDing()


@pytest.fixture
async def http(fake: FakeDing) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=fake.transport(), base_url="http://fake"
    ) as client:
        yield client


async def create(http: httpx.AsyncClient) -> httpx.Response:
    body = {"phone_number": PHONE, "customer_uuid": DEFAULT_CUSTOMER_UUID}
    return await http.post("/v1/authentication", json=body)


@pytest.mark.parametrize(
    ("make", "status", "retry_after"),
    [
        (Fault.server_error, 500, None),
        (lambda: Fault.server_error(503), 503, None),
        (Fault.rate_limited, 429, "1"),
        (lambda: Fault.rate_limited(retry_after=120), 429, "120"),
        (Fault.unavailable, 503, None),
        (lambda: Fault.unavailable(retry_after=2.5), 503, "2.5"),
    ],
    ids=[
        "server_error()",
        "server_error(503)",
        "rate_limited()",
        "rate_limited(120)",
        "unavailable()",
        "unavailable(2.5)",
    ],
)
async def test_error_faults_answer_their_status_and_retry_after(
    http: httpx.AsyncClient,
    fake: FakeDing,
    make: Callable[[], Fault],
    status: int,
    retry_after: str | None,
) -> None:
    # The module's table: server_error is that 5xx (500 by default) with a
    # Ding error body; rate_limited is 429 with Retry-After (1 s by
    # default); unavailable is 503, with Retry-After only when given. None
    # of them performs the operation.
    fault = make()
    assert not fault.performs_operation
    fake.faults.inject("create_authentication", fault)
    answer = await create(http)
    assert answer.status_code == status
    assert answer.headers.get("retry-after") == retry_after
    assert answer.headers["content-type"] == "application/json"
    # ASGI: "header names must be lowercased".
    assert all(name == name.lower() for name, _ in answer.headers.raw)
    if fault.kind == "server_error":
        assert answer.json() == {
            "code": "internal_server_error",
            "message": "An internal server error occurred.",
            "doc_url": "https://docs.prelude.so/verify/v1/documentation/errors#internal_server_error",
        }
    else:
        reason = "Too Many Requests" if status == 429 else "Service Unavailable"
        assert answer.json() == {"message": reason}
    assert len(fake.outbox) == 0
    assert (await create(http)).status_code == 200  # once only


@pytest.mark.parametrize(
    ("make", "status"),
    [(Fault.html_error, 502), (lambda: Fault.html_error(404), 404)],
    ids=["html_error()", "html_error(404)"],
)
async def test_an_html_error_is_a_proxys_page(
    http: httpx.AsyncClient, fake: FakeDing, make: Callable[[], Fault], status: int
) -> None:
    # A 502 by default, as a proxy in front of a dead API answers.
    fault = make()
    assert not fault.performs_operation
    fake.faults.inject("create_authentication", fault)
    answer = await create(http)
    assert answer.status_code == status
    assert answer.headers["content-type"] == "text/html"
    assert all(name == name.lower() for name, _ in answer.headers.raw)
    assert answer.headers["content-length"] == str(len(answer.content))
    assert answer.text.startswith("<html>")
    assert f"<h1>{status} " in answer.text
    assert len(fake.outbox) == 0


async def test_malformed_json_is_a_truncated_json_answer(
    http: httpx.AsyncClient, fake: FakeDing
) -> None:
    fault = Fault.malformed_json()
    assert fault.performs_operation
    fake.faults.inject("create_authentication", fault)
    answer = await create(http)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    assert answer.content.startswith(b"{")
    with pytest.raises(json.JSONDecodeError):
        json.loads(answer.content)
    assert fake.outbox.last(PHONE) is not None  # the code went out all the same


async def test_wrong_content_type_labels_the_right_json_text_plain(
    http: httpx.AsyncClient, fake: FakeDing
) -> None:
    fault = Fault.wrong_content_type()
    assert fault.performs_operation
    fake.faults.inject("create_authentication", fault)
    answer = await create(http)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    sent = fake.outbox.last(PHONE)
    assert sent is not None
    assert json.loads(answer.content)["authentication_uuid"] == sent.authentication_uuid


async def test_empty_body_is_a_200_with_nothing_in_it(
    http: httpx.AsyncClient, fake: FakeDing
) -> None:
    fault = Fault.empty_body()
    assert fault.performs_operation
    fake.faults.inject("create_authentication", fault)
    answer = await create(http)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    assert answer.content == b""
    assert fake.outbox.last(PHONE) is not None


# --------------------------------------------------------------------------
# Nonsense is refused, saying why
# --------------------------------------------------------------------------

NOT_SECONDS = "delays must be finite, non-negative numbers of seconds"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda: Fault.server_error(404),
            "server_error needs a status code in 500..599, not 404",
        ),
        (
            lambda: Fault.html_error(302),
            "html_error needs a status code in 400..599, not 302",
        ),
        (lambda: Fault.delay(-0.5), NOT_SECONDS),
        (lambda: Fault.delay(float("nan")), NOT_SECONDS),
        (lambda: Fault.rate_limited(retry_after=float("inf")), NOT_SECONDS),
        (lambda: Fault.unavailable(retry_after=-1), NOT_SECONDS),
    ],
    ids=[
        "server_error(404)",
        "html_error(302)",
        "delay(-0.5)",
        "delay(nan)",
        "rate_limited(inf)",
        "unavailable(-1)",
    ],
)
def test_a_nonsense_fault_is_a_usage_error_saying_why(
    make: Callable[[], Fault], message: str
) -> None:
    with pytest.raises(UsageError, match=f"^{re.escape(message)}$"):
        make()


@pytest.mark.parametrize("seconds", [True, "1"])
def test_seconds_are_numbers_not_look_alikes(seconds: Any) -> None:
    # A bool is an int to Python, and "1" a number to JSON's readers: neither
    # is a number of seconds.
    with pytest.raises(UsageError, match=f"^{NOT_SECONDS}$"):
        Fault.delay(seconds)
    with pytest.raises(UsageError, match=f"^{NOT_SECONDS}$"):
        Fault.rate_limited(retry_after=seconds)


def test_zero_seconds_is_a_delay_and_a_retry_after() -> None:
    # Finite and non-negative: zero is allowed ("retry at once").
    assert Fault.delay(0).seconds == 0
    assert Fault.rate_limited(retry_after=0).retry_after == 0
    assert Fault.unavailable(retry_after=0.0).retry_after == 0


@pytest.mark.parametrize(
    ("operation", "options", "message"),
    [
        ("send", {}, "unknown operation 'send'; one of ("),
        ("lookup", {"on_call": 0}, "on_call must name call numbers from 1"),
        ("lookup", {"on_call": [2, 0]}, "on_call must name call numbers from 1"),
        ("lookup", {"on_call": []}, "on_call must name call numbers from 1"),
        ("lookup", {"times": 0}, "times must be at least 1"),
    ],
    ids=["unknown_operation", "on_call=0", "on_call=[2,0]", "on_call=[]", "times=0"],
)
def test_a_plan_refuses_a_nonsense_schedule(
    operation: str, options: dict[str, Any], message: str
) -> None:
    plan = FaultPlan()
    with pytest.raises(UsageError, match=f"^{re.escape(message)}"):
        plan.inject(operation, Fault.server_error(), **options)
    assert plan.pending == 0


# --------------------------------------------------------------------------
# The count of calls
# --------------------------------------------------------------------------


def test_a_plan_counts_calls_from_zero_and_again_after_a_reset() -> None:
    # Every call counts, faulted or not, per operation; a name no call was
    # made for has had none.
    plan = FaultPlan()
    assert [plan.calls(op) for op in OPERATIONS] == [0] * len(OPERATIONS)
    assert plan.calls("send") == 0
    plan.inject("lookup", Fault.server_error(), on_call=2)
    assert plan.take("lookup") is None
    assert plan.take("lookup") == Fault.server_error()
    assert plan.take("send") is None
    assert (plan.calls("lookup"), plan.calls("check"), plan.calls("send")) == (2, 0, 1)
    plan.inject("*", Fault.server_error(), times=3)
    plan.reset()
    assert plan.pending == 0
    assert [plan.calls(op) for op in OPERATIONS] == [0] * len(OPERATIONS)
    assert plan.take("lookup") is None
    assert plan.calls("lookup") == 1
