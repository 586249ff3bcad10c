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


prices = st.one_of(st.none(), st.sampled_from([D("95.5"), D("100"), D("100.25"), D("0.0001"), D("1E+2")]))
quantities = st.sampled_from([D("0.001"), D("1"), D("2.50"), D("7"), D("0.5")])
rich_ops = st.lists(
    st.tuples(
        st.sampled_from(["add", "replace", "remove", "mark", "fill", "same"]),
        st.integers(0, 9),
        st.sampled_from(SYMBOLS),
        st.sampled_from([Side.BUY, Side.SELL]),
        quantities,
        prices,
    ),
    max_size=40,
)


@settings(max_examples=80, deadline=None)
@given(ops=rich_ops)
def test_per_symbol_sums_match_a_fresh_sum_key_order_and_exponents_included(
    ops: list[tuple[str, int, str, Side, Decimal, Decimal | None]],
) -> None:
    """Orders priced with different exponents, orders at the mark (market orders), marks that
    move, fills: after each change every summary (whole, and each order left out) is the fresh
    sum written out the same way (the whole summary with its symbols in the same order)."""
    cache = OpenOrdersCache()
    orders: dict[str, Order] = {}
    marks = {s: D(100) for s in SYMBOLS}
    for op, n, symbol, side, qty, price in ops:
        key = f"o{n}"
        if op == "add":
            orders[key] = replace(_order(n, symbol, side, 1, None), qty=qty, price=price)
        elif op == "replace" and key in orders:
            orders[key] = replace(orders[key], qty=orders[key].qty + qty)
        elif op == "fill" and key in orders:
            orders[key] = replace(orders[key], status=OrderStatus.FILLED)
        elif op == "remove":
            orders.pop(key, None)
        elif op == "mark":
            marks = {**marks, symbol: price or D("101.5")}
        whole = cache.summary(orders, marks)
        expected = summarize_open_orders(orders.values(), marks)
        assert list(_digits(whole).items()) == list(_digits(expected).items())
        assert _digits(cache.summary(orders, marks, "no-such-order")) == _digits(expected)
        for other in orders:  # every order left out in turn, as the amends of one market move
            fresh = summarize_open_orders((o for k, o in orders.items() if k != other), marks)
            assert _digits(cache.summary(orders, marks, other)) == _digits(fresh)


def test_a_moved_mark_is_seen_where_an_order_is_valued_at_it() -> None:
    """A market order (no price, no trigger) counts at the mark: a new mark changes its symbol's
    notional (fails if the kept sums ignore the marks)."""
    cache = OpenOrdersCache()
    orders = {"o0": _order(0, "SOLUSDT", Side.BUY, 2, None), "o1": _order(1, "SOLUSDT", Side.BUY, 1, 100)}
    assert cache.summary(orders, {"SOLUSDT": D(10)})["SOLUSDT"].buy_notional == D(120)
    assert cache.summary(orders, {"SOLUSDT": D(20)})["SOLUSDT"].buy_notional == D(140)
    assert cache.summary(orders, {"SOLUSDT": D(20)}, "o1")["SOLUSDT"].buy_notional == D(40)


def test_an_order_changed_on_one_symbol_keeps_the_other_symbols_sums() -> None:
    """An ack on BTCUSDT does not sum ETHUSDT's orders again, and a new mark for a symbol whose
    orders all have prices sums nothing again (the kept left-out sums are the same objects)."""
    cache = OpenOrdersCache()
    marks = {s: D(100) for s in SYMBOLS}
    orders = {f"b{n}": _order(n, "BTCUSDT", Side.BUY, 1, 90 + n) for n in range(3)}
    orders |= {
        f"e{n}": replace(_order(n, "ETHUSDT", Side.SELL, 2, 100 + n), order_link_id=f"e{n}") for n in range(3)
    }
    eth_without_e1 = cache.summary(orders, marks, "e1")["ETHUSDT"]
    kept_split = cache._splits["ETHUSDT"]
    orders["b0"] = replace(orders["b0"], qty=D(4))
    marks = {**marks, "ETHUSDT": D(105)}
    assert cache.summary(orders, marks, "e1")["ETHUSDT"] == eth_without_e1
    assert cache._splits["ETHUSDT"] is kept_split
    assert cache.summary(orders, marks, "b1")["BTCUSDT"].buy_qty == D(5)


def test_a_mark_written_otherwise_is_a_new_mark() -> None:
    """100 and 1E+2 are the same value, but an order valued at the mark is written 0.100 at one
    and 0.1 at the other: the kept summary must follow the mark as written (found by the
    property test above)."""
    cache = OpenOrdersCache()
    orders = {"o0": replace(_order(0, "BTCUSDT", Side.BUY, 1, None), qty=D("0.001"))}
    first = cache.summary(orders, {"BTCUSDT": D(100)})
    assert repr(first["BTCUSDT"].buy_notional) == "Decimal('0.100')"
    again = cache.summary(orders, {"BTCUSDT": D("1E+2")})
    assert repr(again["BTCUSDT"].buy_notional) == "Decimal('0.1')"
