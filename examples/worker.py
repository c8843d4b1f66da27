"""A background worker: send codes from a thread pool sharing one `ding.Ding`.

What it shows:

* one `ding.Ding` shared by the threads of a
  `concurrent.futures.ThreadPoolExecutor` (the sync client is safe to share:
  there is no need for one per thread);
* each job's outcome recorded instead of raised, so that one bad number or
  one failure of Ding does not stop the batch: ``sent``, ``rate_limited``,
  ``refused`` (Ding will not send to the number), or ``failed`` (Ding
  unreachable or erroring: worth retrying later);
* a report of the batch at the end.

Without ``DING_API_KEY`` it runs against the fake embedded in the package,
on a batch that meets each outcome: a few ordinary numbers, reserved numbers
the fake answers ``rate_limited`` or refuses, a malformed one, and a server
error injected on one call. With ``DING_API_KEY`` (and ``DING_CUSTOMER_UUID``,
``DING_BASE_URL``) it sends one SMS to each number given on the command line.

Run it: ``python examples/worker.py`` (or ``python examples/worker.py
+14155550123 ...`` with ``DING_API_KEY`` set).
"""

from __future__ import annotations

import functools
import os
import sys
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import ding
from ding.models import components
from ding.testing import FakeDing, Fault

if TYPE_CHECKING:
    from collections.abc import Sequence

Result = Literal["sent", "rate_limited", "refused", "failed"]
THREADS = 8


@dataclass(frozen=True)
class Outcome:
    """What became of one phone number."""

    phone_number: str
    result: Result
    detail: str
    thread: str


def send_code(client: ding.Ding, phone_number: str) -> Outcome:
    """Send one code; return what happened instead of raising."""

    def outcome(result: Result, detail: str) -> Outcome:
        return Outcome(phone_number, result, detail, threading.current_thread().name)

    try:
        sent = client.otp.create_authentication(phone_number=phone_number)
    except (ding.ErrorResponse, ding.InvalidPhoneNumberError) as exc:
        # Ding's 400 with its reason, or (with ding[phonenumbers]) a number
        # that cannot exist, never sent: do not retry.
        why = exc.reason if isinstance(exc, ding.InvalidPhoneNumberError) else exc.code
        return outcome("refused", str(why))
    except ding.RateLimitError:
        return outcome("rate_limited", "Ding's rate limit (HTTP 429)")
    except ding.DingError as exc:  # unreachable, 5xx, a broken answer: retry later
        return outcome("failed", type(exc).__name__)
    if sent.status == components.Status.PENDING:
        return outcome("sent", sent.authentication_uuid)
    if sent.status == components.Status.RATE_LIMITED:
        return outcome("rate_limited", "too many codes for this number")
    return outcome("refused", str(sent.status))  # spam_detected, or newer


def send_all(
    client: ding.Ding, phone_numbers: Sequence[str], threads: int = THREADS
) -> list[Outcome]:
    """Send a code to each number from *threads* threads; outcomes in order."""
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="sender") as pool:
        return list(pool.map(functools.partial(send_code, client), phone_numbers))


def report(outcomes: Sequence[Outcome]) -> str:
    """Return the batch's outcomes, one line each, then the totals."""
    lines = [
        f"{o.phone_number:<14} {o.result:<13} {o.detail} ({o.thread})" for o in outcomes
    ]
    totals = Counter(o.result for o in outcomes)
    threads = len({o.thread for o in outcomes})
    lines.append(
        f"{len(outcomes)} numbers from {threads} threads, one client: "
        + ", ".join(
            f"{totals[r]} {r}" for r in ("sent", "rate_limited", "refused", "failed")
        )
    )
    return "\n".join(lines)


DEMO_BATCH = [
    *(f"+1415555{n:04d}" for n in range(12)),
    "+15005550001",  # the fake answers rate_limited
    "+15005550002",  # spam_detected
    "+15005550003",  # 400 blocked_number
    "0612345678",  # not E.164: 400 invalid_phone_number
]


def main() -> None:
    """Send the batch: through Ding with DING_API_KEY, else through the fake."""
    if os.environ.get("DING_API_KEY"):
        with ding.Ding() as client:
            print(report(send_all(client, sys.argv[1:])))
        return
    fake = FakeDing()
    # One call of the batch meets a server error, as if Ding were down for it.
    fake.faults.inject("create_authentication", Fault.server_error(), on_call=5)
    with fake.client() as client:
        outcomes = send_all(client, DEMO_BATCH)
    print(report(outcomes))
    print(f"the fake's outbox holds {len(fake.outbox)} codes")


if __name__ == "__main__":
    main()
