"""The strict number parser: only ASCII digits with at most one '.', never a guess."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.orders.numparse import NumberError, parse_number, parse_optional_positive, parse_positive


@pytest.mark.parametrize(
    ("raw", "value"),
    [("0.01", "0.01"), ("5", "5"), ("5.", "5"), (".5", "0.5"), (" 95000.5 ", "95000.5"), ("007", "7")],
)
def test_plain_decimals_parse_exactly(raw: str, value: str) -> None:
    assert parse_number(raw, "qty") == Decimal(value)


@pytest.mark.parametrize(
    ("raw", "hint"),
    [
        ("0,01", "use . as the decimal point"),
        ("1,000.5", "use . as the decimal point"),
        ("1e3", "no exponents"),
        ("1E3", "no exponents"),
        ("1_000", "no separators"),
        ("1 000", "no separators"),
        ("٣", "ASCII digits"),
        ("１２", "ASCII digits"),
        ("NaN", "digits 0-9"),
        ("Infinity", "digits 0-9"),
        ("inf", "digits 0-9"),
        ("-5", "no sign"),
        ("+5", "no sign"),
        ("1.2.3", "only one ."),
        (".", "digits 0-9"),
        ("0x10", "digits 0-9"),
    ],
)
def test_anything_ambiguous_is_refused_with_what_to_type(raw: str, hint: str) -> None:
    with pytest.raises(NumberError) as err:
        parse_number(raw, "qty")
    assert str(err.value).startswith("qty: ")
    assert hint in str(err.value)


def test_empty_is_required_and_zero_is_not_positive() -> None:
    with pytest.raises(NumberError, match="qty: required"):
        parse_number("  ", "qty")
    with pytest.raises(NumberError, match="greater than 0"):
        parse_positive("0.000", "qty")
    assert parse_optional_positive("", "tp") is None
    assert parse_optional_positive("1.5", "tp") == Decimal("1.5")


@given(st.decimals(min_value=0, max_value=10**12, allow_nan=False, allow_infinity=False, places=8))
def test_every_plain_decimal_round_trips(value: Decimal) -> None:
    assert parse_number(f"{value:f}", "x") == value


@given(st.text(max_size=12))
def test_accepted_text_is_exactly_ascii_digits_and_one_point(raw: str) -> None:
    try:
        value = parse_number(raw, "x")
    except NumberError:
        return
    text = raw.strip()
    assert text.isascii()
    assert set(text) <= set("0123456789.")
    assert text.count(".") <= 1
    assert value.is_finite() and value >= 0
    assert value == Decimal(text if not text.startswith(".") else "0" + text)
