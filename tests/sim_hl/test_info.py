"""Every /info request the console uses, through the SDK, in Hyperliquid's shapes."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hyperliquid.exchange import Exchange
from hyperliquid.info import Info
from hyperliquid.utils.error import ServerError

from tests.support.hl_sim import SPOT_META, HlSim


def test_meta_and_asset_contexts(sim: HlSim, info: Info) -> None:
    meta = info.meta()
    assert [(a["name"], a["szDecimals"]) for a in meta["universe"]] == [("BTC", 3), ("ETH", 2), ("SOL", 1)]
    assert all(a["maxLeverage"] >= 1 for a in meta["universe"])
    m, ctxs = info.meta_and_asset_ctxs()
    assert m["universe"] == meta["universe"] and len(ctxs) == 3
    keys = {
        "dayNtlVlm",
        "funding",
        "impactPxs",
        "markPx",
        "midPx",
        "openInterest",
        "oraclePx",
        "premium",
        "prevDayPx",
    }
    assert keys <= set(ctxs[0])
    assert all(isinstance(ctxs[0][k], str) for k in ("funding", "markPx", "oraclePx", "openInterest"))
    assert Decimal(ctxs[1]["markPx"]) == pytest.approx(sim.mid("ETH"), rel=Decimal("0.01"))
    assert info.post("/info", {"type": "spotMeta"}) == SPOT_META


def test_all_mids_and_l2_book_match_the_venue(sim: HlSim, info: Info) -> None:
    sim.step(5)
    assert Decimal(info.all_mids()["ETH"]) == sim.mid("ETH")
    book = info.l2_snapshot("BTC")
    bid, ask = sim.bbo("BTC")
    assert (Decimal(book["levels"][0][0]["px"]), Decimal(book["levels"][1][0]["px"])) == (bid, ask)
    assert book["coin"] == "BTC" and book["time"] == sim.clock.now_ms()


def test_account_state_orders_and_fills(sim: HlSim, ex: Exchange, info: Info) -> None:
    state = info.user_state(sim.user)
    assert state["assetPositions"] == [] and state["marginSummary"]["accountValue"] == "100000"
    t0 = sim.clock.now_ms()
    ex.market_open("ETH", False, 0.2)
    bid, _ = sim.bbo("ETH")
    ex.order("ETH", True, 0.1, float(f"{bid * Decimal('0.97'):.5g}"), {"limit": {"tif": "Gtc"}})
    state = info.user_state(sim.user)
    [pos] = state["assetPositions"]
    assert pos["type"] == "oneWay" and pos["position"]["szi"] == "-0.2" and pos["position"]["coin"] == "ETH"
    assert {"accountValue", "totalMarginUsed", "totalNtlPos", "totalRawUsd"} <= set(state["marginSummary"])
    assert Decimal(state["withdrawable"]) < Decimal(state["marginSummary"]["accountValue"])
    [front] = info.frontend_open_orders(sim.user)
    assert (front["orderType"], front["tif"], front["reduceOnly"], front["isTrigger"]) == (
        "Limit",
        "Gtc",
        False,
        False,
    )
    fills = info.user_fills_by_time(sim.user, t0)
    assert fills and all(f["dir"] == "Open Short" and f["side"] == "A" for f in fills)
    assert info.user_fills_by_time(sim.user, t0 + 1) == []


def test_candles(sim: HlSim, info: Info) -> None:
    now = sim.clock.now_ms()
    candles = info.candles_snapshot("ETH", "1m", now - 3_600_000, now)
    assert len(candles) >= 50
    c = candles[-1]
    assert {"t", "T", "s", "i", "o", "c", "h", "l", "v", "n"} <= set(c) and c["s"] == "ETH" and c["i"] == "1m"
    assert candles[0]["t"] < candles[-1]["t"] and c["T"] == c["t"] + 59_999


def test_faults_latency_and_server_errors(sim: HlSim, info: Info) -> None:
    sim.fail_next(1)
    with pytest.raises(ServerError):
        info.all_mids()
    assert set(info.all_mids()) == {"BTC", "ETH", "SOL"}
    sim.set_latency(50)
    assert set(info.all_mids()) == {"BTC", "ETH", "SOL"}
    assert sim.call(lambda: sim.thread.server.faults.latency_ms) == 50
