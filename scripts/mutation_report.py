"""Report the mutation run in mutants/: the score of each core module.

`nox -s mutants` runs mutmut, then this script. It reads mutmut's results
(mutants/ding/**/*.py.meta), sets aside the mutants listed in
tests/equivalent_mutants.txt (each by its function and the line it changes,
and why: equivalent, or unmeasured, when only tests mutmut cannot run reach
it), and prints, for each module mutmut mutated, how many mutants the tests
killed, how many hung until the timeout (caught too), how many survived,
and the score: caught / (all - set aside).

A block of the list names a change, not a mutant: a function
(`module:function` or `module:Class.method`) and the line the mutant
writes (or the lines it deletes). It sets aside one mutant of the run that
the tests missed and that makes exactly that change, whatever number mutmut
gave it, so editing a function elsewhere leaves the list valid. Where
several mutants of a function write the same line, a block also gives the
line(s) the mutant replaces; where they make the very same change (a
statement written twice), the block is written once per mutant.

It fails (exit 1) when a module scores under --fail-under, when a mutant
was not run, or when the list of equivalents is out of date: a listed
change that no mutant of the run makes, that the tests now catch, or that
more mutants the tests miss make than the list has blocks for (the others
are to be judged). Only the listed modules the run mutated are checked.

    python scripts/mutation_report.py [--fail-under 90] [--survivors]
"""

from __future__ import annotations

import argparse
import functools
import json
import re
import subprocess
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

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

# mutmut 3.8.1 names a mutant `<module>.x_<function>__mutmut_<n>`, or
# `<module>.x<SEP><Class><SEP><method>__mutmut_<n>` for a method, with
# U+01C1 (LATIN LETTER LATERAL CLICK, mutmut's CLASS_NAME_SEPARATOR) as SEP,
# where <module> is the file's dotted path without `.__init__`, and numbers
# a function's mutants in the order it makes them (format_utils.py,
# file_mutation.py).
SEPARATOR: Final = "\u01c1"
METHOD_PREFIX: Final = "x" + SEPARATOR
FUNCTION_PREFIX: Final = "x_"
NUMBER_MARK: Final = "__mutmut_"
# A block's first line: `ding._pipeline._retry:RetryPolicy._wait`. mutmut
# mutates module-level functions and the methods of module-level classes
# only (a nested function is part of the one it is in), so no deeper name.
FUNCTION: Final = re.compile(
    r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*(\.[A-Za-z_]\w*)?"
)


@dataclass(frozen=True)
class Change:
    """What a mutant does to its function, as its diff shows it without context.

    The lines are stripped of their indentation; blank lines are left out.
    """

    added: tuple[str, ...]
    removed: tuple[str, ...]


@dataclass(frozen=True)
class Equivalent:
    """A change to a function that sets a mutant aside from the score, and why."""

    function: str
    added: tuple[str, ...]
    # The lines the mutant removes: always given for a deletion (no `added`
    # line); for a `+` block, only where they tell its mutant from another
    # one of the function that writes the same line. Empty: any.
    removed: tuple[str, ...]
    reason: str

    @property
    def module(self) -> str:
        """The dotted name of the function's module."""
        return self.function.partition(":")[0]

    @property
    def kind(self) -> str:
        """`equivalent`, or `unmeasured` (only tests mutmut cannot run reach it)."""
        unmeasured = self.reason.startswith("Unmeasured:")
        return "unmeasured" if unmeasured else "equivalent"

    @property
    def change(self) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
        """The function and the lines: equal for the blocks of one change."""
        return self.function, self.added, self.removed

    @property
    def label(self) -> str:
        """The block, on one line, for a message."""
        lines = [f"- {line}" for line in self.removed]
        lines += [f"+ {line}" for line in self.added]
        return f"{self.function} [{' / '.join(lines)}]"

    def matches(self, change: Change) -> bool:
        """Whether a mutant of the function that makes `change` is this one."""
        if change.added != self.added:
            return False
        return not self.removed or change.removed == self.removed


def read_equivalents(path: Path = EQUIVALENTS) -> list[Equivalent]:
    """Parse the list: blocks of function, change, reason, blank-separated.

    The change is the line the mutant writes, after `+ `, preceded, when
    given, by the lines it replaces, each after `- `; a mutant that only
    deletes lines gives those alone. Raises ValueError on a malformed block,
    and on two blocks of which one could take the other's mutant: the same
    `+` line in one function, one with the replaced lines, one without.
    """
    found: list[Equivalent] = []
    block: list[str] = []
    for raw in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if raw.startswith("#"):
            continue
        if raw.strip():
            block.append(raw.strip())
            continue
        if block:
            found.append(parse_block(block, path))
            block = []
    pinned = {(e.function, e.added) for e in found if e.added and e.removed}
    for equivalent in found:
        if not equivalent.removed and (equivalent.function, equivalent.added) in pinned:
            raise ValueError(
                f"{path}: {equivalent.label}: another block of this function "
                "writes the same line and gives the line(s) it replaces: give "
                "them here too, so that a mutant matches one change"
            )
    return found


def parse_block(block: list[str], path: Path) -> Equivalent:
    """One block: function, `- ` lines, then `+ ` lines (not both empty), reason."""
    lines = block[1:]
    changes = 0
    while changes < len(lines) and lines[changes][:2] in {"- ", "+ "}:
        changes += 1
    signs = [line[0] for line in lines[:changes]]
    if (
        not FUNCTION.fullmatch(block[0])
        or not changes
        or changes == len(lines)
        or signs != sorted(signs, reverse=True)
    ):
        raise ValueError(
            f"{path}: a block is a function (module:function or "
            "module:Class.method), the line the mutant writes after '+ ' "
            "(preceded by the lines it replaces, after '- ', where needed), "
            f"or the lines it deletes after '- ', then a reason: {block}"
        )
    return Equivalent(
        block[0],
        tuple(line[2:] for line in lines[:changes] if line[0] == "+"),
        tuple(line[2:] for line in lines[:changes] if line[0] == "-"),
        " ".join(lines[changes:]),
    )


def function_of(mutant: str) -> str:
    """The function a mutant of the run changes, as the list names it."""
    mangled = mutant.rpartition(NUMBER_MARK)[0]
    module, _, function = mangled.rpartition(".")
    if function.startswith(METHOD_PREFIX):
        class_name, _, method = function.removeprefix(METHOD_PREFIX).partition(
            SEPARATOR
        )
        return f"{module}:{class_name}.{method}"
    return f"{module}:{function.removeprefix(FUNCTION_PREFIX)}"


def in_order(mutant: str) -> tuple[str, int]:
    """Sort key: by function, then by mutmut's number."""
    mangled, _, number = mutant.rpartition(NUMBER_MARK)
    return mangled, int(number) if number.isdigit() else 0


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


def mutant_changes(files: Mapping[str, str], where: Path) -> dict[str, Change]:
    """What each mutant changes, from mutmut's diffs (one process for all).

    `files` gives each mutant's file (`ding/_client.py`); `where` is the
    project whose mutants/ holds the run. A mutant mutmut cannot find is
    left out.
    """
    if not files:
        return {}
    program = (
        "import json, sys\n"
        "from mutmut.mutation.diff_apply import get_diff_for_mutant\n"
        "diffs = {}\n"
        "for name, path in json.load(sys.stdin).items():\n"
        "    try:\n"
        "        diffs[name] = get_diff_for_mutant(name, path=path)\n"
        "    except FileNotFoundError:\n"
        "        pass\n"
        "print(json.dumps(diffs))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program],
        input=json.dumps(dict(files)),
        capture_output=True,
        text=True,
        check=True,
        cwd=where,
    )
    diffs: dict[str, str] = json.loads(done.stdout)
    return {name: change_in(diff) for name, diff in diffs.items()}


def change_in(diff: str) -> Change:
    """The lines a unified diff adds and removes, stripped, blank ones left out."""
    added: list[str] = []
    removed: list[str] = []
    lines = diff.splitlines()
    # After the `---` and `+++` lines, the first hunk: `@@ -1,7 +1,7 @@`.
    hunks = next((i for i, line in enumerate(lines) if line.startswith("@@")), 0)
    for line in lines[hunks:]:
        if line[:1] == "+" and line[1:].strip():
            added.append(line[1:].strip())
        elif line[:1] == "-" and line[1:].strip():
            removed.append(line[1:].strip())
    return Change(tuple(added), tuple(removed))


def set_aside(
    equivalents: list[Equivalent],
    results: dict[str, dict[str, str]],
    changes: Callable[[Mapping[str, str]], dict[str, Change]],
) -> tuple[dict[str, str], list[str]]:
    """The mutants the list sets aside (name: kind), and how it is out of date.

    `changes` reads what the given mutants change (`mutant_changes`). It
    is asked, first, about the mutants the tests missed in the listed
    functions; then, only if some blocks found none, about the other
    mutants of their functions, to say why. Blocks of modules the run did
    not mutate are left alone.
    """
    file_of = {name: file for file, mutants in results.items() for name in mutants}
    status = {
        name: state for mutants in results.values() for name, state in mutants.items()
    }
    modules = {function_of(name).partition(":")[0] for name in status}
    blocks: defaultdict[tuple[str, tuple[str, ...], tuple[str, ...]], list[Equivalent]]
    blocks = defaultdict(list)
    for equivalent in equivalents:
        if equivalent.module in modules:
            blocks[equivalent.change].append(equivalent)
    listed = {function for function, _, _ in blocks}
    missed: defaultdict[str, list[str]] = defaultdict(list)
    for name, state in status.items():
        if state in MISSED and function_of(name) in listed:
            missed[function_of(name)].append(name)
    made = changes({name: file_of[name] for names in missed.values() for name in names})
    aside: dict[str, str] = {}
    problems: list[str] = []
    unmatched: list[tuple[list[Equivalent], list[str]]] = []
    for group in blocks.values():
        found = sorted(
            (
                name
                for name in missed[group[0].function]
                if name in made and group[0].matches(made[name])
            ),
            key=in_order,
        )
        # One mutant per block; if more make the change, the report fails,
        # and the first ones by number are set aside meanwhile.
        kinds = (equivalent.kind for equivalent in group)
        aside.update(zip(found, kinds, strict=False))
        if len(found) > len(group):
            problems.append(
                f"{group[0].label}: made by {len(found)} mutants the tests "
                f"miss, listed {len(group)} time(s): judge {', '.join(found)} "
                "(`mutmut show NAME`), then list each equivalent one, giving "
                "the line(s) it replaces after '- ' if that tells them apart"
            )
        elif len(found) < len(group):
            unmatched.append((group, found))
    if unmatched:
        problems += stale_blocks(unmatched, status, file_of, changes)
    return aside, problems


def stale_blocks(
    unmatched: list[tuple[list[Equivalent], list[str]]],
    status: dict[str, str],
    file_of: dict[str, str],
    changes: Callable[[Mapping[str, str]], dict[str, Change]],
) -> list[str]:
    """Why each change is listed more times than mutants the tests miss make it."""
    functions = {group[0].function for group, _ in unmatched}
    others = [
        name
        for name, state in status.items()
        if state not in MISSED and function_of(name) in functions
    ]
    made = changes({name: file_of[name] for name in others})
    problems: list[str] = []
    for group, found in unmatched:
        making = sorted(
            (
                name
                for name in others
                if function_of(name) == group[0].function
                and name in made
                and group[0].matches(made[name])
            ),
            key=in_order,
        )
        caught = [f"{name} {status[name]}" for name in making if status[name] in CAUGHT]
        if caught:
            problems.append(
                f"{group[0].label}: {', '.join(caught)}, so not equivalent: "
                + (
                    f"list it {len(found)} time(s), not {len(group)}"
                    if found
                    else "remove it from the list"
                )
            )
        elif len(found) + len(making) < len(group):
            problems.append(
                f"{group[0].label}: listed {len(group)} time(s), made by "
                f"{len(found) + len(making)} mutant(s) of the run (the function "
                "or the line changed? `mutmut show NAME` shows a mutant)"
            )
        # Otherwise the mutants making it were not run, or oddly: the report
        # fails on those already.
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
    # At least 22 wide, as before modules moved into packages of their own.
    width = max([22, *(len(module) + 2 for module in results)])
    print(f"{'module':<{width}}{'mutants':>8}" + "".join(f"{c:>11}" for c in columns))
    totals: Counter[str] = Counter()
    for module, mutants in results.items():
        counts = Counter(aside.get(name, state) for name, state in mutants.items())
        totals.update(counts)
        totals["mutants"] += len(mutants)
        counts["mutants"] = len(mutants)
        print(f"{module:<{width}}" + line(counts))
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
    print(f"{'all':<{width}}" + line(totals))
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
    try:
        equivalents = read_equivalents()
    except ValueError as error:
        print(f"FAIL {error}")
        return 1
    changes = functools.partial(mutant_changes, where=args.mutants.parent)
    aside, stale = set_aside(equivalents, results, changes)
    failures, survivors = report(results, aside, args.fail_under)
    failures += stale
    if args.survivors or failures:
        print(f"\n{len(survivors)} surviving (`mutmut show NAME` shows one):")
        print("\n".join(f"  {name}" for name in survivors))
    for failure in failures:
        print(f"FAIL {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
