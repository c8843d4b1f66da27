"""A benchmark worker: one competitor in its own process, driven over a pipe.

Each competitor (``ding.Ding``, plain ``httpx.Client``, the official SDK, ...)
runs in a process of its own, so that it imports only what a user of it
would import and its memory, threads and garbage are its own. The
orchestrator (`benchmarks._run`) sends one JSON command per line on standard
input; the worker runs it and answers one JSON line on standard output.

This module, like `benchmarks._competitors`, imports nothing but the
standard library at the top: each competitor imports its HTTP library when
it is created. That is what lets the same worker run in the environment
where ``ding`` is the official SDK (``ding-api-client``), which cannot be
installed next to this project.

Usage (the orchestrator's)::

    python -m benchmarks._worker COMPETITOR --micro URL [--nearby URL] [--fake URL]
    python -m benchmarks._worker COMPETITOR --micro URL --cold
"""

from __future__ import annotations

import argparse
import collections
import gc
import importlib
import importlib.metadata
import importlib.util
import json
import logging
import platform
import sys
import threading
import time
import tracemalloc
import warnings
from typing import TYPE_CHECKING, Any, Final

from benchmarks._competitors import COMPETITORS, AsyncCompetitor, SyncCompetitor

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

__all__ = ["main"]

#: A hard stop for one async command, in seconds; never reached in a sane run.
SAFETY_CAP: Final = 300.0
#: The most clients one construction measurement creates (each is closed after).
MAX_CONSTRUCTED: Final = 2000
#: Distributions whose versions describe an environment.
DISTRIBUTIONS: Final = (
    "ding",
    "ding-api-client",
    "httpx",
    "httpcore",
    "h11",
    "anyio",
    "sniffio",
    "trio",
    "attrs",
    "cattrs",
    "aiohttp",
    "requests",
    "urllib3",
    "opentelemetry-api",
    "opentelemetry-sdk",
)

Reply = dict[str, Any]


def _failure_kind(exc: BaseException) -> str:
    """Name a failure: its type, plus the kind of timeout when it says which."""
    name = type(exc).__name__
    tail = str(exc).rsplit(": ", 1)[-1]
    if tail.endswith("timeout") and len(tail) < 30:  # noqa: PLR2004 - short labels only
        return f"{name} ({tail})"
    return name


class _Tally:
    """Successes and failures (by kind) of one command, thread-safe enough."""

    def __init__(self) -> None:
        self.ok = 0
        self.failures: collections.Counter[str] = collections.Counter()
        self._lock = threading.Lock()

    def add(self, ok: int, failures: collections.Counter[str]) -> None:
        with self._lock:
            self.ok += ok
            self.failures.update(failures)

    def reply(self, seconds: float, cpu: float, done_calls: int) -> Reply:
        failed = sum(self.failures.values())
        return {
            "seconds": seconds,
            "ok": self.ok,
            "failures": dict(self.failures),
            "unfinished": max(0, done_calls - self.ok - failed),
            "cpu": cpu,
        }


class _LogCounter(logging.Handler):
    """Count the warnings libraries log or warn, instead of printing them."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.counts: collections.Counter[str] = collections.Counter()

    def emit(self, record: logging.LogRecord) -> None:
        self.counts[f"{record.name}: {record.msg}"[:120]] += 1

    def warn(self, message: warnings.WarningMessage) -> None:
        self.counts[f"{message.category.__name__}: {message.message}"[:120]] += 1

    def take(self) -> dict[str, int]:
        counts = dict(self.counts)
        self.counts.clear()
        return counts


# --- measuring ----------------------------------------------------------------


def _sync_sequential(call: Callable[[], None], calls: int) -> Reply:
    """Make *calls* calls one after another."""
    tally = _Tally()
    failures: collections.Counter[str] = collections.Counter()
    ok = 0
    cpu = time.process_time()
    start = time.perf_counter()
    for _ in range(calls):
        try:
            call()
        except Exception as exc:  # noqa: BLE001, PERF203 - every failure is counted
            failures[_failure_kind(exc)] += 1
        else:
            ok += 1
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu
    tally.add(ok, failures)
    return tally.reply(seconds, cpu, calls)


def _sync_threads(call: Callable[[], None], threads: int, calls: int) -> Reply:
    """*threads* threads share *calls* calls of one client; all start together."""
    tally = _Tally()
    tickets = iter(range(calls))
    lock = threading.Lock()
    barrier = threading.Barrier(threads + 1)

    def work() -> None:
        ok = 0
        failures: collections.Counter[str] = collections.Counter()
        barrier.wait()
        while True:
            with lock:
                ticket = next(tickets, None)
            if ticket is None:
                break
            try:
                call()
            except Exception as exc:  # noqa: BLE001 - every failure is counted
                failures[_failure_kind(exc)] += 1
            else:
                ok += 1
        tally.add(ok, failures)

    pool = [threading.Thread(target=work, daemon=True) for _ in range(threads)]
    for thread in pool:
        thread.start()
    cpu = time.process_time()
    barrier.wait()
    start = time.perf_counter()
    for thread in pool:
        thread.join()
    seconds = time.perf_counter() - start
    return tally.reply(seconds, time.process_time() - cpu, calls)


async def _async_concurrent(
    call: Callable[[], Awaitable[None]], concurrency: int, calls: int
) -> Reply:
    """*concurrency* tasks share *calls* calls of one client."""
    import anyio  # noqa: PLC0415 - only async workers need it

    tally = _Tally()
    remaining = calls

    async def work() -> None:
        nonlocal remaining
        ok = 0
        failures: collections.Counter[str] = collections.Counter()
        try:
            while remaining > 0:
                remaining -= 1
                try:
                    await call()
                except Exception as exc:  # noqa: BLE001 - every failure is counted
                    failures[_failure_kind(exc)] += 1
                else:
                    ok += 1
        finally:
            tally.add(ok, failures)

    cpu = time.process_time()
    start = time.perf_counter()
    with anyio.move_on_after(SAFETY_CAP):
        async with anyio.create_task_group() as tg:
            for _ in range(concurrency):
                tg.start_soon(work)
    seconds = time.perf_counter() - start
    return tally.reply(seconds, time.process_time() - cpu, calls)


async def _async_memory(call: Callable[[], Awaitable[None]], concurrency: int) -> Reply:
    """Traced Python memory at the peak of *concurrency* simultaneous calls.

    Tracing starts after the client is warm, so the peak is what the calls in
    flight hold, beyond what the client already held.
    """
    gc.collect()
    tracemalloc.start()
    try:
        reply = await _async_concurrent(call, concurrency, concurrency)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    reply["peak_bytes"] = peak
    return reply


def _construct_loop(
    make: Callable[[], object], seconds: float
) -> tuple[float, list[object]]:
    """Create clients for about *seconds*; return the cost of one, and the clients.

    At least 3 and at most `MAX_CONSTRUCTED` clients are made.
    """
    made: list[object] = []
    start = time.perf_counter()
    deadline = start + seconds
    while len(made) < MAX_CONSTRUCTED:
        made.append(make())
        if len(made) >= 3 and time.perf_counter() >= deadline:  # noqa: PLR2004
            break
    return (time.perf_counter() - start) / len(made), made


# --- the worker loops ---------------------------------------------------------


class _Phones:
    """Distinct phone numbers for OTP flows, one range per worker."""

    def __init__(self) -> None:
        self.prefix = 0
        self.next = 0

    def __call__(self) -> str:
        self.next += 1
        return f"+447{self.prefix:02d}{self.next:07d}"


def environment() -> Reply:
    """Describe this worker's interpreter and the versions of what it could import."""
    versions: dict[str, str | None] = {}
    for name in DISTRIBUTIONS:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:  # noqa: PERF203
            versions[name] = None
    spec = importlib.util.find_spec("ding")
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "executable": sys.executable,
        "versions": versions,
        "sniffio_importable": importlib.util.find_spec("sniffio") is not None,
        "ding_path": spec.origin if spec is not None else None,
    }


class _Worker:
    def __init__(self, name: str, urls: dict[str, str | None]) -> None:
        self.name = name
        self.cls, self.backend = COMPETITORS[name]
        self.urls = urls
        self.phones = _Phones()
        self.counter = _LogCounter()
        logging.getLogger().addHandler(self.counter)
        logging.getLogger().setLevel(logging.WARNING)

    def urls_for(self, target: str) -> tuple[str, str]:
        url = self.urls.get(target)
        if url is None:
            raise ValueError(f"no URL for {target}")
        root = url.removesuffix("/v1")
        return root + "/v1", root

    def finish(self, reply: Reply) -> str:
        logged = self.counter.take()
        if logged:
            reply["logged"] = logged
        return json.dumps(reply)


class _SyncWorker(_Worker):
    def __init__(self, name: str, urls: dict[str, str | None]) -> None:
        super().__init__(name, urls)
        self.competitor: SyncCompetitor | None = None

    def setup(self, command: Reply) -> Reply:
        """Replace the competitor with a new one, for the target server."""
        cls = self.cls
        assert issubclass(cls, SyncCompetitor)  # noqa: S101 - by construction
        if self.competitor is not None:
            self.competitor.close()
        self.competitor = None
        gc.collect()
        self.competitor = cls(*self.urls_for(command["target"]))
        self.phones.prefix = command.get("phone_prefix", 0)
        return {}

    def construct(self, command: Reply) -> Reply:
        """Time the construction of clients; close them afterwards."""
        cls = self.cls
        assert issubclass(cls, SyncCompetitor)  # noqa: S101 - by construction
        api_url, _ = self.urls_for("micro")
        gc.collect()
        per_object, made = _construct_loop(
            lambda: cls.construct(api_url), command["seconds"]
        )
        for client in made:
            cls.destroy(client)
        return {"seconds": per_object, "ok": len(made), "failures": {}}

    def handle(self, command: Reply) -> Reply:
        """Run one command; return the answer."""
        op = command["op"]
        if op == "info":
            return environment()
        if op == "setup":
            return self.setup(command)
        if op == "construct":
            return self.construct(command)
        competitor = self.competitor
        if competitor is None:
            raise RuntimeError("setup first")
        gc.collect()
        if op == "sequential":
            return _sync_sequential(competitor.check, command["calls"])
        if op == "threads":
            return _sync_threads(competitor.check, command["threads"], command["calls"])
        if op == "flows":
            phones = self.phones
            return _sync_sequential(lambda: competitor.flow(phones()), command["calls"])
        raise ValueError(f"unknown command {op!r} for a sync competitor")

    def run(self) -> None:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for line in sys.stdin:
                command = json.loads(line)
                if command["op"] == "quit":
                    break
                try:
                    reply = self.handle(command)
                except Exception as exc:  # noqa: BLE001 - reported to the orchestrator
                    reply = {"error": f"{type(exc).__name__}: {exc}"}
                for message in caught:
                    self.counter.warn(message)
                caught.clear()
                print(self.finish(reply), flush=True)  # noqa: T201 - the answer
            if self.competitor is not None:
                self.competitor.close()


class _AsyncWorker(_Worker):
    def __init__(self, name: str, urls: dict[str, str | None]) -> None:
        super().__init__(name, urls)
        self.competitor: AsyncCompetitor | None = None

    async def setup(self, command: Reply) -> Reply:
        """Replace the competitor with a new one, for the target server."""
        cls = self.cls
        assert issubclass(cls, AsyncCompetitor)  # noqa: S101 - by construction
        if self.competitor is not None:
            await self.competitor.aclose()
        self.competitor = None
        gc.collect()
        self.competitor = cls(*self.urls_for(command["target"]))
        self.phones.prefix = command.get("phone_prefix", 0)
        return {}

    async def construct(self, command: Reply) -> Reply:
        """Time the construction of clients; close them afterwards."""
        cls = self.cls
        assert issubclass(cls, AsyncCompetitor)  # noqa: S101 - by construction
        api_url, _ = self.urls_for("micro")
        gc.collect()
        per_object, made = _construct_loop(
            lambda: cls.construct(api_url), command["seconds"]
        )
        for client in made:
            await cls.destroy(client)
        return {"seconds": per_object, "ok": len(made), "failures": {}}

    async def handle(self, command: Reply) -> Reply:  # noqa: PLR0911 - one branch per command
        """Run one command; return the answer."""
        op = command["op"]
        if op == "info":
            return environment()
        if op == "setup":
            return await self.setup(command)
        if op == "construct":
            return await self.construct(command)
        competitor = self.competitor
        if competitor is None:
            raise RuntimeError("setup first")
        gc.collect()
        if op == "sequential":
            return await _async_concurrent(competitor.check, 1, command["calls"])
        if op == "concurrent":
            return await _async_concurrent(
                competitor.check, command["concurrency"], command["calls"]
            )
        if op == "memory":
            return await _async_memory(competitor.check, command["concurrency"])
        if op == "flows":
            phones = self.phones
            return await _async_concurrent(
                lambda: competitor.flow(phones()),
                command["concurrency"],
                command["calls"],
            )
        raise ValueError(f"unknown command {op!r} for an async competitor")

    async def loop(self) -> None:
        import anyio.to_thread  # noqa: PLC0415 - only async workers need it

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            while True:
                line = await anyio.to_thread.run_sync(sys.stdin.readline)
                if not line:
                    break
                command = json.loads(line)
                if command["op"] == "quit":
                    break
                try:
                    reply = await self.handle(command)
                except Exception as exc:  # noqa: BLE001 - reported to the orchestrator
                    reply = {"error": f"{type(exc).__name__}: {exc}"}
                for message in caught:
                    self.counter.warn(message)
                caught.clear()
                print(self.finish(reply), flush=True)  # noqa: T201 - the answer
            if self.competitor is not None:
                await self.competitor.aclose()

    def run(self) -> None:
        import anyio  # noqa: PLC0415

        anyio.run(self.loop, backend=self.backend or "asyncio")


def cold_start(name: str, micro_url: str) -> float:
    """Import the competitor's library, create its client, send one call.

    Returns:
        The seconds that took, in this fresh process.
    """
    start = time.perf_counter()
    cls, backend = COMPETITORS[name]
    api_url = micro_url.removesuffix("/v1") + "/v1"
    if issubclass(cls, SyncCompetitor):
        competitor = cls(api_url, api_url)
        competitor.check()
        seconds = time.perf_counter() - start
        competitor.close()
        return seconds

    async def first_call() -> float:
        competitor = cls(api_url, api_url)
        assert isinstance(competitor, AsyncCompetitor)  # noqa: S101
        await competitor.check()
        seconds = time.perf_counter() - start
        await competitor.aclose()
        return seconds

    # The loop each user would start: asyncio.run or trio.run, no anyio.
    if backend == "trio":
        trio = importlib.import_module("trio")
        return float(trio.run(first_call))
    import asyncio  # noqa: PLC0415

    return asyncio.run(first_call())


def main(argv: list[str] | None = None) -> int:
    """Run one worker until standard input closes or says ``quit``."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks._worker")
    parser.add_argument("competitor", choices=sorted(COMPETITORS))
    parser.add_argument("--micro", required=True, help="the micro server's base URL")
    parser.add_argument(
        "--nearby", help="the base URL of the micro server that answers late"
    )
    parser.add_argument("--fake", help="the fake Ding API's base URL (…/v1)")
    parser.add_argument(
        "--cold", action="store_true", help="time import, construction, first call"
    )
    args = parser.parse_args(argv)
    if args.cold:
        seconds = cold_start(args.competitor, args.micro)
        print(json.dumps({"seconds": seconds}))  # noqa: T201 - the answer
        return 0
    cls, _ = COMPETITORS[args.competitor]
    worker_cls = _SyncWorker if issubclass(cls, SyncCompetitor) else _AsyncWorker
    urls = {"micro": args.micro, "nearby": args.nearby, "fake": args.fake}
    worker_cls(args.competitor, urls).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
