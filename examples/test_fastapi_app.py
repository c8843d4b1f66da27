"""Testing your app: the FastAPI example, end to end, against the fake Ding API.

What it shows: the fixtures that come with ``ding`` (its pytest plugin is
installed with the package) drive an app in tests without a Ding account:

* ``ding_async_client``, an `AsyncDing` on the fake, replaces the app's own
  client through FastAPI's ``dependency_overrides``;
* ``ding_fake`` is that fake: the codes it "sent" (``ding_fake.outbox``), its
  clock (``ding_fake.clock.advance``), its faults (``ding_fake.faults``);
* ``@pytest.mark.ding_settings(...)`` changes the fake's rules for one test;
* ``ding_server`` serves the fake over TCP, for an app that builds its client
  from the environment (the last test).

Requests go to the app in-process (``httpx.ASGITransport``): no server, no
port. Copy this file next to your app and change the routes.

Run it: ``pytest examples/test_fastapi_app.py`` (with ``fastapi`` installed).
"""

from __future__ import annotations

from http import HTTPStatus
from typing import TYPE_CHECKING

import httpx
import pytest
from fastapi_app import create_app, get_ding

from ding.testing import FakeDing, Fault

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from fastapi import FastAPI

    import ding

pytestmark = pytest.mark.anyio

PHONE = "+14155550123"


@pytest.fixture
def anyio_backend() -> str:
    """FastAPI apps run on asyncio (uvicorn's loop)."""
    return "asyncio"


@pytest.fixture
def app(ding_async_client: ding.AsyncDing) -> FastAPI:
    """The app, its Ding client replaced by the fake's."""
    app = create_app()
    app.dependency_overrides[get_ding] = lambda: ding_async_client
    return app


@pytest.fixture
async def http(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client that calls the app in-process."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://app") as http:
        yield http


async def send(http: httpx.AsyncClient, phone: str = PHONE) -> httpx.Response:
    return await http.post("/otp/send", json={"phone_number": phone})


async def verify(
    http: httpx.AsyncClient, code: str, phone: str = PHONE
) -> httpx.Response:
    return await http.post("/otp/verify", json={"phone_number": phone, "code": code})


async def is_verified(http: httpx.AsyncClient, phone: str = PHONE) -> bool:
    answer = await http.get("/otp/status", params={"phone_number": phone})
    assert answer.status_code == HTTPStatus.OK
    verified: bool = answer.json()["verified"]
    return verified


def sent_code(fake: FakeDing, phone: str = PHONE) -> str:
    """The code the user got by SMS: the fake keeps it in its outbox."""
    code = fake.outbox.last_code(phone)
    assert code is not None, f"no code was sent to {phone}"
    return code


def error_of(answer: httpx.Response) -> str:
    error: str = answer.json()["error"]
    return error


async def test_the_right_code_verifies_the_number(
    http: httpx.AsyncClient, ding_fake: FakeDing
) -> None:
    assert (await send(http)).status_code == HTTPStatus.OK
    assert not await is_verified(http)
    answer = await verify(http, sent_code(ding_fake))
    assert answer.status_code == HTTPStatus.OK
    assert answer.json() == {"phone_number": PHONE, "verified": True}
    assert await is_verified(http)


async def test_a_wrong_code_is_refused_and_the_right_one_still_works(
    http: httpx.AsyncClient, ding_fake: FakeDing
) -> None:
    await send(http)
    code = sent_code(ding_fake)
    wrong = "000000" if code != "000000" else "111111"
    answer = await verify(http, wrong)
    assert answer.status_code == HTTPStatus.BAD_REQUEST
    assert error_of(answer) == "wrong_code"
    assert not await is_verified(http)
    assert (await verify(http, code)).status_code == HTTPStatus.OK


async def test_a_code_checked_before_any_was_sent_is_refused(
    http: httpx.AsyncClient,
) -> None:
    answer = await verify(http, "123456")
    assert answer.status_code == HTTPStatus.BAD_REQUEST
    assert error_of(answer) == "no_code_sent"


async def test_an_expired_code_is_gone(
    http: httpx.AsyncClient, ding_fake: FakeDing
) -> None:
    await send(http)
    code = sent_code(ding_fake)
    ding_fake.clock.advance(ding_fake.settings.lifetime)  # the fake's time only
    answer = await verify(http, code)
    assert answer.status_code == HTTPStatus.GONE
    assert error_of(answer) == "code_expired"
    assert not await is_verified(http)


@pytest.mark.parametrize(
    ("phone", "error"),
    [
        ("555-0123", "invalid_phone_number"),  # not E.164
        ("+15005550003", "blocked_number"),  # a reserved number of the fake
        ("+15005550004", "unsupported_region"),
    ],
)
async def test_a_number_ding_refuses_is_a_bad_request(
    http: httpx.AsyncClient, ding_fake: FakeDing, phone: str, error: str
) -> None:
    answer = await send(http, phone)
    assert answer.status_code == HTTPStatus.BAD_REQUEST
    assert error_of(answer) == error
    assert len(ding_fake.outbox) == 0


async def test_a_rate_limited_number_gets_429(http: httpx.AsyncClient) -> None:
    # The fake answers `rate_limited` for this reserved number, and sends nothing.
    answer = await send(http, "+15005550001")
    assert answer.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert error_of(answer) == "rate_limited"


@pytest.mark.ding_settings(max_invalid_checks=2)
async def test_too_many_wrong_codes_lock_the_number(
    http: httpx.AsyncClient, ding_fake: FakeDing
) -> None:
    await send(http)
    for _ in range(2):
        assert (await verify(http, "000000")).status_code == HTTPStatus.BAD_REQUEST
    answer = await verify(http, sent_code(ding_fake))  # even the right one
    assert answer.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert error_of(answer) == "too_many_attempts"
    assert not await is_verified(http)


async def test_dings_own_rate_limit_is_passed_on_with_its_retry_after(
    http: httpx.AsyncClient, ding_fake: FakeDing
) -> None:
    # A Retry-After over 60 s: the SDK does not wait that long to retry.
    ding_fake.faults.inject("create_authentication", Fault.rate_limited(120))
    answer = await send(http)
    assert answer.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert answer.headers["retry-after"] == "120"


@pytest.mark.parametrize(
    ("fault", "status"),
    [
        (Fault.server_error(500), HTTPStatus.BAD_GATEWAY),
        (Fault.unavailable(), HTTPStatus.BAD_GATEWAY),
        (Fault.html_error(502), HTTPStatus.BAD_GATEWAY),  # a proxy's error page
        (Fault.malformed_json(), HTTPStatus.BAD_GATEWAY),
        (Fault.drop_before_response(), HTTPStatus.SERVICE_UNAVAILABLE),
    ],
)
async def test_ding_down_is_a_gateway_error(
    http: httpx.AsyncClient, ding_fake: FakeDing, fault: Fault, status: HTTPStatus
) -> None:
    ding_fake.faults.inject("create_authentication", fault)
    answer = await send(http)
    assert answer.status_code == status
    assert error_of(answer) in {"ding_error", "ding_unavailable"}
    assert "Traceback" not in answer.text


async def test_ding_down_during_a_check_leaves_the_code_usable(
    http: httpx.AsyncClient, ding_fake: FakeDing
) -> None:
    await send(http)
    code = sent_code(ding_fake)
    ding_fake.faults.inject("check", Fault.server_error(500))
    assert (await verify(http, code)).status_code == HTTPStatus.BAD_GATEWAY
    assert (await verify(http, code)).status_code == HTTPStatus.OK


async def test_ding_too_slow_is_503(
    app: FastAPI, http: httpx.AsyncClient, ding_fake: FakeDing
) -> None:
    # A client that waits 0.2 s (the app's waits a few seconds): the fake
    # answers after 1 s, so the test takes 0.2 s.
    fast = ding_fake.async_client(timeout=0.2, max_retries=0)
    app.dependency_overrides[get_ding] = lambda: fast
    ding_fake.faults.inject("create_authentication", Fault.delay(1))
    answer = await send(http)
    assert answer.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert error_of(answer) == "ding_unavailable"
    await fast.aclose()


async def test_the_app_builds_its_client_from_the_environment(
    ding_server: str, ding_fake: FakeDing, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No override: the lifespan opens the client from DING_* as in production,
    # here pointed at the fake served over TCP.
    monkeypatch.setenv("DING_BASE_URL", ding_server)
    monkeypatch.setenv("DING_API_KEY", "test-key")  # the fake takes any key
    monkeypatch.setenv("DING_CUSTOMER_UUID", "28591d9e-a825-47f6-ab11-1a61726305bf")
    app = create_app()
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://app") as http,
    ):
        assert (await send(http)).status_code == HTTPStatus.OK
        assert (await verify(http, sent_code(ding_fake))).status_code == HTTPStatus.OK
