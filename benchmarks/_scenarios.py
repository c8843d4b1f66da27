"""The scenarios: what each measures, with which competitors, for how long.

Competitors are named by id (``ding-sync``, ``httpx-async``, ...; see
`LABELS`), and run in the environment `ENVIRONMENT_OF` names. A scenario
says which command each round sends to every competitor's worker (or which
probe starts fresh processes), which value a sample gives, and which
competitor is the reference its ratios are taken to.

The micro-benchmarks run against two servers (`benchmarks._server`):
``micro`` answers at once, which shows a client's whole overhead; ``nearby``
answers each request `Settings.nearby_delay_ms` late, as an API close by
would, which shows what that overhead still weighs once a call mostly waits.

The ``otel-*`` scenarios measure what the SDK's OpenTelemetry instrumentation
(``ding/_pipeline/_telemetry.py``) costs per call: the client without
OpenTelemetry (this project's environment, where it is not installed), with
the API installed and no provider set, and with the SDK's providers set
(`benchmarks._competitors.install_sdk`), the last two in the ``otel``
environment.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, Literal

from benchmarks import _stall

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from benchmarks._stats import Sample

__all__ = [
    "COMPANIONS",
    "ENVIRONMENT_OF",
    "IMPORTS",
    "LABELS",
    "Scenario",
    "Settings",
    "scenarios",
]

#: How each competitor is shown.
LABELS: Final = {
    "ding-sync": "ding.Ding",
    "httpx-sync": "httpx.Client",
    "requests": "requests.Session",
    "official": "official SDK 3.9.120",
    "ding-async": "ding.AsyncDing",
    "httpx-async": "httpx.AsyncClient",
    "aiohttp": "aiohttp",
    "ding-trio": "ding.AsyncDing on trio",
    "httpx-trio": "httpx.AsyncClient on trio",
    "import-ding": "import ding",
    "import-ding-sync": "from ding import Ding",
    "import-deps": "import httpx, attrs, cattrs, anyio",
    "import-official": "import ding (official SDK)",
    "ding-sync-otel-api": "ding.Ding, OTel API, no provider",
    "ding-sync-otel-sdk": "ding.Ding, OTel SDK providers",
    "ding-async-otel-api": "ding.AsyncDing, OTel API, no provider",
    "ding-async-otel-sdk": "ding.AsyncDing, OTel SDK providers",
    **_stall.LABELS,
}
#: The environment each competitor runs in (default: ``project``).
ENVIRONMENT_OF: Final = {
    "official": "official",
    "import-official": "official",
    "ding-trio": "trio",
    "httpx-trio": "trio",
    "ding-sync-otel-api": "otel",
    "ding-sync-otel-sdk": "otel",
    "ding-async-otel-api": "otel",
    "ding-async-otel-sdk": "otel",
}
#: The scenarios a scenario runs with, when ``--only`` selects it. A fix of
#: the first call's stall moves imports out of the call into ``import ding``:
#: the stall and the import time are read together, from the same run.
COMPANIONS: Final[dict[str, tuple[str, ...]]] = {"stall": ("import",)}
#: The import statement each import probe times.
IMPORTS: Final = {
    "import-ding": "import ding",
    "import-ding-sync": "from ding import Ding",
    "import-deps": "import httpx, attrs, cattrs, anyio",
    "import-official": "import ding",
}


@dataclass
class Settings:
    """What a run measures and how long it may take."""

    rounds: int = 5
    min_rounds: int = 3
    heavy_min_rounds: int = 2
    budget: float = 30.0
    # Rounds long enough that one scheduling hiccup of the shared 2-core
    # machine moves a median little: at 600 calls, a round of `AsyncDing`
    # at concurrency 100 lasted 0.15 s, and two runs minutes apart differed
    # by a quarter.
    sequential_calls: int = 1000
    concurrent_calls: int = 2000
    levels: tuple[int, ...] = (10, 100, 1000)
    threads: int = 16
    thread_calls: int = 800
    # The `nearby` server's delay. A sequential call then lasts about 3 ms
    # (the wait, which epoll rounds up to whole milliseconds, plus the
    # client's own time), so 500 calls make a round of about 1.5 s per
    # competitor; 2.5 s for the official SDK, which spends about 2 ms of CPU
    # time per call.
    nearby_delay_ms: float = 2.0
    nearby_sequential_calls: int = 500
    memory_concurrency: int = 1000
    # The otel scenarios' concurrency on asyncio.
    otel_concurrency: int = 100
    flow_calls: int = 40
    flow_async_calls: int = 100
    flow_concurrency: int = 10
    construct_seconds: float = 0.2
    import_rounds: int = 10
    cold_rounds: int = 5
    stall_rounds: int = 5

    @classmethod
    def quick(cls) -> Settings:
        """A smoke run: every scenario, a fraction of the work."""
        return cls(
            rounds=2,
            min_rounds=1,
            heavy_min_rounds=1,
            budget=5.0,
            sequential_calls=60,
            nearby_sequential_calls=30,
            concurrent_calls=200,
            levels=(10, 100),
            thread_calls=320,
            memory_concurrency=100,
            flow_calls=10,
            flow_async_calls=40,
            construct_seconds=0.05,
            import_rounds=3,
            cold_rounds=2,
            stall_rounds=3,
        )

    def calls_at(self, concurrency: int) -> int:
        """Calls per round at *concurrency*: at least one per task."""
        return max(concurrency, self.concurrent_calls)


@dataclass
class Scenario:
    """One scenario: its competitors and how one round measures each."""

    id: str
    title: str
    detail: str
    unit: str
    better: Literal["lower", "higher"]
    reference: str
    competitors: list[str]
    value: Callable[[Sample], float | None]
    rounds: int
    min_rounds: int
    command: dict[str, Any] = field(default_factory=dict[str, Any])
    warmup: dict[str, Any] | None = None
    setup: Literal["micro", "nearby", "fake"] | None = None
    probe: Callable[[str], Sample] | None = None
    #: A second value per sample, the client's CPU time per call (µs), if shown.
    cpu_value: Callable[[Sample], float | None] | None = None


def _per_call(calls: int, scale: float) -> Callable[[Sample], float | None]:
    return lambda s: s.seconds / calls * scale


def _cpu_per_call(calls: int) -> Callable[[Sample], float | None]:
    """The worker process's CPU time per call, in µs (every thread of it)."""
    return lambda s: s.cpu / calls * 1e6 if s.cpu is not None else None


def _throughput(s: Sample) -> float | None:
    return s.ok / s.seconds if s.seconds > 0 else None


def _scaled(scale: float) -> Callable[[Sample], float | None]:
    return lambda s: s.seconds * scale


def scenarios(
    s: Settings,
    *,
    import_probe: Callable[[str], Sample],
    cold_probe: Callable[[str], Sample],
    stall_probe: Callable[[str], Sample],
    only: Sequence[str] = (),
    skip: Sequence[str] = (),
) -> list[Scenario]:
    """Every scenario of a run, in order, filtered by id prefixes.

    A scenario selected by *only* brings its companions (`COMPANIONS`) along,
    unless *skip* names them.

    Args:
        s: The run's settings.
        import_probe: Times one import of a competitor in a fresh process.
        cold_probe: Times a competitor's first call in a fresh process.
        stall_probe: Measures the largest event-loop stall during a
            competitor's first call in a fresh process (`benchmarks._stall`).
        only: Run only the scenarios whose id starts with one of these.
        skip: Skip the scenarios whose id starts with one of these.
    """
    seq = s.sequential_calls
    near = s.nearby_sequential_calls
    delay = f"{s.nearby_delay_ms:g}ms"
    # The sync scenarios run against both: the instant server, and one
    # answering late, as a nearby API does (id suffix, title suffix).
    servers: list[tuple[Literal["micro", "nearby"], str, str]] = [
        ("micro", "", ""),
        ("nearby", f"-{delay}", f", server answering {delay} late"),
    ]
    result: list[Scenario] = [
        Scenario(
            id="import",
            title="Import time, fresh process",
            detail=f"in-process time of the import statement, {s.import_rounds} fresh processes each",
            unit="ms",
            better="lower",
            reference="import-deps",
            competitors=[
                "import-ding",
                "import-ding-sync",
                "import-deps",
                "import-official",
            ],
            value=_scaled(1e3),
            rounds=s.import_rounds,
            min_rounds=s.import_rounds,
            probe=import_probe,
        ),
        Scenario(
            id="construct",
            title="Client construction",
            detail="one client object, no request (ding creates its httpx client at the first request)",
            unit="µs per client",
            better="lower",
            reference="httpx-sync",
            competitors=[
                "ding-sync",
                "ding-async",
                "httpx-sync",
                "httpx-async",
                "requests",
                "aiohttp",
                "official",
            ],
            value=_scaled(1e6),
            rounds=s.rounds,
            min_rounds=s.rounds,
            command={"op": "construct", "seconds": s.construct_seconds},
            warmup={"op": "construct", "seconds": s.construct_seconds / 4},
        ),
        Scenario(
            id="cold",
            title="Cold start: import, construct, first call",
            detail="POST /v1/check once in a fresh process (time from before the import)",
            unit="ms",
            better="lower",
            reference="httpx-sync",
            competitors=[
                "ding-sync",
                "httpx-sync",
                "requests",
                "official",
                "ding-async",
                "httpx-async",
                "aiohttp",
            ],
            value=_scaled(1e3),
            rounds=s.cold_rounds,
            min_rounds=s.cold_rounds,
            probe=cold_probe,
        ),
        Scenario(
            id="stall",
            title="Event-loop stall during a first call (asyncio)",
            detail=(
                f"the largest gap of a {_stall.TICK * 1e3:g} ms asyncio.sleep ticker, "
                f"from the call's start to {_stall.MARGIN * 1e3:g} ms after its end; "
                "POST /v1/authentication to ding.testing over TCP, the first "
                "call of a fresh process, its library imported before the loop "
                "starts"
            ),
            unit="ms",
            better="lower",
            reference="httpx-stall",
            competitors=list(_stall.VARIANTS),
            value=_scaled(1e3),
            rounds=s.stall_rounds,
            min_rounds=s.stall_rounds,
            probe=stall_probe,
        ),
        *(
            Scenario(
                id=f"seq-sync{suffix}",
                title=f"Sequential, sync{late}",
                detail=f"{calls} POST /v1/check one after another per round",
                unit="µs per call",
                better="lower",
                reference="httpx-sync",
                competitors=["ding-sync", "httpx-sync", "requests", "official"],
                value=_per_call(calls, 1e6),
                rounds=s.rounds,
                min_rounds=s.min_rounds,
                command={"op": "sequential", "calls": calls},
                warmup={"op": "sequential", "calls": max(20, calls // 5)},
                setup=target,
                cpu_value=_cpu_per_call(calls),
            )
            for (target, suffix, late), calls in zip(servers, (seq, near), strict=True)
        ),
        Scenario(
            id="seq-async",
            title="Sequential, async (asyncio)",
            detail=f"{seq} POST /v1/check one after another per round",
            unit="µs per call",
            better="lower",
            reference="httpx-async",
            competitors=["ding-async", "httpx-async", "aiohttp"],
            value=_per_call(seq, 1e6),
            rounds=s.rounds,
            min_rounds=s.min_rounds,
            command={"op": "sequential", "calls": seq},
            warmup={"op": "sequential", "calls": max(20, seq // 5)},
            setup="micro",
        ),
    ]
    for backend, competitors in (
        ("asyncio", ["ding-async", "httpx-async", "aiohttp"]),
        ("trio", ["ding-trio", "httpx-trio"]),
    ):
        for level in s.levels:
            calls = s.calls_at(level)
            warm = min(level, 100)
            result.append(
                Scenario(
                    id=f"conc-{backend}-{level}",
                    title=f"Concurrency {level:,} on {backend}, one shared client",
                    detail=f"{level:,} tasks share {calls:,} POST /v1/check per round",
                    unit="requests/s",
                    better="higher",
                    reference="httpx-async" if backend == "asyncio" else "httpx-trio",
                    competitors=competitors,
                    value=_throughput,
                    rounds=s.rounds,
                    min_rounds=s.heavy_min_rounds if level >= 1000 else s.min_rounds,  # noqa: PLR2004
                    command={"op": "concurrent", "concurrency": level, "calls": calls},
                    warmup={
                        "op": "concurrent",
                        "concurrency": warm,
                        "calls": max(50, 2 * warm),
                    },
                    setup="micro",
                )
            )
    mem = s.memory_concurrency
    result += [
        Scenario(
            id=f"memory-{mem}",
            title=f"Memory per in-flight request, {mem:,} concurrent calls (asyncio)",
            detail="tracemalloc peak during one burst, divided by the calls",
            unit="KiB per request",
            better="lower",
            reference="httpx-async",
            competitors=["ding-async", "httpx-async", "aiohttp"],
            value=lambda sample: sample.extra.get("peak_bytes", 0.0) / mem / 1024,
            rounds=s.rounds,
            min_rounds=1,
            command={"op": "memory", "concurrency": mem},
            warmup={"op": "concurrent", "concurrency": min(mem, 100), "calls": 200},
            setup="micro",
        ),
    ]
    for target, suffix, late in servers:
        result.append(
            Scenario(
                id=f"threads-{s.threads}{suffix}",
                title=f"{s.threads} threads sharing one sync client{late}",
                detail=f"{s.threads} threads share {s.thread_calls:,} POST /v1/check per round",
                unit="requests/s",
                better="higher",
                reference="httpx-sync",
                competitors=["ding-sync", "httpx-sync", "official"],
                value=_throughput,
                rounds=s.rounds,
                min_rounds=s.min_rounds,
                command={
                    "op": "threads",
                    "threads": s.threads,
                    "calls": s.thread_calls,
                },
                warmup={"op": "threads", "threads": s.threads, "calls": 4 * s.threads},
                setup=target,
                cpu_value=_cpu_per_call(s.thread_calls),
            )
        )
    result += [
        Scenario(
            id="flow-sync",
            title="OTP flow against ding.testing over TCP, sync",
            detail=(
                f"{s.flow_calls} flows per round, one after another: send a code, "
                "read it from the fake's outbox, check it"
            ),
            unit="ms per flow",
            better="lower",
            reference="httpx-sync",
            competitors=["ding-sync", "httpx-sync", "official"],
            value=_per_call(s.flow_calls, 1e3),
            rounds=s.rounds,
            min_rounds=s.min_rounds,
            command={"op": "flows", "concurrency": 1, "calls": s.flow_calls},
            warmup={"op": "flows", "concurrency": 1, "calls": 5},
            setup="fake",
        ),
        Scenario(
            id=f"flow-async-{s.flow_concurrency}",
            title=(
                "OTP flow against ding.testing over TCP, "
                f"{s.flow_concurrency} concurrent users (asyncio)"
            ),
            detail=f"{s.flow_async_calls} flows per round, {s.flow_concurrency} at a time",
            unit="flows/s",
            better="higher",
            reference="httpx-async",
            competitors=["ding-async", "httpx-async", "aiohttp"],
            value=_throughput,
            rounds=s.rounds,
            min_rounds=s.min_rounds,
            command={
                "op": "flows",
                "concurrency": s.flow_concurrency,
                "calls": s.flow_async_calls,
            },
            warmup={"op": "flows", "concurrency": s.flow_concurrency, "calls": 20},
            setup="fake",
        ),
    ]
    result += _otel(s, servers)
    selected = {
        sc.id for sc in result if not only or any(sc.id.startswith(p) for p in only)
    }
    selected |= {c for sc in selected for c in COMPANIONS.get(sc, ())}
    return [
        sc
        for sc in result
        if sc.id in selected and not any(sc.id.startswith(p) for p in skip)
    ]


def _otel(
    s: Settings, servers: list[tuple[Literal["micro", "nearby"], str, str]]
) -> list[Scenario]:
    """The OpenTelemetry instrumentation's cost, against the client without it.

    Sequential calls, sync and async, on the instant server and the late
    one, and concurrent calls on asyncio.
    """
    result: list[Scenario] = []
    for kind, title in (("async", "async (asyncio)"), ("sync", "sync")):
        reference = f"ding-{kind}"
        for (target, suffix, late), calls in zip(
            servers, (s.sequential_calls, s.nearby_sequential_calls), strict=True
        ):
            result.append(
                Scenario(
                    id=f"otel-seq-{kind}{suffix}",
                    title=f"OpenTelemetry, sequential, {title}{late}",
                    detail=f"{calls} POST /v1/check one after another per round",
                    unit="µs per call",
                    better="lower",
                    reference=reference,
                    competitors=[
                        reference,
                        f"{reference}-otel-api",
                        f"{reference}-otel-sdk",
                    ],
                    value=_per_call(calls, 1e6),
                    rounds=s.rounds,
                    min_rounds=s.min_rounds,
                    command={"op": "sequential", "calls": calls},
                    warmup={"op": "sequential", "calls": max(20, calls // 5)},
                    setup=target,
                    cpu_value=_cpu_per_call(calls),
                )
            )
    level = s.otel_concurrency
    calls = s.calls_at(level)
    warm = min(level, 100)
    result.append(
        Scenario(
            id=f"otel-conc-asyncio-{level}",
            title=f"OpenTelemetry, concurrency {level:,} on asyncio, one shared client",
            detail=(
                f"{level:,} tasks share {calls:,} POST /v1/check per round; "
                "the round's time over its calls, so that ratios read as the "
                "sequential ones do"
            ),
            unit="µs per call",
            better="lower",
            reference="ding-async",
            competitors=["ding-async", "ding-async-otel-api", "ding-async-otel-sdk"],
            value=_per_call(calls, 1e6),
            rounds=s.rounds,
            min_rounds=s.min_rounds,
            command={"op": "concurrent", "concurrency": level, "calls": calls},
            warmup={
                "op": "concurrent",
                "concurrency": warm,
                "calls": max(50, 2 * warm),
            },
            setup="micro",
            cpu_value=_cpu_per_call(calls),
        )
    )
    return result
