"""Measure how long a fresh process's first AsyncDing call blocks its event loop.

Each round runs every variant in a fresh Python process (``python -m
benchmarks._stall``, which the ``stall`` scenario of ``nox -s bench`` runs
too): the library is imported before the loop starts, a task wakes every
1 ms on ``asyncio.run``'s loop, and the first call is made; the stall is the
largest gap between two wake-ups (less the 1 ms) from the call's start to
5 ms after its end. The variants:

* ``AsyncDing`` made in the running loop, right before the call;
* ``AsyncDing`` made before the loop starts, as a module-level client is;
* a plain ``httpx.AsyncClient`` made in the loop, the same request (the
  reference: what the HTTP stack alone costs a first call).

The call is ``POST /v1/authentication`` to the fake Ding API: started here
with ``ding.testing.FakeDing().serve()`` (a thread of this process, which
only waits meanwhile), or the one at ``--server-url``. A first run of each
variant, not counted, warms the file caches. Prints, per variant, the
median and the max of the stalls over the rounds, the first call's median
time, and the largest stall seen with no call in flight (the noise floor).

Usage: python scripts/first_call_stall.py [--rounds N] [--server-url URL]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import subprocess
import sys
from pathlib import Path

import ding.testing

ROOT = Path(__file__).resolve().parent.parent
# The variants of benchmarks/_stall.py, in the order shown; the reference last.
VARIANTS = {
    "ding-stall-loop": "AsyncDing made in the loop",
    "ding-stall-module": "AsyncDing made before the loop",
    "httpx-stall": "httpx.AsyncClient made in the loop",
}
# The promise: a first call never blocks the loop much longer.
PROMISE_MS = 20.0


def probe(variant: str, url: str) -> dict[str, float]:
    """Run *variant* once in a fresh process; return its stalls and call time."""
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks._stall", variant, "--url", url],
        # From the root, as the benchmark runs it: `benchmarks` and this
        # checkout's `ding` are imported from there.
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        sys.exit(f"{variant}: exit status {done.returncode}\n{done.stderr}")
    answer: dict[str, float] = json.loads(done.stdout.splitlines()[-1])
    return answer


def measure(url: str, rounds: int) -> dict[str, list[dict[str, float]]]:
    """Every variant once per round, in an order rotated from round to round."""
    for variant in VARIANTS:
        probe(variant, url)  # warms the file caches; not counted
    results: dict[str, list[dict[str, float]]] = {v: [] for v in VARIANTS}
    order = list(VARIANTS)
    for index in range(rounds):
        print(f"round {index + 1}/{rounds}", file=sys.stderr, flush=True)
        shift = index % len(order)
        for variant in order[shift:] + order[:shift]:
            results[variant].append(probe(variant, url))
    return results


def report(results: dict[str, list[dict[str, float]]]) -> None:
    """Print one line per variant, in milliseconds."""
    header = ("variant", "median", "max", "first call", "idle max")
    rows: list[tuple[str, ...]] = [header]
    for variant, answers in results.items():
        stalls = [a["stall"] * 1e3 for a in answers]
        rows.append(
            (
                VARIANTS[variant],
                f"{statistics.median(stalls):.1f}",
                f"{max(stalls):.1f}",
                f"{statistics.median(a['call'] * 1e3 for a in answers):.1f}",
                f"{max(a['idle_stall'] * 1e3 for a in answers):.1f}",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    rounds = len(next(iter(results.values())))
    print(
        f"largest event-loop stall during a first call, ms, over {rounds} fresh "
        "processes (first call: its median time, with the client's construction "
        "where it is made in the loop; idle max: the largest stall with no call "
        "in flight)"
    )
    for row in rows:
        cells = [row[0].ljust(widths[0])]
        cells += [
            cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True)
        ]
        print("  " + "  ".join(cells))
    worst = max(
        a["stall"] * 1e3
        for variant, answers in results.items()
        if variant.startswith("ding-")
        for a in answers
    )
    verdict = "within" if worst <= PROMISE_MS else "beyond"
    print(
        f"AsyncDing's largest stall: {worst:.1f} ms, {verdict} the promise of "
        f"about {PROMISE_MS:g} ms"
    )


def main() -> int:
    """Measure; print the table."""
    parser = argparse.ArgumentParser(
        description="Measure the largest event-loop stall during a first AsyncDing call."
    )
    parser.add_argument(
        "--rounds", type=int, default=5, help="fresh processes per variant (default 5)"
    )
    parser.add_argument(
        "--server-url",
        help=(
            "the base URL of a fake Ding API (http://HOST:PORT or …/v1; default: "
            "serve ding.testing.FakeDing in this process)"
        ),
    )
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        url = args.server_url
        if url is None:
            server = stack.enter_context(ding.testing.FakeDing().serve())
            url = server.url + "/v1"
        results = measure(url, max(1, args.rounds))
    report(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
