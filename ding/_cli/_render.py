"""The ``ding`` command's table form of a JSON answer, for a terminal.

Any JSON object renders: its plain fields as aligned ``name  value`` rows,
a nested object's fields as ``parent.name`` rows, and a list of objects
(``events`` of the status answer) as a table of its own below, one column
per key. Text from the server is shown with its control characters escaped,
so an answer cannot move the cursor or recolour the terminal.

Given a width (the terminal's), no line is longer: a value too long for
its row wraps onto lines of its own, aligned under it (a row's name and
value go on lines of their own where the width leaves too little room for
both side by side); a list of objects whose table is too wide shows each
object as rows of its own instead, one block each. Widths count
characters.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Mapping
from typing import Final, cast

__all__ = ["render_table"]

#: What a missing or null value shows as.
_NONE: Final = "-"
_GAP: Final = "  "
#: The fewest columns a value gets beside its name; below, it goes under it.
_MIN_VALUE_WIDTH: Final = 16
#: A narrower width is taken for this one.
MIN_WIDTH: Final = 20


def _text(value: object) -> str:
    """Return *value* as one printable cell."""
    if value is None:
        return _NONE
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return "".join(
            c if c.isprintable() else json.dumps(c, ensure_ascii=True)[1:-1]
            for c in value
        )
    if isinstance(value, list):
        items = cast("list[object]", value)
        return ", ".join(_text(item) for item in items) if items else _NONE
    return _text(json.dumps(value, ensure_ascii=False))


def _is_object_list(value: object) -> bool:
    if not isinstance(value, list):
        return False
    items = cast("list[object]", value)
    return bool(items) and all(isinstance(item, Mapping) for item in items)


def _rows(body: Mapping[str, object], prefix: str = "") -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    for name, value in body.items():
        label = f"{prefix}{name}"
        if isinstance(value, Mapping):
            inner = cast("Mapping[str, object]", value)
            if inner:
                rows.extend(_rows(inner, f"{label}."))
            else:
                rows.append((_text(label), _NONE))
        elif not _is_object_list(value):
            rows.append((_text(label), _text(value)))
    return rows


def _wrap(text: str, width: int) -> list[str]:
    """Return *text* as lines of at most *width* characters, at spaces if it can."""
    if len(text) <= width:
        return [text]
    return textwrap.wrap(text, width, break_on_hyphens=False, drop_whitespace=True) or [
        text[:width]
    ]


def _pairs(rows: list[tuple[str, str]], width: int | None) -> str:
    """Return *rows* as ``name  value`` lines, aligned, fitting *width*."""
    name_width = max((len(name) for name, _ in rows), default=0)
    indent = name_width + len(_GAP)
    if width is None or all(indent + len(value) <= width for _, value in rows):
        return "\n".join(
            f"{name.ljust(name_width)}{_GAP}{value}" for name, value in rows
        )
    lines: list[str] = []
    if width - indent >= _MIN_VALUE_WIDTH:
        for name, value in rows:
            first, *more = _wrap(value, width - indent)
            lines.append(f"{name.ljust(name_width)}{_GAP}{first}".rstrip())
            lines.extend(" " * indent + line for line in more)
        return "\n".join(lines)
    # Too narrow for names and values side by side: each value under its name.
    for name, value in rows:
        lines.extend(_wrap(name, width))
        lines.extend(_GAP + line for line in _wrap(value, width - len(_GAP)))
    return "\n".join(lines)


def _columns(items: list[Mapping[str, object]], width: int | None) -> str:
    """Return *items* as a table: a header of their keys, a row each.

    Where that table is wider than *width*, each item is shown as rows of
    its own (its keys and values), the items apart by a blank line.
    """
    keys = list(dict.fromkeys(key for item in items for key in item))
    cells = [[_text(key) for key in keys]]
    cells += [[_text(item.get(key)) for key in keys] for item in items]
    widths = [max(len(row[i]) for row in cells) for i in range(len(keys))]
    if width is not None and sum(widths) + len(_GAP) * (len(keys) - 1) > width:
        return "\n\n".join(
            _pairs([(_text(k), _text(v)) for k, v in item.items()], width)
            for item in items
        )
    return "\n".join(
        _GAP.join(
            cell.ljust(column) for cell, column in zip(row, widths, strict=True)
        ).rstrip()
        for row in cells
    )


def render_table(body: object, *, width: int | None = None) -> str:
    """Return the JSON value *body* (an API answer) as aligned text.

    Args:
        body: The answer.
        width: The most characters a line may have (at least `MIN_WIDTH`
            is taken), or None for no limit: each row on one line.
    """
    if width is not None:
        width = max(width, MIN_WIDTH)
    if not isinstance(body, Mapping):
        return "\n".join(_wrap(_text(body), width)) if width else _text(body)
    answer = cast("Mapping[str, object]", body)
    parts = [_pairs(_rows(answer), width)]
    for name, value in answer.items():
        if _is_object_list(value):
            items = cast("list[Mapping[str, object]]", value)
            heading = f"{_text(name)}:"
            if width is not None:
                heading = "\n".join(_wrap(heading, width))
            parts.append(f"{heading}\n{_columns(items, width)}")
    return "\n\n".join(part for part in parts if part)
