"""Display formats: thousands separators, fixed decimals, never ``-0.00`` / ``-0.00%``, arrows
that follow the rounded figure, and ages in one unit style."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from widgets.fmt import fmt_age, fmt_compact, fmt_dec, fmt_pct, fmt_signed, short_symbol

D = Decimal


def test_separators_and_fixed_decimals() -> None:
    assert fmt_dec(D("95076.8"), 1) == "95,076.8"
    assert fmt_dec(D("94983.93333333"), 1) == "94,983.9"  # an average never shows 8 drifting decimals
    assert fmt_dec(D("1234.5"), 2, sign=True) == "+1,234.50"
    assert fmt_dec(D("1234.5"), 2, sep=False) == "1234.50"
    assert fmt_dec(None) == "—"


def test_no_negative_zero() -> None:
    assert fmt_dec(D("-0.001"), 2) == "0.00"
    assert fmt_dec(D("-0.004"), 2, sign=True) == "0.00"
    assert fmt_pct(D("-0.001"), 2, sign=True) == "0.00%"
    assert fmt_pct(-0.0001, 1) == "0.0%"
    assert fmt_compact(D("-0.3")) == "0"


def test_arrow_follows_the_rounded_figure() -> None:
    assert fmt_signed(D("-0.001")) == ("·0.00", 0)
    assert fmt_signed(D("250.5")) == ("▲+250.50", 1)
    assert fmt_signed(D("-1250")) == ("▼-1,250.00", -1)


def test_ages_in_one_unit_style() -> None:
    assert [fmt_age(ms) for ms in (0, 400, 9_960, 12_000, 65_000, 3 * 3_600_000, 2 * 86_400_000)] == [
        "0.0s",
        "0.4s",
        "9.9s",
        "12s",
        "1m",
        "3h",
        "2d",
    ]
    assert fmt_age(-5) == "0.0s"


def test_short_symbol() -> None:
    assert (
        short_symbol("BTCUSDT") == "BTC"
        and short_symbol("ETHUSDC") == "ETH"
        and short_symbol("USDT") == "USDT"
    )


@given(st.decimals(min_value=-(10**9), max_value=10**9, allow_nan=False, places=8), st.integers(0, 6))
def test_display_round_trips_and_never_shows_minus_zero(value: Decimal, places: int) -> None:
    text = fmt_dec(value, places)
    shown = Decimal(text.replace(",", ""))
    assert abs(shown - value) <= Decimal(1).scaleb(-places) / 2
    if shown == 0:
        assert not text.startswith("-")
    assert text.count(".") == (1 if places else 0)
    if places:
        assert len(text.split(".")[1]) == places
