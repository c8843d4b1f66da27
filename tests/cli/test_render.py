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


def test_each_json_value_shows_as_text() -> None:
    # true and false as JSON spells them; numbers as they came; null, an
    # empty list and an empty object as "-"; a list of plain values joined
    # by commas, an object inside it as JSON; text as it came, but for the
    # characters a terminal would act on (C1 controls, line separators).
    answer: dict[str, object] = {
        "ok": True,
        "spam": False,
        "count": 3,
        "amount": 0.009,
        "none": None,
        "tags": [],
        "ids": ["a", "b"],
        "mixed": ["a", {"k": "é"}],
        "meta": {},
        "name": 'Zoë "Z" \\',
        "c1": "a\x9b2J",
        "ls": "a\u2028b",
    }
    assert render_table(answer).splitlines() == [
        "ok      true",
        "spam    false",
        "count   3",
        "amount  0.009",
        "none    -",
        "tags    -",
        "ids     a, b",
        'mixed   a, {"k": "é"}',
        "meta    -",
        'name    Zoë "Z" \\',
        "c1      a\\u009b2J",
        "ls      a\\u2028b",
    ]


def test_a_nested_object_shows_as_dotted_rows() -> None:
    answer = {"signals": {"ip_risk": "low", "device": {"model": "x"}}, "id": "1"}
    assert render_table(answer).splitlines() == [
        "signals.ip_risk       low",
        "signals.device.model  x",
        "id                    1",
    ]


def test_a_list_of_objects_is_a_table_of_its_own_below() -> None:
    # One column per key of any object, "-" where an object lacks it; the
    # list is not a row of the fields above.
    answer = {
        "uuid": "u",
        "events": [{"type": "attempt", "at": "t1"}, {"type": "check", "code": "1"}],
    }
    assert render_table(answer) == (
        "uuid  u\n\nevents:\ntype     at  code\nattempt  t1  -\ncheck    -   1"
    )
    # An answer with nothing but the list.
    assert render_table({"events": [{"type": "attempt"}]}) == "events:\ntype\nattempt"


def test_columns_stay_aligned_under_an_empty_cell_or_name() -> None:
    events = {"events": [{"type": "", "n": "1"}, {"type": "attempt", "n": "2"}]}
    assert render_table(events).splitlines() == [
        "events:",
        "type     n",
        "         1",
        "attempt  2",
    ]
    uuid = "d37257d0-6553-4701-b48e-85d65bee8175"
    assert render_table({"": "x", "id": uuid}, width=30).splitlines() == [
        "    x",
        "id  d37257d0-6553-4701-b48e-85",
        "    d65bee8175",
    ]


#: Five columns of four characters: a table 28 characters wide.
WIDE_EVENTS = {"events": [{key: f"{key}123" for key in "abcde"}] * 2}


def test_a_table_as_wide_as_the_width_stays_a_table() -> None:
    assert render_table(WIDE_EVENTS, width=28).splitlines() == [
        "events:",
        "a     b     c     d     e",
        "a123  b123  c123  d123  e123",
        "a123  b123  c123  d123  e123",
    ]


def test_a_table_wider_than_the_width_shows_each_object_as_rows() -> None:
    block = ["a  a123", "b  b123", "c  c123", "d  d123", "e  e123"]
    assert render_table(WIDE_EVENTS, width=27).splitlines() == [
        "events:",
        *block,
        "",
        *block,
    ]


def test_a_row_as_wide_as_the_width_stays_on_one_line() -> None:
    assert render_table({"name_of_10": "12345678"}, width=20) == (
        "name_of_10  12345678"
    )


def test_a_long_value_wraps_aligned_under_its_first_line() -> None:
    # Names aligned left; a value without spaces is cut at the width, not
    # at its hyphens.
    uuid = "d37257d0-6553-4701-b48e-85d65bee8175"
    answer = {"uuid": uuid, "phone_number": "+14155550123"}
    assert render_table(answer, width=30).splitlines() == [
        "uuid          d37257d0-6553-47",
        "              01-b48e-85d65bee",
        "              8175",
        "phone_number  +14155550123",
    ]
    # At 20 columns a short name still has its value beside it.
    assert render_table({"id": uuid}, width=20).splitlines() == [
        "id  d37257d0-6553-47",
        "    01-b48e-85d65bee",
        "    8175",
    ]


def test_a_heading_wider_than_the_width_wraps() -> None:
    answer = {"a_list_whose_name_is_long": [{"k": "v"}]}
    assert render_table(answer, width=20).splitlines() == [
        "a_list_whose_name_is",
        "_long:",
        "k",
        "v",
    ]


def test_text_that_fits_the_width_shows_as_it_came() -> None:
    # Only text too long for its line is wrapped (and loses the spaces it
    # is broken at).
    assert render_table("word " * 4, width=20) == "word " * 4
