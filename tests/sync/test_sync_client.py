"""`ding.Ding`, through the generated code: every operation, and the runtime."""

from __future__ import annotations

import asyncio
import copy
import pickle
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Final

import httpx
import pytest
import trio

import ding
from ding._sync import _portal
from ding.models import components, operations, shared
from tests._child import run_script
from tests._stub import AUTH_UUID, CUSTOMER_UUID, StubDing, json_reply

if TYPE_CHECKING:
    from collections.abc import Callable


def test_every_operation(
    sync_client: ding.Ding, tcp_stub: tuple[StubDing, str]
) -> None:
    stub, _ = tcp_stub
    created = sync_client.otp.create_authentication(phone_number="+14155550123")
    assert isinstance(created, operations.CreateAuthenticationResponse)
    assert created.create_authentication_response is not None
    assert created.create_authentication_response.status == shared.Status.PENDING
    assert stub.last.headers["x-api-key"] == "test-key"

    seed = sync_client.otp.post_authentication(
        shared.CreateAuthenticationRequest(phone_number="+14155550123"),
    )
    assert seed.create_authentication_response == created.create_authentication_response

    check = sync_client.otp.check(authentication_uuid=AUTH_UUID, check_code="123456")
    assert check.create_check_response is not None
    assert check.create_check_response.status == components.CheckStatus.VALID
    assert (
        sync_client.otp.post_check(
            shared.CreateCheckRequest(authentication_uuid=AUTH_UUID, check_code="1"),
        ).create_check_response
        == check.create_check_response
    )

    retry = sync_client.otp.retry(authentication_uuid=AUTH_UUID)
    assert retry.retry_authentication_response is not None
    assert retry.retry_authentication_response.remaining_retry == 2
    assert (
        sync_client.otp.post_retry(
            shared.RetryAuthenticationRequest(authentication_uuid=AUTH_UUID),
        ).retry_authentication_response
        == retry.retry_authentication_response
    )

    status = sync_client.otp.get_authentication_status(AUTH_UUID)
    assert status.authentication_status_response is not None
    assert status.authentication_status_response.events is not None
    assert len(status.authentication_status_response.events) == 4

    feedback = sync_client.otp.feedback(
        phone_number="+14155550123", status="not_onboarded"
    )
    assert feedback.feedback_response is not None

    lookup = sync_client.lookup.lookup("+14155550123", CUSTOMER_UUID, ["cnam"])
    assert lookup.lookup_response is not None
    assert lookup.lookup_response.caller_name == "JOHN DOE"
    seed_lookup = sync_client.lookup.post_lookup(
        CUSTOMER_UUID,
        shared.LookupRequest(phone_number="+14155550123"),
    )
    assert seed_lookup.lookup_response is not None
    assert seed_lookup.lookup_response.carrier == "AT&T"


def test_errors_come_through_unchanged(
    sync_client: ding.Ding, tcp_stub: tuple[StubDing, str]
) -> None:
    stub, _ = tcp_stub
    stub.script.append(json_reply(400, {"code": "invalid_auth_uuid", "message": "no"}))
    with pytest.raises(ding.ErrorResponse) as info:
        sync_client.otp.check(authentication_uuid="x", check_code="1")
    assert info.value.code == ding.models.errors.Code.INVALID_AUTH_UUID
    with pytest.raises(ding.UsageError):
        sync_client.otp.create_authentication()  # type: ignore[call-overload]


def test_with_options_and_repr(
    sync_client: ding.Ding, tcp_stub: tuple[StubDing, str]
) -> None:
    stub, _ = tcp_stub
    other = sync_client.with_options(api_key="other-key")
    assert isinstance(other, ding.Ding)
    assert isinstance(other.otp, ding.Otp)
    other.otp.retry(authentication_uuid=AUTH_UUID)
    assert stub.last.headers["x-api-key"] == "other-key"
    assert repr(sync_client).startswith("Ding(server_url=")
    assert "test-key" not in repr(sync_client)
    assert sync_client.customer_uuid == CUSTOMER_UUID


def test_with_options_gives_the_copy_every_setting(
    sync_client: ding.Ding, tcp_stub: tuple[StubDing, str]
) -> None:
    # Each setting given to the sync client's with_options is the copy's,
    # as with AsyncDing.with_options.
    stub, url = tcp_stub
    copy = sync_client.with_options(
        customer_uuid="c2", default_headers={"X-Team": "growth"}
    )
    assert copy.customer_uuid == "c2"
    copy.lookup.lookup("+14155550123")
    assert stub.last.headers["customer-uuid"] == "c2"
    assert stub.last.headers["x-team"] == "growth"
    with ding.Ding(
        api_key="k",
        server_url="https://api.example.com/v1",
        customer_uuid=CUSTOMER_UUID,
    ) as elsewhere:
        moved = elsewhere.with_options(server_url=url)
        assert moved.server_url == url
        moved.otp.retry(authentication_uuid=AUTH_UUID)
    assert len(stub.requests) == 2
    plain = sync_client.with_options(
        server_url="http://ding-fake:8080/v1", allow_insecure_http=True
    )
    assert plain.server_url == "http://ding-fake:8080/v1"
    with pytest.raises(ding.ResponseTooLargeError):
        sync_client.with_options(max_response_size=16).otp.retry(
            authentication_uuid=AUTH_UUID
        )
    stub.delay = 0.5
    with pytest.raises(ding.APITimeoutError):
        sync_client.with_options(timeout=0.05, max_retries=0).otp.retry(
            authentication_uuid=AUTH_UUID
        )
    with pytest.raises(ding.APITimeoutError):
        sync_client.with_options(total_timeout=0.05).otp.retry(
            authentication_uuid=AUTH_UUID
        )


def test_seed_post_lookup_takes_the_per_call_options(
    sync_client: ding.Ding, tcp_stub: tuple[StubDing, str]
) -> None:
    # The sync post_lookup hands its customer, timeout and extra headers to
    # the call, as AsyncDing's does.
    stub, _ = tcp_stub
    res = sync_client.lookup.post_lookup(
        "c2",
        {"phone_number": "+14155550123"},
        timeout=2.5,
        extra_headers={"X-Req": "seed"},
    )
    assert stub.last.headers["customer-uuid"] == "c2"
    assert stub.last.headers["x-req"] == "seed"
    assert res.raw_response is not None
    assert res.raw_response.request.extensions["timeout"] == dict.fromkeys(
        ("connect", "read", "write", "pool"), 2.5
    )


# Each operation with every argument it takes: its fields as keywords, or a
# request mapping; the per-call options are added to each.
EVERY_ARGUMENT: Final[list[tuple[str, str, tuple[object, ...], dict[str, object]]]] = [
    (
        "otp",
        "create_authentication",
        (),
        {
            "phone_number": "+14155550123",
            "customer_uuid": "c2",
            "ip": "203.0.113.7",
            "device_id": "d1",
            "device_type": "IOS",
            "app_version": "1.2.3",
            "sender_id": "s1",
            "callback_url": "https://example.com/cb",
            "app_realm": "realm",
            "os_version": "17.1",
            "device_model": "iPhone15,2",
            "is_returning_user": True,
            "template_id": "t1",
            "correlation_id": "corr-1",
            "locale": "fr-FR",
        },
    ),
    (
        "otp",
        "create_authentication",
        ({"phone_number": "+14155550123", "customer_uuid": "c2"},),
        {},
    ),
    (
        "otp",
        "check",
        (),
        {"authentication_uuid": AUTH_UUID, "check_code": "1234", "customer_uuid": "c2"},
    ),
    ("otp", "check", ({"authentication_uuid": AUTH_UUID, "check_code": "1234"},), {}),
    ("otp", "retry", (), {"authentication_uuid": AUTH_UUID, "customer_uuid": "c2"}),
    ("otp", "retry", ({"authentication_uuid": AUTH_UUID},), {}),
    ("otp", "get_authentication_status", (AUTH_UUID,), {}),
    (
        "otp",
        "feedback",
        (),
        {"phone_number": "+14155550123", "status": "onboarded", "customer_uuid": "c2"},
    ),
    ("otp", "feedback", ({"phone_number": "+14155550123", "status": "onboarded"},), {}),
    ("lookup", "lookup", ("+14155550123", "c2", ["cnam"]), {}),
    ("lookup", "post_lookup", ("c2", {"phone_number": "+14155550123"}), {}),
]


def _sent(request: httpx.Request) -> tuple[object, ...]:
    return (
        request.method,
        str(request.url),
        request.content,
        sorted(request.headers.multi_items()),
        request.extensions.get("timeout"),
    )


@pytest.mark.parametrize(
    ("resource", "name", "args", "kwargs"),
    EVERY_ARGUMENT,
    ids=[
        f"{name}-{'request' if args else 'fields'}"
        for _, name, args, _ in EVERY_ARGUMENT
    ],
)
def test_each_sync_operation_sends_what_the_async_one_sends(
    resource: str, name: str, args: tuple[object, ...], kwargs: dict[str, object]
) -> None:
    # Ding's operations take AsyncDing's arguments and hand every one of
    # them on: the same call sends the same request.
    options = {"timeout": 2.5, "extra_headers": {"X-Req": name}}
    stub = StubDing()
    http = httpx.AsyncClient(transport=stub.async_transport())
    with ding.Ding(api_key="k", client=http, customer_uuid=CUSTOMER_UUID) as client:
        getattr(getattr(client, resource), name)(*args, **kwargs, **options)

    async def the_async_call() -> None:
        async with (
            httpx.AsyncClient(transport=stub.async_transport()) as http,
            ding.AsyncDing(
                api_key="k", client=http, customer_uuid=CUSTOMER_UUID
            ) as client,
        ):
            await getattr(getattr(client, resource), name)(*args, **kwargs, **options)

    asyncio.run(the_async_call())
    sync_request, async_request = stub.requests
    assert _sent(sync_request) == _sent(async_request)
    assert sync_request.headers["x-req"] == name


def test_the_sync_client_refuses_plain_http_to_another_host_by_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # As AsyncDing: plain http only to a loopback host, unless allowed.
    monkeypatch.delenv("DING_ALLOW_INSECURE_HTTP", raising=False)
    with pytest.raises(ding.UsageError, match="unencrypted"):
        ding.Ding(api_key="k", server_url="http://ding-fake:8080/v1")
    allowed = ding.Ding(
        api_key="k", server_url="http://ding-fake:8080/v1", allow_insecure_http=True
    )
    assert allowed.server_url == "http://ding-fake:8080/v1"


def test_the_sync_constructor_hands_every_setting_to_the_async_client() -> None:
    # Ding takes AsyncDing's settings and hands every one on: the same
    # settings send the same requests, and give up on the same answers.
    settings: dict[str, Any] = {
        "api_key": "k",
        "server_url": "https://{host}/v1",
        "url_params": {"host": "stub.test"},
        "retry_config": ding.RetryConfig(
            "none",
            ding.BackoffStrategy(1, 5, 1.5, 5_000),
            retry_connection_errors=False,
        ),
        "customer_uuid": CUSTOMER_UUID,
        "timeout": 2.5,
        "default_headers": {"X-Team": "growth"},
        "total_timeout": 0.2,
        "default_region": "US",
    }
    stub = StubDing()
    outcomes: list[str] = []

    def busy() -> None:
        # Retried at once, but for retry_config's strategy "none".
        answer = json_reply(
            503, {"code": "busy", "message": "later"}, **{"retry-after": "0"}
        )
        stub.script.append(answer)

    with ding.Ding(
        client=httpx.AsyncClient(transport=stub.async_transport()), **settings
    ) as client:
        client.otp.create_authentication(phone_number="(415) 555-0123")
        busy()
        with pytest.raises(ding.DingError) as info:
            client.otp.get_authentication_status(AUTH_UUID)
        outcomes.append(type(info.value).__name__)
        stub.delay = 0.5
        with pytest.raises(ding.DingError) as info:
            client.otp.retry(authentication_uuid=AUTH_UUID)
        outcomes.append(type(info.value).__name__)
        stub.delay = 0

    async def the_async_client() -> None:
        async with (
            httpx.AsyncClient(transport=stub.async_transport()) as http,
            ding.AsyncDing(client=http, **settings) as client,
        ):
            await client.otp.create_authentication(phone_number="(415) 555-0123")
            busy()
            with pytest.raises(ding.DingError) as info:
                await client.otp.get_authentication_status(AUTH_UUID)
            outcomes.append(type(info.value).__name__)
            stub.delay = 0.5
            with pytest.raises(ding.DingError) as info:
                await client.otp.retry(authentication_uuid=AUTH_UUID)
            outcomes.append(type(info.value).__name__)

    sent = [_sent(request) for request in stub.requests]
    stub.requests.clear()
    asyncio.run(the_async_client())
    assert sent == [_sent(request) for request in stub.requests]
    assert len(sent) == 2  # the third, cut by total_timeout, never reached it
    assert outcomes == ["ServerError", "APITimeoutError"] * 2


def test_close_then_use_is_a_usage_error(tcp_stub: tuple[StubDing, str]) -> None:
    _, url = tcp_stub
    client = ding.Ding(api_key="k", server_url=url, customer_uuid=CUSTOMER_UUID)
    client.otp.retry(authentication_uuid=AUTH_UUID)
    client.close()
    client.close()
    with pytest.raises(ding.UsageError, match="closed"):
        client.otp.retry(authentication_uuid=AUTH_UUID)


def test_closing_a_sync_copy_leaves_the_original_working(
    tcp_stub: tuple[StubDing, str],
) -> None:
    stub, url = tcp_stub
    client = ding.Ding(api_key="k", server_url=url, customer_uuid=CUSTOMER_UUID)
    with client.with_options(max_retries=0) as copy:
        copy.otp.retry(authentication_uuid=AUTH_UUID)
    with pytest.raises(ding.UsageError, match="closed"):
        copy.otp.retry(authentication_uuid=AUTH_UUID)
    client.otp.retry(authentication_uuid=AUTH_UUID)
    other = client.with_options(timeout=3)
    client.close()
    with pytest.raises(ding.UsageError, match="closed"):
        other.otp.retry(authentication_uuid=AUTH_UUID)
    assert len(stub.requests) == 2


def test_injected_async_client() -> None:
    stub = StubDing()
    http = httpx.AsyncClient(transport=stub.async_transport())
    with ding.Ding(api_key="k", client=http, customer_uuid=CUSTOMER_UUID) as client:
        client.otp.check(authentication_uuid=AUTH_UUID, check_code="9")
    assert stub.last.url.path == "/v1/check"
    assert not http.is_closed


def test_thirty_two_threads_share_one_client(
    sync_client: ding.Ding, tcp_stub: tuple[StubDing, str]
) -> None:
    stub, _ = tcp_stub
    before = len(stub.requests)

    def work(i: int) -> str:
        code = f"{i:06d}"
        res = sync_client.otp.check(authentication_uuid=AUTH_UUID, check_code=code)
        assert res.create_check_response is not None
        return code

    with ThreadPoolExecutor(max_workers=32) as pool:
        codes = list(pool.map(work, range(32 * 8)))
    assert codes == [f"{i:06d}" for i in range(32 * 8)]
    sent = sorted(r.content for r in stub.requests[before:])
    assert len(sent) == 32 * 8
    assert all(f'"{i:06d}"'.encode() in b"".join(sent) for i in range(32 * 8))


def test_calling_from_an_asyncio_loop_warns(sync_client: ding.Ding) -> None:
    async def main() -> None:
        with pytest.warns(ding.BlockingCallInEventLoopWarning):
            sync_client.otp.retry(authentication_uuid=AUTH_UUID)

    asyncio.run(main())


def test_calling_from_a_trio_loop_warns(sync_client: ding.Ding) -> None:
    async def main() -> None:
        with pytest.warns(ding.BlockingCallInEventLoopWarning):
            sync_client.otp.retry(authentication_uuid=AUTH_UUID)

    trio.run(main)


def test_calling_from_the_portal_thread_is_a_usage_error(
    sync_client: ding.Ding,
) -> None:
    async def inside_the_portal() -> str:
        try:
            sync_client.otp.retry(authentication_uuid=AUTH_UUID)
        except ding.UsageError as exc:
            return str(exc)
        return "no error"

    message = _portal.call(inside_the_portal)
    assert "deadlock" in message


def test_fork_child_uses_fresh_connections(tcp_stub: tuple[StubDing, str]) -> None:
    _, url = tcp_stub
    result = run_script(
        f"""
        import os, warnings
        warnings.simplefilter("ignore", DeprecationWarning)  # 3.12+: fork with threads
        import ding
        client = ding.Ding(api_key="k", server_url={url!r}, customer_uuid="c")
        first = client.otp.retry(authentication_uuid="a")
        parent_pool = client._async._pipeline.pool.client
        pid = os.fork()
        if pid == 0:
            try:
                res = client.otp.retry(authentication_uuid="b")
                fresh = client._async._pipeline.pool.client is not parent_pool
                ok = res.retry_authentication_response is not None and fresh
                os._exit(0 if ok else 3)
            except BaseException:
                import traceback; traceback.print_exc()
                os._exit(4)
        _, status = os.waitpid(pid, 0)
        again = client.otp.retry(authentication_uuid="c")
        assert client._async._pipeline.pool.client is parent_pool
        print("child", os.waitstatus_to_exitcode(status), "parent", again.status_code)
        """,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["child", "0", "parent", "200"]


def test_unclosed_client_does_not_hang_exit(tcp_stub: tuple[StubDing, str]) -> None:
    _, url = tcp_stub
    started = time.monotonic()
    result = run_script(
        f"""
        import ding
        client = ding.Ding(api_key="k", server_url={url!r}, customer_uuid="c")
        print(client.otp.retry(authentication_uuid="a").status_code)
        # no close(): the interpreter must still exit promptly
        """,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "200"
    assert time.monotonic() - started < 20


@pytest.mark.usefixtures("ctrl_c")
def test_interrupt_cancels_the_request() -> None:
    finished: list[str] = []

    async def slow(_request: httpx.Request) -> httpx.Response:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            finished.append("cancelled")
            raise
        finished.append("completed")
        return httpx.Response(200, json={})

    http = httpx.AsyncClient(transport=httpx.MockTransport(slow))
    client = ding.Ding(api_key="k", client=http, customer_uuid=CUSTOMER_UUID)
    import _thread  # noqa: PLC0415

    timer = threading.Timer(0.3, _thread.interrupt_main)
    timer.start()
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        client.otp.create_authentication(phone_number="+14155550123")
    assert time.monotonic() - started < 5
    assert finished == ["cancelled"]
    client.close()


def test_ctrl_c_in_a_real_process_stops_the_send(
    tcp_stub: tuple[StubDing, str],
) -> None:
    _, url = tcp_stub
    result = run_script(
        f"""
        import os, signal, threading, time
        import ding
        # As in a terminal, even if this process was started with SIGINT ignored.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        client = ding.Ding(api_key="k", server_url={url!r}, customer_uuid="c")
        client.otp.retry(authentication_uuid="warm-up")
        threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT)).start()
        t = time.monotonic()
        try:
            client.otp.check(authentication_uuid="a", check_code="1", timeout=30,
                             extra_headers={{"x-stub-sleep": "10"}})
        except KeyboardInterrupt:
            print("interrupted", time.monotonic() - t < 3)
        """,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["interrupted", "True"]


@pytest.mark.parametrize("kind", ["Ding", "AsyncDing"])
@pytest.mark.parametrize("how", ["pickle", "copy", "deepcopy"])
def test_a_client_cannot_be_pickled_or_copied(kind: str, how: str) -> None:
    # multiprocessing pickles what it hands to a spawned process: a client
    # there would hold the connections and event loop of this one.
    client: ding.Ding | ding.AsyncDing = getattr(ding, kind)(api_key="sk-secret")
    refuse: dict[str, Callable[[object], object]] = {
        "pickle": pickle.dumps,
        "copy": copy.copy,
        "deepcopy": copy.deepcopy,
    }
    with pytest.raises(TypeError) as info:
        refuse[how](client)
    assert str(info.value) == (
        f"a ding.{kind} cannot be pickled or copied: its connections belong to "
        f"the process that made it. Make one {kind} in each process (for example "
        "in each worker, after the fork), or with_options() for a copy that "
        "shares the connections"
    )
    assert "sk-secret" not in str(info.value)
