"""Bybit retCodes for every validation rule of the sim exchange core."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from core.sim.exchange import SimError
from tests.support.sim_json import JsonExchange

from ._helpers import KEY, code, get_order, make, mark, order, position, run, top


@pytest.fixture
def ex() -> JsonExchange:
    return make()[0]


def _limit_buy_below(
    ex: JsonExchange, ticks_below: int = 100, qty: str = "0.010", **kw: Any
) -> dict[str, Any]:
    bid, _ = top(ex)
    price = bid - Decimal("0.1") * ticks_below
    return order(ex, side="Buy", orderType="Limit", qty=qty, price=f"{price:.2f}", **kw)


@pytest.mark.parametrize(
    "params",
    [
        {"side": "Hold", "orderType": "Limit", "qty": "0.01", "price": "90000"},
        {"orderType": "Limit", "qty": "0.01", "price": "90000"},
        {"side": "Buy", "orderType": "Stop", "qty": "0.01", "price": "90000"},
        {"side": "Buy", "orderType": "Limit", "price": "90000"},
        {"side": "Buy", "orderType": "Limit", "qty": "abc", "price": "90000"},
        {"side": "Buy", "orderType": "Limit", "qty": "0.01"},
        {"side": "Buy", "orderType": "Limit", "qty": "0.0105", "price": "90000"},
        {"side": "Buy", "orderType": "Limit", "qty": "0.01", "price": "90000.05"},
        {"side": "Buy", "orderType": "Limit", "qty": "0.0001", "price": "90000"},
        {"side": "Buy", "orderType": "Limit", "qty": "2000", "price": "90000"},
        {"side": "Buy", "orderType": "Market", "qty": "600"},
        {"side": "Buy", "orderType": "Limit", "qty": "0.01", "price": "90000", "timeInForce": "GTD"},
        {"side": "Buy", "orderType": "Limit", "qty": "0.01", "price": "90000", "orderLinkId": "bad id!"},
        {"side": "Buy", "orderType": "Limit", "qty": "0.01", "price": "90000", "orderLinkId": "x" * 37},
        {"side": "Buy", "orderType": "Limit", "qty": "0.01", "price": "90000", "positionIdx": 1},
        {"side": "Buy", "orderType": "Market", "qty": "0.01", "triggerPrice": "99000"},
        {"side": "Buy", "orderType": "Market", "qty": "0", "reduceOnly": False},
    ],
)
def test_param_errors_are_10001(ex: JsonExchange, params: dict[str, Any]) -> None:
    assert code(order, ex, **params) == 10001


def test_unknown_symbol_and_category(ex: JsonExchange) -> None:
    p = {"category": "linear", "symbol": "DOGEUSDT", "side": "Buy", "orderType": "Market", "qty": "1"}
    assert code(ex.order_create, KEY, p) == 10001
    p = {"category": "spot", "symbol": "BTCUSDT", "side": "Buy", "orderType": "Market", "qty": "0.01"}
    assert code(ex.order_create, KEY, p) == 10001
    p = {"symbol": "BTCUSDT", "side": "Buy", "orderType": "Market", "qty": "0.01"}
    assert code(ex.order_create, KEY, p) == 10001


def test_min_notional_limit(ex: JsonExchange) -> None:
    # Notional below 5 USDT needs a low price: buys far below the mark are legal, so use one.
    assert code(order, ex, side="Buy", orderType="Limit", qty="0.001", price="4000") == 110094


def test_price_band_is_110003(ex: JsonExchange) -> None:
    m = mark(ex)
    hi = (m * Decimal("1.07")).quantize(Decimal("0.1"))
    lo = (m * Decimal("0.93")).quantize(Decimal("0.1"))
    assert code(order, ex, side="Buy", orderType="Limit", qty="0.01", price=f"{hi}") == 110003
    assert code(order, ex, side="Sell", orderType="Limit", qty="0.01", price=f"{lo}") == 110003


def test_insufficient_balance_is_110007() -> None:
    ex, _ = make(starting_balance=Decimal("100"))
    assert code(order, ex, side="Buy", orderType="Market", qty="0.1") == 110007
    bid, _ = top(ex)
    assert code(order, ex, side="Buy", orderType="Limit", qty="0.05", price=f"{bid - 100:.2f}") == 110007
    # Resting orders hold margin: two orders that fit only one at a time.
    order(ex, side="Buy", orderType="Limit", qty="0.008", price=f"{bid - 100:.2f}")
    assert code(order, ex, side="Buy", orderType="Limit", qty="0.008", price=f"{bid - 100:.2f}") == 110007


def test_duplicate_link_id_is_110072(ex: JsonExchange) -> None:
    _limit_buy_below(ex, orderLinkId="abc-1")
    with pytest.raises(SimError) as ei:
        _limit_buy_below(ex, orderLinkId="abc-1")
    assert ei.value.ret_code == 110072


def test_reduce_only_rules_110017(ex: JsonExchange) -> None:
    assert code(order, ex, side="Sell", orderType="Market", qty="0.01", reduceOnly=True) == 110017
    order(ex, side="Buy", orderType="Market", qty="0.01")
    assert code(order, ex, side="Buy", orderType="Market", qty="0.01", reduceOnly=True) == 110017
    # qty above the position is accepted but never flips the position.
    order(ex, side="Sell", orderType="Market", qty="0.05", reduceOnly="true")
    assert position(ex)["size"] == "0"


def test_reduce_only_with_tp_sl_is_rejected(ex: JsonExchange) -> None:
    order(ex, side="Buy", orderType="Market", qty="0.01")
    assert (
        code(order, ex, side="Sell", orderType="Market", qty="0.01", reduceOnly=True, stopLoss="1000")
        == 10001
    )


def test_trigger_direction_wrong_side(ex: JsonExchange) -> None:
    m = mark(ex)
    below = f"{(m * Decimal('0.99')).quantize(Decimal('0.1'))}"
    above = f"{(m * Decimal('1.01')).quantize(Decimal('0.1'))}"
    p = {"side": "Buy", "orderType": "Market", "qty": "0.01"}
    assert code(order, ex, triggerPrice=below, triggerDirection=1, **p) == 110092
    assert code(order, ex, triggerPrice=above, triggerDirection=2, **p) == 110093
    r = order(ex, triggerPrice=above, triggerDirection=1, **p)
    assert get_order(ex, r["orderId"])["orderStatus"] == "Untriggered"


def test_unknown_order_amend_cancel_110001(ex: JsonExchange) -> None:
    p = {"category": "linear", "symbol": "BTCUSDT", "orderId": "nope"}
    assert code(ex.order_cancel, KEY, p) == 110001
    assert code(ex.order_amend, KEY, {**p, "qty": "0.02"}) == 110001
    p = {"category": "linear", "symbol": "BTCUSDT", "orderLinkId": "nope"}
    assert code(ex.order_cancel, KEY, p) == 110001


def test_closed_order_amend_110008_cancel_110001(ex: JsonExchange) -> None:
    r = order(ex, side="Buy", orderType="Market", qty="0.01")
    p = {"category": "linear", "symbol": "BTCUSDT", "orderId": r["orderId"]}
    assert code(ex.order_amend, KEY, {**p, "qty": "0.02"}) == 110008
    assert code(ex.order_cancel, KEY, p) == 110001
    r = _limit_buy_below(ex)
    p = {"category": "linear", "symbol": "BTCUSDT", "orderId": r["orderId"]}
    ex.order_cancel(KEY, p)
    assert code(ex.order_cancel, KEY, p) == 110001
    assert code(ex.order_amend, KEY, {**p, "qty": "0.02"}) == 110008


def test_amend_unchanged_is_10001(ex: JsonExchange) -> None:
    r = _limit_buy_below(ex)
    p = {"category": "linear", "symbol": "BTCUSDT", "orderId": r["orderId"]}
    assert code(ex.order_amend, KEY, {**p, "qty": "0.010"}) == 10001
    ex.order_amend(KEY, {**p, "qty": "0.02"})
    assert get_order(ex, r["orderId"])["qty"] == "0.020"


def test_set_leverage_rules(ex: JsonExchange) -> None:
    p = {"category": "linear", "symbol": "BTCUSDT"}
    assert code(ex.position_set_leverage, KEY, {**p, "buyLeverage": "10", "sellLeverage": "10"}) == 110043
    assert code(ex.position_set_leverage, KEY, {**p, "buyLeverage": "101", "sellLeverage": "101"}) == 10001
    assert code(ex.position_set_leverage, KEY, {**p, "buyLeverage": "0.5", "sellLeverage": "0.5"}) == 10001
    assert code(ex.position_set_leverage, KEY, {**p, "buyLeverage": "5", "sellLeverage": "6"}) == 10001
    sol = {"category": "linear", "symbol": "SOLUSDT", "buyLeverage": "51", "sellLeverage": "51"}
    assert code(ex.position_set_leverage, KEY, sol) == 10001
    assert ex.position_set_leverage(KEY, {**p, "buyLeverage": "25", "sellLeverage": "25"}) == {}
    assert position(ex)["leverage"] == "25"


def test_trading_stop_rules(ex: JsonExchange) -> None:
    p = {"category": "linear", "symbol": "BTCUSDT", "tpslMode": "Full", "positionIdx": 0}
    assert code(ex.position_trading_stop, KEY, {**p, "takeProfit": "200000"}) == 10001  # flat
    order(ex, side="Buy", orderType="Market", qty="0.01")
    m = mark(ex)
    assert code(ex.position_trading_stop, KEY, {**p, "takeProfit": f"{m - 500:.1f}"}) == 10001
    assert code(ex.position_trading_stop, KEY, {**p, "stopLoss": f"{m + 500:.1f}"}) == 10001
    ex.position_trading_stop(KEY, {**p, "takeProfit": f"{m + 500:.1f}", "stopLoss": f"{m - 500:.1f}"})
    assert position(ex)["takeProfit"] == f"{m + 500:.2f}"
    assert code(ex.position_trading_stop, KEY, {**p, "takeProfit": f"{m + 500:.1f}"}) == 34040


def test_time_window_over_7_days_is_10001(ex: JsonExchange) -> None:
    p = {"category": "linear", "startTime": "1700000000000", "endTime": str(1700000000000 + 8 * 86_400_000)}
    for fn in (ex.order_history, ex.execution_list, ex.position_closed_pnl):
        assert code(fn, KEY, p) == 10001
    assert code(ex.order_history, KEY, {"category": "linear", "startTime": "20", "endTime": "10"}) == 10001


def test_list_param_rules(ex: JsonExchange) -> None:
    assert code(ex.position_list, KEY, {"category": "linear"}) == 10001
    assert code(ex.order_realtime, KEY, {"category": "linear"}) == 10001
    assert code(ex.account_wallet_balance, KEY, {"accountType": "CONTRACT"}) == 10001
    assert code(ex.kline, {"category": "linear", "symbol": "BTCUSDT", "interval": "2"}) == 10001
    assert code(ex.tickers, {"category": "linear", "symbol": "NOPE"}) == 10001
    assert code(ex.orderbook, {"category": "linear", "symbol": "BTCUSDT", "limit": "1001"}) == 10001


def test_post_only_that_would_take_is_cancelled(ex: JsonExchange) -> None:
    _, ask = top(ex)
    r = order(ex, side="Buy", orderType="Limit", qty="0.01", price=f"{ask:.2f}", timeInForce="PostOnly")
    o = get_order(ex, r["orderId"])
    assert o["orderStatus"] == "Cancelled"
    assert o["rejectReason"] == "EC_PostOnlyWillTakeLiquidity"
    assert o["cumExecQty"] == "0.000"


def test_fok_cancels_entirely_and_ioc_partially(ex: JsonExchange) -> None:
    _, ask = top(ex)
    ob = ex.orderbook({"category": "linear", "symbol": "BTCUSDT", "limit": "1"})
    lvl = Decimal(ob["a"][0][1])
    big = lvl + Decimal("0.001")
    r = order(ex, side="Buy", orderType="Limit", qty=f"{big}", price=f"{ask:.2f}", timeInForce="FOK")
    o = get_order(ex, r["orderId"])
    assert (o["orderStatus"], o["cumExecQty"]) == ("Cancelled", "0.000")
    r = order(ex, side="Buy", orderType="Limit", qty=f"{big}", price=f"{ask:.2f}", timeInForce="IOC")
    o = get_order(ex, r["orderId"])
    assert o["orderStatus"] == "Cancelled"
    assert Decimal(o["cumExecQty"]) == lvl
    assert o["leavesQty"] == "0.000"


def test_conditional_triggers_then_fills(ex: JsonExchange) -> None:
    ex2, clock = make(seed=3)
    last = Decimal(ex2.tickers({"category": "linear", "symbol": "BTCUSDT"})["list"][0]["lastPrice"])
    trig = last + Decimal("0.5")
    r = order(ex2, side="Buy", orderType="Market", qty="0.01", triggerPrice=f"{trig}", triggerDirection=1)
    for _ in range(2000):
        run(ex2, clock, 1, 50)
        if get_order(ex2, r["orderId"])["orderStatus"] != "Untriggered":
            break
    o = get_order(ex2, r["orderId"])
    assert o["orderStatus"] == "Filled"
    assert o["stopOrderType"] == "Stop"
    assert position(ex2)["size"] == "0.010"
