"""Price grouping for the order-book ladder: levels merged into coarser price buckets.

Bids are grouped *down* (a bid at 100.7 with step 0.5 counts at 100.5: you can buy there or
better) and asks *up* (an ask at 100.7 counts at 101.0), so a grouped level never shows a better
price than the orders inside it, and the grouped best bid stays below the grouped best ask. Own
orders are grouped by their own side the same way, so each lands on the level that holds it.
Pure functions on Decimals, except :func:`extend_groups`, which continues the groups with a
display book's float levels (market data for the screen, never a price to trade at): their prices
are counted in whole ticks, so a level lands in the same group a Decimal one would.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from core.model import BookLevel, Side

GROUP_MULTIPLES: tuple[int, ...] = (1, 5, 10, 50, 100)
"""Grouping steps as multiples of the instrument's tick (BTC at 0.1: 0.1, 0.5, 1, 5, 10)."""
SIZE_PLACES = 9
"""Decimal places a group's summed float sizes are rounded to (venue sizes carry fewer)."""


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


def _bucket(ticks: int, multiple: int, side: Side) -> int:
    """The group index of a price ``ticks`` ticks from zero: bids round down, asks up."""
    return ticks // multiple if side is Side.BUY else -(-ticks // multiple)


def _first_beyond(deep: Sequence[tuple[float, float]], edge: float | None, side: Side) -> int:
    """Index of the first display level past ``edge`` (levels are best first)."""
    if edge is None:
        return 0
    for i, (price, _qty) in enumerate(deep):
        if price < edge if side is Side.BUY else price > edge:
            return i
    return len(deep)


def extend_groups(
    groups: Sequence[BookLevel],
    deep: Sequence[tuple[float, float]],
    *,
    step: Decimal,
    tick: Decimal,
    side: Side,
    limit: int,
    beyond: Decimal | None,
) -> tuple[BookLevel, ...]:
    """The first ``limit`` groups: ``groups`` (one side of the trading book, grouped by ``step``,
    best first) continued with ``deep``, a display book's ``(price, size)`` float levels of the
    same side (best first), of which only those past ``beyond`` (the trading book's last price on
    that side) count. The last trading group is completed with the display levels of its bucket.
    A group the display book ends inside is shown with what it holds.

    A level's group is found by whole ticks; within a group a level is only compared with the
    group's far edge (half a tick inside it, so float rounding cannot misplace a level on a tick).
    """
    out = list(groups)
    if len(out) > limit or not deep:
        return tuple(out[:limit])
    multiple = int(step / tick)
    tick_f = float(tick)
    sign = -1.0 if side is Side.BUY else 1.0  # prices get worse downwards for bids, upwards for asks
    carried = out.pop() if out else None
    cur = int(carried.price / step) if carried is not None else None
    edge = _far_edge(cur, multiple, tick_f, sign)
    size = 0.0
    for i in range(_first_beyond(deep, float(beyond) if beyond is not None else None, side), len(deep)):
        price, qty = deep[i]
        if sign * price < edge:
            size += qty
            continue
        bucket = _bucket(round(price / tick_f), multiple, side)
        if bucket == cur:  # on the edge after all
            size += qty
            continue
        if cur is not None:
            out.append(_group(cur, step, carried, size))
            carried = None
            if len(out) >= limit:
                return tuple(out)
        cur, size, edge = bucket, qty, _far_edge(bucket, multiple, tick_f, sign)
    if cur is not None:
        out.append(_group(cur, step, carried, size))
    return tuple(out[:limit])


def _far_edge(bucket: int | None, multiple: int, tick_f: float, sign: float) -> float:
    """``sign * price`` below which a level is inside ``bucket`` (half a tick past its last tick)."""
    if bucket is None:
        return float("-inf")
    # the group's worst tick is bucket * multiple on either side (bids round down, asks up)
    return sign * bucket * multiple * tick_f + tick_f / 2


def _group(bucket: int, step: Decimal, carried: BookLevel | None, size: float) -> BookLevel:
    """One group: its price, and the display sizes summed (plus a carried trading group's)."""
    total = Decimal(repr(round(size, SIZE_PLACES)))
    if carried is not None:
        total += carried.size
    return BookLevel(bucket * step, total)
