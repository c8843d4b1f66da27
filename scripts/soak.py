"""Soak the SDK: many client lifecycles and many calls, then count what is left.

Against ``python -m ding.testing`` in a child process, this runs

* client lifecycles (default 10,000): a client created, used for one call
  and closed (``with ding.Ding``, ``async with ding.AsyncDing``), or used
  and dropped unclosed for the garbage collector;
* calls (default 100,000): one shared `ding.AsyncDing` from 100 concurrent
  asyncio tasks and one shared `ding.Ding` from 16 threads, cycling through
  create, check (of an unknown authentication, so that the one whose status
  is read does not grow with every call), status and lookup;

and prints threads, open file descriptors, resident memory and the objects
the garbage collector tracks, before (after warm-up calls, so lazy imports
and the sync client's loop thread, which then closes a sync client dropped
unclosed, are not counted) and after each round
(clients closed, garbage collected). Every exception that is not a
`ding.DingError`, every warning, and any thread or file descriptor left over
fail the run (exit status 1).

Rounds tell growth that comes once from growth that accumulates: the first
round raises the process's high-water mark (100 calls in flight, 16 threads,
the allocator's arenas, caches filled on first use), which later rounds
reuse; a leak would add about as much in every round.

Usage: python scripts/soak.py [--lifecycles N] [--calls N] [--rounds N]
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import gc
import os
import subprocess
import sys
import threading
import time
import uuid
import warnings
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import ding

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

ROOT = Path(__file__).resolve().parents[1]
CUSTOMER_UUID = "28591d9e-a825-47f6-ab11-1a61726305bf"
TASKS = 100
THREADS = 16
SHOWN = 10  # problems of each kind printed
CYCLE = ("create", "check", "status", "lookup")


def resources() -> dict[str, float]:
    """Threads, open file descriptors, resident memory (MiB), tracked objects."""
    rss = 0.0
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1]) / 1024
    fd_dir = Path("/proc/self/fd")
    fds = len(list(fd_dir.iterdir())) if fd_dir.exists() else -1
    return {
        "threads": threading.active_count(),
        "fds": fds,
        "rss_mib": rss,
        "objects": len(gc.get_objects()),
    }


def phone(i: int) -> str:
    """A phone number of the fake's test range, one of 10,000."""
    return f"+1415555{i % 10_000:04d}"


class Tally:
    """Outcomes by kind; anything that is not a DingError is a failure."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.failures: list[str] = []
        self.lock = threading.Lock()

    def record(self, outcome: str) -> None:
        """Count one outcome."""
        with self.lock:
            self.counts[outcome] += 1

    def fail(self, exc: BaseException) -> None:
        """Keep an exception that should never have reached the caller."""
        with self.lock:
            self.failures.append(f"{type(exc).__module__}.{type(exc).__name__}: {exc}")


def sync_call(client: ding.Ding, i: int, auth: str, tally: Tally) -> None:
    """One call of the cycle create, check, status, lookup."""
    try:
        kind = CYCLE[i % len(CYCLE)]
        if kind == "create":
            client.otp.create_authentication(phone_number=phone(i))
        elif kind == "check":
            client.otp.check(authentication_uuid=str(uuid.uuid4()), check_code="000000")
        elif kind == "status":
            client.otp.get_authentication_status(auth)
        else:
            client.lookup.lookup(phone(i))
        tally.record("ok")
    except ding.DingError as exc:
        tally.record(type(exc).__name__)
    except Exception as exc:  # noqa: BLE001 - counted as a failure of the SDK
        tally.fail(exc)


async def async_call(client: ding.AsyncDing, i: int, auth: str, tally: Tally) -> None:
    """The same cycle as `sync_call`, awaited."""
    try:
        kind = CYCLE[i % len(CYCLE)]
        if kind == "create":
            await client.otp.create_authentication(phone_number=phone(i))
        elif kind == "check":
            await client.otp.check(
                authentication_uuid=str(uuid.uuid4()), check_code="000000"
            )
        elif kind == "status":
            await client.otp.get_authentication_status(auth)
        else:
            await client.lookup.lookup(phone(i))
        tally.record("ok")
    except ding.DingError as exc:
        tally.record(type(exc).__name__)
    except Exception as exc:  # noqa: BLE001 - counted as a failure of the SDK
        tally.fail(exc)


def lifecycles(count: int, auth: str, tally: Tally) -> None:
    """Create, use once and close (or drop) *count* clients, in three styles."""
    third = count // 3
    for i in range(third):
        with ding.Ding() as client:
            sync_call(client, i, auth, tally)

    async def async_lifecycles() -> None:
        for i in range(third):
            async with ding.AsyncDing() as client:
                await async_call(client, i, auth, tally)
        for i in range(count - 2 * third):
            # Used and dropped without closing: the collector must clean up.
            await async_call(ding.AsyncDing(), i, auth, tally)
            if i % 500 == 0:
                gc.collect()

    asyncio.run(async_lifecycles())


def calls(count: int, auth: str, tally: Tally) -> None:
    """*count* calls: 60 % from asyncio tasks sharing one client, 40 % from threads."""
    async_count = count * 6 // 10

    async def shared_async() -> None:
        counter = iter(range(async_count))
        async with ding.AsyncDing() as client:

            async def worker() -> None:
                for i in counter:
                    await async_call(client, i, auth, tally)

            await asyncio.gather(*(worker() for _ in range(TASKS)))

    asyncio.run(shared_async())
    with ding.Ding() as client, ThreadPoolExecutor(THREADS) as pool:

        def one(i: int) -> None:
            sync_call(client, i, auth, tally)

        for _ in pool.map(one, range(count - async_count)):
            pass


def serve_fake() -> Iterator[str]:
    """Yield the base URL of ``python -m ding.testing`` run in a child process."""
    process = subprocess.Popen(
        [sys.executable, "-m", "ding.testing", "--port", "0", "--seed", "1", "--quiet"],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        assert process.stdout is not None  # noqa: S101 - stdout=PIPE
        yield process.stdout.readline().strip()
    finally:
        process.terminate()
        process.wait(10)
        if process.stdout is not None:
            process.stdout.close()


def timed(label: str, step: Callable[[], None]) -> None:
    """Run *step* and print how long it took."""
    started = time.perf_counter()
    step()
    print(f"{label}: {time.perf_counter() - started:.1f} s", flush=True)


def main() -> int:
    """Run the soak; return 1 when anything leaked or failed."""
    parser = argparse.ArgumentParser(description="Soak the SDK; count what is left.")
    parser.add_argument("--lifecycles", type=int, default=10_000)
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    tally = Tally()
    warnings.simplefilter("always")
    before = resources()
    rounds: list[dict[str, float]] = []
    with warnings.catch_warnings(record=True) as caught:
        for url in serve_fake():
            os.environ.update(
                DING_API_KEY="soak", DING_BASE_URL=url, DING_CUSTOMER_UUID=CUSTOMER_UUID
            )
            with ding.Ding() as client:
                created = client.otp.create_authentication(phone_number=phone(0))
            body = created.create_authentication_response
            auth = body.authentication_uuid if body else None
            if auth is None:
                print("FAIL the fake answered without an authentication_uuid")
                return 1
            dropped = ding.Ding()
            dropped.otp.get_authentication_status(auth)
            del dropped
            gc.collect()
            time.sleep(0.5)  # the loop thread closes its connection
            gc.collect()
            before = resources()
            for number in range(1, args.rounds + 1):
                timed(
                    f"round {number}: {args.lifecycles:,} client lifecycles",
                    functools.partial(lifecycles, args.lifecycles, auth, tally),
                )
                timed(
                    f"round {number}: {args.calls:,} calls",
                    functools.partial(calls, args.calls, auth, tally),
                )
                gc.collect()
                time.sleep(0.5)  # let closed sockets and finished threads go
                gc.collect()
                rounds.append(resources())
    return report(before, rounds, tally, caught)


def report(
    before: dict[str, float],
    rounds: list[dict[str, float]],
    tally: Tally,
    caught: list[warnings.WarningMessage],
) -> int:
    """Print the figures and the problems; return the exit status."""
    after = rounds[-1] if rounds else before
    heads = "".join(f"{f'round {n}':>10}" for n in range(1, len(rounds) + 1))
    print(f"{'':10} {'before':>10}{heads}")
    for key, value in before.items():
        cells = "".join(f"{r[key]:>10,.1f}" for r in rounds)
        print(f"{key:10} {value:>10,.1f}{cells}")
    print("outcomes:", dict(tally.counts))
    problems = [*tally.failures[:SHOWN]]
    problems += [f"warning: {w.category.__name__}: {w.message}" for w in caught[:SHOWN]]
    if len(caught) > SHOWN:
        problems.append(f"... {len(caught)} warnings in all")
    if after["threads"] > before["threads"]:
        problems.append(f"{after['threads'] - before['threads']:.0f} thread(s) left")
    if after["fds"] > before["fds"]:
        problems.append(f"{after['fds'] - before['fds']:.0f} file descriptor(s) left")
    for problem in problems:
        print("FAIL", problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
