"""The benchmark run: servers, workers, scenarios and their rounds.

Each scenario runs its competitors side by side: after a warm-up of each,
every round measures every competitor once, in an order rotated from round
to round, until the scenario has its rounds (or, past a minimum, its time
budget is spent). Every number compared in a table comes from the same run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from benchmarks._processes import (
    ROOT,
    Child,
    ChildError,
    Environment,
    run_probe,
    start_server,
)
from benchmarks._report import render, write_json, write_plot
from benchmarks._scenarios import (
    ENVIRONMENT_OF,
    IMPORTS,
    LABELS,
    Scenario,
    Settings,
    scenarios,
)
from benchmarks._stats import Row, Sample, ScenarioResult, summarize

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["main"]

_IMPORT_PROBE: Final = (
    "import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
)
#: How long the orchestrator waits for one worker command.
COMMAND_TIMEOUT: Final = 600.0


class Run:
    """One benchmark run: its environments, servers and workers."""

    def __init__(
        self, settings: Settings, environments: dict[str, Environment]
    ) -> None:
        self.settings = settings
        self.environments = environments
        self.servers: dict[str, Child] = {}
        self.urls: dict[str, str] = {}
        self.workers: dict[str, Child] = {}
        self.worker_errors: dict[str, str] = {}
        self.worker_info: dict[str, dict[str, Any]] = {}

    # --- processes ----------------------------------------------------------

    def start_servers(self) -> None:
        """Start the micro servers and the fake Ding API, each in its own process.

        Two micro servers: ``micro`` answers at once, ``nearby`` answers
        `Settings.nearby_delay_ms` late. Each has a process, so a core, of its
        own: the delayed one's timers never hold up the instant one's answers.
        """
        python = self.environments["project"].python
        delay = str(self.settings.nearby_delay_ms / 1e3)
        for name, argv in (
            ("micro", [python, "-m", "benchmarks._server"]),
            ("nearby", [python, "-m", "benchmarks._server", "--delay", delay]),
            (
                "fake",
                [python, "-m", "ding.testing", "--port", "0", "--seed", "1", "--quiet"],
            ),
        ):
            child, url = start_server(argv, name=f"{name} server")
            self.servers[name] = child
            self.urls[name] = url

    def worker(self, competitor: str) -> Child:
        """Return the competitor's worker, starting it on first use.

        Raises:
            ChildError: It cannot run here (missing environment, failed start).
        """
        if competitor in self.worker_errors:
            raise ChildError(self.worker_errors[competitor])
        child = self.workers.get(competitor)
        if child is not None and child.alive():
            return child
        environment = self.environments.get(ENVIRONMENT_OF.get(competitor, "project"))
        if environment is None:
            message = f"skipped: no {ENVIRONMENT_OF.get(competitor)} environment"
            self.worker_errors[competitor] = message
            raise ChildError(message)
        argv = environment.worker_argv(
            competitor,
            "--micro",
            self.urls["micro"],
            "--nearby",
            self.urls["nearby"],
            "--fake",
            self.urls["fake"],
        )
        child = Child(argv, name=competitor, stdin=True)
        self.workers[competitor] = child
        try:
            self.worker_info[competitor] = child.request({"op": "info"}, 60)
        except ChildError as exc:
            self.worker_errors[competitor] = str(exc)
            raise
        return child

    def stop(self) -> None:
        """Stop every worker and server."""
        for child in [*self.workers.values(), *self.servers.values()]:
            child.stop()

    # --- measuring ----------------------------------------------------------

    def _measure_worker(self, scenario: Scenario, competitor: str) -> Sample:
        child = self.worker(competitor)
        server = self.servers.get(scenario.setup or "")
        server_before = server.cpu_seconds() if server is not None else None
        start = time.perf_counter()
        reply = child.request(scenario.command, COMMAND_TIMEOUT)
        wall = time.perf_counter() - start
        sample = Sample.from_reply(reply)
        sample.wall = wall
        if server is not None and server_before is not None:
            server_after = server.cpu_seconds()
            if server_after is not None:
                sample.server_cpu = server_after - server_before
        return sample

    def _prepare(self, scenario: Scenario, competitor: str, index: int) -> None:
        if scenario.probe is not None:
            scenario.probe(competitor)  # a first run warms the file caches
            return
        child = self.worker(competitor)
        if scenario.setup is not None:
            command = {"op": "setup", "target": scenario.setup, "phone_prefix": index}
            child.request(command, COMMAND_TIMEOUT)
        if scenario.warmup is not None:
            child.request(scenario.warmup, COMMAND_TIMEOUT)

    def _sample(self, scenario: Scenario, row: Row) -> Sample | None:
        """Measure *row*'s competitor once; None once it has failed."""
        if row.error is not None:
            return None
        try:
            if scenario.probe is not None:
                return scenario.probe(row.competitor)
            return self._measure_worker(scenario, row.competitor)
        except ChildError as exc:
            row.error = str(exc)
            return None

    def run(self, scenario: Scenario) -> ScenarioResult:
        """Run every round of *scenario*; return its summarized result."""
        started = time.monotonic()
        rows = {
            c: Row(
                competitor=c,
                label=LABELS[c],
                environment=ENVIRONMENT_OF.get(c, "project"),
            )
            for c in scenario.competitors
        }
        active: list[str] = []
        for index, competitor in enumerate(scenario.competitors):
            try:
                self._prepare(scenario, competitor, index)
            except ChildError as exc:  # noqa: PERF203 - once per competitor
                rows[competitor].error = str(exc)
            else:
                active.append(competitor)
        for round_index in range(scenario.rounds):
            _progress(f"{scenario.id}: round {round_index + 1}/{scenario.rounds}")
            shift = round_index % max(1, len(active))
            for competitor in active[shift:] + active[:shift]:
                row = rows[competitor]
                _record(scenario, row, self._sample(scenario, row))
            elapsed = time.monotonic() - started
            if (
                round_index + 1 >= scenario.min_rounds
                and elapsed > self.settings.budget
            ):
                break
        ordered = sorted(
            rows.values(), key=lambda r: r.competitor != scenario.reference
        )
        summarize(ordered, scenario.reference)
        return ScenarioResult(
            id=scenario.id,
            title=scenario.title,
            unit=scenario.unit,
            better=scenario.better,
            reference=scenario.reference,
            detail=scenario.detail,
            rows=ordered,
            seconds=time.monotonic() - started,
        )

    # --- probes (fresh processes) ---------------------------------------------

    def import_probe(self, competitor: str) -> Sample:
        """Time one import in a fresh process, and the bare interpreter's start.

        Raises:
            ChildError: The environment is missing or the import failed.
        """
        environment = self.environments.get(ENVIRONMENT_OF.get(competitor, "project"))
        if environment is None:
            raise ChildError(
                f"skipped: no {ENVIRONMENT_OF.get(competitor)} environment"
            )
        _, bare = run_probe(environment.python_argv("pass"))
        code = _IMPORT_PROBE.format(statement=IMPORTS[competitor])
        output, wall = run_probe(environment.python_argv(code))
        return Sample(
            seconds=float(output),
            ok=1,
            wall=wall,
            extra={"process_seconds": wall, "bare_seconds": bare},
        )

    def cold_probe(self, competitor: str) -> Sample:
        """Import, construct and call once, in a fresh worker process.

        Raises:
            ChildError: The environment is missing or the worker failed.
        """
        environment = self.environments.get(ENVIRONMENT_OF.get(competitor, "project"))
        if environment is None:
            raise ChildError(
                f"skipped: no {ENVIRONMENT_OF.get(competitor)} environment"
            )
        argv = environment.worker_argv(
            competitor, "--micro", self.urls["micro"], "--cold"
        )
        output, wall = run_probe(argv)
        try:
            seconds = float(json.loads(output.splitlines()[-1])["seconds"])
        except (IndexError, KeyError, TypeError, ValueError) as exc:
            raise ChildError(f"{competitor}: unexpected output {output!r}") from exc
        return Sample(seconds=seconds, ok=1, wall=wall, extra={"process_seconds": wall})

    def stall_probe(self, competitor: str) -> Sample:
        """The largest event-loop stall during a first call, in a fresh process.

        See `benchmarks._stall`: the value is the stall, in seconds; the call's
        time and the largest stall outside the call go into `Sample.extra`.

        Raises:
            ChildError: The environment is missing or the probe failed.
        """
        environment = self.environments.get(ENVIRONMENT_OF.get(competitor, "project"))
        if environment is None:
            raise ChildError(
                f"skipped: no {ENVIRONMENT_OF.get(competitor)} environment"
            )
        argv = environment.module_argv(
            "benchmarks._stall", competitor, "--url", self.urls["fake"]
        )
        output, wall = run_probe(argv)
        try:
            answer = json.loads(output.splitlines()[-1])
            stall, idle, call = (
                float(answer[k]) for k in ("stall", "idle_stall", "call")
            )
        except (IndexError, KeyError, TypeError, ValueError) as exc:
            raise ChildError(f"{competitor}: unexpected output {output!r}") from exc
        return Sample(
            seconds=stall,
            ok=1,
            wall=wall,
            extra={
                "process_seconds": wall,
                "call_seconds": call,
                "idle_stall_seconds": idle,
            },
        )


def _record(scenario: Scenario, row: Row, sample: Sample | None) -> None:
    """Add a round's sample, and its values, to *row*.

    A missing sample is a None value: it keeps each competitor's values in
    step with the reference's, round by round (`Row.round_ratios`).
    """
    if sample is not None:
        row.samples.append(sample)
    row.values.append(None if sample is None else scenario.value(sample))
    if scenario.cpu_value is not None:
        row.cpu_values.append(None if sample is None else scenario.cpu_value(sample))


def _progress(message: str) -> None:
    print(f"  {message}", file=sys.stderr, flush=True)  # noqa: T201


def _has_module(python: str, module: str) -> bool:
    if python == sys.executable:
        try:  # a submodule's parent is imported, and may be missing
            return importlib.util.find_spec(module) is not None
        except ImportError:
            return False
    try:
        run_probe([python, "-c", f"import {module}"], timeout=60)
    except ChildError:
        return False
    return True


def _compile_project(environment: Environment, notes: list[str]) -> None:
    """Write the bytecode of this project's ``ding``, as an install would.

    The fresh-process scenarios import ``ding`` from the project root; where
    ``PYTHONDONTWRITEBYTECODE`` is set, nothing caches its bytecode, and every
    probe would compile the package from source while the dependencies it is
    compared with load theirs from ``__pycache__``.
    """
    if environment.isolated:
        return
    try:
        run_probe(
            [environment.python, "-m", "compileall", "-q", str(ROOT / "ding")],
            timeout=120,
        )
    except ChildError as exc:
        notes.append(f"{environment.name}: ding's bytecode not compiled ({exc})")


def _machine() -> dict[str, Any]:
    model = None
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    affinity = (
        len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    )
    return {
        "cpu_count": os.cpu_count(),
        "usable_cpus": affinity,
        "cpu_model": model or platform.processor() or None,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "load_average_start": _load(),
    }


def _load() -> list[float] | None:
    return list(os.getloadavg()) if hasattr(os, "getloadavg") else None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description=(
            "Benchmark ding against plain httpx, requests, aiohttp and the official "
            "SDK, side by side, against local servers. Prints a table; writes "
            "JSON and a plot."
        ),
    )
    parser.add_argument(
        "--quick", action="store_true", help="a smoke run (tens of seconds)"
    )
    parser.add_argument(
        "--rounds", type=int, help="rounds per scenario (default 5, quick 2)"
    )
    parser.add_argument(
        "--budget",
        type=float,
        help=(
            "seconds per scenario after which no new round starts, once the "
            "minimum rounds are done (default 30, quick 5)"
        ),
    )
    parser.add_argument(
        "--levels",
        help="comma-separated concurrency levels (default 10,100,1000; quick 10,100)",
    )
    parser.add_argument(
        "--calls",
        type=int,
        help=(
            "calls per round in the concurrency scenarios, at least one per task "
            "(default 2000, quick 200)"
        ),
    )
    parser.add_argument(
        "--memory-concurrency",
        type=int,
        help="calls in flight in the memory scenario (default 1000, quick 100)",
    )
    parser.add_argument(
        "--only",
        default="",
        help=(
            "comma-separated scenario id prefixes to run (stall brings import "
            "along: the two are read together)"
        ),
    )
    parser.add_argument(
        "--skip", default="", help="comma-separated scenario id prefixes to skip"
    )
    parser.add_argument(
        "--official-python",
        help="interpreter of an environment with ding-api-client==3.9.120 (and not this project)",
    )
    parser.add_argument(
        "--trio-python",
        help="interpreter of an environment with this project and trio (default: this one, if it has trio)",
    )
    parser.add_argument(
        "--otel-python",
        help=(
            "interpreter of an environment with this project, opentelemetry-api "
            "and opentelemetry-sdk, for the otel scenarios (skipped without it)"
        ),
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=ROOT / "benchmarks" / "results",
        help="directory for latest.json and latest.png",
    )
    parser.add_argument("--no-plot", action="store_true", help="do not draw the plot")
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    settings = Settings.quick() if args.quick else Settings()
    if args.rounds is not None:
        settings.rounds = max(1, args.rounds)
        settings.min_rounds = min(settings.min_rounds, settings.rounds)
        settings.heavy_min_rounds = min(settings.heavy_min_rounds, settings.rounds)
        settings.import_rounds = max(settings.rounds, settings.import_rounds)
        settings.cold_rounds = settings.rounds
        settings.stall_rounds = settings.rounds
    if args.budget is not None:
        settings.budget = args.budget
    if args.levels:
        settings.levels = tuple(int(v) for v in args.levels.split(",") if v.strip())
    if args.calls is not None:
        settings.concurrent_calls = args.calls
    if args.memory_concurrency is not None:
        settings.memory_concurrency = args.memory_concurrency
    return settings


def _find_environments(
    args: argparse.Namespace, notes: list[str], skip: list[str]
) -> dict[str, Environment]:
    """The environments the options give; what is missing goes into *notes*.

    Without an OpenTelemetry environment, the otel scenarios are added to
    *skip*: their reference alone would measure nothing new.
    """
    environments = {
        "project": Environment("project", sys.executable, isolated=False),
    }
    trio_python = args.trio_python or sys.executable
    if _has_module(trio_python, "trio"):
        environments["trio"] = Environment("trio", trio_python, isolated=False)
    else:
        notes.append(f"trio scenarios skipped: no trio in {trio_python}")
    if not args.otel_python:
        notes.append("otel scenarios skipped: no --otel-python given")
        skip.append("otel-")
    elif not _has_module(args.otel_python, "opentelemetry.sdk.trace"):
        notes.append(
            f"otel scenarios skipped: no opentelemetry-sdk in {args.otel_python}"
        )
        skip.append("otel-")
    else:
        environments["otel"] = Environment("otel", args.otel_python, isolated=False)
    if _has_module(sys.executable, "opentelemetry.trace"):
        notes.append(
            "OpenTelemetry is importable in the project environment: ding's "
            "clients there record with the API's no-op provider, and the otel "
            "scenarios' reference is not a client without OpenTelemetry"
        )
    if args.official_python:
        environments["official"] = Environment(
            "official", args.official_python, isolated=True
        )
    else:
        notes.append("official SDK skipped: no --official-python given")
    return environments


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmarks; return the exit status."""
    args = _parser().parse_args(argv)
    settings = _settings(args)
    started = time.monotonic()
    notes: list[str] = []
    skip = _split(args.skip)
    environments = _find_environments(args, notes, skip)
    meta: dict[str, Any] = {
        "started": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "argv": list(sys.argv[1:] if argv is None else argv),
        "machine": _machine(),
        "settings": settings.__dict__,
        "notes": notes,
    }
    for environment in environments.values():
        _compile_project(environment, notes)
    run = Run(settings, environments)
    results: list[ScenarioResult] = []
    try:
        run.start_servers()
        for scenario in scenarios(
            settings,
            import_probe=run.import_probe,
            cold_probe=run.cold_probe,
            stall_probe=run.stall_probe,
            only=_split(args.only),
            skip=skip,
        ):
            _progress(f"{scenario.id}: {scenario.title}")
            result = run.run(scenario)
            if scenario.id == "import":
                _import_notes(result)
            elif scenario.id == "stall":
                _stall_notes(result, results)
            results.append(result)
    finally:
        run.stop()
    meta["machine"]["load_average_end"] = _load()
    meta["seconds"] = time.monotonic() - started
    meta["environments"] = _environments(run, environments)
    print(render(meta, results))  # noqa: T201 - the report
    args.output.mkdir(parents=True, exist_ok=True)
    write_json(args.output / "latest.json", meta, results)
    written = [str(args.output / "latest.json")]
    if not args.no_plot:
        plot = write_plot(args.output / "latest.png", meta, results)
        if plot is not None:
            written.append(plot)
    print(f"results written to {', '.join(written)}")  # noqa: T201
    return 0


def _split(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def _import_notes(result: ScenarioResult) -> None:
    for row in result.rows:
        extra = [
            s.extra["process_seconds"] - s.extra["bare_seconds"]
            for s in row.samples
            if "process_seconds" in s.extra and "bare_seconds" in s.extra
        ]
        bare = [
            s.extra["bare_seconds"] for s in row.samples if "bare_seconds" in s.extra
        ]
        if extra and bare:
            extra.sort()
            bare.sort()
            result.notes.append(
                f"{row.label}: whole process {extra[len(extra) // 2] * 1e3:.1f} ms "
                f"slower than the bare interpreter start "
                f"({bare[len(bare) // 2] * 1e3:.1f} ms) in the {row.environment} "
                "environment (median)"
            )


def _stall_notes(result: ScenarioResult, earlier: list[ScenarioResult]) -> None:
    """Add each row's call time and quiet-loop stall, and this run's import ratio.

    The import ratio is quoted beside the stall because a fix of the stall
    moves work out of the first call into ``import ding``: the two numbers
    of one run say what the fix traded.
    """
    for row in result.rows:
        calls = [
            s.extra["call_seconds"] for s in row.samples if "call_seconds" in s.extra
        ]
        idle = [
            s.extra["idle_stall_seconds"]
            for s in row.samples
            if "idle_stall_seconds" in s.extra
        ]
        if calls and idle:
            result.notes.append(
                f"{row.label}: the first call took "
                f"{statistics.median(calls) * 1e3:.1f} ms (median; with the "
                "client's construction, where it is made in the loop); with no "
                "call in flight, the loop stalled at most "
                f"{max(idle) * 1e3:.1f} ms"
            )
    result.notes.append(_import_ratio(earlier))


def _import_ratio(results: list[ScenarioResult]) -> str:
    """This run's ``import ding`` against its dependencies' import, in a line."""
    imports = next((r for r in results if r.id == "import"), None)
    rows = {} if imports is None else {r.competitor: r for r in imports.rows}
    ding, deps = rows.get("import-ding"), rows.get("import-deps")
    if ding is None or deps is None or not ding.median or not deps.median:
        return "import ding: not measured in this run"
    return (
        f"import ding in this run: {ding.median:.1f} ms, "
        f"{ding.median / deps.median:.2f}x {deps.label} ({deps.median:.1f} ms); "
        "medians, import scenario above"
    )


def _environments(
    run: Run, environments: dict[str, Environment]
) -> dict[str, dict[str, Any]]:
    described: dict[str, dict[str, Any]] = {}
    for competitor, info in run.worker_info.items():
        name = ENVIRONMENT_OF.get(competitor, "project")
        described.setdefault(name, info)
    for name, environment in environments.items():
        described.setdefault(name, {"executable": environment.python})
    return described
