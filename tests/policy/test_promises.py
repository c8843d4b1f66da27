"""Every promise of README.md and of the docs pages is pinned by a test.

A promise is a sentence, a list item or a table row of README.md or of a
page of the documentation site (docs/**/*.md) that states an absolute or a
number ("never", "always", "every", "at most", "by default", "60 s",
"1 MiB", ...): the scanner below finds them, and each one must contain a
phrase that `PROMISES` (tests/promises.py) lists under its page, which
names the tests that would fail if the promise broke. A new promise without
a test fails `test_every_promise_has_a_test`; add its phrase, under its
page, and the tests to `PROMISES` (writing the test first where none pins
it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Final

from tests.promises import MEASURED, PROMISES

if TYPE_CHECKING:
    from collections.abc import Collection

ROOT: Final = Path(__file__).resolve().parents[2]
HOW_TO_PIN: Final = (
    "add a phrase of each, quoted from its page, to PROMISES[page] in"
    " tests/promises.py, with the tests that fail when it breaks (write one"
    " where none does)"
)
README: Final = "README.md"


def pages() -> list[str]:
    """The scanned pages, relative to the root: the README, then the docs."""
    docs = sorted(
        path.relative_to(ROOT).as_posix() for path in ROOT.glob("docs/**/*.md")
    )
    return [README, *docs]


# Sections that make no promise about the product's behaviour, by page, with
# why; their subsections are out of scope too.
EXCLUDED_SECTIONS: Final[dict[str, dict[str, str]]] = {
    README: {
        # The install and first-run commands; `nox -s examples` runs the
        # quickstart, and each promise it makes is pinned where it is told.
        "Try it": "the install and quickstart commands, run by `nox -s examples`",
        # A pointer to the benchmark page, itself excluded below.
        "Performance": "points to the benchmark numbers of the performance page",
        # Links to the pages, whose promises are pinned there.
        "Documentation": "a list of links to the docs pages",
        # CI sessions; tests/policy/test_development_docs.py checks them against noxfile.py.
        "Development": "points to CONTRIBUTING.md's CI sessions",
    },
    "docs/getting-started.md": {
        # The quickstart's walk-through, run by `nox -s examples`; each
        # promise it repeats is pinned on the page that tells it.
        "The quickstart, against the fake": "the quickstart, run by `nox -s examples`",
        # The example apps and what each shows: `nox -s examples` runs them.
        "The example apps": "a table of example apps, run by `nox -s examples`",
    },
    "docs/architecture.md": {
        # Where each concern's code lives, checked by tests/policy/test_layers.py;
        # the behaviours it names are promised, and pinned, on their pages.
        "What each package owns": "the package layout, checked by tests/policy/test_layers.py",
    },
    "docs/guides/performance.md": {
        # Numbers measured on one machine by `nox -s bench`, not promised.
        "Performance": "measured numbers of a benchmark run, owned by the benchmarks",
    },
}

_UNITS: Final = (
    r"s|ms|µs|seconds?|minutes?|hours?|days?|weeks?|KiB|MiB|GiB|KB|MB|GB|bytes?"
    r"|characters?|digits?|%|retries|attempts?|connections?|times|calls?"
    r"|threads?|workers?|rounds?|requests?"
)
_NUMBER: Final = r"(?:\d[\d,.]*|one|two|three|four|five|six|ten|twice)"
MARKERS: Final = re.compile(
    r"\b(?:never|always|every|everything|no|at most|at least|no more than|only|nothing"
    r"|defaults?|by default|cap|caps|capped|bound|bounds|bounded|up to"
    r"|exactly|once|whatever|no longer)\b"
    rf"|(?<![\w.]){_NUMBER}\s?(?:{_UNITS})(?!\w)",
    re.IGNORECASE,
)
# A sentence ends at `.`, `?` or `!` (or a parenthesis closed after one)
# before a capital, a backtick or a parenthesis; not after e.g. and i.e.
_SENTENCE_END: Final = re.compile(
    r"(?<!\be\.g\.)(?<!\bi\.e\.)(?:(?<=[.?!])|(?<=[.?!]\)))\s+(?=[A-Z`(\[])"
)
_HEADING: Final = re.compile(r"^(#{1,6})\s+(.*)$")
_LIST_ITEM: Final = re.compile(r"^(?:[-*+]|\d+\.)\s+")
_TABLE_RULE: Final = re.compile(r"^\|(?:\s*:?-+:?\s*\|)+\s*$")


@dataclass(frozen=True)
class Unit:
    """One sentence, list item or table row, whitespace normalised."""

    section: str
    text: str
    # The headings it sits under, outermost first (its section last).
    headings: tuple[str, ...] = field(default=(), compare=False)


def _normalise(text: str) -> str:
    return " ".join(text.split())


def _sentences(paragraph: str) -> list[str]:
    return [s for s in _SENTENCE_END.split(_normalise(paragraph)) if s]


class _Scanner:
    """Reads a page line by line, gathering the lines of one unit."""

    def __init__(self, excluded: Collection[str]) -> None:
        self.excluded = excluded
        self.found: list[Unit] = []
        self.headings: list[tuple[int, str]] = []
        self.block: list[str] = []
        self.kind = "prose"  # of `block`: prose, item or row

    def flush(self) -> None:
        names = tuple(name for _, name in self.headings)
        if self.block and not any(name in self.excluded for name in names):
            section = names[-1] if names else "(top)"
            text = _normalise(" ".join(self.block))
            parts = _sentences(text) if self.kind == "prose" else [text]
            self.found.extend(Unit(section, part, names) for part in parts)
        self.block.clear()

    def heading(self, level: int, name: str) -> None:
        self.flush()
        self.headings = [(n, h) for n, h in self.headings if n < level]
        self.headings.append((level, name))

    def row(self, line: str, following: str) -> None:
        self.flush()
        # A row; the header row (above the rule) states no promise.
        if not _TABLE_RULE.match(line) and not _TABLE_RULE.match(following):
            self.kind = "row"
            self.block.append(line)
            self.flush()

    def text(self, line: str) -> None:
        if _LIST_ITEM.match(line):
            self.flush()
            self.kind = "item"
        elif not self.block:
            self.kind = "prose"
        self.block.append(line)


def units(text: str, excluded: Collection[str] = ()) -> list[Unit]:
    """A page's units in order, outside code blocks and *excluded* sections."""
    scanner = _Scanner(excluded)
    fenced = False
    lines = [line.strip() for line in text.splitlines()]
    for index, line in enumerate(lines):
        heading = _HEADING.match(line)
        if line.startswith("```"):
            scanner.flush()
            fenced = not fenced
        elif fenced:
            continue
        elif heading:
            scanner.heading(len(heading.group(1)), heading.group(2).strip())
        elif not line:
            scanner.flush()
        elif line.startswith("|"):
            scanner.row(line, lines[index + 1] if index + 1 < len(lines) else "")
        else:
            scanner.text(line)
    scanner.flush()
    return scanner.found


def promises(text: str, excluded: Collection[str] = ()) -> list[Unit]:
    """The units that state an absolute or a number."""
    return [unit for unit in units(text, excluded) if MARKERS.search(unit.text)]


def read(page: str) -> str:
    """The text of *page*, a path relative to the project's root."""
    return (ROOT / page).read_text(encoding="utf-8")


def page_promises(page: str, text: str) -> list[Unit]:
    """The promises of *text*, the contents of *page*, outside its exclusions."""
    return promises(text, EXCLUDED_SECTIONS.get(page, {}))


def unpinned(page: str, text: str) -> list[Unit]:
    """The promises of *text*, the contents of *page*, that nothing pins.

    A promise is pinned by a phrase listed under *page* in `PROMISES` (or
    `MEASURED`) that it contains.
    """
    phrases = [*PROMISES.get(page, {}), *MEASURED.get(page, {})]
    return [
        unit
        for unit in page_promises(page, text)
        if not any(phrase in unit.text for phrase in phrases)
    ]


def _report(page: str, found: list[Unit]) -> str:
    lines = [f"[{page}: {unit.section}] {unit.text}" for unit in found]
    return f"{len(found)} promise(s) without a test; {HOW_TO_PIN}:\n" + (
        "\n".join(lines)
    )


def test_every_promise_has_a_test() -> None:
    reports = [
        _report(page, found)
        for page in pages()
        if (found := unpinned(page, read(page)))
    ]
    assert not reports, "\n".join(reports)


def test_the_map_names_only_pages_that_are_scanned() -> None:
    scanned = set(pages())
    named = {*PROMISES, *MEASURED, *EXCLUDED_SECTIONS}
    assert named <= scanned, f"not a scanned page: {sorted(named - scanned)}"


def test_every_excluded_section_is_on_its_page() -> None:
    # A section renamed away would leave its exclusion idle.
    missing = [
        f"{page}: {name}"
        for page, sections in EXCLUDED_SECTIONS.items()
        for name in sections
        if not re.search(rf"^#{{1,6}} {re.escape(name)}$", read(page), re.MULTILINE)
    ]
    assert not missing, f"sections no longer on their page: {missing}"


def test_every_pinned_phrase_is_on_its_page() -> None:
    stale = [
        f"{page}: {phrase!r}"
        for page in {*PROMISES, *MEASURED}
        for phrase in [*PROMISES.get(page, {}), *MEASURED.get(page, {})]
        if phrase not in _normalise(read(page))
    ]
    assert not stale, f"phrases no longer on their page: {stale}"


def test_every_phrase_pins_a_promise_unit() -> None:
    # A phrase matched by no promise unit pins nothing: it spans two
    # sentences, or sits in an excluded section or a code block.
    idle: list[str] = []
    for page in {*PROMISES, *MEASURED}:
        texts = [unit.text for unit in page_promises(page, read(page))]
        phrases = [*PROMISES.get(page, {}), *MEASURED.get(page, {})]
        idle += [f"{page}: {p!r}" for p in phrases if not any(p in t for t in texts)]
    assert not idle, f"phrases in no promise of their page: {idle}"


_REFERENCE: Final = re.compile(
    r"(?P<file>(?:tests|examples)/[\w/]+\.py)::(?P<name>test_\w+)"
)


def test_every_referenced_test_exists() -> None:
    missing: list[str] = []
    for page, pinned in PROMISES.items():
        for phrase, references in pinned.items():
            assert references, f"no test for {phrase!r} ({page})"
            for reference in references:
                match = _REFERENCE.fullmatch(reference)
                assert match, f"not a test reference: {reference!r} ({page})"
                path = ROOT / match["file"]
                source = path.read_text(encoding="utf-8") if path.is_file() else ""
                if not re.search(
                    rf"^(?:async )?def {match['name']}\(", source, re.MULTILINE
                ):
                    missing.append(reference)
    assert not missing, f"referenced tests that do not exist: {missing}"


def _with_sentence_in(text: str, section: str, sentence: str) -> str:
    """*text* with *sentence* as the first paragraph under *section*'s heading."""
    heading = re.search(rf"^#{{1,6}} {re.escape(section)}\n\n", text, re.MULTILINE)
    assert heading, section
    return f"{text[: heading.end()]}{sentence}\n\n{text[heading.end() :]}"


def test_a_promise_added_without_a_test_is_reported() -> None:
    for page, section in (("docs/logging.md", "Logging"), (README, "Why ding")):
        text = read(page)
        assert unpinned(page, text) == []
        for sentence in (
            "The SDK never sends a code twice.",
            "Codes expire after 10 minutes.",
        ):
            changed = _with_sentence_in(text, section, sentence)
            assert unpinned(page, changed) == [Unit(section, sentence)]
            report = _report(page, unpinned(page, changed))
            assert f"[{page}: {section}] {sentence}" in report
        # A sentence that promises nothing is not a promise.
        changed = _with_sentence_in(text, section, "The logger is named ding.")
        assert unpinned(page, changed) == []


def test_a_phrase_pins_only_on_its_own_page() -> None:
    # docs/logging.md's promises, pasted into another page, are not pinned
    # there: each page's phrases are its own.
    unit = next(iter(page_promises("docs/logging.md", read("docs/logging.md"))))
    text = read("docs/where-it-runs.md")
    changed = _with_sentence_in(text, "Where it runs", unit.text)
    assert unpinned("docs/where-it-runs.md", changed) == [
        Unit("Where it runs", unit.text)
    ]


def test_an_excluded_section_or_a_code_block_holds_no_promise() -> None:
    for page, section in (
        (README, "Performance"),
        (README, "Development"),
        ("docs/guides/performance.md", "Performance"),
    ):
        changed = _with_sentence_in(read(page), section, "It never fails.")
        assert unpinned(page, changed) == []
    text = read("docs/logging.md")
    fenced = text.replace(
        "# Logging\n", "# Logging\n\n```text\nIt never fails.\n```\n", 1
    )
    assert unpinned("docs/logging.md", fenced) == []


def test_the_scanner_splits_sentences_where_they_end() -> None:
    text = (
        "## S\n\nIt waits 0.5 s, e.g. `a.py` or test_x.py, i.e. not long. "
        "Then it stops (always). `x` is never None! (It is.) Last one?\n"
        "\n- an item, continued\n  on a second line. Still the item.\n\n"
        "| a | b |\n| --- | --- |\n| `c` | by default |\n"
    )
    assert [unit.text for unit in units(text)] == [
        "It waits 0.5 s, e.g. `a.py` or test_x.py, i.e. not long.",
        "Then it stops (always).",
        "`x` is never None!",
        "(It is.)",
        "Last one?",
        "- an item, continued on a second line. Still the item.",
        "| `c` | by default |",
    ]
    assert [unit.text for unit in promises(text)] == [
        "It waits 0.5 s, e.g. `a.py` or test_x.py, i.e. not long.",
        "Then it stops (always).",
        "`x` is never None!",
        "| `c` | by default |",
    ]
