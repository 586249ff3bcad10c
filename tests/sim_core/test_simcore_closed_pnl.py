"""GET /v5/position/closed-pnl keeps one record per closing order, as Bybit does: a market close
that sweeps several levels is one record whose sizes, values, PnL and fees are the sums of its
closing fills, with ``fillCount`` the number of those fills."""

from __future__ import annotations

from decimal import Decimal

from tests.support.sim_json import JsonExchange

from ._helpers import KEY, Recorder, make, order, run

QTY = "3.000"


def _records(ex: JsonExchange) -> list[dict[str, str]]:
    return list(ex.position_closed_pnl(KEY, {"category": "linear", "symbol": "BTCUSDT"})["list"])


def test_a_closing_order_filled_in_several_executions_is_one_record() -> None:
    ex, clock = make()
    rec = Recorder(ex)
    order(ex, side="Buy", orderType="Market", qty=QTY)
    run(ex, clock, 30, 100)
    close = order(ex, side="Sell", orderType="Market", qty=QTY, reduceOnly=True)
    sells = [e for e in rec.items("execution") if e["orderId"] == close["orderId"]]
    assert len(sells) > 1  # the close swept several levels
    records = _records(ex)
    assert len(records) == 1
    r = records[0]
    assert r["orderId"] == close["orderId"] and r["side"] == "Sell"
    assert r["fillCount"] == str(len(sells)) and Decimal(r["closedSize"]) == Decimal(QTY)
    exit_value = sum(Decimal(e["execValue"]) for e in sells)
    assert Decimal(r["cumExitValue"]) == exit_value
    assert Decimal(r["avgExitPrice"]) == (exit_value / Decimal(QTY)).quantize(Decimal("1E-8"))
    fees = sum(Decimal(e["execFee"]) for e in rec.items("execution"))
    pnl = sum(Decimal(e["execPnl"]) for e in sells)
    assert Decimal(r["closedPnl"]) == pnl - fees
    assert Decimal(r["openFee"]) + Decimal(r["closeFee"]) == fees
    assert int(r["updatedTime"]) >= int(r["createdTime"])
