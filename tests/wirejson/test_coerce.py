"""``wirejson.as_int``: the one Gson-style integer reading shared by REST (kurentoOptions) and signaling params."""

from __future__ import annotations

import pytest

import wirejson


@pytest.mark.parametrize(
    ("value", "expected"),
    [(7, 7), (-3, -3), (2.9, 2), (-2.9, -2), (" 42 ", 42), ("-5", -5), (2**63 - 1, 2**63 - 1)],
)
def test_numbers_and_numeric_strings(value: object, expected: int) -> None:
    assert wirejson.as_int(value) == expected


@pytest.mark.parametrize(
    "value",
    [True, False, None, {}, [], "x", "1.5", "", float("nan"), float("inf"), 2**63, -(2**63) - 1, "9" * 21],
)
def test_everything_else_is_a_value_error(value: object) -> None:
    with pytest.raises(ValueError):
        wirejson.as_int(value)
