"""Property tests: book views, matching and accounting invariants, determinism."""

from __future__ import annotations

import os
from collections import defaultdict
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.sim.book import ASK, BID, Book, DepthView
from core.sim.exchange import SimError
from tests.support.sim_json import JsonExchange

from ._helpers import KEY, Recorder, make, mark, run

SETTINGS = settings(
    max_examples=int(os.environ.get("SIM_CORE_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


# --- depth views on a raw book ---------------------------------------------------------------
BookOp = tuple[int, int, int]
"""(side, ticks from 1000, lots)."""
book_ops = st.lists(
    st.tuples(st.sampled_from([BID, ASK]), st.integers(1, 60), st.integers(0, 5)),
    min_size=1,
    max_size=80,
)


@SETTINGS
@given(
    initial=book_ops,
    batches=st.lists(book_ops, min_size=1, max_size=6),
    depth=st.sampled_from([1, 3, 10]),
)
def test_depth_view_deltas_reproduce_top_n(
    initial: list[BookOp], batches: list[list[BookOp]], depth: int
) -> None:
    book = Book()
    for sign, off, lots in initial:
        tick = 1000 + off if sign == ASK else 1000 - off
        book.side(sign).set(tick, lots)
    view = DepthView(book, depth, 1)
    client_b, client_a = (dict(x) for x in view.levels())
    for batch in batches:
        for sign, off, lots in batch:
            tick = 1000 + off if sign == ASK else 1000 - off
            book.side(sign).set(tick, lots)
        db, da = view.diff()
        for client, changes in ((client_b, db), (client_a, da)):
            for t, sz in changes.items():
                if sz == 0:
                    assert t in client, "delete of a price the client does not have"
                    del client[t]
                else:
                    client[t] = sz
        assert client_b == dict(book.bids.top(depth))
        assert client_a == dict(book.asks.top(depth))


# --- depth topics end to end -----------------------------------------------------------------
def _apply(state: dict[str, dict[str, str]], msg: dict[str, Any]) -> None:
    data = msg["data"]
    if msg["type"] == "snapshot":
        state["b"] = {p: s for p, s in data["b"]}
        state["a"] = {p: s for p, s in data["a"]}
        return
    for side in ("b", "a"):
        for p, s in data[side]:
            if Decimal(s) == 0:
                assert p in state[side], f"delete of absent price {p}"
                del state[side][p]
            else:
                state[side][p] = s


actions = st.lists(
    st.one_of(
        st.tuples(st.just("step"), st.integers(1, 400)),
        st.tuples(st.sampled_from(["buy", "sell"]), st.integers(1, 3000)),
        st.tuples(st.just("toggle"), st.integers(0, 3)),
    ),
    min_size=1,
    max_size=25,
)


@settings(
    max_examples=int(os.environ.get("SIM_CORE_BOOK_EXAMPLES", "30")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(seed=st.integers(0, 2**16), acts=actions)
def test_orderbook_topics_stay_consistent(seed: int, acts: list[tuple[str, int]]) -> None:
    # Every depth pushes on every step here (no 100/200 ms cadence for 200/1000): the property is
    # that each topic's deltas keep a client's view equal to the book; the cadence only spaces them.
    ex, clock = make(seed=seed, starting_balance=Decimal("10000000"), book_interval_ms={})
    topics = [f"orderbook.{d}.ETHUSDT" for d in (1, 50, 200, 1000)]
    states: dict[str, dict[str, dict[str, str]]] = {}
    last_u: dict[str, int] = {}

    def on_msg(topic: str, msg: dict[str, Any]) -> None:
        if topic in states:
            assert msg["data"]["u"] == last_u[topic] + 1
            last_u[topic] = msg["data"]["u"]
            if topic.startswith("orderbook.1."):
                assert msg["type"] == "snapshot"
            _apply(states[topic], msg)

    ex.add_public_listener(on_msg)

    def subscribe(t: str) -> None:
        ex.set_topic_interest(t, True)
        snap = ex.public_snapshot(t)
        assert snap is not None and snap["type"] == "snapshot"
        states[t] = {"b": {}, "a": {}}
        last_u[t] = snap["data"]["u"]
        _apply(states[t], snap)

    for t in topics:
        subscribe(t)
    for kind, arg in acts:
        if kind == "step":
            clock.advance(arg)
            ex.step()
        elif kind == "toggle":
            t = topics[arg]
            if t in states:
                ex.set_topic_interest(t, False)
                del states[t]
            else:
                subscribe(t)
            continue
        else:
            qty = Decimal(arg) / 100
            try:
                ex.order_create(
                    KEY,
                    {
                        "category": "linear",
                        "symbol": "ETHUSDT",
                        "side": kind.title(),
                        "orderType": "Market",
                        "qty": f"{qty}",
                    },
                )
            except SimError as e:
                assert e.ret_code in (10001, 110007)
            clock.advance(1)
            ex.step()
        ob = ex.orderbook({"category": "linear", "symbol": "ETHUSDT", "limit": "1000"})
        assert Decimal(ob["b"][0][0]) < Decimal(ob["a"][0][0]), "crossed book"
        for t, st_ in states.items():
            n = int(t.split(".")[1])
            fresh = ex.orderbook({"category": "linear", "symbol": "ETHUSDT", "limit": str(n)})
            assert st_["b"] == {p: s for p, s in fresh["b"]}, t
            assert st_["a"] == {p: s for p, s in fresh["a"]}, t


# --- trading invariants ----------------------------------------------------------------------
trade_actions = st.lists(
    st.one_of(
        st.tuples(
            st.just("limit"), st.sampled_from(["Buy", "Sell"]), st.integers(-40, 40), st.integers(1, 50)
        ),
        st.tuples(st.just("market"), st.sampled_from(["Buy", "Sell"]), st.integers(0, 0), st.integers(1, 50)),
        st.tuples(
            st.just("reduce"), st.sampled_from(["Buy", "Sell"]), st.integers(-5, 5), st.integers(1, 80)
        ),
        st.tuples(st.just("cancel"), st.just(""), st.integers(0, 20), st.integers(0, 0)),
        st.tuples(st.just("amend"), st.just(""), st.integers(-20, 20), st.integers(1, 60)),
        st.tuples(st.just("step"), st.just(""), st.integers(1, 30), st.integers(10, 200)),
        st.tuples(
            st.just("cond"), st.sampled_from(["Buy", "Sell"]), st.integers(-20, 20), st.integers(1, 30)
        ),
    ),
    min_size=1,
    max_size=40,
)


def _check_invariants(ex: JsonExchange, rec: Recorder, start: Decimal) -> None:
    execs: list[dict[str, Any]] = list(ex.accounts[KEY].executions)
    orders: dict[str, dict[str, Any]] = {}
    for it in rec.items("order"):  # every pushed state, not only the latest
        qty, done, leaves = Decimal(it["qty"]), Decimal(it["cumExecQty"]), Decimal(it["leavesQty"])
        if it["orderStatus"] in ("New", "PartiallyFilled", "Untriggered", "Triggered"):
            assert done + leaves == qty
        else:
            assert leaves == 0 and done <= qty
        orders[it["orderId"]] = it
    cum: dict[str, Decimal] = defaultdict(Decimal)
    pos: dict[str, Decimal] = defaultdict(Decimal)
    pnl = fee = Decimal(0)
    for e in execs:
        o = orders[e["orderId"]]
        px, opx = Decimal(e["execPrice"]), Decimal(e["orderPrice"])
        assert (px <= opx) if e["side"] == "Buy" else (px >= opx), "fill outside the limit price"
        q = Decimal(e["execQty"])
        before = pos[e["symbol"]]
        pos[e["symbol"]] += q if e["side"] == "Buy" else -q
        if o["reduceOnly"]:
            after = pos[e["symbol"]]
            assert abs(after) < abs(before) and after * before >= 0, "reduce-only grew the position"
        cum[e["orderId"]] += q
        pnl += Decimal(e["execPnl"])
        fee += Decimal(e["execFee"])
    for oid, o in orders.items():
        qty, done, leaves = Decimal(o["qty"]), Decimal(o["cumExecQty"]), Decimal(o["leavesQty"])
        assert done == cum[oid]
        if o["orderStatus"] in ("New", "PartiallyFilled", "Untriggered"):
            assert done + leaves == qty
        else:
            assert leaves == 0 and done <= qty
            if o["orderStatus"] == "Filled":
                assert done == qty
    w = ex.account_wallet_balance(KEY, {"accountType": "UNIFIED"})["list"][0]
    assert Decimal(w["totalWalletBalance"]) == start + pnl - fee
    for sym in ex.gen.symbols:
        row = ex.position_list(KEY, {"category": "linear", "symbol": sym})["list"][0]
        signed = Decimal(row["size"]) * (-1 if row["side"] == "Sell" else 1)
        assert signed == pos[sym]


@SETTINGS
@given(seed=st.integers(0, 2**16), acts=trade_actions)
def test_trading_invariants(seed: int, acts: list[tuple[str, str, int, int]]) -> None:
    start = Decimal("50000")
    ex, clock = make(seed=seed, starting_balance=start)
    rec = Recorder(ex)
    for kind, side, a, b in acts:
        m = mark(ex, "SOLUSDT")
        base = {"category": "linear", "symbol": "SOLUSDT"}
        try:
            if kind == "limit":
                price = m + Decimal("0.01") * a * 5
                ex.order_create(
                    KEY, {**base, "side": side, "orderType": "Limit", "qty": f"{b}", "price": f"{price:.3f}"}
                )
            elif kind == "market":
                ex.order_create(KEY, {**base, "side": side, "orderType": "Market", "qty": f"{b}"})
            elif kind == "reduce":
                p = {**base, "side": side, "qty": f"{b}", "reduceOnly": True}
                if a:
                    p.update(orderType="Limit", price=f"{m + Decimal('0.01') * a * 5:.3f}")
                else:
                    p["orderType"] = "Market"
                ex.order_create(KEY, p)
            elif kind == "cond":
                last = Decimal(ex.tickers(base)["list"][0]["lastPrice"])
                trig = last + Decimal("0.01") * a
                p = {
                    **base,
                    "side": side,
                    "orderType": "Market",
                    "qty": f"{b}",
                    "triggerPrice": f"{trig:.3f}",
                }
                p["triggerDirection"] = 1 if a > 0 else 2
                ex.order_create(KEY, p)
            elif kind in ("cancel", "amend"):
                opened = ex.order_realtime(KEY, {**base, "limit": "50"})["list"]
                if opened:
                    o = opened[a % len(opened)]
                    if kind == "cancel":
                        ex.order_cancel(KEY, {**base, "orderId": o["orderId"]})
                    else:
                        new_px = Decimal(o["price"]) + Decimal("0.01") * a
                        ex.order_amend(
                            KEY, {**base, "orderId": o["orderId"], "qty": f"{b}", "price": f"{new_px:.3f}"}
                        )
            else:
                run(ex, clock, a, b)
                ob = ex.orderbook({"category": "linear", "symbol": "SOLUSDT", "limit": "1"})
                assert Decimal(ob["b"][0][0]) < Decimal(ob["a"][0][0])
        except SimError as e:
            assert e.ret_code in (10001, 110003, 110007, 110008, 110017, 110092, 110093, 110094), e
        _check_invariants(ex, rec, start)


# --- determinism -----------------------------------------------------------------------------
def _session(seed: int) -> list[Any]:
    ex, clock = make(seed=seed)
    rec = Recorder(ex)
    for t in ("orderbook.50.BTCUSDT", "publicTrade.SOLUSDT", "tickers.ETHUSDT", "kline.1.BTCUSDT"):
        ex.set_topic_interest(t, True)
        rec.public.append((t, ex.public_snapshot(t) or {}))
    out: list[Any] = []
    for i in range(300):
        clock.advance(7 + i % 5)
        ex.step()
        if i % 50 == 10:
            m = mark(ex)
            out.append(
                ex.order_create(
                    KEY,
                    {
                        "category": "linear",
                        "symbol": "BTCUSDT",
                        "side": "Buy",
                        "orderType": "Limit",
                        "qty": "0.01",
                        "price": f"{m - 5:.1f}",
                    },
                )
            )
            out.append(
                ex.order_create(
                    KEY,
                    {
                        "category": "linear",
                        "symbol": "BTCUSDT",
                        "side": "Sell",
                        "orderType": "Market",
                        "qty": "0.005",
                    },
                )
            )
    out.append(ex.execution_list(KEY, {"category": "linear"}))
    out.append(ex.account_wallet_balance(KEY, {"accountType": "UNIFIED"}))
    out.append(ex.kline({"category": "linear", "symbol": "BTCUSDT", "interval": "1", "limit": "5"}))
    return [out, rec.public, rec.private]


def test_same_seed_same_outputs() -> None:
    a, b = _session(11), _session(11)
    assert a == b
    assert len(a[1]) > 300
    assert _session(12)[1] != a[1]
