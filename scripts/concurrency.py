"""Measure one shared `ding.AsyncDing` under thousands of concurrent calls.

Against a prompt local server (``python -m benchmarks._server`` in a child
process: a fixed answer, keep-alive, no work per request), for each backend
(asyncio, trio) and each task count (default 1,000 and 10,000), this starts
that many tasks at once, each making one call (``otp.check``) through one
shared client, and prints:

* completed and failed calls (failures counted by error and message);
* the wall time from the first task started to the last call finished;
* the event loop's lag: a task sleeps 10 ms in a loop and records how late
  it wakes; the table shows the largest delay and the 99th percentile.

A loop that starves shows as lag in the hundreds of milliseconds or more,
a pool that degrades with its queue as a wall time that grows faster than
the task count. Every exception that is not a `ding.DingError` is a failure
of the SDK and makes the exit status 1.

Usage: python scripts/concurrency.py [--tasks 1000 10000]
       [--backend asyncio trio] [--url URL] [--timeout SECONDS]
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

import anyio
import attrs
import httpx

import ding

if TYPE_CHECKING:
    from collections.abc import Generator, Sequence

ROOT = Path(__file__).resolve().parents[1]
CUSTOMER_UUID = "28591d9e-a825-47f6-ab11-1a61726305bf"
AUTH_UUID = "b96e4807-1510-4bd2-8106-8ca1a09d679e"
TICK = 0.010  # the lag probe's sleep, seconds
DESCRIPTION = "Measure one shared AsyncDing under thousands of concurrent calls."


@attrs.define
class Result:
    """What one run measured."""

    backend: str
    tasks: int
    completed: int = 0
    failures: Counter[str] = attrs.field(factory=Counter[str])
    unexpected: list[str] = attrs.field(factory=list[str])
    wall: float = 0.0
    lags: list[float] = attrs.field(factory=list[float])

    def lag(self, quantile: float) -> float:
        """The lag at *quantile* (0..1), in milliseconds."""
        if not self.lags:
            return 0.0
        ordered = sorted(self.lags)
        index = min(len(ordered) - 1, round(quantile * (len(ordered) - 1)))
        return ordered[index] * 1000


async def _probe(result: Result, done: anyio.Event) -> None:
    """Sleep TICK in a loop; record how late each wake-up is."""
    while not done.is_set():
        start = time.perf_counter()
        await anyio.sleep(TICK)
        result.lags.append(max(0.0, time.perf_counter() - start - TICK))


async def _call(client: ding.AsyncDing, result: Result) -> None:
    try:
        await client.otp.check(authentication_uuid=AUTH_UUID, check_code="123456")
    except ding.DingError as exc:
        result.failures[f"{type(exc).__name__}: {exc}"] += 1
    except Exception as exc:  # noqa: BLE001 - counted: no such exception may escape
        result.unexpected.append(f"{type(exc).__module__}.{type(exc).__name__}: {exc}")
    else:
        result.completed += 1


async def run(url: str, tasks: int, backend: str, timeout: float | None) -> Result:
    """Run *tasks* concurrent calls through one client; return what happened."""
    result = Result(backend=backend, tasks=tasks)
    options: dict[str, object] = {}
    if timeout is not None:
        options["timeout"] = httpx.Timeout(timeout)
    async with ding.AsyncDing(
        api_key="concurrency-key",
        server_url=url,
        customer_uuid=CUSTOMER_UUID,
        max_retries=0,
        **options,  # type: ignore[arg-type]  # timeout only when given
    ) as client:
        # One call first: the pool, the lazy imports and the converters are
        # set up before the clock starts.
        await client.otp.check(authentication_uuid=AUTH_UUID, check_code="123456")
        done = anyio.Event()
        async with anyio.create_task_group() as probe_group:
            probe_group.start_soon(_probe, result, done)
            started = time.perf_counter()
            async with anyio.create_task_group() as group:
                for _ in range(tasks):
                    group.start_soon(_call, client, result)
            result.wall = time.perf_counter() - started
            done.set()
    return result


@contextlib.contextmanager
def prompt_server() -> Generator[str]:
    """Run ``python -m benchmarks._server`` in a child process; yield its URL."""
    process = subprocess.Popen(
        [sys.executable, "-m", "benchmarks._server"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None  # noqa: S101 - piped above
        url = process.stdout.readline().strip()
        if not url.startswith("http://"):
            msg = "the benchmark server did not start"
            raise RuntimeError(msg)
        yield url + "/v1"
    finally:
        process.terminate()
        process.wait(timeout=10)


def table(results: Sequence[Result]) -> str:
    """The results as a plain-text table."""
    rows = [
        (
            "backend",
            "tasks",
            "completed",
            "failed",
            "wall s",
            "calls/s",
            "lag max ms",
            "lag p99 ms",
        )
    ]
    for r in results:
        failed = sum(r.failures.values()) + len(r.unexpected)
        rows.append(
            (
                r.backend,
                f"{r.tasks:,}",
                f"{r.completed:,}",
                f"{failed:,}",
                f"{r.wall:.2f}",
                f"{r.tasks / r.wall:,.0f}" if r.wall else "-",
                f"{r.lag(1.0):.1f}",
                f"{r.lag(0.99):.1f}",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True))
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run every backend and task count; print the table; return the status."""
    parser = argparse.ArgumentParser(description=DESCRIPTION)
    parser.add_argument("--tasks", type=int, nargs="+", default=[1_000, 10_000])
    parser.add_argument(
        "--backend", nargs="+", choices=["asyncio", "trio"], default=["asyncio", "trio"]
    )
    parser.add_argument(
        "--url", help="a running server's base URL (default: start one)"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        help="the client's timeout, seconds (default: the SDK's)",
    )
    args = parser.parse_args(argv)
    results: list[Result] = []
    with contextlib.ExitStack() as stack:
        url: str = args.url or stack.enter_context(prompt_server())
        for backend in args.backend:
            for tasks in args.tasks:
                gc.collect()
                result = anyio.run(
                    run, url, tasks, backend, args.timeout, backend=backend
                )
                results.append(result)
                print(
                    f"{backend} {tasks:,}: {result.completed:,} completed in "
                    f"{result.wall:.2f}s",
                    file=sys.stderr,
                    flush=True,
                )
    print(table(results))
    for r in results:
        for message, count in r.failures.most_common(5):
            print(f"{r.backend} {r.tasks:,}: {count:,} x {message}")
        for message in r.unexpected[:5]:
            print(f"{r.backend} {r.tasks:,}: UNEXPECTED {message}")
    return 1 if any(r.unexpected for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
