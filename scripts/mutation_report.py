"""Report the mutation run in mutants/: the score of each core module.

`nox -s mutants` runs mutmut, then this script. It reads mutmut's results
(mutants/ding/*.py.meta), sets aside the mutants listed in
tests/equivalent_mutants.txt (each with the line it changes and why:
equivalent, or unmeasured, when only tests mutmut cannot run reach it), and
prints, for each module mutmut mutated, how many mutants the tests killed,
how many hung until the timeout (caught too), how many survived, and the
score: caught / (all - set aside).

It fails (exit 1) when a module scores under --fail-under, when a mutant
was not run, or when the list of equivalents is out of date: a listed
mutant that no longer exists, that the tests now kill, or whose change is
no longer the line written beside it (mutmut numbers a function's mutants
in order, so editing a function renumbers them).

    python scripts/mutation_report.py [--fail-under 90] [--survivors]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Final

ROOT: Final = Path(__file__).resolve().parent.parent
EQUIVALENTS: Final = ROOT / "tests" / "equivalent_mutants.txt"

# mutmut 3.8.1's exit codes (mutmut.stats.status_by_exit_code), which the
# pin in pyproject.toml holds still. Anything else is "suspicious".
STATUS: Final[dict[int | None, str]] = {
    0: "survived",
    1: "killed",
    3: "killed",
    5: "no tests",
    33: "no tests",
    34: "skipped",
    36: "timeout",
    24: "timeout",
    -24: "timeout",
    152: "timeout",
    # The mutant's process exits 255 when pytest.main() raised instead of
    # returning, or returned 4 (could not start: a conftest failed to
    # import). The same tests have just passed with no mutant applied (mutmut
    # runs them first and stops if they fail), so the mutant broke the run.
    # Seen here: tests failed (-x stopped at the first), then pytest raised
    # the unraisable-exception warnings left at exit, an error under this
    # suite's filterwarnings. Caught, and shown in a column of their own.
    255: "crashed",
    # pytest's "interrupted": a KeyboardInterrupt reached it, which only the
    # mutant can have raised (the unmutated run passed). Seen here: a call
    # made to believe its caller had pressed Ctrl-C.
    2: "crashed",
    37: "type check",
    -11: "segfault",
    -9: "segfault",
    None: "not run",
}
CAUGHT: Final = frozenset({"killed", "timeout", "crashed", "type check", "segfault"})
MISSED: Final = frozenset({"survived", "no tests"})
ASIDE: Final = ("equivalent", "unmeasured")


@dataclass(frozen=True)
class Equivalent:
    """A mutant set aside from the score, and why."""

    name: str
    line: str
    reason: str
    deleted: bool = False

    @property
    def kind(self) -> str:
        """`equivalent`, or `unmeasured` (only tests mutmut cannot run reach it)."""
        unmeasured = self.reason.startswith("Unmeasured:")
        return "unmeasured" if unmeasured else "equivalent"


def read_equivalents(path: Path = EQUIVALENTS) -> list[Equivalent]:
    """Parse the list: blocks of name, `+ changed line`, reason, blank-separated.

    A mutant that only deletes a line (an argument of a call written one
    per line) gives `- deleted line` instead: mutmut shows no `+` line.
    """
    found: list[Equivalent] = []
    block: list[str] = []
    for raw in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if raw.startswith("#"):
            continue
        if raw.strip():
            block.append(raw.strip())
            continue
        if not block:
            continue
        if len(block) < 3 or block[1][:2] not in {"+ ", "- "}:  # noqa: PLR2004
            sys.exit(
                f"{path}: a block is a name, '+ changed line' (or '- deleted "
                f"line'), a reason: {block}"
            )
        found.append(
            Equivalent(
                block[0],
                block[1][2:],
                " ".join(block[2:]),
                deleted=block[1].startswith("-"),
            )
        )
        block = []
    return found


def read_results(mutants: Path) -> dict[str, dict[str, str]]:
    """Each mutated module's mutants and their status, by file name."""
    results: dict[str, dict[str, str]] = {}
    for meta in sorted((mutants / "ding").rglob("*.py.meta")):
        codes: dict[str, int | None] = json.loads(meta.read_text(encoding="utf-8"))[
            "exit_code_by_key"
        ]
        if codes:
            module = str(meta.relative_to(mutants)).removesuffix(".meta")
            results[module] = {
                name: STATUS.get(code, "suspicious") for name, code in codes.items()
            }
    return results


def mutant_diffs(names: list[str], where: Path) -> dict[str, str]:
    """The diff of each named mutant, from mutmut (one process for all)."""
    program = (
        "import json, sys\n"
        "from mutmut.mutation.diff_apply import get_diff_for_mutant\n"
        "diffs = {}\n"
        "for name in json.load(sys.stdin):\n"
        "    try:\n"
        "        diffs[name] = get_diff_for_mutant(name)\n"
        "    except FileNotFoundError:\n"
        "        pass\n"
        "print(json.dumps(diffs))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program],
        input=json.dumps(names),
        capture_output=True,
        text=True,
        check=True,
        cwd=where,
    )
    diffs: dict[str, str] = json.loads(done.stdout)
    return diffs


def stale_equivalents(
    equivalents: list[Equivalent], status: dict[str, str], where: Path
) -> list[str]:
    """Why each listed equivalent no longer matches the run, if it does not.

    Only the equivalents of the modules in the run are checked.
    """
    problems: list[str] = []
    modules = {name.partition(".x")[0] for name in status}
    diffs = mutant_diffs([e.name for e in equivalents if e.name in status], where)
    for equivalent in equivalents:
        if equivalent.name.partition(".x")[0] not in modules:
            continue
        if equivalent.name not in status:
            problems.append(f"{equivalent.name}: no such mutant")
            continue
        if status[equivalent.name] in CAUGHT:
            problems.append(
                f"{equivalent.name}: now {status[equivalent.name]}, "
                "so not equivalent: remove it from the list"
            )
        diff = diffs.get(equivalent.name, "").splitlines()
        added = [
            line[1:].strip()
            for line in diff
            if line.startswith("+") and not line.startswith("+++")
        ]
        removed = [
            line[1:].strip()
            for line in diff
            if line.startswith("-") and not line.startswith("---")
        ]
        if equivalent.deleted and (added or equivalent.line not in removed):
            problems.append(
                f"{equivalent.name}: changes {added or 'nothing'} and deletes "
                f"{removed or 'nothing'}, not only {equivalent.line!r} "
                "(renumbered? read `mutmut show`)"
            )
        elif not equivalent.deleted and equivalent.line not in added:
            problems.append(
                f"{equivalent.name}: changes {added or 'nothing'}, "
                f"not {equivalent.line!r} (renumbered? read `mutmut show`)"
            )
    return problems


def report(
    results: dict[str, dict[str, str]], aside: dict[str, str], fail_under: float
) -> tuple[list[str], list[str]]:
    """Print one line per module; return the failures and the survivors."""
    failures: list[str] = []
    survivors: list[str] = []
    columns = (
        "killed",
        "timeout",
        "crashed",
        "survived",
        "no tests",
        "equivalent",
        "unmeasured",
        "score",
    )
    print(f"{'module':<22}{'mutants':>8}" + "".join(f"{c:>11}" for c in columns))
    totals: Counter[str] = Counter()
    for module, mutants in results.items():
        counts = Counter(aside.get(name, state) for name, state in mutants.items())
        totals.update(counts)
        totals["mutants"] += len(mutants)
        counts["mutants"] = len(mutants)
        print(f"{module:<22}" + line(counts))
        survivors += [
            name
            for name, state in mutants.items()
            if state in MISSED and name not in aside
        ]
        score = percentage(counts)
        if score < fail_under:
            failures.append(f"{module}: {score:.1f} % < {fail_under:g} %")
        if counts["not run"]:
            failures.append(
                f"{module}: {counts['not run']} not run (`nox -s mutants` finishes)"
            )
        odd = {
            state: n
            for state, n in counts.items()
            if state not in {*CAUGHT, *MISSED, *ASIDE, "mutants", "not run"}
        }
        if odd:
            failures.append(f"{module}: {odd}: run them again by name")
    print(f"{'all':<22}" + line(totals))
    return failures, survivors


def percentage(counts: Counter[str]) -> float:
    """Caught mutants over the mutants that could be caught, in percent."""
    caught = sum(counts[state] for state in CAUGHT)
    judged = counts["mutants"] - sum(counts[kind] for kind in ASIDE)
    return 100.0 * caught / judged if judged else 100.0


def line(counts: Counter[str]) -> str:
    """One row of the table."""
    cells = [
        counts["killed"] + counts["type check"] + counts["segfault"],
        counts["timeout"],
        counts["crashed"],
        counts["survived"],
        counts["no tests"],
        counts["equivalent"],
        counts["unmeasured"],
    ]
    return (
        f"{counts['mutants']:>8}"
        + "".join(f"{n:>11}" for n in cells)
        + f"{percentage(counts):>10.1f}%"
    )


def main() -> int:
    """Print the report; exit 1 on a failure."""
    parser = argparse.ArgumentParser(description="Report the mutation run in mutants/.")
    parser.add_argument("--fail-under", type=float, default=90.0)
    parser.add_argument("--mutants", type=Path, default=ROOT / "mutants")
    parser.add_argument(
        "--survivors", action="store_true", help="list every surviving mutant"
    )
    args = parser.parse_args()
    results = read_results(args.mutants)
    if not results:
        print(f"no results in {args.mutants}: run `nox -s mutants` first")
        return 1
    status = {
        name: state for mutants in results.values() for name, state in mutants.items()
    }
    equivalents = read_equivalents()
    failures, survivors = report(
        results, {e.name: e.kind for e in equivalents}, args.fail_under
    )
    failures += stale_equivalents(equivalents, status, args.mutants.parent)
    if args.survivors or failures:
        print(f"\n{len(survivors)} surviving (`mutmut show NAME` shows one):")
        print("\n".join(f"  {name}" for name in survivors))
    for failure in failures:
        print(f"FAIL {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
