"""The table form of an answer, in process: every width it promises to fit."""

from __future__ import annotations

import pytest

from ding._cli._render import MIN_WIDTH, render_table

#: An answer with what makes a table wide: long values, a nested object,
#: a list of objects of several shapes, a value of spaces only.
ANSWER: dict[str, object] = {
    "uuid": "d37257d0-6553-4701-b48e-85d65bee8175",
    "a_rather_long_field_name": "text " * 30,
    "blank": " " * 150,
    "signals": {"ip_risk": "low", "device": {"model": "x" * 50}},
    "events": [
        {"type": "attempt", "content": "Your verification code is 123456"},
        {"type": "balance_update", "amount": 0.009, "attempt_id": "7a31" * 10},
    ],
}


@pytest.mark.parametrize("width", range(MIN_WIDTH, 121, 7))
def test_no_line_is_longer_than_the_width(width: int) -> None:
    lines = render_table(ANSWER, width=width).splitlines()
    assert max(len(line) for line in lines) <= width
    # Nothing is lost: every word of the long value is there.
    assert "".join(render_table(ANSWER, width=width).split()).count("text") == 30


def test_without_a_width_each_row_is_one_line() -> None:
    text = render_table(ANSWER)
    assert f"a_rather_long_field_name  {'text ' * 30}" in text.splitlines()
    header = next(line for line in text.splitlines() if line.startswith("type"))
    assert header.split() == ["type", "content", "amount", "attempt_id"]


def test_a_narrower_width_is_taken_for_the_least() -> None:
    assert render_table(ANSWER, width=5) == render_table(ANSWER, width=MIN_WIDTH)


def test_a_value_that_is_not_an_object_wraps_too() -> None:
    assert render_table("word " * 10, width=20).splitlines() == [
        "word word word word",
        "word word word word",
        "word word",
    ]
    assert render_table(["a", None]) == "a, -"
