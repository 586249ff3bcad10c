"""An instrument's price and quantity decimals: what normalizing its tick and step gives, for any
exponent the venue writes them with (remembered per value, never per spelling)."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from core.model import Instrument

steps = st.builds(
    lambda digits, exponent, zeros: Decimal(f"{digits}{'0' * zeros}E{exponent - zeros}"),
    st.integers(1, 99),
    st.integers(-10, 4),
    st.integers(0, 4),
)


def _instrument(tick: Decimal, step: Decimal) -> Instrument:
    one = Decimal(1)
    return Instrument("XUSDT", "X", "USDT", tick, step, step, one, one, one, one, one, one)


@given(tick=steps, step=steps)
def test_decimals_are_those_of_the_normalized_step(tick: Decimal, step: Decimal) -> None:
    inst = _instrument(tick, step)
    assert inst.price_decimals == max(0, -int(tick.normalize().as_tuple().exponent))
    assert inst.qty_decimals == max(0, -int(step.normalize().as_tuple().exponent))


def test_equal_steps_written_differently_have_the_same_decimals() -> None:
    for a, b in (("0.1", "0.10"), ("5", "5.000"), ("0.001", "1E-3"), ("10", "1E+1")):
        assert (
            _instrument(Decimal(a), Decimal(a)).price_decimals
            == _instrument(Decimal(b), Decimal(b)).price_decimals
        )
