"""Position TP/SL on the Hyperliquid sim through the real SDK (``bulk_orders`` with
``grouping="positionTpsl"``): listed with ``isPositionTpsl``, replaced by a new one of its kind,
resized with the position, triggered on the mark price (closing the whole position), and
cancelled once the position is closed."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hyperliquid.exchange import Exchange
from hyperliquid.info import Info

from tests.support.hl_sim import HlSim, statuses

SZ = 0.1


def stop(coin: str, close_buy: bool, sz: float, trigger: float, kind: str) -> Any:
    return {
        "coin": coin,
        "is_buy": close_buy,
        "sz": sz,
        "limit_px": trigger,
        "order_type": {"trigger": {"triggerPx": trigger, "isMarket": True, "tpsl": kind}},
        "reduce_only": True,
    }


def five_sig(d: Decimal) -> float:
    return float(f"{d:.5g}")


def position_stops(info: Info, user: str) -> dict[str, dict[str, Any]]:
    rows = [r for r in info.frontend_open_orders(user) if r["isPositionTpsl"]]
    return {("tp" if "Take Profit" in r["orderType"] else "sl"): r for r in rows}


def test_position_tpsl_follows_the_position(sim: HlSim, ex: Exchange, info: Info) -> None:
    statuses(ex.market_open("ETH", True, SZ))
    mid = sim.mid("ETH")
    tp, sl = five_sig(mid * Decimal("1.2")), five_sig(mid * Decimal("0.8"))
    st = statuses(
        ex.bulk_orders(
            [stop("ETH", False, SZ, tp, "tp"), stop("ETH", False, SZ, sl, "sl")], grouping="positionTpsl"
        )
    )
    assert all("resting" in s for s in st), st
    found = position_stops(info, sim.user)
    assert set(found) == {"tp", "sl"}
    assert Decimal(found["tp"]["triggerPx"]) == Decimal(str(tp)) and found["tp"]["reduceOnly"]
    assert found["sl"]["orderType"] == "Stop Market" and Decimal(found["sl"]["origSz"]) == Decimal(str(SZ))

    # a new SL replaces the old one; the TP stays
    sl2 = five_sig(mid * Decimal("0.9"))
    statuses(ex.bulk_orders([stop("ETH", False, SZ, sl2, "sl")], grouping="positionTpsl"))
    found = position_stops(info, sim.user)
    assert Decimal(found["sl"]["triggerPx"]) == Decimal(str(sl2)) and "tp" in found
    assert len([r for r in info.frontend_open_orders(sim.user) if r["isPositionTpsl"]]) == 2

    # the position grows: both follow its size
    statuses(ex.market_open("ETH", True, SZ))
    found = position_stops(info, sim.user)
    assert Decimal(found["tp"]["origSz"]) == Decimal(str(2 * SZ)) == Decimal(found["sl"]["origSz"])

    # the mark falls through the SL: the whole position closes, the TP is cancelled
    sim.drive("ETH", float(mid) * 0.85)
    assert sim.position("ETH") == 0
    sim.step()  # the next market step: position TP/SL follow the positions that moved
    assert position_stops(info, sim.user) == {}
    assert sim.open_orders() == []


def test_position_tpsl_must_be_reduce_only_triggers(sim: HlSim, ex: Exchange) -> None:
    statuses(ex.market_open("ETH", True, SZ))
    plain = {"coin": "ETH", "is_buy": False, "sz": SZ, "limit_px": five_sig(sim.mid("ETH") * 2),
             "order_type": {"limit": {"tif": "Gtc"}}, "reduce_only": True}  # fmt: skip
    reply = ex.bulk_orders([plain], grouping="positionTpsl")
    assert reply["status"] == "err" and "TP/SL" in reply["response"]
