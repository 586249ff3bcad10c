"""Ladder groups continued into the display book: the same groups as grouping the whole book with
Decimals, whatever the tick, step, overlap with the trading book and float rounding."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from core.market.grouping import GROUP_MULTIPLES, extend_groups, group_levels
from core.model import BookLevel, Side

D = Decimal
TICKS = (D("0.1"), D("0.01"), D("0.0001"), D("0.5"))


@st.composite
def books(draw: st.DrawFn) -> tuple[Decimal, int, Side, list[BookLevel], int, int]:
    """(tick, multiple, side, levels best first, trading-book size, rows)."""
    tick = draw(st.sampled_from(TICKS))
    multiple = draw(st.sampled_from(GROUP_MULTIPLES))
    side = draw(st.sampled_from((Side.BUY, Side.SELL)))
    start = draw(st.integers(10_000, 1_000_000))
    gaps = draw(st.lists(st.integers(1, 7), min_size=1, max_size=300))
    sign = -1 if side is Side.BUY else 1
    ticks, t = [], start
    for g in gaps:
        ticks.append(t)
        t += sign * g
    sizes = draw(st.lists(st.integers(1, 50_000), min_size=len(ticks), max_size=len(ticks)))
    levels = [BookLevel(k * tick, D(s) / 1000) for k, s in zip(ticks, sizes, strict=True)]
    top = draw(st.integers(0, len(levels)))
    rows = draw(st.integers(1, 40))
    return tick, multiple, side, levels, top, rows


@settings(max_examples=300, deadline=None)
@given(books())
def test_extended_groups_equal_the_whole_books_groups(
    book: tuple[Decimal, int, Side, list[BookLevel], int, int],
) -> None:
    tick, multiple, side, levels, top, rows = book
    step = tick * multiple
    trading = levels[:top]
    deep = [(float(lv.price), float(lv.size)) for lv in levels]  # the display book holds the top too
    got = extend_groups(
        group_levels(trading, step, side),
        deep,
        step=step,
        tick=tick,
        side=side,
        limit=rows,
        beyond=trading[-1].price if trading else None,
    )
    want = group_levels(levels, step, side)[:rows]
    assert [lv.price for lv in got] == [lv.price for lv in want]
    assert [lv.size for lv in got] == [lv.size for lv in want]


def test_without_a_display_book_the_trading_groups_are_cut_to_the_rows() -> None:
    levels = [BookLevel(D("100.0") - D("0.1") * i, D(1)) for i in range(30)]
    grouped = group_levels(levels, D("0.5"), Side.BUY)
    got = extend_groups(grouped, (), step=D("0.5"), tick=D("0.1"), side=Side.BUY, limit=3, beyond=None)
    assert got == grouped[:3]


def test_display_levels_inside_the_trading_book_are_not_counted_twice() -> None:
    trading = [BookLevel(D("101.0"), D(1)), BookLevel(D("101.1"), D(2))]  # asks
    deep = [(101.0, 5.0), (101.1, 5.0), (101.2, 3.0), (102.4, 4.0)]  # older sizes inside the top
    got = extend_groups(
        group_levels(trading, D("1"), Side.SELL),
        deep,
        step=D("1"),
        tick=D("0.1"),
        side=Side.SELL,
        limit=5,
        beyond=D("101.1"),
    )
    assert got == (BookLevel(D("101"), D(1)), BookLevel(D("102"), D(5)), BookLevel(D("103"), D(4)))
