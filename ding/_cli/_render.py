"""The ``ding`` command's table form of a JSON answer, for a terminal.

Any JSON object renders: its plain fields as aligned ``name  value`` rows,
a nested object's fields as ``parent.name`` rows, and a list of objects
(``events`` of the status answer) as a table of its own below, one column
per key. Text from the server is shown with its control characters escaped,
so an answer cannot move the cursor or recolour the terminal.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Final, cast

__all__ = ["render_table"]

#: What a missing or null value shows as.
_NONE: Final = "-"
_GAP: Final = "  "


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


def _columns(items: list[Mapping[str, object]]) -> str:
    """Return *items* as a table: a header of their keys, a row each."""
    keys = list(dict.fromkeys(key for item in items for key in item))
    cells = [[_text(key) for key in keys]]
    cells += [[_text(item.get(key)) for key in keys] for item in items]
    widths = [max(len(row[i]) for row in cells) for i in range(len(keys))]
    return "\n".join(
        _GAP.join(
            cell.ljust(width) for cell, width in zip(row, widths, strict=True)
        ).rstrip()
        for row in cells
    )


def render_table(body: object) -> str:
    """Return the JSON value *body* (an API answer) as aligned text."""
    if not isinstance(body, Mapping):
        return _text(body)
    answer = cast("Mapping[str, object]", body)
    rows = _rows(answer)
    width = max((len(name) for name, _ in rows), default=0)
    parts = ["\n".join(f"{name.ljust(width)}{_GAP}{value}" for name, value in rows)]
    for name, value in answer.items():
        if _is_object_list(value):
            items = cast("list[Mapping[str, object]]", value)
            parts.append(f"{_text(name)}:\n{_columns(items)}")
    return "\n\n".join(part for part in parts if part)
