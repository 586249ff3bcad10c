"""Price grouping for the order-book ladder: levels merged into coarser price buckets.

Bids are grouped *down* (a bid at 100.7 with step 0.5 counts at 100.5: you can buy there or
better) and asks *up* (an ask at 100.7 counts at 101.0), so a grouped level never shows a better
price than the orders inside it, and the grouped best bid stays below the grouped best ask. Own
orders are grouped by their own side the same way, so each lands on the level that holds it.
Pure functions on Decimals; no floats.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from core.model import BookLevel, Side

GROUP_MULTIPLES: tuple[int, ...] = (1, 5, 10, 50, 100)
"""Grouping steps as multiples of the instrument's tick (BTC at 0.1: 0.1, 0.5, 1, 5, 10)."""


def group_steps(tick: Decimal, multiples: Sequence[int] = GROUP_MULTIPLES) -> tuple[Decimal, ...]:
    """The selectable grouping steps for an instrument with price ``tick``."""
    if tick <= 0:
        raise ValueError(f"tick must be positive, got {tick}")
    return tuple(tick * m for m in multiples)


def group_price(price: Decimal, step: Decimal, side: Side) -> Decimal:
    """The grouped level holding ``price``: bids (buys) round down to ``step``, asks (sells) up."""
    rounding = ROUND_FLOOR if side is Side.BUY else ROUND_CEILING
    return (price / step).to_integral_value(rounding=rounding) * step


def group_levels(levels: Iterable[BookLevel], step: Decimal, side: Side) -> tuple[BookLevel, ...]:
    """Book levels of one side merged into ``step`` buckets, in the input's order.

    ``levels`` must be sorted best first (bids descending, asks ascending), as every
    :class:`~core.model.BookView` is; rounding is monotone, so equal buckets are adjacent.
    """
    out: list[BookLevel] = []
    cur_price: Decimal | None = None
    cur_size = Decimal(0)
    for lv in levels:
        gp = group_price(lv.price, step, side)
        if gp == cur_price:
            cur_size += lv.size
            continue
        if cur_price is not None:
            out.append(BookLevel(cur_price, cur_size))
        cur_price, cur_size = gp, lv.size
    if cur_price is not None:
        out.append(BookLevel(cur_price, cur_size))
    return tuple(out)


def group_own(
    own: Mapping[Decimal, Sequence[tuple[Side, Decimal]]], step: Decimal
) -> dict[Decimal, list[tuple[Side, Decimal]]]:
    """Own resting orders by grouped price: each order grouped by its own side."""
    out: dict[Decimal, list[tuple[Side, Decimal]]] = {}
    for price, orders in own.items():
        for side, qty in orders:
            out.setdefault(group_price(price, step, side), []).append((side, qty))
    return out
