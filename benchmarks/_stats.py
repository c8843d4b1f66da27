"""Samples, and what a scenario's rounds sum up to: medians, spread, ratios."""

from __future__ import annotations

import collections
import statistics
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["Row", "Sample", "ScenarioResult", "Summary", "summarize"]


@dataclass
class Sample:
    """One measurement of one competitor in one round.

    Attributes:
        seconds: The measured time, as the worker timed it (for construction
            and imports: per object, per import).
        ok: Calls that succeeded.
        failures: Calls that failed, by kind of failure.
        unfinished: Calls neither done nor failed when the round ended.
        cpu: The competitor process's CPU seconds over ``seconds``.
        wall: The orchestrator's wall time around the whole command.
        server_cpu: The server's CPU seconds over ``wall``.
        extra: Other numbers (``peak_bytes``, ``process_seconds``).
        logged: Warnings the competitor logged or raised, counted.
    """

    seconds: float
    ok: int = 0
    failures: dict[str, int] = field(default_factory=dict[str, int])
    unfinished: int = 0
    cpu: float | None = None
    wall: float = 0.0
    server_cpu: float | None = None
    extra: dict[str, float] = field(default_factory=dict[str, float])
    logged: dict[str, int] = field(default_factory=dict[str, int])

    @classmethod
    def from_reply(cls, reply: dict[str, Any]) -> Sample:
        """Build a sample from a worker's JSON answer."""
        extra = (
            {"peak_bytes": float(reply["peak_bytes"])} if "peak_bytes" in reply else {}
        )
        return cls(
            seconds=float(reply["seconds"]),
            ok=int(reply.get("ok", 0)),
            failures={str(k): int(v) for k, v in reply.get("failures", {}).items()},
            unfinished=int(reply.get("unfinished", 0)),
            cpu=float(reply["cpu"]) if reply.get("cpu") is not None else None,
            extra=extra,
            logged={str(k): int(v) for k, v in reply.get("logged", {}).items()},
        )


@dataclass
class Summary:
    """A median over the rounds, its spread, and its ratio to the reference's."""

    median: float
    low: float
    high: float
    ratio: float | None = None

    def as_json(self) -> dict[str, Any]:
        """The summary as it goes into the JSON results."""
        return {
            "median": self.median,
            "min": self.low,
            "max": self.high,
            "ratio_to_reference": self.ratio,
        }


@dataclass
class Row:
    """One competitor's results in one scenario."""

    competitor: str
    label: str
    environment: str
    values: list[float | None] = field(default_factory=list[float | None])
    samples: list[Sample] = field(default_factory=list[Sample])
    error: str | None = None
    median: float | None = None
    low: float | None = None
    high: float | None = None
    ratio: float | None = None
    round_ratios: list[float] = field(default_factory=list[float])
    # The scenario's second value, where it has one (`Scenario.cpu_value`):
    # the client process's CPU µs per call, summed up like the first.
    cpu_values: list[float | None] = field(default_factory=list[float | None])
    cpu: Summary | None = None
    ok: int = 0
    failures: dict[str, int] = field(default_factory=dict[str, int])
    unfinished: int = 0
    server_cpu_share: float | None = None
    client_cpu_share: float | None = None
    logged: dict[str, int] = field(default_factory=dict[str, int])

    def as_json(self) -> dict[str, Any]:
        """The row as it goes into the JSON results."""
        return {
            "competitor": self.competitor,
            "label": self.label,
            "environment": self.environment,
            "error": self.error,
            "rounds": len([v for v in self.values if v is not None]),
            "median": self.median,
            "min": self.low,
            "max": self.high,
            "ratio_to_reference": self.ratio,
            "round_ratios": self.round_ratios,
            "values": self.values,
            "cpu_us_per_call": (
                None
                if self.cpu is None
                else {**self.cpu.as_json(), "values": self.cpu_values}
            ),
            "ok": self.ok,
            "failures": self.failures,
            "unfinished": self.unfinished,
            "server_cpu_share": self.server_cpu_share,
            "client_cpu_share": self.client_cpu_share,
            "logged": self.logged,
            "samples": [
                {
                    "seconds": s.seconds,
                    "ok": s.ok,
                    "failures": s.failures,
                    "unfinished": s.unfinished,
                    "cpu": s.cpu,
                    "wall": s.wall,
                    "server_cpu": s.server_cpu,
                    **s.extra,
                }
                for s in self.samples
            ],
        }


@dataclass
class ScenarioResult:
    """A scenario and its rows, reference first."""

    id: str
    title: str
    unit: str
    better: Literal["lower", "higher"]
    reference: str
    detail: str
    rows: list[Row]
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list[str])

    def as_json(self) -> dict[str, Any]:
        """The scenario as it goes into the JSON results."""
        return {
            "id": self.id,
            "title": self.title,
            "unit": self.unit,
            "better": self.better,
            "reference": self.reference,
            "detail": self.detail,
            "seconds": self.seconds,
            "notes": self.notes,
            "rows": [row.as_json() for row in self.rows],
        }


def _share(part: float | None, whole: float) -> float | None:
    return part / whole if part is not None and whole > 0 else None


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def summarize(rows: list[Row], reference: str) -> None:
    """Fill each row's median, spread, ratios, totals and CPU shares.

    The ratio is the row's median divided by the reference's median. The
    ratios of the values measured in the same round (moments apart) are kept
    too, in `Row.round_ratios`: they show whether the ratio held round after
    round, but with few rounds and a chaotic scenario their median says less
    than the ratio of the medians. A scenario's CPU time per call, where it
    has one, is summed up the same way, with its own ratio (`Row.cpu`).
    """
    ref = next((row for row in rows if row.competitor == reference), None)
    for row in rows:
        measured = [v for v in row.values if v is not None]
        if measured:
            row.median = statistics.median(measured)
            row.low, row.high = min(measured), max(measured)
        cpu = [v for v in row.cpu_values if v is not None]
        if cpu:
            row.cpu = Summary(statistics.median(cpu), min(cpu), max(cpu))
    ref_cpu = ref.cpu.median if ref is not None and ref.cpu is not None else None
    for row in rows:
        if ref is not None:
            row.round_ratios = [
                mine / theirs
                for mine, theirs in zip(row.values, ref.values, strict=False)
                if mine is not None and theirs  # neither missing nor zero
            ]
            if row.median is not None and ref.median:
                row.ratio = row.median / ref.median
        if row.cpu is not None and ref_cpu:
            row.cpu.ratio = row.cpu.median / ref_cpu
        failures: collections.Counter[str] = collections.Counter()
        logged: collections.Counter[str] = collections.Counter()
        for sample in row.samples:
            failures.update(sample.failures)
            logged.update(sample.logged)
        row.failures = dict(failures)
        row.logged = dict(logged)
        row.ok = sum(s.ok for s in row.samples)
        row.unfinished = sum(s.unfinished for s in row.samples)
        server = [_share(s.server_cpu, s.wall) for s in row.samples]
        client = [_share(s.cpu, s.seconds) for s in row.samples]
        row.server_cpu_share = _median([v for v in server if v is not None])
        row.client_cpu_share = _median([v for v in client if v is not None])
