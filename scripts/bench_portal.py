"""Measure three ways of running a coroutine from sync code, side by side.

Each way runs the coroutine on one background event-loop thread, and the
calling thread waits for its result:

* (a) ``ding._sync._portal.call(fn, *args)``: what every ``ding.Ding``
  method does;
* (b) anyio's ``BlockingPortal``: ``start_blocking_portal()``, then
  ``portal.call(fn, *args)``;
* (c) ``asyncio.run_coroutine_threadsafe(fn(*args), loop).result()``, the
  loop run forever by a daemon ``threading.Thread``: the reference.

Three workloads: a no-op coroutine (the way's own cost, nothing else), and
``ding.AsyncDing(...).otp.check(...)`` against a local server
(``python -m benchmarks._server``) that answers at once, then one that
answers 2 ms late (``--delay 0.002``). Each way has its own loop, so its own
``AsyncDing`` client and connection.

Every round runs every workload through every way, the ways in an order
rotated from round to round, so that a noisy moment of the machine spreads
over all of them. Per call, it prints the median over the rounds of the
wall time, and of the CPU time of the whole process (``time.process_time``:
the calling thread and the loop's thread together); each ratio is that
median over (c)'s. Below 1.00x is cheaper than (c). Compare within one run
only: on a shared machine, two runs minutes apart differ more than the ways.

Usage: python scripts/bench_portal.py [--rounds N]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import importlib.metadata
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, NamedTuple, Protocol, TypeVar

import anyio.from_thread

import ding
from ding._sync import _portal

T = TypeVar("T")
ROOT = Path(__file__).resolve().parent.parent
#: The reference way, the last of those `start_ways` returns.
REFERENCE = "(c) run_coroutine_threadsafe"
#: What the micro server answers to every request: this check, valid.
AUTH_UUID = "b96e4807-1510-4bd2-8106-8ca1a09d679e"
CoroutineFunction = Callable[..., Coroutine[Any, Any, object]]


class Way(Protocol):
    """One way of running a coroutine from sync code."""

    def __call__(
        self, fn: Callable[..., Coroutine[Any, Any, T]], /, *args: object
    ) -> T:
        """Run ``await fn(*args)`` on a background loop; return its result."""
        ...


class Workload(NamedTuple):
    """What each call runs, how many calls a round makes, against which server."""

    title: str
    calls: int
    fn: CoroutineFunction
    server: str | None = None


async def noop() -> None:
    """The no-op workload."""


async def check(client: ding.AsyncDing) -> object:
    """The real workload: one ``POST /v1/check``; return the status it says."""
    result = await client.otp.check(authentication_uuid=AUTH_UUID, check_code="1234")
    body = result.create_check_response
    return body.status if body is not None else None


def start_server(*args: str) -> tuple[subprocess.Popen[str], str]:
    """Start ``python -m benchmarks._server *args``; return it and its URL."""
    server = subprocess.Popen(
        [sys.executable, "-m", "benchmarks._server", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None  # noqa: S101 - stdout=PIPE
    url = server.stdout.readline().strip()
    if not url.startswith("http://"):
        server.kill()
        raise SystemExit(f"the server printed {url!r} instead of its URL")
    return server, url


def start_ways(stack: contextlib.ExitStack) -> dict[str, Way]:
    """Start the three ways' loops (closed with *stack*); return the ways."""
    portal = stack.enter_context(anyio.from_thread.start_blocking_portal())
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    def stop() -> None:
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
        loop.close()

    stack.callback(stop)

    def via_ding(fn: Callable[..., Coroutine[Any, Any, T]], /, *args: object) -> T:
        return _portal.call(fn, *args)

    def via_anyio(fn: Callable[..., Coroutine[Any, Any, T]], /, *args: object) -> T:
        # mypy infers Any through anyio's `*args: Unpack[PosArgsT]` with `...`.
        result: T = portal.call(fn, *args)
        return result

    def via_asyncio(fn: Callable[..., Coroutine[Any, Any, T]], /, *args: object) -> T:
        return asyncio.run_coroutine_threadsafe(fn(*args), loop).result()

    return {
        "(a) ding._sync._portal.call": via_ding,
        "(b) anyio BlockingPortal.call": via_anyio,
        REFERENCE: via_asyncio,
    }


def measure(
    way: Way,
    fn: Callable[..., Coroutine[Any, Any, object]],
    args: tuple[object, ...],
    calls: int,
) -> tuple[float, float]:
    """Make *calls* calls; return the wall and the CPU µs per call."""
    gc.collect()
    cpu = time.process_time()
    start = time.perf_counter()
    for _ in range(calls):
        way(fn, *args)
    wall = time.perf_counter() - start
    return wall / calls * 1e6, (time.process_time() - cpu) / calls * 1e6


def report(title: str, samples: dict[str, list[tuple[float, float]]]) -> None:
    """Print one workload's table: medians over the rounds, ratios to (c)."""
    wall = {name: statistics.median(w for w, _ in got) for name, got in samples.items()}
    cpu = {name: statistics.median(c for _, c in got) for name, got in samples.items()}
    print(f"\n{title}")
    print(
        f"  {'way':<31} {'wall µs/call':>12} {'(min-max)':>17} {'ratio':>6}"
        f" {'CPU µs/call':>11} {'ratio':>6}"
    )
    for name, got in samples.items():
        spread = f"({min(w for w, _ in got):.1f}-{max(w for w, _ in got):.1f})"
        print(
            f"  {name:<31} {wall[name]:12.1f} {spread:>17}"
            f" {wall[name] / wall[REFERENCE]:5.2f}x"
            f" {cpu[name]:11.1f} {cpu[name] / cpu[REFERENCE]:5.2f}x"
        )


def run(rounds: int) -> dict[Workload, dict[str, list[tuple[float, float]]]]:
    """Start the servers and the ways, run the rounds; return the samples."""
    # A round of one way lasted about 0.4 s, 0.5 s and 0.8 s on a 2-core VM.
    # server: the delay given to the server, "" for none; None: no server.
    workloads = [
        Workload("no-op coroutine", 5000, noop),
        Workload("AsyncDing.otp.check, server answering at once", 1000, check, ""),
        Workload(
            "AsyncDing.otp.check, server answering 2 ms late", 300, check, "0.002"
        ),
    ]
    samples: dict[Workload, dict[str, list[tuple[float, float]]]] = {}
    with contextlib.ExitStack() as stack:
        urls: dict[str, str] = {}
        for delay in ("", "0.002"):
            server, urls[delay] = start_server("--delay", delay or "0")
            stack.callback(server.wait)
            stack.callback(server.terminate)
        ways = start_ways(stack)
        # Each way's own clients: a client's connections belong to one loop.
        args: dict[tuple[str, str | None], tuple[object, ...]] = {}
        for name, way in ways.items():
            args[name, None] = ()
            for delay, url in urls.items():
                client = ding.AsyncDing(
                    api_key="k", server_url=f"{url}/v1", customer_uuid="c"
                )
                stack.callback(way, client.aclose)
                args[name, delay] = (client,)
        for work in workloads:  # warm up, and see that the check says valid
            samples[work] = {name: [] for name in ways}
            for name, way in ways.items():
                if work.fn is check and way(check, *args[name, work.server]) != "valid":
                    raise SystemExit(f"{name}: the check did not say valid")
                measure(way, work.fn, args[name, work.server], work.calls // 10)
        names = list(ways)
        for index in range(rounds):
            shift = index % len(names)
            for work in workloads:
                for name in names[shift:] + names[:shift]:
                    samples[work][name].append(
                        measure(
                            ways[name], work.fn, args[name, work.server], work.calls
                        )
                    )
            print(f"round {index + 1}/{rounds} done", file=sys.stderr, flush=True)
    return samples


def main() -> None:
    """Run the rounds, then print one table per workload."""
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0] if __doc__ else ""
    )
    parser.add_argument("--rounds", type=int, default=5)
    rounds = max(1, parser.parse_args().rounds)
    load = os.getloadavg()[0]
    samples = run(rounds)
    versions = ", ".join(
        f"{d} {importlib.metadata.version(d)}" for d in ("ding", "anyio", "httpx")
    )
    print(
        f"Python {platform.python_version()}, {versions}; {os.cpu_count()} CPUs; "
        f"1-minute load average {load:.2f} at the start, "
        f"{os.getloadavg()[0]:.2f} at the end"
    )
    print(
        f"median of {rounds} rounds, per call; CPU: the whole process's "
        "(calling thread and loop thread); ratio: to (c)'s median"
    )
    for work, by_way in samples.items():
        report(f"{work.title}: {work.calls:,} calls per round", by_way)


if __name__ == "__main__":
    main()
