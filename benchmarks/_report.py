"""What a run prints and writes: the table, the JSON results and the plot."""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

    from benchmarks._stats import Row, ScenarioResult

__all__ = ["render", "write_json", "write_plot"]

_COLUMNS = (
    ("competitor", "<"),
    ("rounds", ">"),
    ("median", ">"),
    ("min", ">"),
    ("max", ">"),
    ("ratio", ">"),
    ("failed", ">"),
    ("server CPU", ">"),
    ("client CPU", ">"),
)
#: Added after "ratio" in the tables of the scenarios with a CPU time per call.
_CPU_COLUMNS = (("CPU µs/call", ">"), ("CPU ratio", ">"))
_RATIO_END = 6


def number(value: float | None) -> str:
    """Format a measurement with about three significant digits."""
    if value is None or math.isnan(value):
        return "-"
    magnitude = abs(value)
    if magnitude >= 100:  # noqa: PLR2004
        return f"{value:,.0f}"
    if magnitude >= 10:  # noqa: PLR2004
        return f"{value:.1f}"
    return f"{value:.2f}"


def ratio(value: float | None) -> str:
    """Format a ratio to the reference: two decimals, or two significant digits."""
    if value is None:
        return "-"
    return f"{value:.2f}x" if value >= 0.1 else f"{value:.2g}x"  # noqa: PLR2004


def is_ding(competitor: str) -> bool:
    """Whether *competitor* is this project's SDK (drawn in red)."""
    return competitor.startswith(("ding-", "import-ding"))


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def _environment_line(name: str, info: dict[str, Any]) -> str:
    versions: dict[str, str | None] = info.get("versions", {})
    listed = ", ".join(f"{k} {v}" for k, v in versions.items() if v is not None)
    python = info.get("python", "?")
    sniffio = info.get("sniffio_importable")
    tail = ""
    if sniffio is not None:
        tail = "; sniffio importable" if sniffio else "; no sniffio"
    return f"  {name}: Python {python}, {listed or info.get('executable', '?')}{tail}"


def _header(meta: dict[str, Any]) -> list[str]:
    machine = meta["machine"]
    start = machine.get("load_average_start")
    end = machine.get("load_average_end")
    load = ""
    if start and end:
        load = f"; 1-minute load average {start[0]:.2f} at the start, {end[0]:.2f} at the end"
    lines = [
        f"ding benchmarks, {meta['started']}, {meta['seconds']:.0f} s",
        (
            f"machine: {machine['cpu_count']} CPUs ({machine.get('cpu_model') or '?'}), "
            f"{machine['platform']}{load}"
        ),
        "environments (each competitor runs in its own process):",
    ]
    lines += [
        _environment_line(name, info)
        for name, info in sorted(meta.get("environments", {}).items())
    ]
    lines += [f"note: {note}" for note in meta.get("notes", [])]
    lines.append(
        "median, min and max over the rounds; ratio: median / the reference's "
        "median (reference: the first row); failed: calls that raised or never "
        "finished, over all rounds; server/client CPU: median CPU time over wall "
        "time (100% = one core; a sequential client well below ~90% was "
        "waiting for a CPU the machine gave to something else); CPU µs/call "
        "(sync and otel scenarios): the client process's CPU time, all its threads, per "
        "call, median over the rounds; CPU ratio: that median / the "
        "reference's"
    )
    return lines


def _cells(row: Row, reference: str, *, cpu: bool) -> list[str]:
    failed = sum(row.failures.values()) + row.unfinished
    label = row.label + (" (ref)" if row.competitor == reference else "")
    cells = [
        label,
        str(len([v for v in row.values if v is not None])),
        number(row.median),
        number(row.low),
        number(row.high),
        ratio(row.ratio),
        f"{failed:,}",
        _percent(row.server_cpu_share),
        _percent(row.client_cpu_share),
    ]
    if cpu:
        summary = row.cpu
        cells[_RATIO_END:_RATIO_END] = [
            number(summary.median if summary is not None else None),
            ratio(summary.ratio if summary is not None else None),
        ]
    return cells


def _table(result: ScenarioResult) -> list[str]:
    cpu = any(row.cpu is not None for row in result.rows)
    columns: tuple[tuple[str, str], ...] = _COLUMNS
    if cpu:
        columns = _COLUMNS[:_RATIO_END] + _CPU_COLUMNS + _COLUMNS[_RATIO_END:]
    rows = [[name for name, _ in columns]]
    rows += [_cells(row, result.reference, cpu=cpu) for row in result.rows]
    widths = [max(len(r[i]) for r in rows) for i in range(len(columns))]
    lines = [
        "",
        f"{result.title}: {result.detail}",
        f"{result.unit}, {result.better} is better ({result.seconds:.0f} s)",
    ]
    for cells in rows:
        parts = [
            f"{cell:{align}{width}}"
            for cell, (_, align), width in zip(cells, columns, widths, strict=True)
        ]
        lines.append("  " + "  ".join(parts).rstrip())
    for row in result.rows:
        if row.error:
            lines.append(f"  {row.label}: {row.error}")
        if row.failures or row.unfinished:
            kinds = ", ".join(
                f"{n:,} {kind}" for kind, n in sorted(row.failures.items())
            )
            if row.unfinished:
                kinds += f"{', ' if kinds else ''}{row.unfinished:,} unfinished"
            lines.append(
                f"  {row.label} failed: {kinds} (of {row.ok + sum(row.failures.values()) + row.unfinished:,} calls)"
            )
        if row.logged:
            logged = "; ".join(f"{n:,}x {msg}" for msg, n in sorted(row.logged.items()))
            lines.append(f"  {row.label} logged: {logged}")
    lines += [f"  {note}" for note in result.notes]
    return lines


def render(meta: dict[str, Any], results: list[ScenarioResult]) -> str:
    """The whole report, as printed."""
    lines = _header(meta)
    for result in results:
        lines += _table(result)
    return "\n".join(lines)


def write_json(path: Path, meta: dict[str, Any], results: list[ScenarioResult]) -> None:
    """Write every setting, sample and summary to *path*."""
    document = {**meta, "scenarios": [r.as_json() for r in results]}
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")


def write_plot(
    path: Path, meta: dict[str, Any], results: list[ScenarioResult]
) -> str | None:
    """Draw one bar chart per scenario (median, min-max whiskers) to *path*.

    Returns:
        The path written, or None when matplotlib is not installed.
    """
    try:
        import matplotlib as mpl  # noqa: PLC0415 - optional, bench session only

        mpl.use("Agg")
        import matplotlib.pyplot as plt  # noqa: PLC0415
    except ImportError:
        return None
    shown = [r for r in results if any(row.median is not None for row in r.rows)]
    if not shown:
        return None
    columns = 2
    lines = math.ceil(len(shown) / columns)
    figure, axes = plt.subplots(
        lines, columns, figsize=(15, 2.3 * lines + 1), squeeze=False
    )
    for index, result in enumerate(shown):
        ax = axes[index // columns][index % columns]
        rows = [row for row in result.rows if row.median is not None]
        medians = [row.median or 0.0 for row in rows]
        below = [(row.median or 0.0) - (row.low or 0.0) for row in rows]
        above = [(row.high or 0.0) - (row.median or 0.0) for row in rows]
        colours = [
            "#888888"
            if row.competitor == result.reference
            else ("#d62728" if is_ding(row.competitor) else "#1f77b4")
            for row in rows
        ]
        positions = list(range(len(rows)))
        ax.barh(positions, medians, xerr=[below, above], color=colours, capsize=3)
        smallest = min((m for m in medians if m > 0), default=0.0)
        if smallest and max(medians) / smallest > 100:  # noqa: PLR2004
            ax.set_xscale("log")
        ax.set_yticks(positions, [row.label for row in rows], fontsize=8)
        ax.invert_yaxis()
        ax.set_title(
            f"{result.title}\n{result.unit}, {result.better} is better", fontsize=9
        )
        ax.margins(x=0.15)
        ax.tick_params(axis="x", labelsize=8)
        for position, row in zip(positions, rows, strict=True):
            failed = sum(row.failures.values()) + row.unfinished
            text = number(row.median) + (f"  ({failed:,} failed)" if failed else "")
            ax.text(row.high or 0.0, position, " " + text, va="center", fontsize=7)
    for index in range(len(shown), lines * columns):
        axes[index // columns][index % columns].axis("off")
    machine = meta["machine"]
    # matplotlib types the **kwargs of these two as unknown.
    figure.suptitle(  # pyright: ignore[reportUnknownMemberType]
        f"ding benchmarks, {meta['started']}: {machine['cpu_count']} CPUs, "
        f"Python {machine['python']}; red: ding, grey: reference",
        fontsize=10,
    )
    figure.tight_layout(rect=(0, 0, 1, 0.98))
    figure.savefig(path, dpi=110)  # pyright: ignore[reportUnknownMemberType]
    plt.close(figure)
    return str(path)
