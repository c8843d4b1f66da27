"""A FastAPI app that verifies phone numbers with one `ding.AsyncDing`.

What it shows:

* one `AsyncDing` for the app's lifetime, opened and closed by the lifespan,
  handed to the routes by a dependency (`get_ding`), which tests override;
* ``POST /otp/send`` (``{"phone_number": "+14155550123"}``) and
  ``POST /otp/verify`` (``{"phone_number": ..., "code": "123456"}``), and
  ``GET /otp/status?phone_number=...`` for the verified state, kept behind a
  small interface (`VerificationStore`; in memory here);
* Ding's answers and the SDK's exceptions turned into HTTP answers: 400 for
  a number Ding refuses or a wrong code, 410 for an expired code, 429 for a
  rate limit (Ding's own ``Retry-After`` passed on), 502 when Ding answers
  with an error, 503 when Ding cannot be reached or does not answer in time.

Where the client points: with ``DING_API_KEY`` set it reads
``DING_API_KEY``, ``DING_CUSTOMER_UUID`` and ``DING_BASE_URL`` as
`ding.AsyncDing` does (Ding's v1 API, or ``python -m ding.testing``, a fake
served over TCP); without it, it uses the fake embedded in the package, and
prints each code the fake "sends".

Run it:

* ``python examples/fastapi_app.py`` serves it with uvicorn on a free port,
  on the embedded fake, walks through the routes and exits;
* ``uvicorn fastapi_app:app --app-dir examples`` serves it, then e.g.
  ``curl -X POST localhost:8000/otp/send -H 'content-type: application/json'
  -d '{"phone_number": "+14155550123"}'``;
* ``pytest examples/test_fastapi_app.py`` tests it against the fake.

Needs ``pip install fastapi uvicorn`` (the ``examples`` dependency group).
"""

from __future__ import annotations

import asyncio
import logging
import os
from contextlib import asynccontextmanager
from http import HTTPStatus
from typing import TYPE_CHECKING, Annotated, Protocol

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

import ding
from ding.models import components
from ding.testing import FakeDing, random_codes

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator

logger = logging.getLogger("fastapi_app")

# An HTTP request should not wait for Ding as long as the SDK's defaults
# allow (60 s per call): give up after a few seconds and answer 503.
DING_TIMEOUT = 3.0
DING_TOTAL_TIMEOUT = 6.0

# Refusals of the number itself: the user can fix them by typing another one.
NUMBER_REFUSED = frozenset(
    {
        ding.Code.INVALID_PHONE_NUMBER,
        ding.Code.BLOCKED_NUMBER,
        ding.Code.UNSUPPORTED_REGION,
        ding.Code.INVALID_LINE,
    }
)


# ------------------------------------------------------------ the state kept


class VerificationStore(Protocol):
    """Where the app keeps the pending authentications and verified numbers.

    In memory here; a database or Redis behind the same four methods in
    production, where several processes serve the app.
    """

    async def start(self, phone_number: str, authentication_uuid: str) -> None:
        """Remember the authentication a code was just sent for."""
        ...

    async def pending(self, phone_number: str) -> str | None:
        """Return the authentication to check a code against, if any."""
        ...

    async def verify(self, phone_number: str) -> None:
        """Mark the number verified; its authentication is done."""
        ...

    async def is_verified(self, phone_number: str) -> bool:
        """Whether the number was verified."""
        ...


class InMemoryStore:
    """A `VerificationStore` in two dicts: for one process, lost on restart."""

    def __init__(self) -> None:
        self._pending: dict[str, str] = {}
        self._verified: set[str] = set()

    async def start(self, phone_number: str, authentication_uuid: str) -> None:
        self._pending[phone_number] = authentication_uuid

    async def pending(self, phone_number: str) -> str | None:
        return self._pending.get(phone_number)

    async def verify(self, phone_number: str) -> None:
        self._pending.pop(phone_number, None)
        self._verified.add(phone_number)

    async def is_verified(self, phone_number: str) -> bool:
        return phone_number in self._verified


# ------------------------------------------------------------ errors


class Problem(Exception):  # noqa: N818 - an HTTP answer, not a failure of the app
    """An answer other than 200: its status, a stable code for clients, a message."""

    def __init__(
        self,
        status: HTTPStatus,
        error: str,
        message: str,
        *,
        retry_after: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.error = error
        self.message = message
        self.retry_after = retry_after

    def response(self) -> JSONResponse:
        headers = {} if self.retry_after is None else {"Retry-After": self.retry_after}
        return JSONResponse(
            {"error": self.error, "message": self.message},
            status_code=self.status,
            headers=headers,
        )


def problem_for(exc: ding.DingError) -> Problem:
    """Return the HTTP answer for an exception the SDK raised."""
    if isinstance(exc, ding.InvalidPhoneNumberError):
        # With ding[phonenumbers]: a number that cannot exist, refused before
        # it was sent. The message says why, without the number.
        return Problem(HTTPStatus.BAD_REQUEST, "invalid_phone_number", str(exc))
    if isinstance(exc, ding.ErrorResponse) and exc.code in NUMBER_REFUSED:
        return Problem(
            HTTPStatus.BAD_REQUEST,
            str(exc.code),
            exc.message or "this phone number cannot receive codes",
        )
    if isinstance(exc, ding.RateLimitError):
        return Problem(
            HTTPStatus.TOO_MANY_REQUESTS,
            "rate_limited",
            "too many codes requested; try again later",
            retry_after=exc.raw_response.headers.get("retry-after"),
        )
    if isinstance(exc, ding.APIConnectionError):  # APITimeoutError included
        logger.warning("Ding unreachable: %s", exc)
        return Problem(
            HTTPStatus.SERVICE_UNAVAILABLE,
            "ding_unavailable",
            "the verification service is unavailable; try again shortly",
        )
    # A 5xx, a broken answer, or a request Ding refused (a bad API key, a bad
    # customer UUID): not the user's doing. Logged, never shown to the user.
    logger.error("Ding failed: %s", exc)
    return Problem(
        HTTPStatus.BAD_GATEWAY, "ding_error", "the verification service failed"
    )


# ------------------------------------------------------------ the client


def print_codes(phone_number: str) -> str:
    """Make a code for the embedded fake and print it, since no SMS leaves."""
    code = random_codes()(phone_number)
    print(f"[embedded fake Ding] code for {phone_number}: {code}")
    return code


def open_ding(fake: FakeDing | None = None) -> ding.AsyncDing:
    """Return the app's client: from the environment, or on the embedded fake."""
    if fake is None and os.environ.get("DING_API_KEY"):
        # DING_API_KEY, DING_CUSTOMER_UUID and DING_BASE_URL.
        return ding.AsyncDing(timeout=DING_TIMEOUT, total_timeout=DING_TOTAL_TIMEOUT)
    if fake is None:
        fake = FakeDing(codes=print_codes)
    return fake.async_client(timeout=DING_TIMEOUT, total_timeout=DING_TOTAL_TIMEOUT)


def get_ding(request: Request) -> ding.AsyncDing:
    """The dependency the routes take their client from (override it in tests)."""
    client: ding.AsyncDing = request.app.state.ding
    return client


def get_store(request: Request) -> VerificationStore:
    """The dependency the routes take the store from."""
    store: VerificationStore = request.app.state.store
    return store


Client = Annotated[ding.AsyncDing, Depends(get_ding)]
Store = Annotated[VerificationStore, Depends(get_store)]


# ------------------------------------------------------------ the app


class SendRequest(BaseModel):
    phone_number: str


class VerifyRequest(BaseModel):
    phone_number: str
    code: str


class Sent(BaseModel):
    status: str = "code_sent"


class Verified(BaseModel):
    phone_number: str
    verified: bool


router = APIRouter(prefix="/otp")


@router.post("/send")
async def send(body: SendRequest, client: Client, store: Store) -> Sent:
    """Send a code to the number; remember its authentication."""
    sent = await client.otp.create_authentication(phone_number=body.phone_number)
    status = sent.status
    if status == components.Status.RATE_LIMITED:
        raise Problem(
            HTTPStatus.TOO_MANY_REQUESTS,
            "rate_limited",
            "too many codes for this number; try again later",
        )
    if status != components.Status.PENDING:  # spam_detected, or a newer status
        raise Problem(
            HTTPStatus.FORBIDDEN, "refused", "no code can be sent to this number"
        )
    await store.start(body.phone_number, sent.authentication_uuid)
    return Sent()


# What the user is told for each check status but `valid`.
CHECK_PROBLEMS: dict[str, Problem] = {
    components.CheckStatus.INVALID: Problem(
        HTTPStatus.BAD_REQUEST, "wrong_code", "wrong code"
    ),
    components.CheckStatus.EXPIRED_AUTH: Problem(
        HTTPStatus.GONE, "code_expired", "the code expired; send a new one"
    ),
    components.CheckStatus.RATE_LIMITED: Problem(
        HTTPStatus.TOO_MANY_REQUESTS,
        "too_many_attempts",
        "too many wrong codes; send a new one later",
    ),
}


@router.post("/verify")
async def verify(body: VerifyRequest, client: Client, store: Store) -> Verified:
    """Check the code against the number's pending authentication."""
    auth_uuid = await store.pending(body.phone_number)
    if auth_uuid is None:
        raise Problem(
            HTTPStatus.BAD_REQUEST,
            "no_code_sent",
            "no code is waiting for this number; send one first",
        )
    checked = await client.otp.check(
        authentication_uuid=auth_uuid, check_code=body.code
    )
    status = checked.status
    if status == components.CheckStatus.VALID:
        await store.verify(body.phone_number)
        return Verified(phone_number=body.phone_number, verified=True)
    problem = CHECK_PROBLEMS.get(status)
    if problem is None:  # already_validated, without_attempt, or a newer status
        logger.error("unexpected check status %s", status)
        raise Problem(
            HTTPStatus.BAD_GATEWAY, "ding_error", "the verification service failed"
        )
    raise problem


@router.get("/status")
async def status(phone_number: str, store: Store) -> Verified:
    """Whether the number was verified."""
    verified = await store.is_verified(phone_number)
    return Verified(phone_number=phone_number, verified=verified)


async def answer_problem(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Problem)
    return exc.response()


async def answer_ding_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ding.DingError)
    return problem_for(exc).response()


def create_app(
    *, fake: FakeDing | None = None, store: VerificationStore | None = None
) -> FastAPI:
    """Build the app: its client is opened at startup and closed at shutdown.

    Args:
        fake: Run on this fake instead of reading the environment.
        store: Where verifications are kept (default: a new `InMemoryStore`).
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncGenerator[None, None]:
        async with open_ding(fake) as client:
            app.state.ding = client
            yield

    app = FastAPI(title="Phone verification", lifespan=lifespan)
    app.state.store = store or InMemoryStore()
    app.include_router(router)
    app.add_exception_handler(Problem, answer_problem)
    app.add_exception_handler(ding.DingError, answer_ding_error)
    return app


# For `uvicorn fastapi_app:app`: nothing is opened before startup.
app = create_app()


async def demo() -> None:
    """Serve the app with uvicorn on a free port and walk through the routes."""
    import socket  # noqa: PLC0415 - the demo only

    import httpx  # noqa: PLC0415
    import uvicorn  # noqa: PLC0415

    fake = FakeDing()  # the demo reads the codes from the fake's outbox
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(create_app(fake=fake), log_level="warning", lifespan="on")
    )
    serving = asyncio.create_task(server.serve(sockets=[listener]))
    while not server.started:  # noqa: ASYNC110 - uvicorn's Server has no event for it
        await asyncio.sleep(0.01)
    phone = "+14155550123"
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:

        async def show(path: str, body: dict[str, str] | None = None) -> None:
            if body is None:
                answer = await http.get(path)
            else:
                answer = await http.post(path, json=body)
            what = f"POST {path} {body}" if body else f"GET {path}"
            print(f"{what}\n    -> {answer.status_code} {answer.text}")

        await show("/otp/send", {"phone_number": phone})
        await show("/otp/verify", {"phone_number": phone, "code": "000000"})
        code = fake.outbox.last_code(phone)
        assert code is not None
        await show("/otp/verify", {"phone_number": phone, "code": code})
        await show(f"/otp/status?phone_number=%2B{phone[1:]}")
        await show("/otp/send", {"phone_number": "555-0123"})  # not E.164
        await show("/otp/send", {"phone_number": "+15005550001"})  # rate limited
    server.should_exit = True  # shutdown: the lifespan closes the client
    await serving


if __name__ == "__main__":
    asyncio.run(demo())
