"""Hyperliquid's price rule in the sim against the SDK's own rounding recipe (property-based)."""

from __future__ import annotations

from decimal import Decimal

from hyperliquid.utils.signing import float_to_wire
from hypothesis import given, settings
from hypothesis import strategies as st

from core.sim.hyperliquid.rules import price_ok, size_ok

prices = st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("999999"), places=6)
sz_decimals = st.integers(min_value=0, max_value=5)


@settings(max_examples=300, deadline=None)
@given(prices, sz_decimals)
def test_the_sdk_recipe_always_yields_an_accepted_price(px: Decimal, szd: int) -> None:
    rounded = round(float(f"{float(px):.5g}"), 6 - szd)
    if rounded <= 0:
        return
    assert price_ok(Decimal(float_to_wire(rounded)), szd)


@settings(max_examples=300, deadline=None)
@given(prices, sz_decimals)
def test_an_accepted_price_has_five_figures_or_is_an_integer(px: Decimal, szd: int) -> None:
    if not price_ok(px, szd):
        return
    n = px.normalize()
    exp = n.as_tuple().exponent
    assert isinstance(exp, int)
    assert px == px.to_integral_value() or (len(n.as_tuple().digits) <= 5 and -exp <= 6 - szd)


def test_examples_from_the_reference() -> None:
    assert price_ok(Decimal("1234.5"), 0) and not price_ok(Decimal("1234.56"), 0)
    assert price_ok(Decimal("0.001234"), 0) and not price_ok(Decimal("0.0012345"), 0)
    assert price_ok(Decimal("123456"), 5)
    assert size_ok(Decimal("0.001"), 3) and not size_ok(Decimal("0.0001"), 3) and not size_ok(Decimal(0), 3)
