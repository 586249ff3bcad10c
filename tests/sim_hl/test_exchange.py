"""Every /exchange action through the real SDK changes the sim's state as Hyperliquid would."""

from __future__ import annotations

from decimal import Decimal

from hyperliquid.exchange import Exchange
from hyperliquid.info import Info
from hyperliquid.utils.types import Cloid

from tests.support.hl_sim import HlSim, statuses


def five_sig(d: Decimal) -> float:
    """A price Hyperliquid accepts: 5 significant figures."""
    return float(f"{d:.5g}")


def test_gtc_rests_and_cancel_removes_it(sim: HlSim, ex: Exchange, info: Info) -> None:
    bid, _ = sim.bbo("ETH")
    px = five_sig(bid * Decimal("0.98"))
    st = statuses(ex.order("ETH", True, 0.05, px, {"limit": {"tif": "Gtc"}}))
    oid = st[0]["resting"]["oid"]
    [o] = sim.open_orders()
    assert (o.oid, o.coin, o.is_buy, o.limit_px, o.orig_sz) == (
        oid,
        "ETH",
        True,
        Decimal(str(px)),
        Decimal("0.05"),
    )
    assert info.open_orders(sim.user)[0]["oid"] == oid
    assert statuses(ex.cancel("ETH", oid)) == ["success"]
    assert sim.open_orders() == []
    assert info.query_order_by_oid(sim.user, oid)["order"]["status"] == "canceled"
    assert statuses(ex.cancel("ETH", oid)) == [
        {"error": "Order was never placed, already canceled, or filled."}
    ]


def test_market_open_fills_and_builds_a_position(sim: HlSim, ex: Exchange, info: Info) -> None:
    st = statuses(ex.market_open("ETH", True, 0.1))
    filled = st[0]["filled"]
    assert filled["totalSz"] == "0.1"
    assert sim.position("ETH") == Decimal("0.1")
    fills = info.user_fills(sim.user)
    assert [(f["coin"], f["side"], f["sz"], f["dir"], f["oid"]) for f in fills] == [
        ("ETH", "B", "0.1", "Open Long", filled["oid"])
    ]
    [pos] = info.user_state(sim.user)["assetPositions"]
    assert pos["position"]["szi"] == "0.1"
    st = statuses(ex.market_close("ETH"))
    assert "filled" in st[0]
    assert sim.position("ETH") == 0
    assert info.user_fills(sim.user)[0]["dir"] == "Close Long"


def test_ioc_that_cannot_match_and_alo_that_would_are_refused(sim: HlSim, ex: Exchange) -> None:
    bid, ask = sim.bbo("ETH")
    ioc = statuses(ex.order("ETH", True, 0.05, five_sig(bid * Decimal("0.99")), {"limit": {"tif": "Ioc"}}))
    assert ioc == [{"error": "Order could not immediately match against any resting orders."}]
    alo = statuses(ex.order("ETH", True, 0.05, five_sig(ask * Decimal("1.01")), {"limit": {"tif": "Alo"}}))
    err = alo[0]["error"]
    assert err.startswith("Post only order would have immediately matched, bbo was ")
    assert sim.open_orders() == [] and sim.position("ETH") == 0


def test_reduce_only_without_a_position_is_refused(sim: HlSim, ex: Exchange) -> None:
    _, ask = sim.bbo("ETH")
    st = statuses(
        ex.order("ETH", False, 0.05, five_sig(ask * Decimal("1.02")), {"limit": {"tif": "Gtc"}}, True)
    )
    assert st == [{"error": "Reduce only order would increase position."}]


def test_cloid_cancel_and_status(sim: HlSim, ex: Exchange, info: Info) -> None:
    bid, _ = sim.bbo("BTC")
    cloid = Cloid.from_int(42)
    st = statuses(
        ex.order(
            "BTC", True, 0.001 * 20, five_sig(bid * Decimal("0.97")), {"limit": {"tif": "Gtc"}}, cloid=cloid
        )
    )
    assert st[0]["resting"]["cloid"] == cloid.to_raw()
    assert info.query_order_by_cloid(sim.user, cloid)["order"]["status"] == "open"
    assert statuses(ex.cancel_by_cloid("BTC", cloid)) == ["success"]
    assert info.query_order_by_cloid(sim.user, cloid)["order"]["status"] == "canceled"
    assert info.query_order_by_cloid(sim.user, Cloid.from_int(43)) == {"status": "unknownOid"}


def test_modify_moves_price_and_size_keeping_the_oid(sim: HlSim, ex: Exchange, info: Info) -> None:
    bid, _ = sim.bbo("ETH")
    oid = statuses(ex.order("ETH", True, 0.05, five_sig(bid * Decimal("0.98")), {"limit": {"tif": "Gtc"}}))[
        0
    ]["resting"]["oid"]
    new_px = five_sig(bid * Decimal("0.97"))
    reply = ex.modify_order(oid, "ETH", True, 0.08, new_px, {"limit": {"tif": "Gtc"}})
    assert statuses(reply) == [{"resting": {"oid": oid}}]
    [o] = sim.open_orders()
    assert (o.oid, o.limit_px, o.orig_sz) == (oid, Decimal(str(new_px)), Decimal("0.08"))
    assert info.open_orders(sim.user)[0]["sz"] == "0.08"


def test_update_leverage_cross_and_isolated(sim: HlSim, ex: Exchange, info: Info) -> None:
    assert ex.update_leverage(5, "ETH", is_cross=False) == {"status": "ok", "response": {"type": "default"}}
    ex.market_open("ETH", True, 0.1)
    lev = info.user_state(sim.user)["assetPositions"][0]["position"]["leverage"]
    assert (lev["type"], lev["value"]) == ("isolated", 5)
    assert ex.update_leverage(7, "ETH")["status"] == "ok"
    lev = info.user_state(sim.user)["assetPositions"][0]["position"]["leverage"]
    assert lev == {"type": "cross", "value": 7}
    assert ex.update_leverage(51, "ETH")["status"] == "err"


def test_trigger_sl_rests_then_fires_when_the_mark_falls(sim: HlSim, ex: Exchange, info: Info) -> None:
    ex.market_open("ETH", True, 0.1)
    mid = sim.mid("ETH")
    trig = five_sig(mid * Decimal("0.97"))
    order_type = {"trigger": {"triggerPx": trig, "isMarket": True, "tpsl": "sl"}}
    st = statuses(ex.order("ETH", False, 0.1, five_sig(mid * Decimal("0.9")), order_type, True))
    oid = st[0]["resting"]["oid"]
    front = info.frontend_open_orders(sim.user)[0]
    assert (front["orderType"], front["isTrigger"], front["triggerCondition"]) == (
        "Stop Market",
        True,
        f"Price below {trig:g}",
    )
    sim.drive("ETH", float(mid * Decimal("0.96")))
    sim.step(3)
    assert sim.position("ETH") == 0
    assert info.query_order_by_oid(sim.user, oid)["order"]["status"] == "filled"


def test_normal_tpsl_grouping_children_wait_for_the_parent(sim: HlSim, ex: Exchange) -> None:
    bid, _ = sim.bbo("ETH")
    entry = five_sig(bid * Decimal("0.98"))

    def trigger(tpsl: str, trig: Decimal, limit: Decimal) -> dict[str, object]:
        order_type = {"trigger": {"triggerPx": five_sig(trig), "isMarket": True, "tpsl": tpsl}}
        return {"coin": "ETH", "is_buy": False, "sz": 0.1, "limit_px": five_sig(limit),
                "order_type": order_type, "reduce_only": True}  # fmt: skip

    reqs = [
        {"coin": "ETH", "is_buy": True, "sz": 0.1, "limit_px": entry,
         "order_type": {"limit": {"tif": "Gtc"}}, "reduce_only": False},
        trigger("tp", bid * Decimal("1.05"), bid * Decimal("1.05")),
        trigger("sl", bid * Decimal("0.95"), bid * Decimal("0.9")),
    ]  # fmt: skip
    st = statuses(ex.bulk_orders(reqs, grouping="normalTpsl"))
    assert "resting" in st[0] and st[1:] == ["waitingForFill", "waitingForFill"]
    assert len(sim.open_orders()) == 3


def test_schedule_cancel_cancels_everything_at_its_time(sim: HlSim, ex: Exchange, info: Info) -> None:
    bid, _ = sim.bbo("ETH")
    for k in (98, 97):
        ex.order("ETH", True, 0.05, five_sig(bid * Decimal(k) / 100), {"limit": {"tif": "Gtc"}})
    now = sim.clock.now_ms()
    assert ex.schedule_cancel(now + 1000)["status"] == "err"  # less than 5 s ahead
    assert ex.schedule_cancel(now + 10_000) == {"status": "ok", "response": {"type": "default"}}
    assert sim.scheduled_cancel() == now + 10_000
    sim.advance(9_000)
    assert len(sim.open_orders()) == 2
    sim.advance(1_000)
    assert sim.open_orders() == [] and sim.scheduled_cancel() is None
    oids = [o.oid for o in sim.orders()]
    assert {info.query_order_by_oid(sim.user, oid)["order"]["status"] for oid in oids} == {"scheduledCancel"}


def test_schedule_cancel_none_clears_it(sim: HlSim, ex: Exchange) -> None:
    bid, _ = sim.bbo("ETH")
    ex.order("ETH", True, 0.05, five_sig(bid * Decimal("0.98")), {"limit": {"tif": "Gtc"}})
    ex.schedule_cancel(sim.clock.now_ms() + 6_000)
    assert ex.schedule_cancel(None)["status"] == "ok"
    sim.advance(7_000)
    assert len(sim.open_orders()) == 1


def test_modify_by_cloid(sim: HlSim, ex: Exchange) -> None:
    bid, _ = sim.bbo("ETH")
    cloid = Cloid.from_int(7)
    ex.order("ETH", True, 0.05, five_sig(bid * Decimal("0.98")), {"limit": {"tif": "Gtc"}}, cloid=cloid)
    new_px = five_sig(bid * Decimal("0.96"))
    st = statuses(ex.modify_order(cloid, "ETH", True, 0.05, new_px, {"limit": {"tif": "Gtc"}}, cloid=cloid))
    assert "resting" in st[0]
    [o] = sim.open_orders()
    assert (o.cloid, o.limit_px) == (cloid.to_raw(), Decimal(str(new_px)))


def test_an_order_with_a_builder_fee_is_refused(sim: HlSim, ex: Exchange) -> None:
    bid, _ = sim.bbo("ETH")
    reply = ex.order(
        "ETH",
        True,
        0.05,
        five_sig(bid * Decimal("0.98")),
        {"limit": {"tif": "Gtc"}},
        builder={"b": "0x" + "11" * 20, "f": 10},
    )
    assert reply == {"status": "err", "response": "Builder fee has not been approved."}
    assert sim.orders() == []


def test_modify_to_the_same_values_is_fine_and_a_cancelled_order_cannot_be_modified(
    sim: HlSim, ex: Exchange
) -> None:
    bid, _ = sim.bbo("ETH")
    px = five_sig(bid * Decimal("0.98"))
    oid = statuses(ex.order("ETH", True, 0.05, px, {"limit": {"tif": "Gtc"}}))[0]["resting"]["oid"]
    assert statuses(ex.modify_order(oid, "ETH", True, 0.05, px, {"limit": {"tif": "Gtc"}})) == [
        {"resting": {"oid": oid}}
    ]
    ex.cancel("ETH", oid)
    reply = ex.modify_order(oid, "ETH", True, 0.05, px, {"limit": {"tif": "Gtc"}})
    assert statuses(reply) == [{"error": "Cannot modify canceled or filled order"}]


def test_a_sweep_reports_the_fills_average_price(sim: HlSim, ex: Exchange, info: Info) -> None:
    filled = statuses(ex.market_open("BTC", True, 3.0))[0]["filled"]
    fills = [f for f in info.user_fills(sim.user) if f["oid"] == filled["oid"]]
    assert len({f["px"] for f in fills}) > 1  # several levels
    notional = sum((Decimal(f["px"]) * Decimal(f["sz"]) for f in fills), Decimal(0))
    size = sum((Decimal(f["sz"]) for f in fills), Decimal(0))
    assert Decimal(filled["totalSz"]) == size
    assert Decimal(filled["avgPx"]) == (notional / size).quantize(Decimal("0.000001"))
    assert len(filled["avgPx"].partition(".")[2]) <= 6


def test_a_refused_order_is_known_by_its_cloid_with_its_rejected_status(
    sim: HlSim, ex: Exchange, info: Info
) -> None:
    bid, _ = sim.bbo("ETH")
    cloid = Cloid.from_int(99)
    reply = ex.order(
        "ETH", True, 0.05, five_sig(bid * Decimal("0.99")), {"limit": {"tif": "Ioc"}}, cloid=cloid
    )
    assert statuses(reply) == [{"error": "Order could not immediately match against any resting orders."}]
    status = info.query_order_by_cloid(sim.user, cloid)
    assert status["status"] == "order" and status["order"]["status"] == "iocCancelRejected"
    assert sim.open_orders() == []
