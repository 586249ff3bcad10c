"""The adapter's rounding against Hyperliquid's rules as the sim implements them (its own code,
``core/sim/hyperliquid/rules.py``, never shared with the adapter): property-based.

* every price the adapter rounds to is one the venue accepts, on either side;
* the instrument tick the adapter gives the builder (the step at the mark) makes every price of
  the mark's decade that the builder rounds to that tick a price the venue accepts;
* every size rounded to the instrument's step is a size the venue accepts;
* a price the venue refuses is refused by the adapter too (the two rules agree).
"""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_UP, Decimal

from hypothesis import given
from hypothesis import strategies as st

from core.model import Side
from core.sim.hyperliquid.rules import price_ok, size_ok
from core.venues.hyperliquid import encode

prices = st.decimals(min_value=Decimal("0.00001"), max_value=Decimal("900000"), places=8, allow_nan=False)
sz_decimals = st.integers(min_value=0, max_value=5)
sides = st.sampled_from([Side.BUY, Side.SELL])
fractions = st.decimals(min_value=Decimal(0), max_value=Decimal("0.999999"), places=6)


@given(prices, sz_decimals, sides)
def test_every_rounded_price_is_one_the_venue_accepts(px: Decimal, szd: int, side: Side) -> None:
    out = encode.round_price(px, szd, side)
    assert price_ok(out, szd), (px, szd, side, out)


@given(prices, sz_decimals)
def test_the_adapter_and_the_venue_agree_on_validity(px: Decimal, szd: int) -> None:
    assert encode.is_valid_price(px, szd) == price_ok(px, szd), (px, szd)


@given(prices, fractions, sz_decimals)
def test_builder_prices_on_the_marks_tick_are_accepted_within_its_decade(
    mark: Decimal, where: Decimal, szd: int
) -> None:
    tick = encode.price_step(mark, szd)  # what the adapter's instruments give the builder
    decade = Decimal(1).scaleb(mark.adjusted())
    px = decade + (decade * 9) * where  # any price of the mark's power of ten
    for rounding in (ROUND_DOWN, ROUND_UP):
        built = (px / tick).to_integral_value(rounding=rounding) * tick
        if built <= 0 or built.adjusted() != mark.adjusted():
            continue  # rounded out of the decade: the adapter names the nearest valid price instead
        assert price_ok(built, szd), (mark, szd, tick, built)


@given(st.decimals(min_value=Decimal("0.000001"), max_value=Decimal("100000"), places=8), sz_decimals)
def test_every_size_on_the_step_is_one_the_venue_accepts(sz: Decimal, szd: int) -> None:
    out = encode.round_size(sz, szd)
    assert out <= sz
    if out > 0:
        assert size_ok(out, szd), (sz, szd, out)
