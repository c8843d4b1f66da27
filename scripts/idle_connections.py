"""Calls spaced as far apart as a server's idle timeout: none may fail.

A server that closes idle keep-alive connections after T seconds, and calls
spaced T x U(0.97, 1.03) apart, as light traffic meets any server's timeout:
about half the calls find their connection closed, and a few are written to
it at the very moment the server closes it, so that the server never reads
them. The SDK must send those once more on a new connection
(`ding._transport._reuse`) and nothing else twice.

Each run serves the fake (`ding.testing.FakeDing`) with ``idle_timeout=T``,
silently or announcing it (``Keep-Alive: timeout=T``), and makes ``--calls``
``otp.create_authentication`` calls, a POST that is never retried (the client
has ``max_retries=0``), each for its own number, through one of the clients:
`ding.AsyncDing` on asyncio, on asyncio with uvloop's loop (as uvicorn
runs it), on trio, or `ding.Ding`. It reports the
failed calls, the requests the fake handled and the codes it sent (one each
per call is the promise), and the requests the SDK sent once more.

Usage: python scripts/idle_connections.py [--calls N] [--idle-timeout T]
[--json]. Every client and both server modes run at once, each in a process
of its own; the exit status is 1 if any call failed or any request was
handled twice.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import logging
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ding
from ding.testing import DEFAULT_CUSTOMER_UUID, FakeDing

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Sequence

CLIENTS = ("asyncio", "uvloop", "trio", "sync")
MODES = ("silent", "announced")
ROOT = Path(__file__).resolve().parent.parent


class _Resends(logging.Handler):
    """Counts the SDK's log lines of a request sent once more."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if "sent again" in record.getMessage():
            self.count += 1


def _numbers(calls: int) -> list[str]:
    return [f"+1415555{i:04d}" for i in range(calls + 1)]


def _spacing(timeout: float) -> float:
    return timeout * random.uniform(0.97, 1.03)  # noqa: S311 - not cryptography


def _settings(url: str) -> dict[str, Any]:
    return {
        "api_key": "k",
        "server_url": url,
        "customer_uuid": DEFAULT_CUSTOMER_UUID,
        "max_retries": 0,
    }


async def _async_calls(
    url: str,
    numbers: list[str],
    timeout: float,
    sleep: Callable[[float], Awaitable[object]],
) -> list[str]:
    """The calls of `ding.AsyncDing`, spaced with the running loop's *sleep*."""
    failures: list[str] = []
    async with ding.AsyncDing(**_settings(url)) as client:
        await client.otp.create_authentication(phone_number=numbers[0])  # warm-up
        for number in numbers[1:]:
            await sleep(_spacing(timeout))
            try:
                await client.otp.create_authentication(phone_number=number)
            except ding.DingError as exc:
                failures.append(repr(exc))
    return failures


def _sync_calls(url: str, numbers: list[str], timeout: float) -> list[str]:
    failures: list[str] = []
    with ding.Ding(**_settings(url)) as client:
        client.otp.create_authentication(phone_number=numbers[0])
        for number in numbers[1:]:
            time.sleep(_spacing(timeout))
            try:
                client.otp.create_authentication(phone_number=number)
            except ding.DingError as exc:
                failures.append(repr(exc))
    return failures


def run_one(client: str, mode: str, calls: int, timeout: float) -> dict[str, Any]:
    """Run one client against one server mode in this process; return its report."""
    resends = _Resends()
    logger = logging.getLogger("ding")
    logger.addHandler(resends)
    logger.setLevel(logging.INFO)
    fake = FakeDing()
    numbers = _numbers(calls)
    with fake.serve(
        idle_timeout=timeout, announce_idle_timeout=mode == "announced"
    ) as server:
        url = server.url + "/v1"
        started = time.perf_counter()
        run: Callable[[], list[str]]
        if client == "asyncio":
            run = lambda: asyncio.run(  # noqa: E731
                _async_calls(url, numbers, timeout, asyncio.sleep)
            )
        elif client == "trio":
            import trio  # noqa: PLC0415 - only for this client

            run = lambda: trio.run(  # noqa: E731
                _async_calls, url, numbers, timeout, trio.sleep
            )
        elif client == "uvloop":
            import uvloop  # noqa: PLC0415 - only for this client

            run = lambda: uvloop.run(  # noqa: E731
                _async_calls(url, numbers, timeout, asyncio.sleep)
            )
        else:
            run = lambda: _sync_calls(url, numbers, timeout)  # noqa: E731
        failures = run()
        elapsed = time.perf_counter() - started
        handled = fake.handled_requests - 1  # less the warm-up
        sent = sum(len(fake.outbox.for_number(n)) for n in numbers[1:])
    return {
        "client": client,
        "mode": mode,
        "calls": calls,
        "failed": len(failures),
        "failures": failures[:3],
        "handled": handled,
        "codes_sent": sent,
        "resent": resends.count,
        "seconds": round(elapsed, 1),
    }


def _installed() -> list[str]:
    """The clients whose event loop is installed (trio and uvloop are extras)."""
    needs = {"trio": "trio", "uvloop": "uvloop"}
    found = [c for c in CLIENTS if c not in needs or importlib.util.find_spec(needs[c])]
    for client in sorted(set(CLIENTS) - set(found)):
        print(f"({client}: not installed, skipped)", file=sys.stderr)
    return found


def _children(calls: int, timeout: float) -> list[dict[str, Any]]:
    """Run every client and mode at once, each in a child process."""
    children = [
        subprocess.Popen(
            [
                sys.executable,
                __file__,
                "--one",
                client,
                mode,
                "--calls",
                str(calls),
                "--idle-timeout",
                str(timeout),
            ],
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        for client in _installed()
        for mode in MODES
    ]
    reports: list[dict[str, Any]] = []
    for child in children:
        out, _ = child.communicate()
        if child.returncode != 0:
            raise SystemExit(f"a run failed (exit status {child.returncode})")
        reports.append(json.loads(out))
    return reports


def _table(reports: list[dict[str, Any]], timeout: float) -> str:
    lines = [
        f"idle timeout {timeout:g} s, calls spaced {timeout:g} s x U(0.97, 1.03)",
        (
            f"{'client':<8} {'server':<10} {'calls':>6} {'failed':>7} "
            f"{'handled':>8} {'codes':>6} {'resent':>7} {'s':>6}"
        ),
    ]
    lines += [
        f"{r['client']:<8} {r['mode']:<10} {r['calls']:>6} {r['failed']:>7} "
        f"{r['handled']:>8} {r['codes_sent']:>6} {r['resent']:>7} {r['seconds']:>6}"
        for r in reports
    ]
    lines += [
        f"  {r['client']}/{r['mode']}: {f}" for r in reports for f in r["failures"]
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run every client and mode, print the table; 1 if a promise broke."""
    parser = argparse.ArgumentParser(
        description="Calls spaced as far apart as a server's idle timeout."
    )
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--idle-timeout", type=float, default=0.1)
    parser.add_argument("--json", action="store_true", help="one JSON list")
    parser.add_argument(
        "--one", nargs=2, metavar=("CLIENT", "MODE"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.one:
        client, mode = args.one
        print(json.dumps(run_one(client, mode, args.calls, args.idle_timeout)))
        return 0
    reports = _children(args.calls, args.idle_timeout)
    print(json.dumps(reports) if args.json else _table(reports, args.idle_timeout))
    broken = any(
        r["failed"] or r["handled"] != r["calls"] or r["codes_sent"] != r["calls"]
        for r in reports
    )
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
