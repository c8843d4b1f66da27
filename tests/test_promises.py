"""Every promise of README.md is pinned by a test.

A promise is a sentence, a list item or a table row of the README that
states an absolute or a number ("never", "always", "every", "at most",
"by default", "60 s", "1 MiB", ...): the scanner below finds them, and each
one must contain a phrase of `PROMISES` (tests/promises.py), which maps it
to the tests that would fail if the promise broke. A new promise in the
README without a test fails `test_every_readme_promise_has_a_test`; add its
phrase and the tests to `PROMISES` (writing the test first where none pins
it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from tests.promises import MEASURED, PROMISES

ROOT: Final = Path(__file__).resolve().parent.parent
HOW_TO_PIN: Final = (
    "add a phrase of each, quoted from README.md, to PROMISES in tests/promises.py,"
    " with the tests that fail when it breaks (write one where none does)"
)
README: Final = ROOT / "README.md"

# Sections that make no promise about the product's behaviour, with why;
# their subsections are out of scope too.
EXCLUDED_SECTIONS: Final = {
    # Installing and the first run, commands mostly; `nox -s examples` runs
    # the quickstart, and each promise it repeats is pinned where it is told.
    "Try it": "the install and quickstart commands, run by `nox -s examples`",
    # The example apps and what each shows: `nox -s examples` runs them.
    "Examples": "a table of example apps, run by `nox -s examples`",
    # Numbers measured on one machine by `nox -s bench`, not promised.
    "Performance": "measured numbers of a benchmark run, owned by the benchmarks",
    # CI sessions; tests/test_development_docs.py checks them against noxfile.py.
    "Development": "describes CI sessions, checked by tests/test_development_docs.py",
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


def _normalise(text: str) -> str:
    return " ".join(text.split())


def _sentences(paragraph: str) -> list[str]:
    return [s for s in _SENTENCE_END.split(_normalise(paragraph)) if s]


class _Scanner:
    """Reads the README line by line, gathering the lines of one unit."""

    def __init__(self) -> None:
        self.found: list[Unit] = []
        self.headings: list[tuple[int, str]] = []
        self.block: list[str] = []
        self.kind = "prose"  # of `block`: prose, item or row

    def flush(self) -> None:
        if self.block and not any(
            name in EXCLUDED_SECTIONS for _, name in self.headings
        ):
            section = self.headings[-1][1] if self.headings else "(top)"
            text = _normalise(" ".join(self.block))
            parts = _sentences(text) if self.kind == "prose" else [text]
            self.found.extend(Unit(section, part) for part in parts)
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


def units(readme: str) -> list[Unit]:
    """The README's units in order, outside code blocks and excluded sections."""
    scanner = _Scanner()
    fenced = False
    lines = [line.strip() for line in readme.splitlines()]
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


def promises(readme: str) -> list[Unit]:
    """The units that state an absolute or a number."""
    return [unit for unit in units(readme) if MARKERS.search(unit.text)]


def unpinned(readme: str) -> list[Unit]:
    """The promises of *readme* that contain no phrase of `PROMISES`."""
    phrases = [*PROMISES, *MEASURED]
    return [
        unit
        for unit in promises(readme)
        if not any(phrase in unit.text for phrase in phrases)
    ]


def _report(found: list[Unit]) -> str:
    lines = [f"[{unit.section}] {unit.text}" for unit in found]
    return f"{len(found)} README promise(s) without a test; {HOW_TO_PIN}:\n" + (
        "\n".join(lines)
    )


def _readme() -> str:
    return README.read_text(encoding="utf-8")


def test_every_readme_promise_has_a_test() -> None:
    found = unpinned(_readme())
    assert not found, _report(found)


def test_every_pinned_phrase_is_in_the_readme() -> None:
    text = _normalise(_readme())
    stale = [phrase for phrase in [*PROMISES, *MEASURED] if phrase not in text]
    assert not stale, f"phrases no longer in README.md: {stale}"


def test_every_phrase_pins_a_promise_unit() -> None:
    # A phrase matched by no promise unit pins nothing: it spans two
    # sentences, or sits in an excluded section or a code block.
    texts = [unit.text for unit in promises(_readme())]
    idle = [p for p in [*PROMISES, *MEASURED] if not any(p in t for t in texts)]
    assert not idle, f"phrases in no promise of README.md: {idle}"


_REFERENCE: Final = re.compile(
    r"(?P<file>(?:tests|examples)/[\w/]+\.py)::(?P<name>test_\w+)"
)


def test_every_referenced_test_exists() -> None:
    missing: list[str] = []
    for phrase, references in PROMISES.items():
        assert references, f"no test for {phrase!r}"
        for reference in references:
            match = _REFERENCE.fullmatch(reference)
            assert match, f"not a test reference: {reference!r}"
            path = ROOT / match["file"]
            source = path.read_text(encoding="utf-8") if path.is_file() else ""
            if not re.search(
                rf"^(?:async )?def {match['name']}\(", source, re.MULTILINE
            ):
                missing.append(reference)
    assert not missing, f"referenced tests that do not exist: {missing}"


def _with_sentence_in(readme: str, section: str, sentence: str) -> str:
    """*readme* with *sentence* added to the first paragraph under *section*."""
    heading = f"\n## {section}\n\n"
    start = readme.index(heading) + len(heading)
    end = readme.find("\n\n", start)
    if end == -1:  # the README's last paragraph
        end = len(readme.rstrip("\n"))
    return f"{readme[:end]} {sentence}{readme[end:]}"


def test_a_promise_added_without_a_test_is_reported() -> None:
    readme = _readme()
    assert unpinned(readme) == []
    for sentence in (
        "The SDK never sends a code twice.",
        "Codes expire after 10 minutes.",
    ):
        changed = _with_sentence_in(readme, "Logging", sentence)
        assert unpinned(changed) == [Unit("Logging", sentence)]
        assert f"[Logging] {sentence}" in _report(unpinned(changed))
    # A sentence that promises nothing is not a promise.
    changed = _with_sentence_in(readme, "Logging", "The logger is named ding.")
    assert unpinned(changed) == []


def test_an_excluded_section_or_a_code_block_holds_no_promise() -> None:
    readme = _readme()
    for section in ("Performance", "Development"):
        changed = _with_sentence_in(readme, section, "It never fails.")
        assert unpinned(changed) == []
    fenced = readme.replace(
        "## Logging\n", "## Logging\n\n```text\nIt never fails.\n```\n", 1
    )
    assert unpinned(fenced) == []


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
