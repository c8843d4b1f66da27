"""The fault matrix: every fault of `ding.testing`, every client, every transport.

Each fault `ding.testing.Fault` can inject (one representative status or
delay each, plus the two ``Retry-After`` cases the retry rules tell apart)
is scheduled on each of the six operations, with retries on, through each
client on each backend (`AsyncDing` on asyncio and on trio; `Ding`, whose
loop thread always runs asyncio, so it has no trio column) and each
transport the SDK may send through: the in-process fake
(``fake.async_client()``, ``fake.client()``), the SDK's own pool over TCP
(aiohttp on asyncio, httpcore on trio) and an injected plain
``httpx.AsyncClient()`` over TCP. The fault fires on the first request
only, or on every request. Over TCP, the call goes out on a new connection,
or on one that a call before it left open.

`OUTCOMES` states, once, what the caller then sees, how many requests
reach the fake, and how many times a POST took effect there. A POST is sent
again only after the fake answered that it did nothing and when to come
back (429 or 503 with ``Retry-After``), or, on a reused connection of the
SDK's own pool, when the connection closed before a byte of the answer
(`REUSED`); it never takes effect twice.

Below the matrix: the `Ding` cells of the hostile cases that other modules
pin for `AsyncDing` (their helpers are imported from there).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import time
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Final, cast, get_args

import attrs
import httpx
import pytest

import ding
from ding._sync import _portal
from ding.testing import (
    DEFAULT_CUSTOMER_UUID,
    OPERATIONS,
    FakeDing,
    FakeSettings,
    Fault,
)
from ding.testing._faults import FaultKind
from tests._stub import AUTH_UUID, CUSTOMER_UUID, json_reply
from tests.pipeline.test_deadlines import server as trickling
from tests.pipeline.test_redirects import SECRET, listener
from tests.schema.test_argument_checks import VALID, wrong_values
from tests.transport.test_response_size import JSON, MiB, bomb, padded

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, Awaitable, Callable, Generator

    from tests._stub import StubDing

PHONE = "+14155550123"
MAX_RETRIES = 3
# The default rules with millisecond waits, so that the matrix stays fast.
RETRY_CONFIG = ding.RetryConfig(
    "backoff", ding.BackoffStrategy(1, 5, 2, 5_000), retry_connection_errors=True
)
EVERY_REQUEST = 100  # more than any number of attempts

FAULTS: Final = {
    "server_error(500)": Fault.server_error(500),
    "rate_limited(0.002)": Fault.rate_limited(retry_after=0.002),
    "rate_limited(120)": Fault.rate_limited(retry_after=120),  # past 60 s
    "unavailable(0.002)": Fault.unavailable(retry_after=0.002),
    "unavailable()": Fault.unavailable(),  # no Retry-After
    "delay(0.005)": Fault.delay(0.005),  # well within the timeout
    "drop_before_response()": Fault.drop_before_response(),
    "drop_mid_response()": Fault.drop_mid_response(),
    "malformed_json()": Fault.malformed_json(),
    "wrong_content_type()": Fault.wrong_content_type(),
    "html_error(502)": Fault.html_error(502),
    "empty_body()": Fault.empty_body(),
}

METHODS: Final = {
    "create_authentication": "POST",
    "check": "POST",
    "retry": "POST",
    "feedback": "POST",
    "authentication_status": "GET",
    "lookup": "GET",
}


@attrs.frozen(repr=False)
class Outcome:
    """What one call under a fault comes to.

    Attributes:
        raises: The exception's exact type; None when the call returns a result.
        sent: How many requests reached the fake (``fake.faults.calls``).
        performed: How many times the operation took effect at the fake;
            None for a GET, which changes nothing.
    """

    raises: type[ding.DingError] | None
    sent: int
    performed: int | None = None

    def __repr__(self) -> str:
        result = "result" if self.raises is None else self.raises.__name__
        done = "" if self.performed is None else f", performed {self.performed}"
        return f"<{result}, sent {self.sent}{done}>"


OK: Final = None
ServerError, RateLimitError = ding.ServerError, ding.RateLimitError
APIConnectionError, MalformedResponseError = (
    ding.APIConnectionError,
    ding.MalformedResponseError,
)


def same(outcome: Outcome) -> tuple[Outcome, Outcome]:
    """Nothing is retried: a fault on every request ends as one on the first."""
    return outcome, outcome


#: (fault, method) -> (the fault on the first request only, on every request),
#: with `MAX_RETRIES` retries.
OUTCOMES: Final[dict[tuple[str, str], tuple[Outcome, Outcome]]] = {
    ("server_error(500)", "POST"): same(Outcome(ServerError, 1, 0)),
    ("server_error(500)", "GET"): (Outcome(OK, 2), Outcome(ServerError, 4)),
    ("rate_limited(0.002)", "POST"): (Outcome(OK, 2, 1), Outcome(RateLimitError, 4, 0)),
    ("rate_limited(0.002)", "GET"): (Outcome(OK, 2), Outcome(RateLimitError, 4)),
    ("rate_limited(120)", "POST"): same(Outcome(RateLimitError, 1, 0)),
    ("rate_limited(120)", "GET"): same(Outcome(RateLimitError, 1)),
    ("unavailable(0.002)", "POST"): (Outcome(OK, 2, 1), Outcome(ServerError, 4, 0)),
    ("unavailable(0.002)", "GET"): (Outcome(OK, 2), Outcome(ServerError, 4)),
    ("unavailable()", "POST"): same(Outcome(ServerError, 1, 0)),
    ("unavailable()", "GET"): (Outcome(OK, 2), Outcome(ServerError, 4)),
    ("delay(0.005)", "POST"): same(Outcome(OK, 1, 1)),
    ("delay(0.005)", "GET"): same(Outcome(OK, 1)),
    ("drop_before_response()", "POST"): same(Outcome(APIConnectionError, 1, 0)),
    ("drop_before_response()", "GET"): (
        Outcome(OK, 2),
        Outcome(APIConnectionError, 4),
    ),
    ("drop_mid_response()", "POST"): same(Outcome(APIConnectionError, 1, 1)),
    ("drop_mid_response()", "GET"): (Outcome(OK, 2), Outcome(APIConnectionError, 4)),
    ("malformed_json()", "POST"): same(Outcome(MalformedResponseError, 1, 1)),
    ("malformed_json()", "GET"): same(Outcome(MalformedResponseError, 1)),
    ("wrong_content_type()", "POST"): same(Outcome(MalformedResponseError, 1, 1)),
    ("wrong_content_type()", "GET"): same(Outcome(MalformedResponseError, 1)),
    ("html_error(502)", "POST"): same(Outcome(ServerError, 1, 0)),
    ("html_error(502)", "GET"): (Outcome(OK, 2), Outcome(ServerError, 4)),
    ("empty_body()", "POST"): same(Outcome(MalformedResponseError, 1, 1)),
    ("empty_body()", "GET"): same(Outcome(MalformedResponseError, 1)),
}

#: What changes when the call goes out on a connection a call before it left
#: open, through the SDK's own pool (`ding._transport._reuse`). A server that closes a
#: reused connection before a byte of the answer has not read the request
#: (as when it closes an idle one): the request is sent once more, at once,
#: on a new connection, whatever its method, and with retries or without.
#: A connection that breaks after part of the answer (drop_mid_response())
#: changes nothing: a POST is never sent again.
REUSED: Final[dict[tuple[str, str], tuple[Outcome, Outcome]]] = {
    ("drop_before_response()", "POST"): (
        Outcome(OK, 2, 1),
        Outcome(APIConnectionError, 2, 0),
    ),
    ("drop_before_response()", "GET"): (
        Outcome(OK, 2),
        Outcome(APIConnectionError, 5),
    ),
}
#: The routes whose connections the SDK sees, and the methods it sends again
#: there: its own pool, every method; httpx's pool of an injected client,
#: through httpcore's trace, which tells no answer cut short in its head from
#: none, a GET only.
RESENDING: Final = {
    "own-pool": frozenset({"POST", "GET"}),
    "injected-httpx": frozenset({"GET"}),
}

#: client backend x transport x connection; `Ding` runs on asyncio only, and
#: the in-process fake has no connections.
ROUTES: Final = [
    ("in-process", "new"),
    ("own-pool", "new"),
    ("own-pool", "reused"),
    ("injected-httpx", "new"),
    ("injected-httpx", "reused"),
]
ASYNC_CELLS: Final = [
    pytest.param(backend, route, connection, id=f"{backend}-{route}-{connection}")
    for backend in ("asyncio", "trio")
    for route, connection in ROUTES
]
SYNC_CELLS: Final = [
    pytest.param(route, connection, id=f"{route}-{connection}")
    for route, connection in ROUTES
]


@attrs.define
class Cell:
    """One operation under one fault and schedule, against the shared fake."""

    fake: FakeDing
    operation: str
    fault: str
    every_request: bool
    resends: frozenset[str] = frozenset()
    auth: str = ""

    @property
    def name(self) -> str:
        return f"{self.operation}, " + (
            "fault on every request" if self.every_request else "fault once"
        )

    @property
    def expected(self) -> Outcome:
        key = self.fault, METHODS[self.operation]
        resent = key[1] in self.resends and key in REUSED
        once, always = REUSED[key] if resent else OUTCOMES[key]
        return always if self.every_request else once

    def arrange(self) -> None:
        """Start from an empty fake, with an authentication where one is needed."""
        fake = self.fake
        fake.reset()
        if self.operation not in {"create_authentication", "lookup"}:
            created = fake.create_authentication(
                {"customer_uuid": DEFAULT_CUSTOMER_UUID, "phone_number": PHONE}
            )
            self.auth = cast("dict[str, str]", created.body)["authentication_uuid"]
        fake.faults.inject(
            self.operation,
            FAULTS[self.fault],
            times=EVERY_REQUEST if self.every_request else 1,
        )

    def start(self, client: ding.AsyncDing | ding.Ding) -> object:
        """Call the operation: a coroutine for `AsyncDing`, the result for `Ding`."""
        otp, auth = client.otp, self.auth
        match self.operation:
            case "create_authentication":
                return otp.create_authentication(phone_number=PHONE)
            case "check":
                code = self.fake.outbox.last_code(PHONE) or ""
                return otp.check(authentication_uuid=auth, check_code=code)
            case "retry":
                return otp.retry(authentication_uuid=auth)
            case "feedback":
                return otp.feedback(phone_number=PHONE, status="onboarded")
            case "authentication_status":
                return otp.get_authentication_status(auth)
            case _:
                return client.lookup.lookup(PHONE)

    def outcome(self, failure: ding.DingError | None) -> Outcome:
        return Outcome(
            None if failure is None else type(failure),
            self.fake.faults.calls(self.operation),
            self.performed(),
        )

    def performed(self) -> int | None:
        """How many times the operation took effect, read from the fake's state."""
        fake, sms = self.fake, len(self.fake.outbox.for_number(PHONE))
        match self.operation:
            case "create_authentication":
                return sms
            case "retry":
                return sms - 1  # the first code came with the authentication
            case "check":
                events = cast(
                    "dict[str, list[dict[str, str]]]",
                    fake.authentication_status(self.auth).body,
                )["events"]
                return sum(event["type"] == "check" for event in events)
            case "feedback":
                # Recording it again is refused if it was recorded (0 or 1:
                # a second recording by the SDK would have failed its call).
                again = fake.feedback(
                    {
                        "customer_uuid": DEFAULT_CUSTOMER_UUID,
                        "phone_number": PHONE,
                        "status": "onboarded",
                    }
                )
                return 1 if again.status == 400 else 0
            case _:
                return None


def cells(fake: FakeDing, fault: str, route: str, connection: str) -> list[Cell]:
    none: frozenset[str] = frozenset()
    resends = RESENDING.get(route, none) if connection == "reused" else none
    return [
        Cell(fake, operation, fault, every_request, resends)
        for operation in METHODS
        for every_request in (False, True)
    ]


def expected(
    fake: FakeDing, fault: str, route: str, connection: str
) -> dict[str, Outcome]:
    return {cell.name: cell.expected for cell in cells(fake, fault, route, connection)}


@pytest.fixture(scope="module")
def served() -> Generator[tuple[FakeDing, str]]:
    """One fake for the module, over TCP too; each cell resets it."""
    # Every retry is approved at once, so a retry sent twice sends two codes.
    fake = FakeDing(FakeSettings(retry_interval=dt.timedelta(0)), seed=7)
    with fake.serve() as server:
        yield fake, server.url + "/v1"


def settings(route: str, url: str) -> dict[str, object]:
    """The keyword arguments of a client that reaches the fake by *route*."""
    common: dict[str, object] = {
        "max_retries": MAX_RETRIES,
        "retry_config": RETRY_CONFIG,
        "timeout": 5,
    }
    if route == "in-process":
        return common
    return {
        **common,
        "api_key": "k",
        "server_url": url,
        "customer_uuid": DEFAULT_CUSTOMER_UUID,
        "client": httpx.AsyncClient() if route == "injected-httpx" else None,
    }


@contextlib.asynccontextmanager
async def async_client(
    fake: FakeDing, route: str, url: str
) -> AsyncGenerator[ding.AsyncDing]:
    kwargs = settings(route, url)
    http = kwargs.get("client")
    client = (
        fake.async_client(**kwargs)
        if route == "in-process"
        else ding.AsyncDing(**kwargs)  # type: ignore[arg-type]
    )
    try:
        async with client:
            yield client
    finally:
        if isinstance(http, httpx.AsyncClient):
            await http.aclose()


@contextlib.contextmanager
def sync_client(fake: FakeDing, route: str, url: str) -> Generator[ding.Ding]:
    kwargs = settings(route, url)
    http = kwargs.get("client")
    client = (
        fake.client(**kwargs) if route == "in-process" else ding.Ding(**kwargs)  # type: ignore[arg-type]
    )
    try:
        with client:
            yield client
    finally:
        if isinstance(http, httpx.AsyncClient):
            _portal.call(http.aclose)  # on the loop it was used on


@pytest.mark.anyio
@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize(("anyio_backend", "route", "connection"), ASYNC_CELLS)
async def test_async_client_under_each_fault(
    served: tuple[FakeDing, str], route: str, connection: str, fault: str
) -> None:
    fake, url = served
    seen: dict[str, Outcome] = {}
    for cell in cells(fake, fault, route, connection):
        # A client per cell: its first call makes a connection of its own.
        async with async_client(fake, route, url) as client:
            if connection == "reused":
                fake.reset()  # no fault left from the cell before
                await client.lookup.lookup(PHONE)  # leaves its connection open
            cell.arrange()
            try:
                await cast("Awaitable[object]", cell.start(client))
            except ding.DingError as exc:
                seen[cell.name] = cell.outcome(exc)
            else:
                seen[cell.name] = cell.outcome(None)
    assert seen == expected(fake, fault, route, connection)


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize(("route", "connection"), SYNC_CELLS)
def test_sync_client_under_each_fault(
    served: tuple[FakeDing, str], route: str, connection: str, fault: str
) -> None:
    fake, url = served
    seen: dict[str, Outcome] = {}
    for cell in cells(fake, fault, route, connection):
        with sync_client(fake, route, url) as client:
            if connection == "reused":
                fake.reset()
                client.lookup.lookup(PHONE)
            cell.arrange()
            try:
                cell.start(client)
            except ding.DingError as exc:
                seen[cell.name] = cell.outcome(exc)
            else:
                seen[cell.name] = cell.outcome(None)
    assert seen == expected(fake, fault, route, connection)


def test_the_table_covers_every_fault_and_operation() -> None:
    assert {f.kind for f in FAULTS.values()} == set(get_args(FaultKind))
    assert set(METHODS) == set(OPERATIONS)
    assert set(OUTCOMES) == {(f, m) for f in FAULTS for m in ("POST", "GET")}
    assert set(REUSED) <= set(OUTCOMES)


def test_a_reused_connection_sends_again_only_what_it_never_answered() -> None:
    # The first request, dropped, is sent once more on a new connection,
    # where the retry rules apply as before; a POST still takes effect once.
    for key, (once, always) in REUSED.items():
        assert FAULTS[key[0]].kind == "drop_before_response"
        assert (once.raises, once.sent) == (None, 2)
        assert always.sent == OUTCOMES[key][1].sent + 1
        assert once.performed in {None, 1}
        assert always.performed in {None, 0}


@pytest.mark.parametrize("fault", FAULTS)
def test_the_table_agrees_with_the_fakes_own(fault: str) -> None:
    # A POST not retried takes effect exactly when the fake says it does.
    once, always = OUTCOMES[fault, "POST"]
    assert always.performed == int(FAULTS[fault].performs_operation)
    # Never twice; sent again only after an answer that performed nothing.
    assert once.performed in {0, 1}
    assert once.sent == 1 or (once.performed, always.performed) == (1, 0)


def test_the_reliability_page_names_tests_that_exist() -> None:
    root = Path(__file__).resolve().parents[2]
    page = (root / "docs" / "reliability.md").read_text(encoding="utf-8")
    table = page[
        page.index("| what was tried |") : page.index("## Nothing is left over")
    ]
    named = 0
    module = ""
    for found in re.finditer(r"`((?:\w+/)*test_\w+\.py)?(?:::(test_\w+))?`", table):
        module = found[1] or module
        assert (root / "tests" / module).is_file(), module
        if found[2]:
            source = (root / "tests" / module).read_text(encoding="utf-8")
            assert f"def {found[2]}(" in source, f"{module}::{found[2]}"
            named += 1
    assert named >= 10


# ---------------------------------------------------------------------------
# `Ding` cells of the hostile cases pinned for `AsyncDing` elsewhere
# ---------------------------------------------------------------------------


def test_sync_a_compression_bomb_stops_at_the_bound(
    sync_client_on_stub: tuple[ding.Ding, StubDing],
) -> None:
    client, stub = sync_client_on_stub
    body = bomb("gzip", 400 * MiB)  # about 0.4 MB on the wire
    stub.script.append((200, {**JSON, "content-encoding": "gzip"}, body))
    with pytest.raises(ding.ResponseTooLargeError) as info:
        client.otp.check(authentication_uuid=AUTH_UUID, check_code="123456")
    assert len(info.value.raw_response.content) <= MiB


def test_sync_a_long_body_stops_at_the_bound(
    sync_client_on_stub: tuple[ding.Ding, StubDing],
) -> None:
    client, stub = sync_client_on_stub
    stub.script.append((200, JSON, padded(50 * MiB)))
    with pytest.raises(ding.ResponseTooLargeError, match="max_response_size") as info:
        client.otp.check(authentication_uuid=AUTH_UUID, check_code="123456")
    assert len(info.value.raw_response.content) <= MiB
    stub.script.append((500, {"content-type": "text/plain"}, b"e" * (10 * MiB)))
    with pytest.raises(ding.ServerError) as error:
        client.otp.check(authentication_uuid=AUTH_UUID, check_code="123456")
    assert len(error.value.body) <= MiB
    assert len(str(error.value)) < 1200


@pytest.mark.parametrize("operation", ["get", "post"])
def test_sync_an_injected_client_that_follows_redirects_does_not(
    tcp_stub: tuple[StubDing, str], operation: str
) -> None:
    stub, url = tcp_stub
    http = httpx.AsyncClient(follow_redirects=True)
    with listener() as (elsewhere, received):
        stub.script.append(json_reply(307, {}, location=f"{elsewhere}/v1/stolen"))
        with ding.Ding(
            api_key=SECRET, server_url=url, client=http, customer_uuid=CUSTOMER_UUID
        ) as client:
            call: Callable[[], object] = (
                (lambda: client.otp.get_authentication_status(AUTH_UUID))
                if operation == "get"
                else (
                    lambda: client.otp.check(
                        authentication_uuid=AUTH_UUID, check_code="123456"
                    )
                )
            )
            with pytest.raises(ding.RedirectError) as info:
                call()
    _portal.call(http.aclose)
    assert received == []  # nothing, and so no key, went to the other origin
    assert len(stub.requests) == 1
    assert info.value.location == f"{elsewhere}/v1/stolen"
    assert info.value.raw_response.request.headers["x-api-key"] == "[redacted]"
    assert SECRET not in "".join(traceback.format_exception(info.value))


@pytest.mark.parametrize("injected", [False, True], ids=["own-pool", "injected"])
def test_sync_a_trickling_answer_cannot_stretch_an_attempt(injected: bool) -> None:
    http = httpx.AsyncClient() if injected else None
    with (
        trickling("trickle") as (url, arrivals),
        ding.Ding(
            api_key="k",
            server_url=url,
            customer_uuid=CUSTOMER_UUID,
            client=http,
            timeout=0.5,
        ) as client,
    ):
        started = time.monotonic()
        with pytest.raises(ding.APITimeoutError, match="read timeout"):
            client.otp.check(authentication_uuid=AUTH_UUID, check_code="1")
        took = time.monotonic() - started
    if http is not None:
        _portal.call(http.aclose)
    assert 0.45 < took < 3  # the whole attempt: 0.5 s, not 10 s of trickle
    assert len(arrivals) == 1  # a POST that may have arrived is not retried


def test_sync_total_timeout_cuts_a_trickling_get() -> None:
    with (
        trickling("trickle") as (url, _),
        ding.Ding(
            api_key="k",
            server_url=url,
            customer_uuid=CUSTOMER_UUID,
            timeout=30,
            total_timeout=0.5,
        ) as client,
    ):
        started = time.monotonic()
        with pytest.raises(ding.APITimeoutError, match="total timeout"):
            client.otp.get_authentication_status(AUTH_UUID)
        assert 0.45 < time.monotonic() - started < 3


@pytest.mark.parametrize("operation", VALID)
def test_sync_a_keyword_of_the_wrong_type_is_refused_before_sending(
    sync_client_on_stub: tuple[ding.Ding, StubDing], operation: str
) -> None:
    client, stub = sync_client_on_stub
    model, valid = VALID[operation]
    method = getattr(client.otp, operation)
    for field, value in wrong_values(model):
        with pytest.raises(ding.UsageError, match=rf"\.{field} must be ") as info:
            method(**{**valid, field: value})
        assert str(value) not in str(info.value)
    assert stub.requests == []


@pytest.fixture
def sync_client_on_stub(
    sync_client: ding.Ding, tcp_stub: tuple[StubDing, str]
) -> tuple[ding.Ding, StubDing]:
    return sync_client, tcp_stub[0]


@pytest.mark.parametrize(
    ("url", "word"),
    [("https://api.example.com/v1?v=1", "query"), ("https://h/v1#top", "fragment")],
)
def test_sync_a_server_url_with_a_query_or_fragment_is_refused(
    url: str, word: str
) -> None:
    # Credentials and plain http: tests/config/test_server_url.py runs both classes.
    with pytest.raises(ding.UsageError, match=word):
        ding.Ding(api_key="k", server_url=url)
