"""The venue number readers remember strings they have read: a second reading gives the same value
(as the first, and as a fresh reading), a refusal is refused again by name, and the readers'
own checks (size >= 0, positive > 0) still apply to a remembered value."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.venues import values
from core.venues.values import BadValue, number, positive, size

RAW = st.sampled_from(
    ["0", "-0", "0.010", "-1.5", "95000.10", " 7 ", "1e3", "NaN", "inf", "", "abc", "1_000"]
) | st.text(max_size=10)


def _outcome(read: Any, raw: str) -> tuple[str, Any]:
    try:
        value = read(raw, "f")
    except BadValue as bad:
        return ("bad", (bad.field, bad.why))
    return ("ok", (value, str(value)))


@settings(max_examples=300, deadline=None)
@given(RAW)
def test_a_second_reading_answers_as_a_fresh_one(raw: str) -> None:
    for read in (number, size, positive):
        first = _outcome(read, raw)
        again = _outcome(read, raw)
        values._known.clear()
        fresh = _outcome(read, raw)
        assert first == again == fresh


def test_a_remembered_value_still_meets_each_readers_rule() -> None:
    assert number("-2.50", "pnl") == Decimal("-2.50")
    with pytest.raises(BadValue, match="qty '-2.50' is negative"):
        size("-2.50", "qty")
    assert number("0", "x") == 0
    with pytest.raises(BadValue, match="is not positive"):
        positive("0", "markPrice")
    with pytest.raises(BadValue, match="is not a finite number"):
        number("NaN", "x")
    with pytest.raises(BadValue, match="is not a finite number"):
        number("NaN", "x")


def test_the_memory_is_bounded() -> None:
    values._known.clear()
    for n in range(values.KNOWN_MAX + 5):
        number(str(n), "n")
    assert len(values._known) <= values.KNOWN_MAX


def test_full_it_holds_under_two_mebibytes() -> None:
    """A live feed's 24 h turnovers and volumes never repeat: the memory fills up to its bound
    within a minute of a session, so the bound is what the console pays for it."""
    import sys

    values._known.clear()
    for n in range(values.KNOWN_MAX - 1):
        number(f"{1_234_567_890 + n * 7.31:.4f}", "turnover24h")  # turnover-like strings
    held = sys.getsizeof(values._known) + sum(
        sys.getsizeof(k) + sys.getsizeof(v) for k, v in values._known.items()
    )
    values._known.clear()
    assert held < 2 * 2**20, held
