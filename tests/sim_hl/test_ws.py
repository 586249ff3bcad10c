"""The SDK's WebSocket subscribers get l2Book, trades, orderUpdates and userFills from the sim."""

from __future__ import annotations

import queue
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from hyperliquid.exchange import Exchange
from hyperliquid.info import Info

from tests.support.hl_sim import SPOT_META, HlSim

WAIT_S = 10.0


class Inbox:
    """Messages a subscription callback received, in order."""

    def __init__(self) -> None:
        self.q: queue.Queue[dict[str, Any]] = queue.Queue()

    def __call__(self, msg: Any) -> None:
        self.q.put(msg)

    def next(self, channel: str) -> dict[str, Any]:
        """The next message on ``channel`` (others are skipped); fails after WAIT_S."""
        while True:
            msg = self.q.get(timeout=WAIT_S)
            if msg.get("channel") == channel:
                return msg


@pytest.fixture
def ws_info(sim: HlSim) -> Iterator[Info]:
    info = Info(sim.base_url, skip_ws=False, meta=sim.meta, spot_meta=SPOT_META)
    yield info
    info.disconnect_websocket()


def test_l2book_snapshot_then_updates(sim: HlSim, ws_info: Info) -> None:
    inbox = Inbox()
    ws_info.subscribe({"type": "l2Book", "coin": "ETH"}, inbox)
    first = inbox.next("l2Book")["data"]
    bids, asks = first["levels"]
    assert first["coin"] == "ETH" and len(bids) == 20 and len(asks) == 20
    assert Decimal(bids[0]["px"]) < Decimal(asks[0]["px"]) and {"px", "sz", "n"} == set(bids[0])
    sim.step(20)
    later = inbox.next("l2Book")["data"]
    assert later["time"] > first["time"]


def test_trades_orders_and_fills_reach_sdk_subscribers(sim: HlSim, ws_info: Info, ex: Exchange) -> None:
    trades, orders, fills = Inbox(), Inbox(), Inbox()
    ws_info.subscribe({"type": "trades", "coin": "ETH"}, trades)
    ws_info.subscribe({"type": "orderUpdates", "user": sim.user}, orders)
    ws_info.subscribe({"type": "userFills", "user": sim.user}, fills)
    snap = fills.next("userFills")["data"]  # subscriptions are served in order: all three are live now
    assert snap["isSnapshot"] is True and snap["fills"] == []
    oid = ex.market_open("ETH", True, 0.1)["response"]["data"]["statuses"][0]["filled"]["oid"]
    upd = orders.next("orderUpdates")["data"]
    assert (upd[-1]["order"]["oid"], upd[-1]["status"], upd[-1]["order"]["coin"]) == (oid, "filled", "ETH")
    got = fills.next("userFills")["data"]
    assert got.get("isSnapshot") is None and got["user"] == sim.user.lower()
    assert [(f["oid"], f["side"], f["dir"]) for f in got["fills"]] == [(oid, "B", "Open Long")] * len(
        got["fills"]
    )
    assert sum(Decimal(f["sz"]) for f in got["fills"]) == Decimal("0.1")
    tr = trades.next("trades")["data"]
    assert (
        tr[0]["coin"] == "ETH"
        and tr[0]["side"] == "B"
        and {"px", "sz", "time", "tid", "hash", "users"} <= set(tr[0])
    )


def test_resting_order_update_then_cancel(sim: HlSim, ws_info: Info, ex: Exchange) -> None:
    orders, fills = Inbox(), Inbox()
    ws_info.subscribe({"type": "orderUpdates", "user": sim.user}, orders)
    ws_info.subscribe({"type": "userFills", "user": sim.user}, fills)
    fills.next("userFills")
    bid, _ = sim.bbo("ETH")
    oid = ex.order("ETH", True, 0.05, float(f"{bid * Decimal('0.98'):.5g}"), {"limit": {"tif": "Gtc"}})[
        "response"
    ]["data"]["statuses"][0]["resting"]["oid"]
    assert orders.next("orderUpdates")["data"][0]["status"] == "open"
    ex.cancel("ETH", oid)
    upd = orders.next("orderUpdates")["data"][0]
    assert (upd["order"]["oid"], upd["status"], upd["order"]["origSz"]) == (oid, "canceled", "0.05")


def test_a_modify_is_pushed_with_the_new_price_and_size(sim: HlSim, ws_info: Info, ex: Exchange) -> None:
    """Hyperliquid pushes an orderUpdates for a modified order; before the fix the sim pushed the
    core's amend with the order's old price (its record was updated only after the core call)."""
    orders, fills = Inbox(), Inbox()
    ws_info.subscribe({"type": "orderUpdates", "user": sim.user}, orders)
    ws_info.subscribe({"type": "userFills", "user": sim.user}, fills)
    fills.next("userFills")
    bid, _ = sim.bbo("ETH")
    px = float(f"{bid * Decimal('0.98'):.5g}")
    oid = ex.order("ETH", True, 0.05, px, {"limit": {"tif": "Gtc"}})["response"]["data"]["statuses"][0][
        "resting"
    ]["oid"]
    assert orders.next("orderUpdates")["data"][0]["status"] == "open"
    new_px = float(f"{bid * Decimal('0.97'):.5g}")
    res = ex.modify_order(oid, "ETH", True, 0.07, new_px, {"limit": {"tif": "Gtc"}})
    assert res["status"] == "ok", res
    upd = orders.next("orderUpdates")["data"][0]
    assert upd["order"]["oid"] == oid and upd["status"] == "open"
    assert Decimal(upd["order"]["limitPx"]) == Decimal(str(new_px)) and upd["order"]["origSz"] == "0.07"


def test_ping_pong_and_a_dropped_connection(sim: HlSim) -> None:
    import json

    import websocket  # websocket-client, the SDK's own transport

    ws = websocket.create_connection(sim.base_url.replace("http", "ws") + "/ws", timeout=WAIT_S)
    try:
        assert ws.recv() == "Websocket connection established."
        ws.send(json.dumps({"method": "ping"}))
        assert json.loads(ws.recv()) == {"channel": "pong"}
        ws.send(json.dumps({"method": "subscribe", "subscription": {"type": "bbo", "coin": "BTC"}}))
        ack = json.loads(ws.recv())
        assert ack == {
            "channel": "subscriptionResponse",
            "data": {"method": "subscribe", "subscription": {"type": "bbo", "coin": "BTC"}},
        }
        ws.send(
            json.dumps(
                {"method": "post", "id": 5, "request": {"type": "info", "payload": {"type": "allMids"}}}
            )
        )
        post = json.loads(ws.recv())
        while post["channel"] != "post":
            post = json.loads(ws.recv())
        assert post["data"]["id"] == 5 and set(post["data"]["response"]["payload"]) == {"BTC", "ETH", "SOL"}
        assert sim.drop_connections() == 1
        with pytest.raises((websocket.WebSocketConnectionClosedException, ConnectionError)):
            while True:
                if ws.recv() in ("", None):
                    raise ConnectionError("closed")
    finally:
        ws.close()


def test_bbo_mids_asset_ctx_and_user_events(sim: HlSim, ws_info: Info, ex: Exchange) -> None:
    bbo, mids, ctx, events, fills = Inbox(), Inbox(), Inbox(), Inbox(), Inbox()
    ws_info.subscribe({"type": "bbo", "coin": "BTC"}, bbo)
    ws_info.subscribe({"type": "allMids"}, mids)
    ws_info.subscribe({"type": "activeAssetCtx", "coin": "SOL"}, ctx)
    ws_info.subscribe({"type": "userEvents", "user": sim.user}, events)
    ws_info.subscribe({"type": "userFills", "user": sim.user}, fills)
    fills.next("userFills")
    assert set(mids.next("allMids")["data"]["mids"]) == {"BTC", "ETH", "SOL"}
    got = ctx.next("activeAssetCtx")["data"]
    assert got["coin"] == "SOL" and {"funding", "markPx", "oraclePx", "openInterest"} <= set(got["ctx"])
    sim.step(5)
    b = bbo.next("bbo")["data"]
    bid, ask = b["bbo"]
    assert b["coin"] == "BTC" and Decimal(bid["px"]) < Decimal(ask["px"])
    oid = ex.market_open("SOL", False, 1.0)["response"]["data"]["statuses"][0]["filled"]["oid"]
    ev = events.next("user")["data"]
    assert {f["oid"] for f in ev["fills"]} == {oid} and ev["fills"][0]["dir"] == "Open Short"


def test_a_stalled_feed_sends_nothing_until_it_resumes(sim: HlSim, ws_info: Info) -> None:
    book, mids = Inbox(), Inbox()
    ws_info.subscribe({"type": "l2Book", "coin": "ETH"}, book)
    ws_info.subscribe({"type": "allMids"}, mids)
    book.next("l2Book")
    mids.next("allMids")  # both subscriptions are live
    sim.stall_feeds()
    sim.step(20)
    sim.stall_feeds(False)
    sim.step(1)
    later = book.next("l2Book")["data"]
    assert later["time"] == sim.clock.now_ms()  # the first book after the stall is the resumed one
    assert book.q.empty()
