"""OrderBuilder: rounding, filters, TP/SL, triggers, quote quantities, Bybit params, link ids."""

from __future__ import annotations

import re
from decimal import Decimal as D

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from core.model import FALLING, RISING, Instrument, Mode, OrderRequest, OrderType, Side, TimeInForce
from core.orders.builder import BuildError, BuiltOrder, OrderBuilder, QtyUnit, new_order_link_id
from core.orders.ids import is_valid_link_id
from core.risk.checks import InstrumentFilterCheck
from core.risk.context import RiskContext
from core.venues.bybit.encode import order_params

BTC = Instrument(
    symbol="BTCUSDT",
    base_coin="BTC",
    quote_coin="USDT",
    tick_size=D("0.10"),
    qty_step=D("0.001"),
    min_order_qty=D("0.001"),
    max_order_qty=D("1190"),
    max_mkt_order_qty=D("500"),
    min_notional=D("5"),
    min_leverage=D("1"),
    max_leverage=D("100"),
    leverage_step=D("0.01"),
    min_price=D("0.10"),
    max_price=D("1999999.80"),
)
B = OrderBuilder()


def req(side: Side = Side.BUY, qty: str = "0.01", price: str | None = "50000", **kw: object) -> OrderRequest:
    return OrderRequest(
        symbol="BTCUSDT",
        side=side,
        qty=D(qty),
        price=None if price is None else D(price),
        **kw,  # type: ignore[arg-type]
    )


def err(request: OrderRequest, **kw: object) -> BuildError:
    out = B.try_build(request, BTC, **kw)  # type: ignore[arg-type]
    assert isinstance(out, BuildError), out
    assert out.check and out.reason
    return out


# --- examples ---------------------------------------------------------------------------


def test_limit_prices_never_more_aggressive() -> None:
    buy = B.build(req(Side.BUY, price="50000.19"), BTC)
    sell = B.build(req(Side.SELL, price="50000.11"), BTC)
    assert buy.price == D("50000.1")
    assert sell.price == D("50000.2")


def test_qty_rounds_down_to_step() -> None:
    assert B.build(req(qty="0.0129"), BTC).qty == D("0.012")


def test_bybit_params_exact() -> None:
    o = B.build(
        req(Side.BUY, "0.0123", "50000.07", take_profit=D("51000.04"), stop_loss=D("49000")),
        BTC,
        order_link_id="tc-abc",
    )
    assert order_params(o) == {
        "category": "linear",
        "symbol": "BTCUSDT",
        "side": "Buy",
        "orderType": "Limit",
        "qty": "0.012",
        "price": "50000.0",
        "timeInForce": "GTC",
        "positionIdx": 0,
        "orderLinkId": "tc-abc",
        "reduceOnly": False,
        "takeProfit": "51000.0",
        "stopLoss": "49000.0",
    }


def test_plain_strings_never_scientific() -> None:
    inst = Instrument(
        "PEPEUSDT", "PEPE", "USDT", D("1E-7"), D("100"), D("100"), D("1E+9"), D("1E+8"), D("5"),
        D("1"), D("25"), D("0.01"), D("1E-7"), D("1"),
    )  # fmt: skip
    o = B.build(OrderRequest("PEPEUSDT", Side.BUY, D("1E+6"), price=D("0.0000123")), inst, order_link_id="x")
    p = order_params(o)
    assert p["qty"] == "1000000" and p["price"] == "0.0000123"


def test_market_order_uses_ref_price_and_max_mkt_qty() -> None:
    o = B.build(req(qty="1", price=None, order_type=OrderType.MARKET), BTC, ref_price=D("50000"))
    assert o.price is None and o.tif is TimeInForce.IOC and o.notional == D("50000")
    assert "price" not in order_params(o)
    e = err(req(qty="501", price=None, order_type=OrderType.MARKET), ref_price=D("50000"))
    assert e.check == "max_qty" and "max_mkt_order_qty" in e.reason and "500.000" in e.reason
    assert err(req(price=None, order_type=OrderType.MARKET)).check == "ref_price"


def test_market_post_only_refused() -> None:
    e = err(
        req(price=None, order_type=OrderType.MARKET, time_in_force=TimeInForce.POST_ONLY),
        ref_price=D("50000"),
    )
    assert e.check == "time_in_force"


@pytest.mark.parametrize("tif", list(TimeInForce))
def test_limit_tifs_kept(tif: TimeInForce) -> None:
    o = B.build(req(time_in_force=tif), BTC)
    assert o.tif is tif and order_params(o)["timeInForce"] == tif.value


def test_min_qty_min_notional_and_price_range() -> None:
    assert err(req(qty="0.0009")).check == "min_qty"
    # what was typed is said, not only what the step made of it ("qty 0.000 < min 0.001")
    assert err(req(qty="0.0005")).reason.startswith("qty 0.0005 (rounds down to 0.000) < min 0.001")
    e = err(req(qty="0.001", price="4000"))
    assert e.check == "min_notional" and "4.00" in e.reason and "5.00" in e.reason
    assert err(req(price="3000000")).check == "price_range"
    assert err(req(price="0")).check == "price"
    assert err(req(price=None)).check == "price"
    assert err(req(qty="1200")).check == "max_qty"
    assert err(req(qty="-1")).check == "qty"


def test_reduce_only_exempt_from_min_notional_and_no_tpsl() -> None:
    o = B.build(req(qty="0.001", price="4000", reduce_only=True), BTC)
    assert o.reduce_only and order_params(o)["reduceOnly"] is True
    with pytest.raises(BuildError) as ei:
        OrderBuilder(reduce_only_min_notional=True).build(
            req(qty="0.001", price="4000", reduce_only=True), BTC
        )
    assert ei.value.check == "min_notional"
    assert err(req(reduce_only=True, stop_loss=D("49000"))).check == "reduce_only"


def test_tpsl_sides() -> None:
    assert err(req(Side.BUY, take_profit=D("49000"))).check == "take_profit"
    assert err(req(Side.BUY, stop_loss=D("51000"))).check == "stop_loss"
    assert err(req(Side.SELL, take_profit=D("51000"))).check == "take_profit"
    assert err(req(Side.SELL, stop_loss=D("49000"))).check == "stop_loss"
    o = B.build(req(Side.SELL, take_profit=D("49000"), stop_loss=D("51000")), BTC)
    assert (o.tp, o.sl) == (D("49000.0"), D("51000.0"))


def test_trigger_direction_from_current_price() -> None:
    up = B.build(
        req(Side.BUY, price=None, order_type=OrderType.MARKET, trigger_price=D("51000.01")),
        BTC,
        ref_price=D("50000"),
    )
    assert (
        up.trigger_direction == RISING
        and up.trigger_price == D("51000.1")
        and up.ref_price == up.trigger_price
    )
    p = order_params(up)
    assert p["triggerDirection"] == 1 and p["triggerPrice"] == "51000.1"
    down = B.build(req(Side.BUY, trigger_price=D("49000.09")), BTC, ref_price=D("50000"))
    assert down.trigger_direction == FALLING and down.trigger_price == D("49000.0")
    assert err(req(trigger_price=D("50000")), ref_price=D("50000")).check == "trigger"
    assert err(req(trigger_price=D("51000"))).check == "trigger"  # no current price
    e = err(req(trigger_price=D("51000"), trigger_direction=FALLING), ref_price=D("50000"))
    assert e.check == "trigger" and "above" in e.reason


def test_quote_qty_converted() -> None:
    o = B.build(req(qty="1000", price="30000"), BTC, qty_unit=QtyUnit.QUOTE)
    assert o.qty == D("0.033")
    m = B.build(
        req(Side.SELL, "1000", None, order_type=OrderType.MARKET),
        BTC,
        ref_price=D("40000"),
        qty_unit=QtyUnit.QUOTE,
    )
    assert m.qty == D("0.025")
    e = err(req(qty="4", price="30000"), qty_unit=QtyUnit.QUOTE)
    assert e.check == "min_qty" and "USDT" in e.reason


def test_symbol_status_and_link_id_checks() -> None:
    assert err(OrderRequest("ETHUSDT", Side.BUY, D("1"), price=D("1"))).check == "symbol"
    halted = Instrument(**{**{f: getattr(BTC, f) for f in BTC.__slots__}, "status": "Closed"})
    assert isinstance(B.try_build(req(), halted), BuildError)
    assert err(req(), order_link_id="bad id!").check == "order_link_id"
    assert err(req(), order_link_id="x" * 37).check == "order_link_id"


def test_link_ids_unique_valid_sortable() -> None:
    ids = [new_order_link_id("tc", now_ms=1_767_225_600_000 + i // 10) for i in range(2000)]
    assert len(set(ids)) == len(ids)
    assert all(is_valid_link_id(i) and len(i) <= 36 for i in ids)
    assert [i.split("-")[1] for i in ids] == sorted(i.split("-")[1] for i in ids)
    assert len(new_order_link_id("abcdefghijkl")) <= 36
    with pytest.raises(ValueError):
        new_order_link_id("bad-prefix")


def test_built_order_is_frozen() -> None:
    o = B.build(req(), BTC)
    with pytest.raises(AttributeError):
        o.qty = D(1)  # type: ignore[misc]


# --- property: output always satisfies the filters, or is refused with a reason ----------

TICKS = [D("0.0001"), D("0.001"), D("0.01"), D("0.05"), D("0.1"), D("0.5"), D("1"), D("10")]
STEPS = [D("0.001"), D("0.01"), D("0.1"), D("1"), D("10"), D("100")]


@st.composite
def instruments(draw: st.DrawFn) -> Instrument:
    tick = draw(st.sampled_from(TICKS))
    step = draw(st.sampled_from(STEPS))
    min_qty = step * draw(st.integers(1, 10))
    max_qty = min_qty * draw(st.integers(10, 100_000))
    max_mkt = max(min_qty, (max_qty * draw(st.sampled_from([D("0.1"), D("0.5"), D("1")]))) // step * step)
    min_price = tick * draw(st.integers(1, 100))
    max_price = min_price * draw(st.integers(1_000, 1_000_000))
    return Instrument(
        "XUSDT", "X", "USDT", tick, step, min_qty, max_qty, max_mkt,
        draw(st.sampled_from([D("0"), D("1"), D("5"), D("100")])), D("1"), D("100"), D("0.01"),
        min_price, max_price,
    )  # fmt: skip


def rel(ref: D, draw: st.DrawFn, lo: float = 0.5, hi: float = 1.5) -> D:
    f = draw(st.floats(lo, hi, allow_nan=False))
    return (ref * D(str(round(f, 6)))).quantize(D("1E-12"))


@st.composite
def cases(draw: st.DrawFn) -> tuple[Instrument, OrderRequest, D, QtyUnit]:
    inst = draw(instruments())
    lo, hi = inst.min_price, inst.max_price
    ref = (lo + (hi - lo) * D(str(draw(st.floats(0, 0.01))))).quantize(D("1E-10")) + lo
    side = draw(st.sampled_from(list(Side)))
    otype = draw(st.sampled_from(list(OrderType)))
    unit = draw(st.sampled_from(list(QtyUnit)))
    factor = D(str(draw(st.floats(0.5, 300, allow_nan=False))))
    qty = (inst.min_order_qty * factor).quantize(D("1E-9"))
    if unit is QtyUnit.QUOTE:
        qty = (qty * ref).quantize(D("0.01"))
    price = rel(ref, draw) if otype is OrderType.LIMIT or draw(st.booleans()) else None
    if draw(st.integers(0, 20)) == 0:
        price = draw(st.sampled_from([D(0), D(-1), hi * 2]))
    trigger = rel(ref, draw, 0.8, 1.2) if draw(st.integers(0, 3)) == 0 else None
    up, down = (1.05, 1.5), (0.5, 0.95)
    if side is Side.SELL:
        up, down = down, up
    tp = rel(ref, draw, *(up if draw(st.integers(0, 5)) else down)) if draw(st.booleans()) else None
    sl = rel(ref, draw, *(down if draw(st.integers(0, 5)) else up)) if draw(st.booleans()) else None
    request = OrderRequest(
        symbol="XUSDT", side=side, qty=qty, order_type=otype, price=price,
        time_in_force=draw(st.sampled_from(list(TimeInForce) + [TimeInForce.GTC] * 4)),
        reduce_only=draw(st.integers(0, 3)) == 0,
        take_profit=tp, stop_loss=sl, trigger_price=trigger,
    )  # fmt: skip
    return inst, request, ref, unit


NUM = re.compile(r"^-?\d+(\.\d+)?$")


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_output_satisfies_filters_or_is_refused(case: tuple[Instrument, OrderRequest, D, QtyUnit]) -> None:
    inst, request, ref, unit = case
    out = B.try_build(request, inst, ref_price=ref, order_link_id="tc-prop", qty_unit=unit)
    if isinstance(out, BuildError):
        assert out.check and out.reason
        event(f"refused: {out.check}")
        return
    event("built")
    assert isinstance(out, BuiltOrder)
    o = out
    is_mkt = o.order_type is OrderType.MARKET
    assert o.qty > 0 and o.qty % inst.qty_step == 0
    assert inst.min_order_qty <= o.qty <= (inst.max_mkt_order_qty if is_mkt else inst.max_order_qty)
    if unit is QtyUnit.BASE:
        assert o.qty <= request.qty < o.qty + inst.qty_step
    if o.price is not None:
        assert request.price is not None and not is_mkt
        assert o.price % inst.tick_size == 0 and inst.min_price <= o.price <= inst.max_price
        if o.side is Side.BUY:
            assert o.price <= request.price < o.price + inst.tick_size
        else:
            assert o.price >= request.price > o.price - inst.tick_size
    else:
        assert is_mkt
    if not o.reduce_only:
        assert o.notional >= inst.min_notional
    else:
        assert o.tp is None and o.sl is None
    entry = o.ref_price
    for tp_above, val in ((True, o.tp), (False, o.sl)):
        if val is not None:
            assert val % inst.tick_size == 0
            assert (val > entry) if (tp_above == (o.side is Side.BUY)) else (val < entry)
    if o.trigger_price is not None:
        assert o.trigger_price % inst.tick_size == 0
        assert (o.trigger_price > ref) if o.trigger_direction == RISING else (o.trigger_price < ref)
    for key, value in order_params(o).items():
        if key in ("qty", "price", "triggerPrice", "takeProfit", "stopLoss"):
            assert isinstance(value, str) and NUM.match(value), (key, value)
    assert D(str(order_params(o)["qty"])) == o.qty
    ctx = RiskContext(mode=Mode.SIM, rest_url="http://127.0.0.1:8765", instrument=inst, mark_price=ref)
    assert InstrumentFilterCheck().check(o, ctx).passed
