"""Liquidation in the sim's exchange core: the mark reaching a position's liquidation price closes
it at the bankruptcy price with the taker fee, by a CreateByTakeOver_PassThrough order whose
execution is a BustTrade; one tick short of the liquidation price nothing happens."""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any

from core.clock import FrozenClock
from core.sim.exchange import SimExchange
from core.sim.instruments import MMR, SPECS, TAKER_FEE

KEY = "liq-key"
START = 1_767_225_600_000 + 1_000
ENTRY = 50_000.0
QTY = Decimal("1.000")
LEVERAGE = Decimal(10)
TICK = SPECS["BTCUSDT"].tick


def _open(side: str) -> tuple[SimExchange, FrozenClock, list[tuple[str, dict[str, Any]]]]:
    clock = FrozenClock(START)
    ex = SimExchange(seed=5, clock=clock, symbols=("BTCUSDT",))
    ex.ensure_account(KEY)
    pushed: list[tuple[str, dict[str, Any]]] = []
    ex.add_private_listener(lambda k, t, items: pushed.extend((t, i) for i in items))
    ex.drive("BTCUSDT", ENTRY)
    params = {"category": "linear", "symbol": "BTCUSDT", "side": side, "orderType": "Market"}
    ex.order_create(KEY, {**params, "qty": f"{QTY}"})
    ex.order_create(  # a resting order the liquidation must cancel
        KEY, {**params, "orderType": "Limit", "qty": "0.010", "price": "40000" if side == "Buy" else "60000"}
    )
    return ex, clock, pushed


def _position(ex: SimExchange) -> dict[str, object]:
    rows = ex.position_list(KEY, {"category": "linear", "symbol": "BTCUSDT"})["list"]
    assert isinstance(rows, list)
    row = rows[0]
    assert isinstance(row, dict)
    return row


def _ticks(price: Decimal, rounding: str) -> Decimal:
    """``price`` rounded to a multiple of the tick size."""
    return (price / TICK).to_integral_value(rounding) * TICK


def _move(ex: SimExchange, clock: FrozenClock, price: Decimal) -> None:
    clock.advance(1_000)
    ex.drive("BTCUSDT", float(price))


def _entry(ex: SimExchange) -> Decimal:
    return Decimal(str(_position(ex)["avgPrice"]))


def test_a_long_is_liquidated_at_the_liquidation_price_and_closed_at_the_bankruptcy_price() -> None:
    ex, clock, pushed = _open("Buy")
    entry = _entry(ex)
    liq = entry * (1 - (1 / LEVERAGE - MMR))
    assert Decimal(str(_position(ex)["liqPrice"])) == liq.quantize(Decimal("0.01"))
    wallet = ex.accounts[KEY].wallet
    at = _ticks(liq, ROUND_FLOOR)  # the last tick at or below the liquidation price
    _move(ex, clock, at + TICK)  # one tick above: still open
    assert _position(ex)["size"] == f"{QTY}"
    _move(ex, clock, at)
    assert _position(ex)["size"] == "0"
    bust = _ticks(entry * (1 - 1 / LEVERAGE), ROUND_CEILING)
    (ex_row,) = [i for t, i in pushed if t == "execution" and i["execType"] == "BustTrade"]
    assert Decimal(ex_row["execPrice"]) == bust and Decimal(ex_row["execQty"]) == QTY
    fee = (QTY * bust * TAKER_FEE).quantize(Decimal("1E-8"))
    assert Decimal(ex_row["execFee"]) == fee
    assert Decimal(ex_row["execPnl"]) == (bust - entry) * QTY
    assert ex.accounts[KEY].wallet == wallet + (bust - entry) * QTY - fee
    orders = [i for t, i in pushed if t == "order"]
    assert any(
        o["createType"] == "CreateByTakeOver_PassThrough" and o["orderStatus"] == "Filled" for o in orders
    )
    assert any(o["cancelType"] == "CancelAllBeforeLiq" for o in orders)
    listed = ex.execution_list(KEY, {"category": "linear", "execType": "BustTrade"})["list"]
    assert isinstance(listed, list) and len(listed) == 1


def test_a_short_is_liquidated_when_the_mark_rises_to_its_liquidation_price() -> None:
    ex, clock, pushed = _open("Sell")
    entry = _entry(ex)
    liq = entry * (1 + (1 / LEVERAGE - MMR))
    at = _ticks(liq, ROUND_CEILING)
    _move(ex, clock, at - TICK)
    assert _position(ex)["size"] == f"{QTY}"
    _move(ex, clock, at)
    assert _position(ex)["size"] == "0"
    (ex_row,) = [i for t, i in pushed if t == "execution" and i["execType"] == "BustTrade"]
    assert Decimal(ex_row["execPrice"]) == _ticks(entry * (1 + 1 / LEVERAGE), ROUND_FLOOR)
    assert ex_row["side"] == "Buy"


def test_higher_leverage_liquidates_sooner() -> None:
    ex, clock, _ = _open("Buy")
    ex.position_set_leverage(
        KEY, {"category": "linear", "symbol": "BTCUSDT", "buyLeverage": "20", "sellLeverage": "20"}
    )
    entry = _entry(ex)
    liq20 = entry * (1 - (Decimal("0.05") - MMR))
    _move(ex, clock, _ticks(liq20, ROUND_FLOOR))
    assert _position(ex)["size"] == "0"
