"""Facade behaviour: list endpoints, private pushes, public topics, TP/SL, closed PnL, klines."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest

from core.clock import FrozenClock
from tests.support.sim_json import JsonExchange

from ._helpers import KEY, Recorder, get_order, make, mark, order, position, run, snapshot, top, wallet

Env = tuple[JsonExchange, FrozenClock, Recorder]


@pytest.fixture
def env() -> Env:
    ex, clock = make()
    return ex, clock, Recorder(ex)


def test_market_info_shapes(env: Env) -> None:
    ex, _, _ = env
    info = ex.instruments_info({"category": "linear"})["list"]
    by = {i["symbol"]: i for i in info}
    assert by["BTCUSDT"]["priceFilter"]["tickSize"] == "0.10"
    assert by["SOLUSDT"]["priceFilter"]["tickSize"] == "0.010"
    assert by["ETHUSDT"]["lotSizeFilter"]["qtyStep"] == "0.01"
    assert by["SOLUSDT"]["leverageFilter"]["maxLeverage"] == "50.00"
    assert by["BTCUSDT"]["lotSizeFilter"]["minNotionalValue"] == "5"
    t = ex.market_time()
    assert int(t["timeNano"]) // 1_000_000 == ex.now_ms()
    fees = ex.account_fee_rate(KEY, {"category": "linear", "symbol": "ETHUSDT"})["list"]
    assert fees == [{"symbol": "ETHUSDT", "takerFeeRate": "0.00055", "makerFeeRate": "0.0002"}]
    trades = ex.recent_trade({"category": "linear", "symbol": "BTCUSDT", "limit": "5"})["list"]
    assert len(trades) == 5 and int(trades[0]["time"]) >= int(trades[-1]["time"])


def test_kline_newest_first_and_aggregated(env: Env) -> None:
    ex, clock, _ = env
    run(ex, clock, 50, 2_000)
    one = ex.kline({"category": "linear", "symbol": "BTCUSDT", "interval": "1", "limit": "10"})["list"]
    starts = [int(r[0]) for r in one]
    assert starts == sorted(starts, reverse=True) and starts[0] - starts[1] == 60_000
    five = ex.kline({"symbol": "BTCUSDT", "interval": "5", "limit": "3"})["list"]
    assert all(int(r[0]) % 300_000 == 0 for r in five)
    newest = five[0]
    parts = [
        r for r in ex.kline({"symbol": "BTCUSDT", "interval": "1", "limit": "5"})["list"] if r[0] >= newest[0]
    ]
    assert Decimal(newest[2]) == max(Decimal(r[2]) for r in parts)
    assert Decimal(newest[5]) == sum(Decimal(r[5]) for r in parts)
    assert newest[4] == parts[0][4] and newest[1] == parts[-1][1]
    day = ex.kline({"symbol": "BTCUSDT", "interval": "D", "limit": "2"})["list"]
    assert int(day[0][0]) % 86_400_000 == 0


def test_position_list_flat_and_settle_coin(env: Env) -> None:
    ex, _, _ = env
    flat = position(ex)
    assert (flat["size"], flat["side"], flat["leverage"]) == ("0", "", "10")
    assert ex.position_list(KEY, {"category": "linear", "settleCoin": "USDT"})["list"] == []
    order(ex, side="Sell", orderType="Market", qty="0.02")
    rows = ex.position_list(KEY, {"category": "linear", "settleCoin": "USDT"})["list"]
    assert [(r["symbol"], r["side"], r["size"]) for r in rows] == [("BTCUSDT", "Sell", "0.020")]


def test_realtime_filters_and_pagination(env: Env) -> None:
    ex, _, _ = env
    bid, _ = top(ex)
    ids = [
        order(
            ex, side="Buy", orderType="Limit", qty="0.001", price=f"{bid - 50 - i:.1f}", orderLinkId=f"L{i}"
        )["orderId"]
        for i in range(7)
    ]
    p = {"category": "linear", "symbol": "BTCUSDT", "limit": "3"}
    seen = []
    cursor = ""
    while True:
        res = ex.order_realtime(KEY, {**p, "cursor": cursor} if cursor else p)
        seen += [o["orderId"] for o in res["list"]]
        cursor = res["nextPageCursor"]
        if not cursor:
            break
    assert seen == list(reversed(ids))
    got = ex.order_realtime(KEY, {"category": "linear", "orderLinkId": "L3"})["list"]
    assert [o["orderId"] for o in got] == [ids[3]]
    res = ex.order_cancel_all(KEY, {"category": "linear", "symbol": "BTCUSDT"})
    assert len(res["list"]) == 7 and res["success"] == "1"
    assert ex.order_realtime(KEY, {"category": "linear", "settleCoin": "USDT"})["list"] == []
    hist = ex.order_history(KEY, {"category": "linear", "limit": "50"})["list"]
    assert {o["orderId"] for o in hist} >= set(ids)
    assert all(o["orderStatus"] == "Cancelled" and o["cancelType"] == "CancelByUser" for o in hist)


def test_private_pushes_on_every_change(env: Env) -> None:
    ex, _, rec = env
    bid, _ = top(ex)
    r = order(ex, side="Buy", orderType="Limit", qty="0.01", price=f"{bid - 30:.1f}")
    assert [t for _, t, _ in rec.private] == ["order", "position", "wallet"]
    assert all(k == KEY for k, _, _ in rec.private)
    assert rec.items("order")[-1]["orderStatus"] == "New"
    assert Decimal(rec.items("wallet")[-1]["coin"][0]["totalOrderIM"]) > 0
    rec.private.clear()
    ex.order_amend(KEY, {"category": "linear", "symbol": "BTCUSDT", "orderId": r["orderId"], "qty": "0.02"})
    assert [t for _, t, _ in rec.private] == ["order", "position", "wallet"]
    rec.private.clear()
    ex.order_cancel(KEY, {"category": "linear", "symbol": "BTCUSDT", "orderId": r["orderId"]})
    assert [t for _, t, _ in rec.private] == ["order", "position", "wallet"]
    assert rec.items("order")[-1]["orderStatus"] == "Cancelled"
    rec.private.clear()
    order(ex, side="Buy", orderType="Market", qty="0.01")
    assert [t for _, t, _ in rec.private] == ["order", "execution", "position", "wallet"]
    ex_item = rec.items("execution")[0]
    assert ex_item["isMaker"] is False and ex_item["feeRate"] == "0.00055"
    assert rec.items("position")[-1]["size"] == "0.010"


def test_round_trip_pnl_fees_and_closed_pnl(env: Env) -> None:
    ex, clock, rec = env
    start = Decimal(wallet(ex)["totalWalletBalance"])
    order(ex, side="Buy", orderType="Market", qty="0.05")
    run(ex, clock, 30, 100)
    order(ex, side="Sell", orderType="Market", qty="0.05", reduceOnly=True)
    assert len(ex.execution_list(KEY, {"category": "linear"})["list"]) >= 2
    execs = rec.items("execution")  # execPnl is the execution topic's (GET execution/list has none)
    assert len(execs) >= 2
    pnl = sum(Decimal(e["execPnl"]) for e in execs)
    fees = sum(Decimal(e["execFee"]) for e in execs)
    w = wallet(ex)
    assert Decimal(w["totalWalletBalance"]) == start + pnl - fees
    assert Decimal(w["totalEquity"]) == Decimal(w["totalWalletBalance"])
    closed = ex.position_closed_pnl(KEY, {"category": "linear", "symbol": "BTCUSDT"})["list"]
    assert sum(Decimal(c["closedSize"]) for c in closed) == Decimal("0.05")
    assert sum(Decimal(c["closedPnl"]) for c in closed) == pnl - fees
    pos = position(ex)
    assert pos["size"] == "0" and Decimal(pos["cumRealisedPnl"]) == pnl - fees


def test_resting_limit_fills_as_maker(env: Env) -> None:
    ex, clock, rec = env
    m = mark(ex)
    r = order(ex, side="Buy", orderType="Limit", qty="0.01", price=f"{m - 3:.1f}")
    for _ in range(3000):
        run(ex, clock, 1, 20)
        if get_order(ex, r["orderId"])["orderStatus"] == "Filled":
            break
    o = get_order(ex, r["orderId"])
    assert o["orderStatus"] == "Filled"
    execs = [e for e in rec.items("execution") if e["orderId"] == r["orderId"]]
    assert execs and all(e["isMaker"] and e["feeRate"] == "0.0002" for e in execs)
    assert all(Decimal(e["execPrice"]) <= Decimal(o["price"]) for e in execs)


def test_position_tp_sl_trigger_and_close(env: Env) -> None:
    ex, clock, rec = env
    order(ex, side="Buy", orderType="Market", qty="0.01")
    m = Decimal(ex.tickers({"category": "linear", "symbol": "BTCUSDT"})["list"][0]["lastPrice"])
    ex.position_trading_stop(
        KEY,
        {"category": "linear", "symbol": "BTCUSDT", "tpslMode": "Full", "positionIdx": 0,
         "takeProfit": f"{m + 2:.1f}", "stopLoss": f"{m - 2:.1f}"},
    )  # fmt: skip
    for _ in range(3000):
        run(ex, clock, 1, 20)
        if position(ex)["size"] == "0":
            break
    assert position(ex)["size"] == "0"
    closer = [o for o in rec.items("order") if o["stopOrderType"] in ("TakeProfit", "StopLoss")]
    assert closer and closer[-1]["orderStatus"] == "Filled" and closer[-1]["reduceOnly"] is True
    assert closer[-1]["createType"] in ("CreateByTakeProfit", "CreateByStopLoss")


def test_tp_sl_on_create_is_set_on_position(env: Env) -> None:
    ex, _, _ = env
    m = mark(ex)
    order(
        ex,
        side="Sell",
        orderType="Market",
        qty="0.01",
        takeProfit=f"{m - 1000:.1f}",
        stopLoss=f"{m + 1000:.1f}",
    )
    pos = position(ex)
    assert pos["takeProfit"] == f"{m - 1000:.2f}" and pos["stopLoss"] == f"{m + 1000:.2f}"


def test_reduce_only_resting_cancelled_when_flat(env: Env) -> None:
    ex, _, rec = env
    order(ex, side="Buy", orderType="Market", qty="0.01")
    m = mark(ex)
    r = order(ex, side="Sell", orderType="Limit", qty="0.01", price=f"{m + 200:.1f}", reduceOnly=True)
    order(ex, side="Sell", orderType="Market", qty="0.01")
    o = get_order(ex, r["orderId"])
    assert (o["orderStatus"], o["cancelType"]) == ("Cancelled", "CancelByReduceOnly")


def test_public_topics_validity_and_snapshots(env: Env) -> None:
    ex, clock, rec = env
    for bad in (
        "orderbook.500.BTCUSDT",
        "orderbook.50.DOGEUSDT",
        "kline.2.BTCUSDT",
        "tickers",
        "foo.BTCUSDT",
    ):
        assert not ex.is_valid_topic(bad)
        assert ex.public_snapshot(bad) is None
    for good in ("orderbook.1.BTCUSDT", "publicTrade.ETHUSDT", "tickers.SOLUSDT", "kline.W.BTCUSDT"):
        assert ex.is_valid_topic(good)
    ex.set_topic_interest("tickers.SOLUSDT", True)
    snap = snapshot(ex, "tickers.SOLUSDT")
    assert snap["type"] == "snapshot" and "lastPrice" in snap["data"] and "markPrice" in snap["data"]
    run(ex, clock, 50, 20)
    ticks = [m for t, m in rec.public if t == "tickers.SOLUSDT"]
    assert ticks and all(m["type"] == "delta" for m in ticks)
    state = dict(snap["data"])
    for m in ticks:
        assert m["data"]["symbol"] == "SOLUSDT"
        changed = {k: v for k, v in m["data"].items() if k != "symbol"}
        assert changed and all(state.get(k) != v for k, v in changed.items())
        state.update(changed)
    assert (
        state["lastPrice"] == ex.tickers({"category": "linear", "symbol": "SOLUSDT"})["list"][0]["lastPrice"]
    )


def test_kline_topic_confirms_closed_candle(env: Env) -> None:
    ex, clock, rec = env
    ex.set_topic_interest("kline.1.ETHUSDT", True)
    assert snapshot(ex, "kline.1.ETHUSDT")["data"][0]["confirm"] is False
    run(ex, clock, 150, 1_000)
    items = [m["data"][0] for t, m in rec.public if t == "kline.1.ETHUSDT"]
    confirmed = [i for i in items if i["confirm"]]
    assert len(confirmed) >= 2
    assert all(i["end"] - i["start"] == 59_999 for i in items)


def test_interest_off_stops_messages(env: Env) -> None:
    ex, clock, rec = env
    ex.set_topic_interest("orderbook.50.BTCUSDT", True)
    ex.public_snapshot("orderbook.50.BTCUSDT")
    run(ex, clock, 5)
    assert rec.public
    ex.set_topic_interest("orderbook.50.BTCUSDT", False)
    rec.public.clear()
    run(ex, clock, 5)
    assert rec.public == []


def test_symbols_are_correlated() -> None:
    clock_ex = make(seed=99)
    ex = clock_ex[0]
    clock = clock_ex[1]
    prev = {s: sm.fair for s, sm in ex.gen.symbols.items()}
    rets: dict[str, list[float]] = {s: [] for s in prev}
    for _ in range(3000):
        clock.advance(100)
        ex.step()
        for s, sm in ex.gen.symbols.items():
            rets[s].append(math.log(sm.fair / prev[s]))
            prev[s] = sm.fair

    def corr(a: list[float], b: list[float]) -> float:
        ma, mb = sum(a) / len(a), sum(b) / len(b)
        cov = sum((x - ma) * (y - mb) for x, y in zip(a, b, strict=True))
        va = sum((x - ma) ** 2 for x in a)
        vb = sum((y - mb) ** 2 for y in b)
        return cov / math.sqrt(va * vb)

    assert corr(rets["BTCUSDT"], rets["ETHUSDT"]) > 0.3
    assert corr(rets["BTCUSDT"], rets["SOLUSDT"]) > 0.3


def test_ticker_subscribers_joining_late_stay_consistent(env: Env) -> None:
    ex, clock, rec = env
    topic = "tickers.BTCUSDT"
    ex.set_topic_interest(topic, True)
    views = [dict(snapshot(ex, topic)["data"])]
    for i in range(40):
        run(ex, clock, 1, 37)
        for t, m in rec.public:
            if t == topic:
                for v in views:
                    v.update(m["data"])
        rec.public.clear()
        if i in (10, 25):
            views.append(dict(snapshot(ex, topic)["data"]))
    assert views[0] == views[1] == views[2]


def test_level1_is_snapshot_only_and_repushed(env: Env) -> None:
    ex, clock, rec = env
    topic = "orderbook.1.ETHUSDT"
    ex.set_topic_interest(topic, True)
    ex.public_snapshot(topic)
    run(ex, clock, 20, 5)
    msgs = [m for t, m in rec.public if t == topic]
    assert msgs and all(m["type"] == "snapshot" and len(m["data"]["b"]) == 1 for m in msgs)
    assert list(msgs[0])[:3] == ["topic", "ts", "type"]


def test_market_order_ignores_price(env: Env) -> None:
    ex, _, _ = env
    r = order(ex, side="Buy", orderType="Market", qty="0.01", price="1.23")
    assert get_order(ex, r["orderId"])["orderStatus"] == "Filled"


def test_amend_price_through_the_book_executes(env: Env) -> None:
    ex, _, rec = env
    bid, ask = top(ex)
    r = order(ex, side="Buy", orderType="Limit", qty="0.001", price=f"{bid - 20:.1f}")
    ex.order_amend(
        KEY, {"category": "linear", "symbol": "BTCUSDT", "orderId": r["orderId"], "price": f"{ask:.1f}"}
    )
    o = get_order(ex, r["orderId"])
    assert o["orderStatus"] == "Filled" and Decimal(o["avgPrice"]) <= ask
    assert [e["isMaker"] for e in rec.items("execution")] == [False]


def test_amend_post_only_through_the_book_cancels(env: Env) -> None:
    ex, _, _ = env
    bid, ask = top(ex)
    r = order(ex, side="Buy", orderType="Limit", qty="0.001", price=f"{bid - 20:.1f}", timeInForce="PostOnly")
    ex.order_amend(
        KEY, {"category": "linear", "symbol": "BTCUSDT", "orderId": r["orderId"], "price": f"{ask:.1f}"}
    )
    o = get_order(ex, r["orderId"])
    assert (o["orderStatus"], o["rejectReason"]) == ("Cancelled", "EC_PostOnlyWillTakeLiquidity")


def test_close_on_trigger_qty_zero_closes_position(env: Env) -> None:
    ex, _, _ = env
    order(ex, side="Buy", orderType="Market", qty="0.02")
    order(ex, side="Sell", orderType="Market", qty="0", reduceOnly=True, closeOnTrigger=True)
    assert position(ex)["size"] == "0"


def test_ccxt_style_string_params(env: Env) -> None:
    ex, _, _ = env
    bid, _ = top(ex)
    p: dict[str, object] = {
        "category": "linear",
        "symbol": "BTCUSDT",
        "side": "Buy",
        "orderType": "Limit",
        "qty": "0.001",
    }
    p.update({"price": f"{bid - 10:.1f}", "timeInForce": "GTC", "reduceOnly": "false", "positionIdx": "0"})
    r = ex.order_create(KEY, p)
    assert get_order(ex, r["orderId"])["orderStatus"] == "New"
    p = {"category": "linear", "symbol": "ETHUSDT", "side": "Sell", "orderType": "Market", "qty": 0.05}
    assert ex.order_create(KEY, p)["orderId"]


def test_throttled_book_pushes_stay_consistent() -> None:
    ex, clock = make(seed=5, book_interval_ms={50: 20, 1: 10})
    rec = Recorder(ex)
    topic = "orderbook.50.BTCUSDT"
    ex.set_topic_interest(topic, True)
    snap = snapshot(ex, topic)
    book = {"b": dict(map(tuple, snap["data"]["b"])), "a": dict(map(tuple, snap["data"]["a"]))}
    run(ex, clock, 200, 1)
    msgs = [m for t, m in rec.public if t == topic]
    assert 5 <= len(msgs) <= 11
    for m in msgs:
        for side in ("b", "a"):
            for p, q in m["data"][side]:
                if Decimal(q) == 0:
                    del book[side][p]
                else:
                    book[side][p] = q
    last = msgs[-1]["ts"]
    assert all(b["ts"] - a["ts"] >= 20 for a, b in zip(msgs, msgs[1:], strict=False))
    fresh = snapshot(ex, topic)
    assert fresh["data"]["u"] == msgs[-1]["data"]["u"] and last <= ex.now_ms()
    assert book["b"] == dict(map(tuple, fresh["data"]["b"]))
    assert book["a"] == dict(map(tuple, fresh["data"]["a"]))
    assert ex.public_snapshot("publicTrade.BTCUSDT") is None


def test_reduce_only_resting_cancelled_when_position_flips(env: Env) -> None:
    ex, _, _ = env
    order(ex, side="Buy", orderType="Market", qty="0.01")
    m = mark(ex)
    r = order(ex, side="Sell", orderType="Limit", qty="0.01", price=f"{m + 200:.1f}", reduceOnly=True)
    order(ex, side="Sell", orderType="Market", qty="0.03")
    assert position(ex)["side"] == "Sell"
    o = get_order(ex, r["orderId"])
    assert (o["orderStatus"], o["cancelType"]) == ("Cancelled", "CancelByReduceOnly")


def test_deep_books_of_symbols_subscribed_together_push_on_their_own_steps(env: Env) -> None:
    """Each symbol's ``orderbook.1000`` pushes every 200 ms, as on Bybit, but the symbols
    subscribed together no longer push in the same market step: all three 1,000-level deltas
    in one step made every fourth step the slowest (in process, all of it on the engine's loop)."""
    ex, clock, rec = env
    symbols = ("BTCUSDT", "ETHUSDT", "SOLUSDT")
    for sym in symbols:
        ex.set_topic_interest(f"orderbook.1000.{sym}", True)
    for sym in symbols:
        snapshot(ex, f"orderbook.1000.{sym}")
    pushed: dict[int, list[str]] = {}
    for step in range(40):  # 2 s of 50 ms steps
        rec.public.clear()
        run(ex, clock, 1, 50)
        pushed[step] = [t.rsplit(".", 1)[1] for t, m in rec.public if m["type"] == "delta"]
    assert all(len(syms) <= 1 for syms in pushed.values()), pushed
    for sym in symbols:
        steps = [s for s, syms in pushed.items() if sym in syms]
        assert len(steps) >= 9 and all(b - a == 4 for a, b in zip(steps, steps[1:], strict=False)), steps
