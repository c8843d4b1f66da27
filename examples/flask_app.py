"""A sync Flask app that verifies phone numbers with one `ding.Ding`.

What it shows:

* one `ding.Ding`, made with the app and shared by every request thread
  (Flask's threaded server, gunicorn's threads) and, under gunicorn
  ``--preload``, made in the master process before it forks the workers,
  each of which goes on using it: the sync client survives ``fork()``;
* the same routes as the FastAPI example (``POST /otp/send``,
  ``POST /otp/verify``, ``GET /otp/status?phone_number=...``) with the same
  HTTP answers for Ding's errors, in plain sync code;
* the verified state behind a small interface, in SQLite here: gunicorn's
  workers are separate processes, so state kept in one worker's memory
  would be missing in the next request's worker;
* ``GET /health``, which says which process answered and which one made the
  app (the gunicorn master, under ``--preload``).

Where the client points: with ``DING_API_KEY`` set it reads
``DING_API_KEY``, ``DING_CUSTOMER_UUID`` and ``DING_BASE_URL`` as `ding.Ding`
does; without it, it uses the fake embedded in the package and prints each
code it "sends". Under gunicorn with several workers, point it at a server
all workers share (``python -m ding.testing`` prints a ``DING_BASE_URL`` for
a fake one): an embedded fake would be copied into each worker.

Run it:

* ``python examples/flask_app.py`` serves it with Flask's threaded server
  (werkzeug) on a free port, on the embedded fake, verifies 8 numbers
  through it from 8 threads at once, and exits;
* ``flask --app examples/flask_app run`` serves it (threaded);
* ``gunicorn --preload --workers 4 --chdir examples 'flask_app:create_app()'``
  serves it with 4 forked workers;
* ``pytest examples/test_flask_app.py`` runs it under gunicorn ``--preload``
  with 2 workers against the fake served over TCP.

Needs ``pip install flask gunicorn`` (the ``examples`` dependency group).
"""

from __future__ import annotations

import logging
import os
import sqlite3
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, cast

from flask import Blueprint, Flask, current_app, jsonify, request

import ding
from ding.models import components
from ding.testing import FakeDing, random_codes

if TYPE_CHECKING:
    from flask.typing import ResponseReturnValue

logger = logging.getLogger("flask_app")

# A request thread should not wait for Ding as long as the SDK's defaults
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
    """Where the app keeps the pending authentications and verified numbers."""

    def start(self, phone_number: str, authentication_uuid: str) -> None:
        """Remember the authentication a code was just sent for."""
        ...

    def pending(self, phone_number: str) -> str | None:
        """Return the authentication to check a code against, if any."""
        ...

    def verify(self, phone_number: str) -> None:
        """Mark the number verified; its authentication is done."""
        ...

    def is_verified(self, phone_number: str) -> bool:
        """Whether the number was verified."""
        ...


class SqliteStore:
    """A `VerificationStore` in a SQLite file, shared by processes and threads.

    Each call opens its own connection: none is shared between threads, and
    none is open when gunicorn forks.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        with self._connect() as db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS pending (phone TEXT PRIMARY KEY, auth TEXT)"
            )
            db.execute("CREATE TABLE IF NOT EXISTS verified (phone TEXT PRIMARY KEY)")

    def _connect(self) -> closing[sqlite3.Connection]:
        return closing(sqlite3.connect(self.path, timeout=5, isolation_level=None))

    def start(self, phone_number: str, authentication_uuid: str) -> None:
        with self._connect() as db:
            db.execute(
                "INSERT OR REPLACE INTO pending VALUES (?, ?)",
                (phone_number, authentication_uuid),
            )

    def pending(self, phone_number: str) -> str | None:
        with self._connect() as db:
            row: tuple[str] | None = db.execute(
                "SELECT auth FROM pending WHERE phone = ?", (phone_number,)
            ).fetchone()
        return None if row is None else row[0]

    def verify(self, phone_number: str) -> None:
        with self._connect() as db:
            db.execute("BEGIN")
            db.execute("DELETE FROM pending WHERE phone = ?", (phone_number,))
            db.execute("INSERT OR IGNORE INTO verified VALUES (?)", (phone_number,))
            db.execute("COMMIT")

    def is_verified(self, phone_number: str) -> bool:
        with self._connect() as db:
            row = db.execute(
                "SELECT 1 FROM verified WHERE phone = ?", (phone_number,)
            ).fetchone()
        return row is not None


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

    def response(self) -> ResponseReturnValue:
        headers = {} if self.retry_after is None else {"Retry-After": self.retry_after}
        body = jsonify(error=self.error, message=self.message)
        return body, self.status, headers


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
    logger.error("Ding failed: %s", exc)  # a 5xx, a broken answer, a bad API key
    return Problem(
        HTTPStatus.BAD_GATEWAY, "ding_error", "the verification service failed"
    )


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


# ------------------------------------------------------------ the app


def print_codes(phone_number: str) -> str:
    """Make a code for the embedded fake and print it, since no SMS leaves."""
    code = random_codes()(phone_number)
    print(f"[embedded fake Ding] code for {phone_number}: {code}")
    return code


def open_ding() -> ding.Ding:
    """Return the app's client: from the environment, or on an embedded fake."""
    if os.environ.get("DING_API_KEY"):
        # DING_API_KEY, DING_CUSTOMER_UUID and DING_BASE_URL.
        return ding.Ding(timeout=DING_TIMEOUT, total_timeout=DING_TOTAL_TIMEOUT)
    fake = FakeDing(codes=print_codes)
    return fake.client(timeout=DING_TIMEOUT, total_timeout=DING_TOTAL_TIMEOUT)


def field(name: str) -> str:
    """Return a string field of the request's JSON body, or answer 400."""
    body: object = request.get_json(silent=True)
    fields = cast("dict[str, object]", body) if isinstance(body, dict) else {}
    value = fields.get(name)
    if not isinstance(value, str):
        raise Problem(HTTPStatus.BAD_REQUEST, "bad_request", f"{name} is required")
    return value


@dataclass(frozen=True)
class Services:
    """What the routes use, kept in ``app.extensions``."""

    ding: ding.Ding
    store: VerificationStore
    made_in_pid: int


def services() -> Services:
    """Return the current app's `Services`."""
    found: Services = current_app.extensions["otp"]
    return found


otp = Blueprint("otp", __name__, url_prefix="/otp")


@otp.post("/send")
def send() -> ResponseReturnValue:
    """Send a code to the number; remember its authentication."""
    phone, app = field("phone_number"), services()
    sent = app.ding.otp.create_authentication(phone_number=phone)
    if sent.status == components.Status.RATE_LIMITED:
        raise Problem(
            HTTPStatus.TOO_MANY_REQUESTS,
            "rate_limited",
            "too many codes for this number; try again later",
        )
    if sent.status != components.Status.PENDING:  # spam_detected, or newer
        raise Problem(
            HTTPStatus.FORBIDDEN, "refused", "no code can be sent to this number"
        )
    app.store.start(phone, sent.authentication_uuid)
    return {"status": "code_sent"}


@otp.post("/verify")
def verify() -> ResponseReturnValue:
    """Check the code against the number's pending authentication."""
    phone, code, app = field("phone_number"), field("code"), services()
    auth_uuid = app.store.pending(phone)
    if auth_uuid is None:
        raise Problem(
            HTTPStatus.BAD_REQUEST,
            "no_code_sent",
            "no code is waiting for this number; send one first",
        )
    checked = app.ding.otp.check(authentication_uuid=auth_uuid, check_code=code)
    if checked.status == components.CheckStatus.VALID:
        app.store.verify(phone)
        return {"phone_number": phone, "verified": True}
    problem = CHECK_PROBLEMS.get(checked.status)
    if problem is None:  # already_validated, without_attempt, or newer
        logger.error("unexpected check status %s", checked.status)
        raise Problem(
            HTTPStatus.BAD_GATEWAY, "ding_error", "the verification service failed"
        )
    raise problem


@otp.get("/status")
def status() -> ResponseReturnValue:
    """Whether the number was verified."""
    phone = request.args.get("phone_number", "")
    return {"phone_number": phone, "verified": services().store.is_verified(phone)}


def health() -> ResponseReturnValue:
    """Which process and thread answered, and which process made the app."""
    return {
        "status": "ok",
        "pid": os.getpid(),
        "app_made_in_pid": services().made_in_pid,
        "thread": threading.current_thread().name,
    }


def create_app(
    client: ding.Ding | None = None, store: VerificationStore | None = None
) -> Flask:
    """Build the app and its client (gunicorn: ``'flask_app:create_app()'``).

    Args:
        client: The `Ding` to use (default: `open_ding`).
        store: Where verifications are kept (default: a `SqliteStore` at
            ``VERIFICATIONS_DB``, else in the temporary directory).
    """
    if store is None:
        default = Path(tempfile.gettempdir()) / "ding-flask-example.sqlite3"
        store = SqliteStore(Path(os.environ.get("VERIFICATIONS_DB", default)))
    app = Flask(__name__)
    # Under gunicorn --preload this runs in the master, before the fork.
    app.extensions["otp"] = Services(client or open_ding(), store, os.getpid())
    app.register_blueprint(otp)
    app.add_url_rule("/health", view_func=health)
    app.register_error_handler(Problem, lambda exc: exc.response())
    app.register_error_handler(ding.DingError, lambda exc: problem_for(exc).response())
    return app


def demo() -> None:
    """Serve the app threaded on a free port; verify 8 numbers from 8 threads."""
    import httpx  # noqa: PLC0415 - the demo only
    from werkzeug.serving import make_server  # noqa: PLC0415

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    fake = FakeDing()  # the demo reads the codes from the fake's outbox
    with tempfile.TemporaryDirectory() as work, fake.client() as client:
        app = create_app(client, SqliteStore(Path(work) / "verifications.sqlite3"))
        server = make_server("127.0.0.1", 0, app, threaded=True)
        serving = threading.Thread(target=server.serve_forever)
        serving.start()
        base = f"http://127.0.0.1:{server.port}"

        def sign_up(phone: str) -> str:
            with httpx.Client(base_url=base) as http:
                http.post("/otp/send", json={"phone_number": phone}).raise_for_status()
                code = fake.outbox.last_code(phone)
                assert code is not None
                wrong = http.post(
                    "/otp/verify", json={"phone_number": phone, "code": "x"}
                )
                right = http.post(
                    "/otp/verify", json={"phone_number": phone, "code": code}
                )
                thread = http.get("/health").json()["thread"]
            return f"{phone}: wrong code {wrong.status_code}, right code {right.status_code} (last answered by {thread})"

        phones = [f"+1415555{n:04d}" for n in range(8)]
        try:
            with ThreadPoolExecutor(max_workers=8) as pool:
                for line in pool.map(sign_up, phones):
                    print(line)
        finally:
            server.shutdown()
            serving.join()
        print(f"{len(fake.outbox)} codes sent, all through one ding.Ding")


if __name__ == "__main__":
    demo()
