"""The one retry loop: what is retried, how long it waits, what never is."""

from __future__ import annotations

import email.utils
import time
from typing import TYPE_CHECKING, Any

import httpx
import pytest

import ding
from ding._pipeline._retry import RetryPolicy, parse_retry_after
from ding.utils import BackoffStrategy, RetryConfig
from tests._stub import AUTH_UUID, DROP, STALL, StubDing, Wire, json_reply

if TYPE_CHECKING:
    from tests.conftest import Connect

pytestmark = pytest.mark.anyio

FAST = RetryConfig(
    "backoff", BackoffStrategy(1, 5, 1.5, 5_000), retry_connection_errors=True
)
# Long enough for an answer on loopback, short enough for a stall.
SHORT = 0.5
# Connect errors are raised by the transport before a connection exists: a
# server that accepted the connection cannot cause one.
# transport/test_own_pool.py refuses real connections on each transport.
CONNECT_ERRORS = pytest.mark.in_process_only(
    reason="scripts an httpx connect error, which only a transport can raise"
)


@pytest.fixture
async def retrying(connect: Connect) -> ding.AsyncDing:
    return connect(api_key="k", max_retries=3, retry_config=FAST)


@CONNECT_ERRORS
async def test_connect_error_is_retried_for_posts(
    retrying: ding.AsyncDing, stub: StubDing
) -> None:
    stub.script.extend([httpx.ConnectError("refused"), httpx.ConnectTimeout("slow")])
    res = await retrying.otp.create_authentication(phone_number="+14155550123")
    assert res.status_code == 200
    assert len(stub.requests) == 3


@CONNECT_ERRORS
async def test_connect_errors_give_up_after_max_retries(
    retrying: ding.AsyncDing, stub: StubDing
) -> None:
    stub.script.extend([httpx.ConnectError("refused")] * 4)
    with pytest.raises(ding.APIConnectionError):
        await retrying.otp.check(authentication_uuid=AUTH_UUID, check_code="1")
    assert len(stub.requests) == 4


@CONNECT_ERRORS
async def test_retry_connection_errors_false(connect: Connect, stub: StubDing) -> None:
    config = RetryConfig(
        "backoff", BackoffStrategy(1, 5, 1.5, 5_000), retry_connection_errors=False
    )
    client = connect(api_key="k", retry_config=config)
    stub.script.append(httpx.ConnectError("refused"))
    with pytest.raises(ding.APIConnectionError):
        await client.otp.check(authentication_uuid=AUTH_UUID, check_code="1")
    assert len(stub.requests) == 1


@pytest.mark.parametrize(
    "failure",
    [
        STALL,
        DROP,
        (500, {"content-type": "text/plain"}, b"boom"),
        (503, {"content-type": "text/plain"}, b"busy"),
    ],
    ids=["stall", "drop", "500", "503"],
)
async def test_post_that_may_have_arrived_is_not_retried(
    retrying: ding.AsyncDing,
    stub: StubDing,
    failure: Wire | tuple[int, dict[str, str], bytes],
) -> None:
    stub.script.append(failure)
    with pytest.raises(ding.DingError) as info:
        await retrying.otp.create_authentication(
            phone_number="+14155550123", timeout=SHORT
        )
    assert len(stub.requests) == 1
    if failure is STALL:
        assert isinstance(info.value, ding.APITimeoutError)
    elif failure is DROP:
        assert type(info.value) is ding.APIConnectionError


@pytest.mark.parametrize(
    "failure",
    [
        STALL,
        DROP,
        (500, {"content-type": "text/plain"}, b"boom"),
        (429, {}, b""),
    ],
    ids=["stall", "drop", "500", "429"],
)
async def test_get_is_retried_on_transient_failures(
    retrying: ding.AsyncDing,
    stub: StubDing,
    failure: Wire | tuple[int, dict[str, str], bytes],
) -> None:
    stub.script.append(failure)
    res = await retrying.lookup.lookup("+14155550123", timeout=SHORT)
    assert res.status_code == 200
    assert len(stub.requests) == 2


@pytest.mark.parametrize("status", [429, 503])
async def test_retry_after_is_honoured_for_posts(
    retrying: ding.AsyncDing, stub: StubDing, status: int
) -> None:
    stub.script.append(
        json_reply(status, {"message": "slow down"}, **{"retry-after": "0.01"})
    )
    res = await retrying.otp.check(authentication_uuid=AUTH_UUID, check_code="1")
    assert res.status_code == 200
    assert len(stub.requests) == 2


@pytest.mark.parametrize("unbounded", ["total_timeout", "timeout"])
async def test_without_a_timeout_a_call_retries_as_usual(
    connect: Connect, stub: StubDing, unbounded: str
) -> None:
    # total_timeout=None lifts the bound on the whole call, timeout=None the
    # bound on each attempt (beside the default total), nothing else: the
    # failed attempt is retried and the call answers.
    client = connect(api_key="k", max_retries=3, retry_config=FAST, **{unbounded: None})
    stub.script.append(
        json_reply(503, {"message": "slow down"}, **{"retry-after": "0.01"})
    )
    res = await client.otp.check(authentication_uuid=AUTH_UUID, check_code="1")
    assert res.status_code == 200
    assert len(stub.requests) == 2


async def test_retry_after_too_long_is_not_waited(
    retrying: ding.AsyncDing, stub: StubDing
) -> None:
    stub.script.append(json_reply(429, {"message": "later"}, **{"retry-after": "3600"}))
    with pytest.raises(ding.RateLimitError):
        await retrying.otp.check(authentication_uuid=AUTH_UUID, check_code="1")
    assert len(stub.requests) == 1


async def test_max_retries_zero_disables(connect: Connect, stub: StubDing) -> None:
    # A dropped GET, retried by default.
    client = connect(api_key="k", max_retries=0)
    stub.script.append(DROP)
    with pytest.raises(ding.APIConnectionError):
        await client.lookup.lookup("+14155550123")
    assert len(stub.requests) == 1


async def test_total_elapsed_bound(connect: Connect, stub: StubDing) -> None:
    config = RetryConfig(
        "backoff", BackoffStrategy(200, 200, 1.0, 100), retry_connection_errors=True
    )
    client = connect(api_key="k", retry_config=config, max_retries=9)
    stub.script.extend([DROP] * 3)
    with pytest.raises(ding.APIConnectionError):
        await client.lookup.lookup("+14155550123")
    # The first wait (~0.15-0.2 s) already exceeds max_elapsed_time (0.1 s).
    assert len(stub.requests) == 1


def test_seed_retry_config_translation() -> None:
    policy = RetryPolicy.from_seed(
        4,
        RetryConfig(
            "backoff",
            BackoffStrategy(500, 60_000, 1.5, 3_600_000),
            retry_connection_errors=False,
        ),
    )
    assert policy.initial_interval == 0.5
    assert policy.max_interval == 60.0
    assert policy.max_elapsed == 3600.0
    assert policy.retry_connection_errors is False
    assert (
        RetryPolicy.from_seed(
            4,
            RetryConfig(
                "none", BackoffStrategy(1, 1, 1, 1), retry_connection_errors=True
            ),
        ).max_retries
        == 0
    )


def test_backoff_grows_caps_and_jitters() -> None:
    policy = RetryPolicy(
        max_retries=5, initial_interval=0.5, max_interval=4.0, exponent=2.0
    )
    for n, full in enumerate([0.5, 1.0, 2.0, 4.0, 4.0]):
        delay = policy.delay(n)
        assert full * 0.75 <= delay <= full


def test_a_retry_after_over_60_seconds_is_never_waited() -> None:
    # Even when the caller allows an hour in all (the seed SDK's
    # max_elapsed_time), Ding asking for more than 60 s is not waited for.
    patient = RetryPolicy.from_seed(
        3,
        RetryConfig(
            "backoff",
            BackoffStrategy(500, 60_000, 1.5, 3_600_000),
            retry_connection_errors=True,
        ),
    )
    for status in (429, 503):
        for asked, wait in [("60", 60.0), ("61", None), ("3600", None)]:
            answer = httpx.Response(status, headers={"retry-after": asked})
            for method in ("GET", "POST"):
                decided = patient.wait_before_retry(
                    0, answer, method=method, elapsed=0.0
                )
                assert decided == wait, (status, asked, method)


def test_backoff_subtracts_up_to_25_percent_of_random_jitter() -> None:
    # Clients that failed together must not all retry at the same instant:
    # each wait is the full delay minus a random part of up to a quarter.
    policy = RetryPolicy(max_retries=5, initial_interval=0.5, max_interval=8.0)
    for retry, full in enumerate([0.5, 1.0, 2.0, 4.0, 8.0, 8.0]):
        waits = [policy.delay(retry) for _ in range(200)]
        assert all(full * 0.75 <= wait <= full for wait in waits)
        # 200 uniform draws all within a fifth of the range: about 1e-140.
        assert max(waits) - min(waits) > full * 0.25 / 5, (retry, full)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("2", 2.0),
        ("1.5", 1.5),
        (" 0 ", 0.0),
        ("-1", None),
        ("soon", None),
        ("nan", None),
        (None, None),
    ],
)
def test_parse_retry_after_seconds(header: str | None, expected: float | None) -> None:
    assert parse_retry_after(header) == expected


def test_parse_retry_after_http_date() -> None:
    header = email.utils.formatdate(1_000_030, usegmt=True)
    assert parse_retry_after(header, now=1_000_000) == 30.0
    assert (
        parse_retry_after(email.utils.formatdate(999_000, usegmt=True), now=1_000_000)
        == 0.0
    )


@CONNECT_ERRORS
@pytest.mark.parametrize("operation", ["get", "post"])
async def test_a_pool_timeout_is_never_retried(
    retrying: ding.AsyncDing, stub: StubDing, operation: str
) -> None:
    # Nothing was sent, but every connection stayed busy for the whole pool
    # wait: a retry would queue behind the same callers again.
    stub.script.append(httpx.PoolTimeout("busy"))

    async def call() -> object:
        if operation == "get":
            return await retrying.otp.get_authentication_status(AUTH_UUID)
        return await retrying.otp.create_authentication(phone_number="+14155550123")

    with pytest.raises(ding.APITimeoutError, match="pool timeout"):
        await call()
    assert len(stub.requests) == 1


async def test_a_failure_safe_to_repeat_is_retried_twice_by_default(
    connect: Connect, stub: StubDing
) -> None:
    # No max_retries given: the first attempt and 2 retries, then the error.
    client = connect(api_key="k")
    stub.script.extend(
        [json_reply(503, {"message": "later"}, **{"retry-after": "0.01"})] * 4
    )
    with pytest.raises(ding.ServerError):
        await client.otp.check(authentication_uuid=AUTH_UUID, check_code="1")
    assert len(stub.requests) == 3


async def test_an_http_date_retry_after_is_honoured(
    retrying: ding.AsyncDing, stub: StubDing
) -> None:
    # Retry-After may be an HTTP date (RFC 9110): one already past asks for
    # no wait at all, one an hour ahead for more than the 60 s ever waited.
    past = email.utils.formatdate(time.time() - 30, usegmt=True)
    stub.script.append(json_reply(503, {"message": "later"}, **{"retry-after": past}))
    res = await retrying.otp.check(authentication_uuid=AUTH_UUID, check_code="1")
    assert res.status_code == 200
    assert len(stub.requests) == 2
    ahead = email.utils.formatdate(time.time() + 3600, usegmt=True)
    stub.script.append(json_reply(429, {"message": "later"}, **{"retry-after": ahead}))
    with pytest.raises(ding.RateLimitError):
        await retrying.otp.check(authentication_uuid=AUTH_UUID, check_code="1")
    assert len(stub.requests) == 3


def test_a_retry_whose_wait_ends_exactly_at_max_elapsed_is_made() -> None:
    # Only a retry whose wait would end *past* max_elapsed is given up.
    policy = RetryPolicy(max_retries=3, max_elapsed=1.0)
    asked = httpx.Response(503, headers={"retry-after": "0.5"})
    assert policy.wait_before_retry(0, asked, method="POST", elapsed=0.5) == 0.5
    assert policy.wait_before_retry(0, asked, method="POST", elapsed=0.625) is None


@pytest.mark.parametrize(("status", "retried"), [(599, True), (600, False)])
async def test_a_get_retries_5xx_answers_and_no_status_past_them(
    retrying: ding.AsyncDing, stub: StubDing, status: int, retried: bool
) -> None:
    stub.script.append((status, {"content-type": "text/plain"}, b"odd"))
    if retried:
        await retrying.lookup.lookup("+14155550123")
    else:
        with pytest.raises(ding.SDKError):
            await retrying.lookup.lookup("+14155550123")
    assert len(stub.requests) == (2 if retried else 1)


def test_the_seed_backoff_sets_every_wait() -> None:
    # BackoffStrategy(400 ms, 4 s, exponent 1.5): 0.4, 0.6, 0.9, ... s,
    # each minus up to 25 % jitter, never more than 4 s.
    policy = RetryPolicy.from_seed(
        9,
        RetryConfig(
            "backoff",
            BackoffStrategy(400, 4_000, 1.5, 60_000),
            retry_connection_errors=True,
        ),
    )
    for retry in range(9):
        full = min(0.4 * 1.5**retry, 4.0)
        waits = [policy.delay(retry) for _ in range(50)]
        assert all(full * 0.75 <= wait <= full for wait in waits), (retry, full)


async def test_a_backoff_of_zeros_retries_at_once(
    connect: Connect, stub: StubDing
) -> None:
    # Zero is a valid delay (and exponent): the retry is sent without a wait.
    config = RetryConfig(
        "backoff", BackoffStrategy(0, 0, 0, 5_000), retry_connection_errors=True
    )
    client = connect(api_key="k", max_retries=2, retry_config=config)
    stub.script.extend([DROP, DROP])
    res = await client.lookup.lookup("+14155550123")
    assert res.status_code == 200
    assert len(stub.requests) == 3


BACKOFF_REFUSED = (
    "retry_config.backoff must be a BackoffStrategy of finite, non-negative numbers"
)


def unchecked(value: object) -> Any:
    """Pass a value of the wrong type past the type checker, on purpose."""
    return value


@pytest.mark.parametrize("value", [-1, float("inf"), float("nan"), True, "500"])
def test_a_backoff_of_anything_but_finite_non_negative_numbers_is_refused(
    value: object,
) -> None:
    for position in range(4):
        numbers: list[object] = [500, 8_000, 2, 60_000]
        numbers[position] = value
        config = RetryConfig(
            "backoff",
            BackoffStrategy(*map(unchecked, numbers)),
            retry_connection_errors=True,
        )
        with pytest.raises(ding.UsageError) as info:
            ding.AsyncDing(api_key="k", retry_config=config)
        assert str(info.value) == BACKOFF_REFUSED, (position, value)


def test_a_retry_config_of_the_wrong_type_is_refused_naming_the_type() -> None:
    with pytest.raises(ding.UsageError) as info:
        ding.AsyncDing(api_key="k", retry_config=unchecked({"strategy": "backoff"}))
    assert str(info.value) == "retry_config must be a ding.RetryConfig"
    config = RetryConfig(
        "backoff", unchecked({"initial_interval": 500}), retry_connection_errors=True
    )
    with pytest.raises(ding.UsageError) as info:
        ding.AsyncDing(api_key="k", retry_config=config)
    assert str(info.value) == BACKOFF_REFUSED
