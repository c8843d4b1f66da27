"""The SDK against the fake, in-process and over TCP, async (asyncio, trio) and sync."""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING, Any

import httpx
import pytest

import ding
from ding.models import components, errors, shared
from ding.testing import (
    DEFAULT_CUSTOMER_UUID,
    RESERVED_NUMBERS,
    FakeDing,
    FakeSettings,
    Fault,
    ManualClock,
    deterministic_codes,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Iterator

PHONE = "+14155550123"


@pytest.fixture
def fake() -> FakeDing:
    return FakeDing(clock=ManualClock(), codes=deterministic_codes(7), seed=7)


@pytest.fixture(params=["in-process", "tcp"])
def where(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def server_url(fake: FakeDing, where: str) -> Iterator[str | None]:
    if where == "in-process":
        yield None
        return
    with fake.serve() as server:
        yield server.url + "/v1"


@pytest.fixture
async def aclient(
    fake: FakeDing, server_url: str | None
) -> AsyncIterator[ding.AsyncDing]:
    if server_url is None:
        client = fake.async_client(max_retries=0)
    else:
        client = ding.AsyncDing(
            api_key="k",
            server_url=server_url,
            customer_uuid=DEFAULT_CUSTOMER_UUID,
            max_retries=0,
        )
    async with client:
        yield client


@pytest.fixture
def sclient(fake: FakeDing, server_url: str | None) -> Iterator[ding.Ding]:
    if server_url is None:
        client = fake.client(max_retries=0)
    else:
        client = ding.Ding(
            api_key="k",
            server_url=server_url,
            customer_uuid=DEFAULT_CUSTOMER_UUID,
            max_retries=0,
        )
    with client:
        yield client


@pytest.mark.anyio
async def test_whole_flow_async(aclient: ding.AsyncDing, fake: FakeDing) -> None:
    sent = await aclient.otp.create_authentication(phone_number=PHONE)
    auth = sent.create_authentication_response
    assert auth is not None
    assert auth.status == components.Status.PENDING
    assert auth.authentication_uuid is not None
    assert auth.expires_at is not None
    uuid = auth.authentication_uuid
    code = fake.outbox.last_code(PHONE)
    assert code is not None

    wrong = await aclient.otp.check(authentication_uuid=uuid, check_code="not-it")
    assert wrong.create_check_response is not None
    assert wrong.create_check_response.status == components.CheckStatus.INVALID

    denied = await aclient.otp.retry(authentication_uuid=uuid)
    assert denied.retry_authentication_response is not None
    assert denied.retry_authentication_response.status == "denied"

    fake.clock.advance(dt.timedelta(minutes=1))
    approved = await aclient.otp.retry(authentication_uuid=uuid)
    assert approved.retry_authentication_response is not None
    assert approved.retry_authentication_response.status == "approved"
    new_code = fake.outbox.last_code(PHONE)
    assert new_code is not None

    ok = await aclient.otp.check(authentication_uuid=uuid, check_code=new_code)
    assert ok.create_check_response is not None
    assert ok.create_check_response.status == components.CheckStatus.VALID
    again = await aclient.otp.check(authentication_uuid=uuid, check_code=new_code)
    assert again.create_check_response is not None
    assert (
        again.create_check_response.status == components.CheckStatus.ALREADY_VALIDATED
    )

    status = await aclient.otp.get_authentication_status(uuid)
    history = status.authentication_status_response
    assert history is not None
    assert history.phone_number == PHONE
    assert history.events is not None
    kinds = [type(e).__name__ for e in history.events]
    assert kinds.count("Attempt") == 2
    assert kinds.count("Check") == 3

    feedback = await aclient.otp.feedback(phone_number=PHONE, status="onboarded")
    assert feedback.feedback_response is not None
    with pytest.raises(errors.ErrorResponse) as dup:
        await aclient.otp.feedback(phone_number=PHONE, status="onboarded")
    assert dup.value.code == errors.Code.DUPLICATED_FEEDBACK_STATUS

    lookup = await aclient.lookup.lookup(PHONE, type_="cnam")
    assert lookup.lookup_response is not None
    assert lookup.lookup_response.country_code == "US"
    assert lookup.lookup_response.caller_name


def test_whole_flow_sync(sclient: ding.Ding, fake: FakeDing) -> None:
    sent = sclient.otp.post_authentication(
        shared.CreateAuthenticationRequest(phone_number=PHONE)
    )
    auth = sent.create_authentication_response
    assert auth is not None
    assert auth.authentication_uuid is not None
    code = fake.outbox.last_code(PHONE)
    assert code is not None
    checked = sclient.otp.post_check(
        shared.CreateCheckRequest(
            authentication_uuid=auth.authentication_uuid, check_code=code
        ),
    )
    assert checked.create_check_response is not None
    assert (
        checked.create_check_response.status == shared.CreateCheckResponseStatus.VALID
    )
    retried = sclient.otp.post_retry(
        shared.RetryAuthenticationRequest(authentication_uuid=auth.authentication_uuid),
    )
    assert retried.retry_authentication_response is not None
    assert retried.retry_authentication_response.status == (
        shared.RetryAuthenticationResponseStatus.ALREADY_VALIDATED
    )
    looked = sclient.lookup.post_lookup(
        DEFAULT_CUSTOMER_UUID,
        shared.LookupRequest(phone_number=PHONE),
    )
    assert looked.lookup_response is not None
    status = sclient.otp.get_authentication_status(auth.authentication_uuid)
    assert status.authentication_status_response is not None
    assert sclient.otp.feedback(
        phone_number=PHONE, status="not_onboarded"
    ).feedback_response


CREATE_OUTCOMES = {
    "rate_limited": ("status", "rate_limited"),
    "spam_detected": ("status", "spam_detected"),
    "blocked_number": ("error", "blocked_number"),
    "unsupported_region": ("error", "unsupported_region"),
    "invalid_line": ("error", "invalid_line"),
    "negative_balance": ("error", "negative_balance"),
}


def reserved(outcome: str) -> str:
    return next(number for number, what in RESERVED_NUMBERS.items() if what == outcome)


@pytest.mark.anyio
@pytest.mark.parametrize("outcome", sorted(CREATE_OUTCOMES))
async def test_reserved_numbers(
    aclient: ding.AsyncDing, fake: FakeDing, outcome: str
) -> None:
    number = reserved(outcome)
    kind, value = CREATE_OUTCOMES[outcome]
    if kind == "status":
        res = await aclient.otp.create_authentication(phone_number=number)
        assert res.create_authentication_response is not None
        assert res.create_authentication_response.status == value
    else:
        with pytest.raises(errors.ErrorResponse) as info:
            await aclient.otp.create_authentication(phone_number=number)
        assert info.value.code == errors.Code(value)
        assert info.value.doc_url is not None
        assert info.value.doc_url.endswith(f"#{value}")
    assert fake.outbox.last_code(number) is None


def test_reserved_numbers_table_is_complete() -> None:
    assert sorted(RESERVED_NUMBERS.values()) == sorted(CREATE_OUTCOMES)


FAULTS: list[tuple[Fault, type[ding.DingError], bool]] = [
    (Fault.server_error(500), ding.ServerError, False),
    (Fault.server_error(502), ding.ServerError, False),
    (Fault.rate_limited(retry_after=120), ding.RateLimitError, False),
    (Fault.unavailable(), ding.ServerError, False),
    (Fault.drop_before_response(), ding.APIConnectionError, False),
    (Fault.drop_mid_response(), ding.APIConnectionError, True),
    (Fault.malformed_json(), ding.MalformedResponseError, True),
    (Fault.wrong_content_type(), ding.MalformedResponseError, True),
    (Fault.html_error(502), ding.ServerError, False),
    (Fault.empty_body(), ding.MalformedResponseError, True),
]


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("fault", "expected", "performed"),
    FAULTS,
    ids=[f[0].kind + str(f[0].status_code) for f in FAULTS],
)
async def test_each_fault_kind(
    aclient: ding.AsyncDing,
    fake: FakeDing,
    fault: Fault,
    expected: type[ding.DingError],
    performed: bool,
) -> None:
    fake.faults.inject("create_authentication", fault)
    with pytest.raises(expected):
        await aclient.otp.create_authentication(phone_number=PHONE)
    assert (fake.outbox.last_code(PHONE) is not None) is performed
    # The fault fired once; the next call is answered normally.
    res = await aclient.otp.create_authentication(phone_number=PHONE)
    assert res.status_code == 200


@pytest.mark.anyio
async def test_delay_fault_and_timeout(aclient: ding.AsyncDing, fake: FakeDing) -> None:
    fake.faults.inject("lookup", Fault.delay(0.5))
    with pytest.raises(ding.APITimeoutError):
        await aclient.lookup.lookup(PHONE, timeout=0.1)
    fake.faults.inject("lookup", Fault.delay(0.05))
    res = await aclient.lookup.lookup(PHONE, timeout=5)
    assert res.lookup_response is not None


@pytest.mark.anyio
async def test_faults_by_call_number_and_sdk_retries(
    fake: FakeDing, server_url: str | None
) -> None:
    fake.faults.inject("lookup", Fault.unavailable(), on_call=[1, 2])
    kwargs: dict[str, Any] = {
        "max_retries": 2,
        "retry_config": ding.RetryConfig(
            "backoff",
            ding.BackoffStrategy(1, 5, 2, 5_000),
            retry_connection_errors=True,
        ),
    }
    client = (
        fake.async_client(**kwargs)
        if server_url is None
        else ding.AsyncDing(
            api_key="k", server_url=server_url, customer_uuid="c", **kwargs
        )
    )
    async with client:
        res = await client.lookup.lookup(PHONE, DEFAULT_CUSTOMER_UUID)
    assert res.status_code == 200
    assert fake.faults.calls("lookup") == 3


@pytest.mark.anyio
async def test_a_post_that_was_performed_is_not_retried(fake: FakeDing) -> None:
    # The answer is lost after the code went out: retrying would send a second SMS.
    fake.faults.inject("create_authentication", Fault.drop_mid_response())
    async with fake.async_client(max_retries=3) as client:
        with pytest.raises(ding.APIConnectionError):
            await client.otp.create_authentication(phone_number=PHONE)
    assert len(fake.outbox.for_number(PHONE)) == 1


def test_handled_requests_counts_every_request_that_reached_the_app(
    sclient: ding.Ding, fake: FakeDing
) -> None:
    assert fake.handled_requests == 0
    sclient.otp.create_authentication(phone_number=PHONE)
    with pytest.raises(ding.SDKError):  # a 404: the app handled it all the same
        sclient.otp.get_authentication_status(auth_uuid="nope")
    fake.faults.inject("create_authentication", Fault.server_error(503))
    with pytest.raises(ding.ServerError):  # a fault: handled too
        sclient.otp.create_authentication(phone_number=PHONE)
    assert fake.handled_requests == 3
    fake.reset()
    assert fake.handled_requests == 0


def test_strict_mode() -> None:
    strict = FakeDing(
        FakeSettings(
            strict=True,
            api_keys=frozenset({"good-key"}),
            customer_uuids=frozenset({"7f3c1e2a-0000-4000-8000-000000000001"}),
        ),
    )
    with strict.client() as good:
        assert good.otp.create_authentication(phone_number=PHONE).status_code == 200
        with pytest.raises(errors.ErrorResponse) as info:
            good.otp.create_authentication(
                phone_number=PHONE,
                customer_uuid="7f3c1e2a-0000-4000-8000-000000000002",
            )
        assert info.value.code == errors.Code.ACCOUNT_INVALID
    with strict.client(api_key="bad-key") as bad:
        with pytest.raises(ding.AuthenticationError) as denied:
            bad.otp.create_authentication(phone_number=PHONE)
        assert denied.value.status_code == 403
        # The seed SDK's str() first, then the hint on a line of its own.
        seed, hint = str(denied.value).rsplit("\n", 1)
        assert seed == 'API error occurred: Status 403\n{"message":"Forbidden"}'
        assert hint == denied.value.hint
        assert hint.startswith("The API key was refused; it came from the api_key")
        assert "bad-key" not in hint


def test_open_mode_accepts_the_seed_documents_request(fake: FakeDing) -> None:
    # The document's request, but for its number, +1234567890: too short for
    # the +1 zone, no plan allows it (tests/surface/test_seed_examples.py).
    with fake.client(api_key="") as client:
        res = client.otp.post_authentication(
            shared.CreateAuthenticationRequest(
                app_realm="1234567890",
                app_version="1.0.0",
                callback_url="https://example.com/callback",
                customer_uuid="28591d9e-a825-47f6-ab11-1a61726305bf",
                device_id="1234567890",
                device_model="iPhone 15 Pro",
                os_version="13.2.1",
                phone_number="+14155550123",
                device_type="ANDROID",
            ),
        )
    assert res.create_authentication_response is not None


def test_the_embedded_server_logs_each_request(
    fake: FakeDing, caplog: pytest.LogCaptureFixture
) -> None:
    with (
        caplog.at_level(logging.INFO, logger="ding.testing"),
        fake.serve() as server,
        fake.client(
            api_key="sk_embedded_secret", server_url=server.url + "/v1", client=None
        ) as c,
    ):
        # Twice: the first drop, on the connection the POST left open, is
        # sent once more on a new one (ding._transport._reuse), retries or not.
        fake.faults.inject("lookup", Fault.drop_before_response(), times=2)
        c.otp.create_authentication(phone_number=PHONE)
        with pytest.raises(ding.APIConnectionError):
            c.with_options(max_retries=0).lookup.lookup(PHONE)
    lines = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert [line.rsplit(" ", 2)[0] for line in lines] == [
        "POST /v1/authentication 200",
        f"GET /v1/lookup/{PHONE} dropped",
        f"GET /v1/lookup/{PHONE} dropped",
    ]
    assert all(r.name == "ding.testing" for r in caplog.records)
    assert "sk_embedded_secret" not in caplog.text


def test_introspection_routes_over_tcp(fake: FakeDing) -> None:
    with (
        fake.serve() as server,
        fake.client(server_url=server.url + "/v1", client=None) as client,
    ):
        client.otp.create_authentication(phone_number=PHONE)
        outbox = httpx.get(
            f"{server.url}/_fake/outbox", params={"phone_number": PHONE}
        ).json()
        assert [m["phone_number"] for m in outbox["messages"]] == [PHONE]
        last = httpx.get(
            f"{server.url}/_fake/outbox/last", params={"phone_number": PHONE}
        ).json()
        assert last["code"] == fake.outbox.last_code(PHONE)
        missing = httpx.get(
            f"{server.url}/_fake/outbox/last", params={"phone_number": "+19999999999"}
        )
        assert missing.status_code == 404
        scheduled = httpx.post(
            f"{server.url}/_fake/faults",
            json={"operation": "check", "fault": "server_error", "status_code": 503},
        )
        assert scheduled.status_code == 200
        with pytest.raises(ding.ServerError):
            client.otp.check(
                authentication_uuid="a3c6b9a8-4b8f-4e5e-9c52-1f4f0c7e6d10",
                check_code="1",
            )
        bad = httpx.post(f"{server.url}/_fake/faults", json={"fault": "nonsense"})
        assert bad.status_code == 400
        assert httpx.post(f"{server.url}/_fake/reset").status_code == 200
        assert fake.outbox.last_code(PHONE) is None
        assert httpx.get(f"{server.url}/_fake/health").json() == {"status": "ok"}


def test_outbox_query_keeps_a_literal_plus(fake: FakeDing) -> None:
    with (
        fake.serve() as server,
        fake.client(server_url=server.url + "/v1", client=None) as client,
    ):
        client.otp.create_authentication(phone_number=PHONE)
        raw = httpx.get(f"{server.url}/_fake/outbox/last?phone_number={PHONE}")
    assert raw.status_code == 200
    assert raw.json()["code"] == fake.outbox.last_code(PHONE)


@pytest.mark.parametrize(
    "make",
    [
        lambda: Fault.server_error(200),
        lambda: Fault.server_error(1000),
        lambda: Fault.html_error(204),
        lambda: Fault.delay(float("inf")),
        lambda: Fault.delay(-1),
        lambda: Fault.rate_limited(retry_after=float("nan")),
    ],
)
def test_nonsense_faults_are_refused(make: Callable[[], Fault]) -> None:
    with pytest.raises(ding.UsageError):
        make()


def test_nonsense_faults_over_http_are_400(fake: FakeDing) -> None:
    with fake.serve() as server:
        answer = httpx.post(
            f"{server.url}/_fake/faults",
            json={"operation": "check", "fault": "delay", "seconds": "inf"},
        )
    assert answer.status_code == 400
    assert fake.faults.pending == 0


@pytest.mark.parametrize(
    "server_url",
    ["https://api.ding.live/v1", "https://ding.fake/v1", "http://x.localhost:9/v1"],
)
def test_the_fake_reads_only_the_path_so_the_default_url_reaches_it(
    fake: FakeDing, server_url: str
) -> None:
    # Through its transport, any server URL whose path is /v1 reaches the fake,
    # the SDK's default one too (given by leaving server_url out).
    http = httpx.AsyncClient(transport=fake.transport())
    client = (
        ding.Ding(api_key="k", customer_uuid=DEFAULT_CUSTOMER_UUID, client=http)
        if server_url == ding.SERVERS[0]
        else ding.Ding(
            api_key="k",
            customer_uuid=DEFAULT_CUSTOMER_UUID,
            client=http,
            server_url=server_url,
        )
    )
    with client:
        assert client.server_url == server_url
        sent = client.otp.create_authentication(phone_number=PHONE)
    message = fake.outbox.last(PHONE)
    assert message is not None
    assert message.authentication_uuid == sent.authentication_uuid


def test_a_fault_spec_defaults_to_any_operation_and_the_next_call(
    fake: FakeDing,
) -> None:
    # Without "operation" the fault is for any operation ("*"); without
    # "times" or "on_call", for the next call only.
    with (
        fake.serve() as server,
        fake.client(
            server_url=server.url + "/v1", client=None, max_retries=0
        ) as client,
    ):
        scheduled = httpx.post(
            f"{server.url}/_fake/faults", json={"fault": "server_error"}
        )
        assert scheduled.json() == {"scheduled": "server_error"}
        with pytest.raises(ding.ServerError):
            client.lookup.lookup(PHONE)
        assert client.lookup.lookup(PHONE).status_code == 200
        httpx.post(f"{server.url}/_fake/faults", json={"fault": "server_error"})
        with pytest.raises(ding.ServerError):
            client.otp.create_authentication(phone_number=PHONE)
        assert client.otp.create_authentication(phone_number=PHONE).status_code == 200
    assert fake.faults.pending == 0
