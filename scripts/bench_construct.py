"""Measure what creating clients costs, side by side in one run.

Prints the median cost, per object, of:

* ``ding.AsyncDing(...)`` and ``ding.Ding(...)`` (no network, no httpx client yet);
* the first request's lazy ``httpx.AsyncClient`` (with the shared TLS context);
* a plain ``httpx.AsyncClient()``, which builds its own TLS context;
* one sync call of a trivial coroutine through the sync client's event loop.

Usage: python scripts/bench_construct.py [--rounds N]
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import TYPE_CHECKING

import httpx

import ding
from ding._config import shared_ssl_context
from ding._sync import _portal

if TYPE_CHECKING:
    from collections.abc import Callable


def per_call(fn: Callable[[], object], *, number: int, rounds: int) -> float:
    """Return the median over *rounds* of the mean cost of *number* calls, in µs."""
    samples: list[float] = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        samples.append((time.perf_counter() - start) / number * 1e6)
    return statistics.median(samples)


async def _noop() -> None:
    return None


def main() -> None:
    """Run every measurement and print one line each."""
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0] if __doc__ else ""
    )
    parser.add_argument("--rounds", type=int, default=7)
    rounds = parser.parse_args().rounds
    shared_ssl_context()  # built once per process; measured separately below
    _portal.call(_noop)  # make the loop outside the measurement

    rows = [
        (
            "ding.AsyncDing(api_key=...)",
            per_call(lambda: ding.AsyncDing(api_key="k"), number=2000, rounds=rounds),
        ),
        (
            "ding.Ding(api_key=...)",
            per_call(lambda: ding.Ding(api_key="k"), number=2000, rounds=rounds),
        ),
        (
            "httpx.AsyncClient(verify=<shared ctx>) (lazy, first request)",
            per_call(
                lambda: httpx.AsyncClient(verify=shared_ssl_context()),
                number=200,
                rounds=rounds,
            ),
        ),
        (
            "httpx.AsyncClient() (own TLS context)",
            per_call(httpx.AsyncClient, number=10, rounds=rounds),
        ),
        (
            "sync call of a no-op coroutine (the loop run in this thread)",
            per_call(lambda: _portal.call(_noop), number=2000, rounds=rounds),
        ),
    ]
    width = max(len(name) for name, _ in rows)
    print(f"median of {rounds} rounds, microseconds per call")
    for name, micros in rows:
        print(f"{name:<{width}}  {micros:10.1f}")


if __name__ == "__main__":
    main()
