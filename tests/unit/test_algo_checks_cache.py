"""The open-order summary the pre-send checks use is summed once while no order changes, and is
always what a fresh sum would give, with or without the order being amended left out."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from core.model import Order, OrderStatus, OrderType, Side
from core.risk.context import OpenOrdersCache, summarize_open_orders

D = Decimal
SYMBOLS = ("BTCUSDT", "ETHUSDT", "SOLUSDT")


def _order(n: int, symbol: str, side: Side, qty: int, price: int | None) -> Order:
    return Order(
        symbol=symbol,
        side=side,
        order_type=OrderType.LIMIT if price is not None else OrderType.MARKET,
        qty=D(qty),
        price=D(price) if price is not None else None,
        order_link_id=f"o{n}",
        status=OrderStatus.NEW,
    )


Op = tuple[str, int, str, Side, int, int | None]
ops = st.lists(
    st.tuples(
        st.sampled_from(["add", "replace", "remove", "mark", "same"]),
        st.integers(0, 7),
        st.sampled_from(SYMBOLS),
        st.sampled_from([Side.BUY, Side.SELL]),
        st.integers(1, 9),
        st.one_of(st.none(), st.integers(90, 110)),
    ),
    max_size=30,
)


@settings(max_examples=60, deadline=None)
@given(ops=ops, exclude=st.integers(0, 8))
def test_cache_matches_a_fresh_sum(
    ops: list[tuple[str, int, str, Side, int, int | None]], exclude: int
) -> None:
    cache = OpenOrdersCache()
    orders: dict[str, Order] = {}
    marks = {s: D(100) for s in SYMBOLS}
    for op, n, symbol, side, qty, price in ops:
        key = f"o{n}"
        if op == "add":
            orders[key] = _order(n, symbol, side, qty, price)
        elif op == "replace" and key in orders:
            orders[key] = replace(orders[key], filled_qty=D(0), qty=D(qty + 1))
        elif op == "remove":
            orders.pop(key, None)
        elif op == "mark":
            marks = {**marks, symbol: D(price or 100)}
        left_out = f"o{exclude}"
        expected = summarize_open_orders((o for k, o in orders.items() if k != left_out), marks)
        assert cache.summary(orders, marks, left_out) == expected
        assert cache.summary(orders, marks) == summarize_open_orders(orders.values(), marks)
