"""AsyncDing: configuration, headers, every operation in both calling styles."""

from __future__ import annotations

import datetime as dt
import json
import warnings
from typing import TYPE_CHECKING

import httpx
import pytest

import ding
from ding.models import components, operations, shared
from tests._stub import AUTH_UUID, CUSTOMER_UUID, StubDing, json_reply

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from tests.conftest import Connect

pytestmark = pytest.mark.anyio


def body(request: httpx.Request) -> object:
    return json.loads(request.content)


# -- configuration -----------------------------------------------------------


def test_api_key_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DING_API_KEY", "env-key")
    monkeypatch.setenv("DING_CUSTOMER_UUID", CUSTOMER_UUID)
    monkeypatch.setenv("DING_BASE_URL", "http://localhost:1234/v1/")
    client = ding.AsyncDing()
    assert client._pipeline.api_key.value == "env-key"
    assert client.customer_uuid == CUSTOMER_UUID
    assert client.server_url == "http://localhost:1234/v1"


def test_missing_api_key_is_a_usage_error() -> None:
    with pytest.raises(ding.UsageError, match="DING_API_KEY"):
        ding.AsyncDing()


def test_empty_api_key_is_accepted() -> None:
    # The seed document's own example passes api_key="".
    assert ding.AsyncDing(api_key="").server_url == "https://api.ding.live/v1"


@pytest.mark.parametrize("bad", ["k\u00e9y", "key\r\nx-evil: 1", "tab\there"])
def test_api_key_that_cannot_be_a_header_is_refused_without_echo(bad: str) -> None:
    with pytest.raises(ding.UsageError) as info:
        ding.AsyncDing(api_key=bad)
    assert bad not in str(info.value)
    assert bad not in repr(info.value)


def test_server_idx_and_url_params() -> None:
    assert (
        ding.AsyncDing(api_key="k", server_idx=0).server_url
        == "https://api.ding.live/v1"
    )
    with pytest.raises(ding.UsageError, match="server_idx"):
        ding.AsyncDing(api_key="k", server_idx=1)
    client = ding.AsyncDing(
        api_key="k",
        server_url="http://{host}:8080/v1",
        url_params={"host": "localhost"},
    )
    assert client.server_url == "http://localhost:8080/v1"


@pytest.mark.parametrize("url", ["not a url", "ftp://x/v1", "/relative"])
def test_bad_server_url_is_a_usage_error(url: str) -> None:
    with pytest.raises(ding.UsageError, match="server_url"):
        ding.AsyncDing(api_key="k", server_url=url)


def test_wrong_client_type_is_a_usage_error_naming_both_types() -> None:
    # The likely slip: the sync httpx client handed to the async SDK.
    with httpx.Client() as sync_http, pytest.raises(ding.UsageError) as info:
        ding.AsyncDing(api_key="k", client=sync_http)  # type: ignore[arg-type]
    assert str(info.value) == "client must be an httpx.AsyncClient, not httpx.Client"


def test_server_idx_wins_over_ding_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    # An argument beats the environment, as with server_url.
    monkeypatch.setenv("DING_BASE_URL", "https://elsewhere.example/v1")
    client = ding.AsyncDing(api_key="k", server_idx=0)
    assert client.server_url == "https://api.ding.live/v1"


def test_repr_hides_the_key() -> None:
    client = ding.AsyncDing(api_key="super-secret-key", customer_uuid=CUSTOMER_UUID)
    assert "super-secret-key" not in repr(client)
    assert "super-secret-key" not in repr(client.__dict__)
    assert "super-secret-key" not in repr(client.with_options(timeout=1))


def test_construction_creates_no_http_client() -> None:
    client = ding.AsyncDing(api_key="k")
    assert client._pipeline.pool.client is None


async def test_headers_sent(client: ding.AsyncDing, stub: StubDing) -> None:
    await client.otp.create_authentication(phone_number="+14155550123")
    sent = stub.last.headers
    assert sent["x-api-key"] == "test-key"
    assert sent["user-agent"].startswith(f"ding-python/{ding.__version__} ")
    assert sent["accept"] == "application/json"
    assert sent["content-type"] == "application/json"


async def test_default_and_extra_headers(connect: Connect, stub: StubDing) -> None:
    client = connect(api_key="k", default_headers={"X-Team": "growth"})
    await client.otp.retry(authentication_uuid=AUTH_UUID, extra_headers={"X-Req": "1"})
    assert stub.last.headers["x-team"] == "growth"
    assert stub.last.headers["x-req"] == "1"


async def test_injected_client_settings_respected_and_not_closed(
    stub: StubDing,
) -> None:
    seen: list[str] = []

    async def hook(request: httpx.Request) -> None:
        seen.append(request.url.path)

    http = httpx.AsyncClient(
        transport=stub.async_transport(),
        headers={"user-agent": "my-app/1.0", "x-tenant": "t1"},
        event_hooks={"request": [hook]},
        timeout=httpx.Timeout(3.0),
    )
    async with ding.AsyncDing(
        api_key="k", client=http, customer_uuid=CUSTOMER_UUID
    ) as client:
        await client.otp.check(authentication_uuid=AUTH_UUID, check_code="1234")
    assert seen == ["/v1/check"]
    assert stub.last.headers["user-agent"] == "my-app/1.0"
    assert stub.last.headers["x-tenant"] == "t1"
    assert stub.last.extensions["timeout"]["read"] == 3.0
    assert not http.is_closed
    await http.aclose()


async def test_per_call_timeout_overrides(client: ding.AsyncDing) -> None:
    res = await client.otp.check(
        authentication_uuid=AUTH_UUID, check_code="1", timeout=1.5
    )
    # What the transport was handed (the request it received is this one).
    assert res.raw_response is not None
    assert res.raw_response.request.extensions["timeout"] == {
        "connect": 1.5,
        "read": 1.5,
        "write": 1.5,
        "pool": 1.5,
    }


async def test_owned_client_has_finite_timeouts_and_is_closed(
    tcp_stub: tuple[StubDing, str],
) -> None:
    stub, url = tcp_stub
    client = ding.AsyncDing(api_key="k", customer_uuid=CUSTOMER_UUID, server_url=url)
    res = await client.otp.check(authentication_uuid=AUTH_UUID, check_code="1")
    assert res.raw_response is not None
    timeouts = res.raw_response.request.extensions["timeout"]
    assert timeouts == {"connect": 5.0, "read": 15.0, "write": 15.0, "pool": 15.0}
    own = client._pipeline.pool.client
    assert own is not None
    await client.aclose()
    assert own.is_closed
    assert stub.last.url.path == "/v1/check"


async def test_with_options_shares_the_pool(
    client: ding.AsyncDing, stub: StubDing
) -> None:
    other = client.with_options(customer_uuid="c2", api_key="k2", max_retries=5)
    assert other._pipeline.pool.lender is client._pipeline.pool
    # A copy of a copy borrows from the owner too.
    assert other.with_options()._pipeline.pool.lender is client._pipeline.pool
    assert other.max_retries == 5
    assert client.max_retries == 0
    await other.otp.check(authentication_uuid=AUTH_UUID, check_code="1")
    assert stub.last.headers["x-api-key"] == "k2"
    assert body(stub.last) == {
        "customer_uuid": "c2",
        "authentication_uuid": AUTH_UUID,
        "check_code": "1",
    }
    await client.otp.check(authentication_uuid=AUTH_UUID, check_code="1")
    assert stub.last.headers["x-api-key"] == "test-key"


async def test_closing_a_copy_leaves_the_original_working(
    client: ding.AsyncDing, stub: StubDing
) -> None:
    async with client.with_options(max_retries=1) as copy:
        await copy.otp.check(authentication_uuid=AUTH_UUID, check_code="1")
    await client.with_options(timeout=3).aclose()
    with pytest.raises(ding.UsageError, match="closed"):
        await copy.otp.check(authentication_uuid=AUTH_UUID, check_code="1")
    res = await client.otp.check(authentication_uuid=AUTH_UUID, check_code="1")
    assert res.status_code == 200
    assert len(stub.requests) == 2


async def test_closing_the_original_closes_the_pool_for_every_copy(
    client: ding.AsyncDing,
) -> None:
    copy = client.with_options(max_retries=1)
    await client.otp.check(authentication_uuid=AUTH_UUID, check_code="1")
    own = client._pipeline.pool.client
    await client.aclose()
    assert own is None or own.is_closed
    with pytest.raises(ding.UsageError, match="closed"):
        await copy.otp.check(authentication_uuid=AUTH_UUID, check_code="1")
    with pytest.raises(ding.UsageError, match="closed"):
        await copy.with_options().otp.check(
            authentication_uuid=AUTH_UUID, check_code="1"
        )


async def test_closed_client_refuses_calls() -> None:
    client = ding.AsyncDing(api_key="k", customer_uuid=CUSTOMER_UUID)
    await client.aclose()
    await client.aclose()  # idempotent
    with pytest.raises(ding.UsageError, match="closed"):
        await client.otp.check(authentication_uuid=AUTH_UUID, check_code="1")


# -- operations --------------------------------------------------------------


async def test_create_authentication_keywords(
    client: ding.AsyncDing, stub: StubDing
) -> None:
    res = await client.otp.create_authentication(
        phone_number="+14155550123",
        device_type=components.DeviceType.IOS,
        is_returning_user=False,
    )
    assert isinstance(res, operations.CreateAuthenticationResponse)
    assert res.status_code == 200
    assert res.content_type == "application/json"
    assert res.raw_response is not None
    assert res.create_authentication_response is not None
    assert res.create_authentication_response.authentication_uuid == AUTH_UUID
    assert res.create_authentication_response.status == shared.Status.PENDING
    assert res.create_authentication_response.expires_at is not None
    assert body(stub.last) == {
        "customer_uuid": CUSTOMER_UUID,
        "phone_number": "+14155550123",
        "device_type": "IOS",
        "is_returning_user": False,
    }
    assert stub.last.url.path == "/v1/authentication"


async def test_post_authentication_seed_request(
    client: ding.AsyncDing, stub: StubDing
) -> None:
    req = shared.CreateAuthenticationRequest(
        customer_uuid="f5d6d1dc-4ce6-4232-8707-1b4af2d537d4",
        phone_number="+14155550123",
        app_realm="1234567890",
    )
    res = await client.otp.post_authentication(req)
    assert isinstance(res, operations.PostAuthenticationResponse)
    assert res.create_authentication_response is not None
    assert body(stub.last) == {
        "customer_uuid": "f5d6d1dc-4ce6-4232-8707-1b4af2d537d4",
        "phone_number": "+14155550123",
        "app_realm": "1234567890",
    }


async def test_request_as_mapping(client: ding.AsyncDing, stub: StubDing) -> None:
    await client.otp.create_authentication({"phone_number": "+33600000000"})
    assert body(stub.last) == {
        "customer_uuid": CUSTOMER_UUID,
        "phone_number": "+33600000000",
    }


async def test_request_and_keywords_together_is_a_usage_error(
    client: ding.AsyncDing, stub: StubDing
) -> None:
    req = shared.CreateCheckRequest(authentication_uuid=AUTH_UUID, check_code="1")
    with pytest.raises(ding.UsageError, match="not both"):
        await client.otp.check(req, check_code="2")  # type: ignore[call-overload]
    assert stub.requests == []


async def test_missing_required_field_is_a_usage_error(
    client: ding.AsyncDing, stub: StubDing
) -> None:
    with pytest.raises(ding.UsageError, match="phone_number"):
        await client.otp.create_authentication()  # type: ignore[call-overload]
    with pytest.raises(ding.UsageError, match="unknown field"):
        await client.otp.create_authentication({"phone_number": "+1", "phone": "x"})
    with pytest.raises(ding.UsageError, match="request must be"):
        await client.otp.check(42)  # type: ignore[call-overload]
    assert stub.requests == []


async def test_missing_customer_uuid_is_a_usage_error(
    connect: Connect, stub: StubDing
) -> None:
    client = connect(api_key="k", customer_uuid=None)
    with pytest.raises(ding.UsageError, match="customer_uuid"):
        await client.otp.retry(authentication_uuid=AUTH_UUID)
    assert stub.requests == []


async def test_unserialisable_field_is_a_usage_error(client: ding.AsyncDing) -> None:
    with pytest.raises(ding.UsageError, match="phone_number must be a string"):
        await client.otp.create_authentication(phone_number=object())  # type: ignore[call-overload]
    # Past the type check (which every operation runs first), the encoder's
    # own refusal is a UsageError too.
    with pytest.raises(ding.UsageError, match="JSON"):
        await client._pipeline.post(
            "/authentication",
            shared.CreateAuthenticationRequest(phone_number=object()),  # type: ignore[arg-type]
            components.CreateAuthenticationResponse,
            operation="otp.create_authentication",
            timeout=ding.NOT_GIVEN,
            extra_headers=None,
        )


async def test_check_and_post_check(client: ding.AsyncDing, stub: StubDing) -> None:
    res = await client.otp.check(authentication_uuid=AUTH_UUID, check_code="123456")
    assert isinstance(res, operations.CheckResponse)
    assert res.create_check_response is not None
    assert res.create_check_response.status == components.CheckStatus.VALID
    assert res.create_check_response.status == shared.CreateCheckResponseStatus.VALID
    seed = await client.otp.post_check(
        shared.CreateCheckRequest(
            authentication_uuid=AUTH_UUID,
            check_code="123456",
            customer_uuid=CUSTOMER_UUID,
        ),
    )
    assert isinstance(seed, operations.PostCheckResponse)
    assert body(stub.last) == {
        "customer_uuid": CUSTOMER_UUID,
        "authentication_uuid": AUTH_UUID,
        "check_code": "123456",
    }


async def test_retry_and_post_retry(client: ding.AsyncDing, stub: StubDing) -> None:
    res = await client.otp.retry(authentication_uuid=AUTH_UUID)
    assert isinstance(res, operations.RetryResponse)
    r = res.retry_authentication_response
    assert r is not None
    assert r.status == shared.RetryAuthenticationResponseStatus.APPROVED
    assert r.remaining_retry == 2
    assert r.next_retry_at is not None
    assert r.next_retry_at.utcoffset() is not None
    seed = await client.otp.post_retry(
        shared.RetryAuthenticationRequest(authentication_uuid=AUTH_UUID),
    )
    assert seed.retry_authentication_response == r
    assert stub.last.url.path == "/v1/retry"


async def test_get_authentication_status(
    client: ding.AsyncDing, stub: StubDing
) -> None:
    res = await client.otp.get_authentication_status(AUTH_UUID)
    assert isinstance(res, operations.GetAuthenticationStatusResponse)
    status = res.authentication_status_response
    assert status is not None
    assert status.uuid == AUTH_UUID
    assert status.events is not None
    kinds = [type(e) for e in status.events]
    assert kinds == [
        components.Attempt,
        components.Check,
        components.DeliveryStatus,
        components.BalanceUpdate,
    ]
    assert stub.last.method == "GET"
    assert stub.last.url.path == f"/v1/authentication/{AUTH_UUID}"
    assert "content-type" not in stub.last.headers


async def test_path_parameters_are_escaped(
    client: ding.AsyncDing, stub: StubDing
) -> None:
    await client.otp.get_authentication_status("../lookup/x?y=1")
    assert stub.last.url.raw_path == b"/v1/authentication/..%2Flookup%2Fx%3Fy%3D1"
    with pytest.raises(ding.UsageError, match="auth_uuid"):
        await client.otp.get_authentication_status("")


async def test_feedback(client: ding.AsyncDing, stub: StubDing) -> None:
    res = await client.otp.feedback(phone_number="+14155550123", status="onboarded")
    assert isinstance(res, operations.FeedbackResponse)
    assert res.feedback_response is not None
    assert res.feedback_response.uuid == "123e4567-e89b-12d3-a456-4266141740a0"
    assert body(stub.last) == {
        "customer_uuid": CUSTOMER_UUID,
        "phone_number": "+14155550123",
        "status": "onboarded",
    }
    assert stub.last.url.path == "/v1/authentication/feedback"


async def test_lookup(client: ding.AsyncDing, stub: StubDing) -> None:
    res = await client.lookup.lookup("+14155550123", type_="cnam")
    assert isinstance(res, operations.LookupResponse)
    lk = res.lookup_response
    assert lk is not None
    assert lk.line_type == shared.LineType.MOBILE
    assert lk.caller_name == "JOHN DOE"
    assert stub.last.method == "GET"
    assert stub.last.url.raw_path == b"/v1/lookup/%2B14155550123?type=cnam"
    assert stub.last.headers["customer-uuid"] == CUSTOMER_UUID


async def test_post_lookup_seed_style(client: ding.AsyncDing, stub: StubDing) -> None:
    res = await client.lookup.post_lookup(
        customer_uuid="f5d6d1dc-4ce6-4232-8707-1b4af2d537d4",
        lookup_request=shared.LookupRequest(phone_number="+14155550123"),
    )
    assert isinstance(res, operations.PostLookupResponse)
    assert res.lookup_response is not None
    assert res.lookup_response.caller_name is None
    assert stub.last.method == "GET"
    assert stub.last.url.raw_path == b"/v1/lookup/%2B14155550123"
    assert stub.last.headers["customer-uuid"] == "f5d6d1dc-4ce6-4232-8707-1b4af2d537d4"
    with pytest.raises(ding.UsageError, match="LookupRequest"):
        await client.lookup.post_lookup(CUSTOMER_UUID)


async def test_unknown_enum_values_and_fields_still_populate(
    client: ding.AsyncDing, stub: StubDing
) -> None:
    stub.script.append(
        json_reply(
            200,
            {
                "authentication_uuid": AUTH_UUID,
                "status": "queued_for_carrier_pigeon",
                "brand_new_field": {"nested": [1, 2]},
                "created_at": "2024-11-07T05:31:56.1+0000",
            },
        ),
    )
    res = await client.otp.create_authentication(phone_number="+14155550123")
    created = res.create_authentication_response
    assert created is not None
    assert created.status == "queued_for_carrier_pigeon"
    assert not isinstance(created.status, shared.Status)
    assert created.authentication_uuid == AUTH_UUID

    stub.script.append(
        json_reply(200, {"status": "unknown", "authentication_uuid": AUTH_UUID})
    )
    check = await client.otp.check(authentication_uuid=AUTH_UUID, check_code="1")
    assert check.create_check_response is not None
    assert check.create_check_response.status == components.CheckStatus.UNKNOWN

    stub.script.append(
        json_reply(200, {"line_type": "Hologram", "temporary_phone_number": True})
    )
    lk = await client.lookup.lookup("+14155550123")
    assert lk.lookup_response is not None
    assert lk.lookup_response.line_type == "Hologram"
    assert lk.lookup_response.temporary_phone_number is True


async def test_no_content_returns_an_empty_envelope(
    client: ding.AsyncDing, stub: StubDing
) -> None:
    stub.script.append((204, {}, b""))
    res = await client.otp.retry(authentication_uuid=AUTH_UUID)
    assert res.status_code == 204
    assert res.retry_authentication_response is None


def test_no_warning_on_import() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ding.AsyncDing(api_key="k")


# -- what a refused call says ------------------------------------------------


async def test_a_closed_client_says_it_is_closed_and_what_to_do() -> None:
    client = ding.AsyncDing(api_key="k", customer_uuid=CUSTOMER_UUID)
    await client.aclose()
    with pytest.raises(ding.UsageError) as info:
        await client.otp.check(authentication_uuid=AUTH_UUID, check_code="1")
    assert str(info.value) == "this client is closed; create a new one"


async def test_a_closed_injected_client_is_named_as_the_cause(stub: StubDing) -> None:
    http = httpx.AsyncClient(transport=stub.async_transport())
    client = ding.AsyncDing(
        api_key="k",
        server_url="https://stub.test/v1",
        customer_uuid=CUSTOMER_UUID,
        client=http,
    )
    await http.aclose()
    with pytest.raises(ding.UsageError) as info:
        await client.otp.check(authentication_uuid=AUTH_UUID, check_code="1")
    assert str(info.value) == "the httpx.AsyncClient passed as client= is closed"
    assert stub.requests == []


async def test_a_missing_customer_uuid_says_where_to_set_it(
    connect: Connect, stub: StubDing
) -> None:
    client = connect(api_key="k", customer_uuid=None)
    with pytest.raises(ding.UsageError) as info:
        await client.otp.create_authentication(phone_number="+14155550123")
    assert str(info.value) == (
        "no customer_uuid: pass it to the operation or to the client, "
        "or set the DING_CUSTOMER_UUID environment variable"
    )
    assert stub.requests == []


async def test_a_body_the_encoder_refuses_names_the_request_type(
    client: ding.AsyncDing, stub: StubDing
) -> None:
    with pytest.raises(ding.UsageError) as info:
        await client._pipeline.post(
            "/authentication",
            shared.CreateAuthenticationRequest(phone_number=object()),  # type: ignore[arg-type]
            components.CreateAuthenticationResponse,
            operation="otp.create_authentication",
            timeout=ding.NOT_GIVEN,
            extra_headers=None,
        )
    assert str(info.value).startswith(
        "the CreateAuthenticationRequest cannot be sent as JSON: "
    )
    assert stub.requests == []


async def test_a_request_that_cannot_be_built_is_a_usage_error_naming_it(
    client: ding.AsyncDing, stub: StubDing
) -> None:
    # A URL longer than httpx accepts: nothing is sent. (A phone number that
    # long is refused sooner, with phonenumbers installed: too long.)
    with pytest.raises(ding.UsageError) as info:
        await client.otp.get_authentication_status("a" * 70_000)
    assert str(info.value).startswith(
        "cannot build the request for GET /authentication/aaa"
    )
    assert isinstance(info.value.__cause__, httpx.InvalidURL)
    assert stub.requests == []


async def test_a_result_s_response_says_how_long_the_attempt_took(
    client: ding.AsyncDing,
) -> None:
    # Results are httpx.Responses whichever transport sends them: elapsed
    # is set, and is the attempt's time, not a clock reading.
    res = await client.otp.check(authentication_uuid=AUTH_UUID, check_code="1")
    assert res.raw_response is not None
    elapsed = res.raw_response.elapsed
    assert isinstance(elapsed, dt.timedelta)
    assert dt.timedelta(0) <= elapsed < dt.timedelta(seconds=30)


async def test_an_injected_client_sends_every_call_of_every_copy(
    stub: StubDing,
) -> None:
    # "That client, as it is": its headers (a Connection header included)
    # and its hooks apply to the calls of with_options copies too.
    seen: list[str] = []

    async def hook(request: httpx.Request) -> None:
        seen.append(request.url.path)

    http = httpx.AsyncClient(
        transport=stub.async_transport(),
        headers={"connection": "close", "x-tenant": "t1"},
        event_hooks={"request": [hook]},
    )
    async with (
        http,
        ding.AsyncDing(
            api_key="k",
            server_url="https://stub.test/v1",
            client=http,
            customer_uuid=CUSTOMER_UUID,
        ) as client,
    ):
        copy = client.with_options(timeout=3, max_retries=0)
        await client.otp.check(authentication_uuid=AUTH_UUID, check_code="1")
        await copy.otp.check(authentication_uuid=AUTH_UUID, check_code="1")
        await copy.otp.get_authentication_status(AUTH_UUID)
    assert seen == ["/v1/check", "/v1/check", f"/v1/authentication/{AUTH_UUID}"]
    for request in stub.requests:
        assert request.headers["connection"] == "close"
        assert request.headers["x-tenant"] == "t1"


async def test_seed_post_lookup_honours_the_per_call_timeout_and_extra_headers(
    client: ding.AsyncDing, stub: StubDing
) -> None:
    # post_lookup takes the same per-call options as every operation: the
    # timeout it is given is the one the transport gets, and its extra
    # headers go on the wire.
    res = await client.lookup.post_lookup(
        CUSTOMER_UUID,
        {"phone_number": "+14155550123"},
        timeout=2.5,
        extra_headers={"X-Req": "seed"},
    )
    assert res.raw_response is not None
    assert res.raw_response.request.extensions["timeout"] == {
        "connect": 2.5,
        "read": 2.5,
        "write": 2.5,
        "pool": 2.5,
    }
    assert stub.last.headers["x-req"] == "seed"


def test_not_given_is_falsy() -> None:
    # NOT_GIVEN is typed Literal[False] when tested for truth, so callers
    # may write `if timeout:` to mean "given, and a bound".
    assert not ding.NOT_GIVEN
    assert bool(ding.NOT_GIVEN) is False
    assert repr(ding.NOT_GIVEN) == "NOT_GIVEN"


def test_missing_or_unsendable_api_key_messages() -> None:
    # The messages tell what to do, and never quote the key.
    with pytest.raises(ding.UsageError) as info:
        ding.AsyncDing()
    assert str(info.value) == (
        "no API key: pass api_key=... or set the DING_API_KEY environment variable"
    )
    with pytest.raises(ding.UsageError) as info:
        ding.AsyncDing(api_key=" padded-key ")
    assert str(info.value) == (
        "api_key must be a string of printable ASCII characters "
        "without leading or trailing spaces"
    )


def test_client_repr_names_its_class_url_and_customer() -> None:
    client = ding.AsyncDing(
        api_key="super-secret-key",
        server_url="https://api.example.com/v1",
        customer_uuid=CUSTOMER_UUID,
    )
    assert repr(client) == (
        "AsyncDing(server_url='https://api.example.com/v1', "
        f"customer_uuid='{CUSTOMER_UUID}')"
    )


async def test_with_options_merges_default_headers_over_the_clients(
    connect: Connect, stub: StubDing
) -> None:
    client = connect(api_key="k", default_headers={"X-Team": "growth", "X-Env": "a"})
    copy = client.with_options(default_headers={"X-Env": "b", "X-Req": "1"})
    await copy.otp.retry(authentication_uuid=AUTH_UUID)
    assert stub.last.headers["x-team"] == "growth"
    assert stub.last.headers["x-env"] == "b"
    assert stub.last.headers["x-req"] == "1"
    assert stub.last.headers["accept"] == "application/json"
    # The client it was made from keeps its own headers.
    await client.otp.retry(authentication_uuid=AUTH_UUID)
    assert stub.last.headers["x-env"] == "a"
    assert "x-req" not in stub.last.headers


async def test_a_default_header_replaces_the_sdks_of_the_same_name_in_any_case(
    connect: Connect, stub: StubDing
) -> None:
    # Header names are case-insensitive: the caller's value is sent instead
    # of the SDK's, never beside it.
    client = connect(
        api_key="k",
        default_headers={"ACCEPT": "application/json; q=1", "User-Agent": "app/2"},
    )
    await client.otp.retry(authentication_uuid=AUTH_UUID)
    assert stub.last.headers.get_list("accept") == ["application/json; q=1"]
    assert stub.last.headers.get_list("user-agent") == ["app/2"]


async def test_a_json_body_is_sent_as_json_whatever_content_type_the_headers_give(
    connect: Connect, stub: StubDing
) -> None:
    client = connect(api_key="k", default_headers={"Content-Type": "text/plain"})
    await client.otp.retry(authentication_uuid=AUTH_UUID)
    await client.otp.check(
        authentication_uuid=AUTH_UUID,
        check_code="1",
        extra_headers={"content-type": "text/csv"},
    )
    assert [r.headers.get_list("content-type") for r in stub.requests] == [
        ["application/json"],
        ["application/json"],
    ]


def test_with_options_refuses_an_unsendable_api_key_with_its_message() -> None:
    client = ding.AsyncDing(api_key="k")
    with pytest.raises(ding.UsageError) as info:
        client.with_options(api_key="key\r\nx-evil: 1")
    assert str(info.value) == (
        "api_key must be a string of printable ASCII characters "
        "without leading or trailing spaces"
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"total_timeout": 0},
            "total_timeout must be None or a positive number of seconds",
        ),
        ({"max_retries": -1}, "max_retries must be a non-negative integer"),
        ({"server_url": 5}, "server_url must be a string"),
        (
            {"allow_insecure_http": "yes"},
            "allow_insecure_http must be True or False",
        ),
        ({"server_idx": "0"}, "server_idx must be an integer"),
        ({"server_idx": 1}, "server_idx must be between 0 and 0, got 1"),
        (
            {"server_url": "https://{host}/v1", "url_params": {"host": 5}},
            "url_params['host'] must be a string",
        ),
        (
            {"timeout": -1},
            (
                "timeout must be None, an httpx.Timeout or a finite, "
                "non-negative number of seconds, not -1"
            ),
        ),
        (
            {"default_headers": [("x-a", "1")]},
            "headers must be a mapping of names to values",
        ),
        (
            {"default_headers": {"bad name": "1"}},
            "'bad name' is not a valid HTTP header name",
        ),
        (
            {"default_headers": {"Content-Length": "7"}},
            "header 'Content-Length' is set from each request's body; it cannot be given",
        ),
        (
            {"default_headers": {"transfer-encoding": "chunked"}},
            (
                "header 'transfer-encoding' is set from each request's body; "
                "it cannot be given"
            ),
        ),
        (
            {"default_headers": {"x-a": " 1"}},
            (
                "header 'x-a' must be a string of printable ASCII characters "
                "without leading or trailing spaces"
            ),
        ),
    ],
)
def test_invalid_settings_are_refused_with_messages_naming_the_setting(
    kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(ding.UsageError) as info:
        ding.AsyncDing(api_key="k", **kwargs)  # type: ignore[arg-type]
    assert str(info.value) == message


@pytest.mark.parametrize("name", ["Transfer-Encoding", "content-length"])
async def test_a_framing_header_is_refused_per_call_and_in_copies_before_any_send(
    connect: Connect, stub: StubDing, name: str
) -> None:
    # With a JSON body, httpx would send both Content-Length and the given
    # header: a request a server may read wrongly, or wait on for good.
    client = connect(api_key="k")
    with pytest.raises(ding.UsageError, match=f"'{name}' is set from each request"):
        await client.otp.create_authentication(
            phone_number="+14155550123", extra_headers={name: "chunked"}
        )
    with pytest.raises(ding.UsageError, match=f"'{name}' is set from each request"):
        client.with_options(default_headers={name: "9"})
    assert stub.requests == []


_EVERY_OPERATION = (
    "create_authentication",
    "check",
    "retry",
    "get_authentication_status",
    "feedback",
    "lookup",
)


async def _raw_response(
    client: ding.AsyncDing,
    operation: str,
    timeout: float,
    extra_headers: dict[str, str],
) -> httpx.Response | None:
    if operation == "create_authentication":
        return (
            await client.otp.create_authentication(
                phone_number="+14155550123",
                timeout=timeout,
                extra_headers=extra_headers,
            )
        ).raw_response
    if operation == "check":
        return (
            await client.otp.check(
                authentication_uuid=AUTH_UUID,
                check_code="1",
                timeout=timeout,
                extra_headers=extra_headers,
            )
        ).raw_response
    if operation == "retry":
        return (
            await client.otp.retry(
                authentication_uuid=AUTH_UUID,
                timeout=timeout,
                extra_headers=extra_headers,
            )
        ).raw_response
    if operation == "get_authentication_status":
        return (
            await client.otp.get_authentication_status(
                AUTH_UUID, timeout=timeout, extra_headers=extra_headers
            )
        ).raw_response
    if operation == "feedback":
        return (
            await client.otp.feedback(
                phone_number="+14155550123",
                status="onboarded",
                timeout=timeout,
                extra_headers=extra_headers,
            )
        ).raw_response
    return (
        await client.lookup.lookup(
            "+14155550123", timeout=timeout, extra_headers=extra_headers
        )
    ).raw_response


@pytest.mark.parametrize("operation", _EVERY_OPERATION)
async def test_every_operation_honours_its_per_call_timeout_and_extra_headers(
    client: ding.AsyncDing, stub: StubDing, operation: str
) -> None:
    raw = await _raw_response(client, operation, 2.5, {"X-Req": operation})
    assert raw is not None
    assert raw.request.extensions["timeout"] == {
        "connect": 2.5,
        "read": 2.5,
        "write": 2.5,
        "pool": 2.5,
    }
    assert stub.last.headers["x-req"] == operation


async def test_a_request_that_cannot_be_built_is_refused_naming_every_field(
    client: ding.AsyncDing, stub: StubDing
) -> None:
    # The message names every missing or unknown field, so one fix suffices.
    with pytest.raises(ding.UsageError) as info:
        await client.otp.check({})
    assert str(info.value) == (
        "invalid CreateCheckRequest: missing required field(s): "
        "authentication_uuid, check_code"
    )
    with pytest.raises(ding.UsageError) as info:
        await client.otp.check(
            {"authentication_uuid": AUTH_UUID, "check_code": "1", "zeta": 1, "alpha": 2}
        )
    assert (
        str(info.value) == "invalid CreateCheckRequest: unknown field(s): alpha, zeta"
    )
    # A mapping whose keys are not all names: no field is quoted.
    with pytest.raises(ding.UsageError) as info:
        await client.otp.check(
            {"authentication_uuid": AUTH_UUID, "check_code": "1", 1: "x"}  # type: ignore[dict-item]
        )
    assert str(info.value) == (
        "invalid CreateCheckRequest: field names must be strings, not int"
    )
    with pytest.raises(ding.UsageError) as info:
        await client.otp.check(  # type: ignore[call-overload]
            {"authentication_uuid": AUTH_UUID}, check_code="1", customer_uuid="c"
        )
    assert str(info.value) == (
        "pass either a request object or keyword fields, not both "
        "(got request and check_code, customer_uuid)"
    )
    assert stub.requests == []


_UNSENDABLE = (
    "a string of printable ASCII characters without leading or trailing spaces"
)


_REFUSED_ARGUMENTS: list[tuple[Callable[[ding.AsyncDing], Awaitable[object]], str]] = [
    (
        lambda c: c.lookup.lookup(".."),
        "phone_number must be a non-empty string other than '.' and '..'",
    ),
    (
        lambda c: c.otp.get_authentication_status("."),
        "auth_uuid must be a non-empty string other than '.' and '..'",
    ),
    (
        lambda c: c.lookup.lookup("+33612345678", customer_uuid="a\nb"),
        f"customer_uuid must be {_UNSENDABLE}",
    ),
    (
        lambda c: c.lookup.lookup("+33612345678", type_=[1]),  # type: ignore[list-item]
        "type_ must be a string or a sequence of strings",
    ),
]


@pytest.mark.parametrize(("call", "message"), _REFUSED_ARGUMENTS)
async def test_arguments_that_cannot_be_sent_are_refused_by_name(
    client: ding.AsyncDing,
    stub: StubDing,
    call: Callable[[ding.AsyncDing], Awaitable[object]],
    message: str,
) -> None:
    # Each message names the argument to fix; nothing is sent.
    with pytest.raises(ding.UsageError) as info:
        await call(client)
    assert str(info.value) == message
    assert stub.requests == []


def test_the_key_reads_redacted_where_settings_are_shown() -> None:
    # A traceback that shows locals (pytest --showlocals, rich) shows the
    # client's settings: the key is there as <redacted>, never as itself.
    client = ding.AsyncDing(api_key="super-secret-key", customer_uuid=CUSTOMER_UUID)
    shown = repr(client._pipeline)
    assert "api_key=<redacted>" in shown
    assert "super-secret-key" not in shown
    assert str(client._pipeline.api_key) == "<redacted>"


def test_a_timeout_of_zero_seconds_is_accepted() -> None:
    # "A finite, non-negative number of seconds": zero included.
    client = ding.AsyncDing(api_key="k", customer_uuid=CUSTOMER_UUID, timeout=0)
    assert client._pipeline.timeout == httpx.Timeout(0)
    assert client.with_options(timeout=0.0)._pipeline.timeout == httpx.Timeout(0)


async def test_a_request_that_is_neither_the_model_nor_a_mapping_is_named(
    client: ding.AsyncDing, stub: StubDing
) -> None:
    with pytest.raises(ding.UsageError) as info:
        await client.otp.check(42)  # type: ignore[call-overload]
    assert str(info.value) == (
        "request must be a CreateCheckRequest or a mapping, not int"
    )
    assert stub.requests == []
