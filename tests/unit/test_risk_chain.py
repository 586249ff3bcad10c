"""The risk chain: each check's verdict and wording, the reduce-only exemptions, and a property
test that no order breaking a configured limit passes ``first_failure`` (against an independent
re-computation of every limit)."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from core.api import CheckResult
from core.config import RiskSettings
from core.model import (
    Balance,
    Instrument,
    Mode,
    Order,
    OrderRequest,
    OrderStatus,
    OrderType,
    Position,
    Side,
    TimeInForce,
)
from core.orders.builder import BuildError, BuiltOrder, OrderBuilder
from core.risk.chain import RiskChain
from core.risk.checks import RiskCheck
from core.risk.context import BreakerStatus, OpenOrderSummary, RiskContext, summarize_open_orders

SIM_URL = "http://127.0.0.1:8765"
BTC = Instrument(
    "BTCUSDT", "BTC", "USDT", D("0.10"), D("0.001"), D("0.001"), D("1190"), D("500"), D("5"),
    D("1"), D("100"), D("0.01"), D("0.10"), D("1999999.80"),
)  # fmt: skip
RISK = RiskSettings.model_validate({})
CHAIN = RiskChain.from_settings(RISK)
BUILDER = OrderBuilder()
SETTING_TAG = {
    "mode": "(mode)",
    "symbol": "(risk.symbols)",
    "instrument": "filters)",
    "max_order_notional": "(risk.max_order_notional)",
    "max_position_notional": "(risk.max_position_notional)",
    "max_gross_exposure": "(risk.max_gross_exposure)",
    "max_leverage": "(risk.max_leverage)",
    "price_band": "(risk.price_band_pct)",
    "max_open_orders": "(risk.max_open_orders)",
    "book_stale": "(risk.book_stale_s)",
    "breakers": "(breakers.*)",
    "reduce_only": "(reduce-only rule)",
    "journal": "(journal.path)",
}
EXEMPT_FOR_REDUCING = {
    "max_order_notional",
    "max_position_notional",
    "max_gross_exposure",
    "max_leverage",
    "book_stale",
    "breakers",
}


def order(
    side: Side = Side.BUY,
    qty: str = "1",
    price: str | None = "50000",
    *,
    otype: OrderType = OrderType.LIMIT,
    ref: str = "50000",
    **kw: object,
) -> BuiltOrder:
    request = OrderRequest("BTCUSDT", side, D(qty), otype, None if price is None else D(price), **kw)  # type: ignore[arg-type]
    return BUILDER.build(request, BTC, ref_price=D(ref), order_link_id="tc-test")


def ctx(**kw: object) -> RiskContext:
    base: dict[str, object] = {
        "mode": Mode.SIM,
        "rest_url": SIM_URL,
        "instrument": BTC,
        "mark_price": D("50000"),
        "best_bid": D("49999.9"),
        "best_ask": D("50000"),
        "balance": Balance("USDT", D("100000"), D("100000"), D("100000")),
    }
    base.update(kw)
    return RiskContext(**base)  # type: ignore[arg-type]


def pos(
    side: Side | None, size: str, mark: str = "50000", symbol: str = "BTCUSDT", lev: str = "10"
) -> Position:
    return Position(symbol, side, D(size), D(mark), D(mark), D(0), leverage=D(lev))


def fail(o: BuiltOrder, c: RiskContext, chain: RiskChain = CHAIN) -> CheckResult:
    r = chain.first_failure(o, c)
    assert r is not None and not r.passed
    return r


# --- examples: each check blocks with the setting name and the numbers -------------------


def test_clean_order_passes_everything() -> None:
    results = CHAIN.evaluate(order(qty="0.1"), ctx())
    assert [r.check for r in results] == list(CHAIN.names)
    assert all(r.passed for r in results), results
    assert CHAIN.first_failure(order(qty="0.1"), ctx()) is None


def test_mode_endpoint_mismatch() -> None:
    r = fail(order(qty="0.1"), ctx(rest_url="https://api.bybit.com"))
    assert r.check == "mode" and "api.bybit.com" in r.reason and "sim" in r.reason
    r = fail(order(qty="0.1", reduce_only=True), ctx(mode=Mode.DEMO, rest_url="https://api.bybit.com"))
    assert r.check == "mode"


def test_symbol_allow_list() -> None:
    chain = RiskChain.from_settings(RiskSettings.model_validate({"symbols": ["ETHUSDT"]}))
    r = fail(order(qty="0.1"), ctx(), chain)
    assert (
        r.check == "symbol" and "BTCUSDT" in r.reason and "ETHUSDT" in r.reason and "risk.symbols" in r.reason
    )
    # Closing a position in a symbol outside the list is always possible (a panic must flatten it).
    short = {"BTCUSDT": pos(Side.SELL, "0.1")}
    assert chain.first_failure(order(qty="0.1", reduce_only=True), ctx(positions=short)) is None
    # ... but a reduce-only order that could only open a position is refused by our own check.
    r = fail(order(qty="0.1", reduce_only=True), ctx(), chain)
    assert r.check == "reduce_only" and "BTCUSDT is flat" in r.reason


def test_instrument_filters_reverified() -> None:
    bad = BuiltOrder(
        "BTCUSDT", Side.BUY, OrderType.LIMIT, D("0.0015"), D("50000.05"), TimeInForce.GTC, True,
        None, None, None, None, "x", D("50000.05"),
    )  # fmt: skip
    r = fail(bad, ctx())
    assert r.check == "instrument" and "qty_step" in r.reason and "0.0015" in r.reason


def test_max_order_notional_wording() -> None:
    r = fail(order(qty="6.25"), ctx(balance=Balance("USDT", D("1e6"), D("1e6"), D("1e6"))))
    assert r.check == "max_order_notional"
    assert r.reason == "order notional 312,500.00 USDT > max 250,000.00 (risk.max_order_notional)"


def test_max_position_notional_counts_open_orders_same_side() -> None:
    c = ctx(
        positions={"BTCUSDT": pos(Side.BUY, "6")},
        open_orders={"BTCUSDT": OpenOrderSummary(2, D("3"), D("1"), D("150000"), D("50000"))},
        balance=Balance("USDT", D("1e6"), D("1e6"), D("1e6")),
    )
    r = fail(order(qty="1.5"), c)
    assert r.check == "max_position_notional"
    assert "525,000.00" in r.reason and "500,000.00" in r.reason and "risk.max_position_notional" in r.reason
    assert CHAIN.first_failure(order(qty="0.9"), c) is None


def test_gross_exposure() -> None:
    others = {s: pos(Side.SELL, "9", symbol=s) for s in ("ETHUSDT", "SOLUSDT")}  # 450k each
    c = ctx(positions=others, balance=Balance("USDT", D("1e6"), D("1e6"), D("1e6")))
    r = fail(order(qty="2.1"), c)
    assert r.check == "max_gross_exposure"
    assert "1,005,000.00" in r.reason and "1,000,000.00" in r.reason and "risk.max_gross_exposure" in r.reason


def test_leverage_setting_and_effective() -> None:
    c = ctx(positions={"BTCUSDT": pos(Side.BUY, "0.1", lev="25")})
    r = fail(order(qty="0.1"), c)
    assert (
        r.check == "max_leverage"
        and "25x" in r.reason
        and "20x" in r.reason
        and "risk.max_leverage" in r.reason
    )
    c = ctx(balance=Balance("USDT", D("5000"), D("5000"), D("5000")))
    r = fail(order(qty="2.1"), c)
    assert r.check == "max_leverage" and "21.00x" in r.reason and "5,000.00" in r.reason
    assert fail(order(qty="0.1"), ctx(balance=None)).check == "max_leverage"


def test_price_band_aggressive_side_only() -> None:
    r = fail(order(Side.BUY, "0.1", "52600"), ctx())
    assert r.check == "price_band" and "+5.20%" in r.reason and "52500.0" in r.reason
    assert "risk.price_band_pct" in r.reason
    assert CHAIN.first_failure(order(Side.BUY, "0.1", "40000"), ctx()) is None  # passive: fine
    r = fail(
        order(Side.SELL, "0.1", "47400", reduce_only=True), ctx(positions={"BTCUSDT": pos(Side.BUY, "1")})
    )
    assert r.check == "price_band" and "-5.20%" in r.reason
    # conditional limit: banded against its trigger, not the mark
    o = order(Side.BUY, "0.1", "60500", trigger_price=D("60000"))
    assert CHAIN.first_failure(o, ctx()) is None


def test_max_open_orders_only_for_resting_orders() -> None:
    full = {"ETHUSDT": OpenOrderSummary(50)}
    r = fail(order(qty="0.1"), ctx(open_orders=full))
    assert (
        r.check == "max_open_orders" and "50 + 1 > max 50" in r.reason and "risk.max_open_orders" in r.reason
    )
    assert CHAIN.first_failure(order(qty="0.1", time_in_force=TimeInForce.IOC), ctx(open_orders=full)) is None
    mkt = order(qty="0.1", price=None, otype=OrderType.MARKET)
    assert CHAIN.first_failure(mkt, ctx(open_orders=full)) is None


def test_book_stale() -> None:
    r = fail(order(qty="0.1"), ctx(book_age_s=7.5))
    assert (
        r.check == "book_stale"
        and "7.5 s" in r.reason
        and "5 s" in r.reason
        and "risk.book_stale_s" in r.reason
    )
    r = fail(order(qty="0.1"), ctx(book_stale=True, book_age_s=0.2))
    assert r.check == "book_stale" and "flagged stale" in r.reason


def test_breakers_block_increase_not_reduce() -> None:
    tripped = (BreakerStatus("daily_loss", True, "daily loss 6,000.00 USDT >= limit 5,000.00"),)
    r = fail(order(qty="0.1"), ctx(breakers=tripped))
    assert r.check == "breakers" and "daily_loss" in r.reason and "6,000.00" in r.reason
    long = {"BTCUSDT": pos(Side.BUY, "1")}
    assert CHAIN.first_failure(order(Side.SELL, "0.5"), ctx(breakers=tripped, positions=long)) is None
    # a non-reduce-only sell bigger than the position would flip it: blocked
    assert fail(order(Side.SELL, "1.5"), ctx(breakers=tripped, positions=long)).check == "breakers"
    # ...and so is one that only reduces alone but not with the working sells
    oo = {"BTCUSDT": OpenOrderSummary(1, D(0), D("0.8"), D(0), D("40000"))}
    assert (
        fail(order(Side.SELL, "0.5"), ctx(breakers=tripped, positions=long, open_orders=oo)).check
        == "breakers"
    )


def test_reduce_only_passes_caps_and_breakers_in_the_worst_context() -> None:
    worst = ctx(
        positions={"BTCUSDT": pos(Side.BUY, "400", lev="50"), "ETHUSDT": pos(Side.BUY, "1000")},
        balance=Balance("USDT", D("10"), D("-5"), D("0")),
        book_stale=True,
        book_age_s=99.0,
        breakers=tuple(BreakerStatus(n, True, "tripped") for n in ("daily_loss", "min_balance", "exposure")),
    )
    o = order(Side.SELL, "300", None, otype=OrderType.MARKET, reduce_only=True)
    results = CHAIN.evaluate(o, worst)
    assert all(r.passed for r in results), [r for r in results if not r.passed]
    assert CHAIN.first_failure(o, worst) is None


def test_check_that_raises_fails_closed() -> None:
    class Boom:
        name = "boom"

        def check(self, order: BuiltOrder, ctx: RiskContext) -> CheckResult:
            raise RuntimeError("kaput")

    chain = RiskChain([Boom()])
    r = chain.first_failure(order(qty="0.1"), ctx())
    assert r is not None and r.check == "boom" and not r.passed and "kaput" in r.reason
    with pytest.raises(ValueError):
        RiskChain([Boom(), Boom()])


# --- property tests ---------------------------------------------------------------------

SYMS = ("BTCUSDT", "ETHUSDT", "SOLUSDT")


@st.composite
def risk_settings(draw: st.DrawFn, mark: D = D("50000")) -> RiskSettings:
    """Limits scaled to the mark (in BTC-qty units) so that borderline verdicts are common."""

    def qty_units(lo: float, hi: float) -> str:
        return str((mark * D(str(draw(st.floats(lo, hi))))).quantize(D("0.01")))

    return RiskSettings.model_validate(
        {
            "symbols": draw(st.sampled_from([SYMS, ("BTCUSDT",), ("ETHUSDT",)])),
            "max_order_notional": qty_units(0.05, 16),
            "max_position_notional": qty_units(0.05, 30),
            "max_gross_exposure": qty_units(0.05, 60),
            "max_leverage": draw(st.sampled_from(["1", "3", "10", "20", "100"])),
            "price_band_pct": draw(st.sampled_from(["0.5", "2", "5", "20"])),
            "max_open_orders": draw(st.integers(1, 12)),
            "book_stale_s": draw(st.sampled_from([1.0, 5.0, 30.0])),
        }
    )


def dec(draw: st.DrawFn, lo: float, hi: float, q: str) -> D:
    return D(str(draw(st.floats(lo, hi, allow_nan=False)))).quantize(D(q))


@st.composite
def contexts(draw: st.DrawFn) -> RiskContext:
    mark = dec(draw, 1000, 100000, "0.1")
    positions: dict[str, Position] = {}
    for s in SYMS:
        if draw(st.booleans()):
            side = draw(st.sampled_from([Side.BUY, Side.SELL]))
            size = dec(draw, 0.001, 20, "0.001")
            m = mark if s == "BTCUSDT" else dec(draw, 10, 5000, "0.01")
            positions[s] = Position(
                s, side, size, m, m, D(0), leverage=D(draw(st.sampled_from([1, 5, 10, 25])))
            )
    open_orders = {
        s: OpenOrderSummary(
            draw(st.integers(0, 6)), dec(draw, 0, 5, "0.001"), dec(draw, 0, 5, "0.001"), D(0), D(0)
        )
        for s in SYMS
        if draw(st.booleans())
    }
    equity = (mark * dec(draw, -0.01, 40, "0.0001")).quantize(D("0.01"))
    url = draw(st.sampled_from([SIM_URL] * 9 + ["https://api.bybit.com"]))
    return RiskContext(
        mode=Mode.SIM,
        rest_url=url,
        instrument=BTC,
        mark_price=mark,
        book_stale=draw(st.integers(0, 9)) == 0,
        book_age_s=draw(st.floats(0, 40)),
        positions=positions,
        open_orders=open_orders,
        balance=Balance("USDT", equity, equity, equity) if draw(st.integers(0, 19)) else None,
        breakers=tuple(
            BreakerStatus(n, draw(st.integers(0, 4)) == 0, "r") for n in ("daily_loss", "exposure")
        ),
    )


@st.composite
def orders_for(draw: st.DrawFn, c: RiskContext) -> BuiltOrder:
    side = draw(st.sampled_from(list(Side)))
    otype = draw(st.sampled_from(list(OrderType)))
    price = (c.mark_price * D(str(draw(st.floats(0.9, 1.1))))).quantize(D("0.1"))
    request = OrderRequest(
        "BTCUSDT", side, dec(draw, 0.001, 15, "0.001"), otype, price,
        draw(st.sampled_from([TimeInForce.GTC, TimeInForce.IOC, TimeInForce.POST_ONLY])),
        reduce_only=draw(st.integers(0, 3)) == 0,
    )  # fmt: skip
    out = BUILDER.try_build(request, BTC, ref_price=c.mark_price, order_link_id="tc-p")
    assume(not isinstance(out, BuildError))
    assert isinstance(out, BuiltOrder)
    return out


def oracle(o: BuiltOrder, c: RiskContext, r: RiskSettings) -> list[str]:
    """Independently recompute every configured limit; returns the names of the broken ones."""
    broken = []
    if c.rest_url != SIM_URL:
        broken.append("mode")
    p = c.positions.get(o.symbol)
    cur = D(0) if p is None or p.side is None else (p.size if p.side is Side.BUY else -p.size)
    oo = c.open_orders.get(o.symbol, OpenOrderSummary())
    same = oo.buy_qty if o.side is Side.BUY else oo.sell_qty
    reducing = o.reduce_only or (
        p is not None and p.side is not None and p.side is not o.side and o.qty + same <= p.size
    )
    if o.symbol not in r.symbols and not reducing:  # a position outside the list must stay closable
        broken.append("symbol")
    if o.reduce_only and (p is None or p.side is None or p.side is o.side):  # it could only add
        broken.append("reduce_only")
    if not reducing:
        if o.qty * o.ref_price > r.max_order_notional:
            broken.append("max_order_notional")
        proj = cur + (o.qty + same) * (1 if o.side is Side.BUY else -1)
        proj_n = abs(proj) * c.mark_price
        if proj_n > r.max_position_notional:
            broken.append("max_position_notional")
        gross = sum((q.size * q.mark_price for s, q in c.positions.items() if s != o.symbol), D(0)) + proj_n
        if gross > r.max_gross_exposure:
            broken.append("max_gross_exposure")
        if (
            (p is not None and p.leverage > r.max_leverage)
            or c.balance is None
            or c.balance.equity <= 0
            or gross / c.balance.equity > r.max_leverage
        ):
            broken.append("max_leverage")
        if c.book_stale or c.book_age_s > r.book_stale_s:
            broken.append("book_stale")
        if any(b.tripped for b in c.breakers):
            broken.append("breakers")
    if o.price is not None:
        band = r.price_band_pct / 100
        if (o.side is Side.BUY and o.price > c.mark_price * (1 + band)) or (
            o.side is Side.SELL and o.price < c.mark_price * (1 - band)
        ):
            broken.append("price_band")
    resting = o.order_type is OrderType.LIMIT and o.tif is not TimeInForce.IOC
    if resting and sum(s.count for s in c.open_orders.values()) + 1 > r.max_open_orders:
        broken.append("max_open_orders")
    return broken


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]
)
@given(st.data(), contexts())
def test_no_order_breaking_a_limit_passes(data: st.DataObject, c: RiskContext) -> None:
    r = data.draw(risk_settings(c.mark_price))
    o = data.draw(orders_for(c))
    chain = RiskChain.from_settings(r)
    broken = oracle(o, c, r)
    first = chain.first_failure(o, c)
    results = chain.evaluate(o, c)
    failed = [x.check for x in results if not x.passed]
    event("blocked" if broken else "allowed")
    assert sorted(failed) == sorted(broken), (failed, broken, [x for x in results if not x.passed])
    if broken:
        assert first is not None and first.check == failed[0] and first.reason
    else:
        assert first is None
    if o.reduce_only:
        assert not EXEMPT_FOR_REDUCING & set(failed)
    for x in results:
        if not x.passed:
            assert SETTING_TAG[x.check] in x.reason, x
            assert any(ch.isdigit() for ch in x.reason) or x.check in ("breakers", "symbol", "mode"), x


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]
)
@given(st.data(), risk_settings(), contexts())
def test_reduce_only_never_blocked_by_breakers_or_caps(
    data: st.DataObject, r: RiskSettings, c: RiskContext
) -> None:
    o = data.draw(orders_for(c))
    o = BuiltOrder(
        **{**{f: getattr(o, f) for f in BuiltOrder.__slots__}, "reduce_only": True, "tp": None, "sl": None}
    )
    every_breaker = tuple(
        BreakerStatus(n, True, "x") for n in ("daily_loss", "min_balance", "exposure", "api_failures")
    )
    c = RiskContext(**{**{f: getattr(c, f) for f in RiskContext.__slots__}, "breakers": every_breaker})
    chain = RiskChain.from_settings(r)
    for x in chain.evaluate(o, c):
        if x.check in EXEMPT_FOR_REDUCING:
            assert x.passed, x


def test_summarize_open_orders() -> None:
    orders = [
        Order("BTCUSDT", Side.BUY, OrderType.LIMIT, D("1"), D("50000"), "a", status=OrderStatus.NEW),
        Order("BTCUSDT", Side.BUY, OrderType.LIMIT, D("2"), D("49000"), "b", filled_qty=D("0.5"),
              status=OrderStatus.PARTIALLY_FILLED),
        Order("BTCUSDT", Side.SELL, OrderType.MARKET, D("1"), None, "c", status=OrderStatus.UNTRIGGERED,
              trigger_price=D("45000")),
        Order("ETHUSDT", Side.SELL, OrderType.MARKET, D("3"), None, "d", status=OrderStatus.NEW),
        Order("BTCUSDT", Side.BUY, OrderType.LIMIT, D("9"), D("50000"), "e", status=OrderStatus.FILLED),
    ]  # fmt: skip
    s = summarize_open_orders(orders, marks={"ETHUSDT": D("3000")})
    assert s["BTCUSDT"] == OpenOrderSummary(3, D("2.5"), D("1"), D("123500"), D("45000"))
    assert s["ETHUSDT"] == OpenOrderSummary(1, D(0), D("3"), D(0), D("9000"))
    c = ctx(open_orders=s)
    assert c.open_orders_total == 4 and c.open_orders_notional == D("177500")


def test_custom_chain_order_and_subset() -> None:
    checks: list[RiskCheck] = [c for c in CHAIN.checks if c.name in ("breakers", "symbol")]
    chain = RiskChain(checks)
    assert chain.names == ("symbol", "breakers")


def test_unusable_mark_blocks_increase_not_reduce() -> None:
    r = fail(order(qty="0.1"), ctx(mark_price=D(0)))
    assert r.check == "max_position_notional" and "mark price 0" in r.reason
    long = {"BTCUSDT": pos(Side.BUY, "1")}
    assert (
        CHAIN.first_failure(
            order(Side.SELL, "0.5", None, otype=OrderType.MARKET), ctx(mark_price=D(0), positions=long)
        )
        is None
    )
