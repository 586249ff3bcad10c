"""Ladder price grouping (pure): steps from the tick, bids grouped down, asks up, sizes conserved,
own orders on the level that holds them."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from core.market.grouping import group_levels, group_own, group_price, group_steps
from core.model import BookLevel, Side

D = Decimal


def test_steps_are_tick_multiples() -> None:
    assert group_steps(D("0.1")) == (D("0.1"), D("0.5"), D("1.0"), D("5.0"), D("10.0"))
    assert group_steps(D("0.01"))[1] == D("0.05")


def test_bids_round_down_asks_round_up() -> None:
    assert group_price(D("100.7"), D("0.5"), Side.BUY) == D("100.5")
    assert group_price(D("100.7"), D("0.5"), Side.SELL) == D("101.0")
    assert group_price(D("100.5"), D("0.5"), Side.BUY) == group_price(D("100.5"), D("0.5"), Side.SELL)
    assert group_price(D("95076.8"), D("10"), Side.BUY) == D("95070")


def test_group_levels_merges_adjacent_buckets_in_order() -> None:
    bids = [BookLevel(D("100.9"), D("1")), BookLevel(D("100.6"), D("2")), BookLevel(D("100.4"), D("3"))]
    assert group_levels(bids, D("0.5"), Side.BUY) == (
        BookLevel(D("100.5"), D("3")),
        BookLevel(D("100.0"), D("3")),
    )
    asks = [BookLevel(D("101.1"), D("1")), BookLevel(D("101.4"), D("2")), BookLevel(D("101.6"), D("4"))]
    assert group_levels(asks, D("0.5"), Side.SELL) == (
        BookLevel(D("101.5"), D("3")),
        BookLevel(D("102.0"), D("4")),
    )
    assert group_levels([], D("1"), Side.BUY) == ()


def test_own_orders_grouped_by_their_own_side() -> None:
    own = {
        D("100.7"): [(Side.BUY, D("0.1"))],
        D("100.6"): [(Side.BUY, D("0.2"))],
        D("101.2"): [(Side.SELL, D("1"))],
    }
    grouped = group_own(own, D("0.5"))
    assert grouped == {
        D("100.5"): [(Side.BUY, D("0.1")), (Side.BUY, D("0.2"))],
        D("101.5"): [(Side.SELL, D("1"))],
    }


TICKS = st.integers(min_value=1, max_value=2_000_000)


@settings(max_examples=150, deadline=None)
@given(
    bid_ticks=st.lists(TICKS, min_size=1, max_size=60, unique=True),
    gap=st.integers(min_value=1, max_value=50),
    ask_count=st.integers(min_value=1, max_value=60),
    mult=st.sampled_from((1, 5, 10, 50, 100)),
    tick=st.sampled_from((D("0.1"), D("0.01"), D("0.5"), D("1"))),
)
def test_grouping_conserves_size_never_improves_price_and_never_crosses(
    bid_ticks: list[int], gap: int, ask_count: int, mult: int, tick: Decimal
) -> None:
    bids = [BookLevel(t * tick, D(t % 7 + 1)) for t in sorted(bid_ticks, reverse=True)]
    best_ask_tick = max(bid_ticks) + gap
    asks = [BookLevel((best_ask_tick + i) * tick, D(i % 5 + 1)) for i in range(ask_count)]
    step = tick * mult
    gb = group_levels(bids, step, Side.BUY)
    ga = group_levels(asks, step, Side.SELL)
    assert sum(lv.size for lv in gb) == sum(lv.size for lv in bids)
    assert sum(lv.size for lv in ga) == sum(lv.size for lv in asks)
    assert all(a.price > b.price for a, b in zip(gb, gb[1:], strict=False))
    assert all(a.price < b.price for a, b in zip(ga, ga[1:], strict=False))
    assert all(lv.price % step == 0 for lv in gb + ga)
    for lv in bids:  # a bid is shown at or below its own price, within one step
        g = group_price(lv.price, step, Side.BUY)
        assert g <= lv.price < g + step
    for lv in asks:
        g = group_price(lv.price, step, Side.SELL)
        assert g - step < lv.price <= g
    assert gb[0].price < ga[0].price
