"""The open-order summary the pre-send checks use is summed once while no order changes, and is
always what a fresh sum would give, with or without the order being amended left out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from core.model import Order, OrderStatus, OrderType, Side
from core.risk.context import OpenOrdersCache, OpenOrderSummary, summarize_open_orders

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


def _digits(summary: Mapping[str, OpenOrderSummary]) -> dict[str, str]:
    """Each symbol's summary as written out (a Decimal's exponent included)."""
    return {sym: repr(s) for sym, s in summary.items()}


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
        got = cache.summary(orders, marks, left_out)
        assert _digits(got) == _digits(expected)  # the same digits, not only the same values
        assert cache.summary(orders, marks) == summarize_open_orders(orders.values(), marks)
        for other in orders:  # every order left out in turn, as the amends of one market move
            fresh = summarize_open_orders((o for k, o in orders.items() if k != other), marks)
            assert _digits(cache.summary(orders, marks, other)) == _digits(fresh)


def test_a_changed_order_is_seen_by_the_next_left_out_sum() -> None:
    """The sums around each order are dropped when an order changes (a stale one would still
    count the old quantity of o1 when o2 is left out)."""
    cache = OpenOrdersCache()
    marks = {s: D(100) for s in SYMBOLS}
    orders = {f"o{n}": _order(n, "BTCUSDT", Side.BUY, 1, 100) for n in range(3)}
    assert cache.summary(orders, marks, "o2")["BTCUSDT"].buy_qty == D(2)
    orders["o1"] = replace(orders["o1"], qty=D(5))
    assert cache.summary(orders, marks, "o2")["BTCUSDT"].buy_qty == D(6)
    orders["o0"] = replace(orders["o0"], status=OrderStatus.FILLED)
    assert (
        cache.summary(orders, marks, "o2")["BTCUSDT"]
        == summarize_open_orders([orders["o1"]], marks)["BTCUSDT"]
    )


def test_sums_that_round_are_summed_afresh() -> None:
    """Quantities with more digits than the arithmetic keeps: leaving one out by the kept sums
    would differ from a fresh sum in the last digits, so the symbol is summed afresh."""
    cache = OpenOrdersCache()
    marks = {s: D(100) for s in SYMBOLS}
    long_qty = [D("1.234567890123456789012345678"), D("9876543210.123456789"), D("0.000000000000000000001")]
    orders = {
        f"o{n}": replace(_order(n, "ETHUSDT", Side.SELL, 1, 101), qty=q) for n, q in enumerate(long_qty)
    }
    for left_out in orders:
        fresh = summarize_open_orders((o for k, o in orders.items() if k != left_out), marks)
        assert _digits(cache.summary(orders, marks, left_out)) == _digits(fresh)
