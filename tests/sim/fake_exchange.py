"""Temporary stand-in for core.sim.exchange.SimExchange (deleted once the real one lands)."""

from __future__ import annotations

import random
from decimal import Decimal as D
from typing import Any


class SimError(Exception):
    def __init__(self, ret_code: int, ret_msg: str) -> None:
        super().__init__(ret_code, ret_msg)
        self.ret_code, self.ret_msg = ret_code, ret_msg


class FakeExchange:
    def __init__(
        self, *, seed: int, clock: Any, starting_balance: D = D("100000"), symbols=("BTCUSDT", "ETHUSDT")
    ):
        self.rng = random.Random(seed)
        self.clock = clock
        self.symbols = symbols
        self.books = {s: ({}, {}) for s in symbols}
        for s in symbols:
            mid = 50000 if s == "BTCUSDT" else 3000
            bids, asks = self.books[s]
            for i in range(1, 30):
                bids[D(mid) - D(i) / 10] = D("1.000")
                asks[D(mid) + D(i) / 10] = D("1.000")
        self.u = dict.fromkeys(symbols, 1)
        self.pub: list = []
        self.priv: list = []
        self.interest: set[str] = set()
        self.accounts: dict[str, dict] = {}
        self.balance0 = starting_balance
        self.oid = 0

    def now_ms(self) -> int:
        return self.clock.now_ms()

    def ensure_account(self, api_key: str) -> None:
        self.accounts.setdefault(api_key, {"orders": {}, "pos": {}, "bal": self.balance0, "lev": {}})

    def add_public_listener(self, cb):
        self.pub.append(cb)

    def add_private_listener(self, cb):
        self.priv.append(cb)

    def set_topic_interest(self, topic, interested):
        (self.interest.add if interested else self.interest.discard)(topic)

    def is_valid_topic(self, topic: str) -> bool:
        parts = topic.split(".")
        if parts[0] == "orderbook":
            return len(parts) == 3 and parts[1] in ("1", "50", "200", "1000") and parts[2] in self.symbols
        return len(parts) == 2 and parts[0] in ("tickers", "publicTrade") and parts[1] in self.symbols

    def _book_msg(self, sym, kind, bids, asks):
        return {
            "topic": f"orderbook.50.{sym}",
            "type": kind,
            "ts": self.now_ms(),
            "data": {"s": sym, "b": bids, "a": asks, "u": self.u[sym], "seq": self.u[sym]},
            "cts": self.now_ms(),
        }

    def public_snapshot(self, topic: str):
        if not self.is_valid_topic(topic):
            return None
        sym = topic.rsplit(".", 1)[1]
        if topic.startswith("orderbook"):
            bids, asks = self.books[sym]
            msg = self._book_msg(
                sym,
                "snapshot",
                [[str(p), str(q)] for p, q in sorted(bids.items(), reverse=True)],
                [[str(p), str(q)] for p, q in sorted(asks.items())],
            )
            msg["topic"] = topic
            return msg
        if topic.startswith("tickers"):
            return {
                "topic": topic,
                "type": "snapshot",
                "ts": self.now_ms(),
                "cs": 1,
                "data": self._ticker(sym),
            }
        return None

    def _ticker(self, sym):
        bids, asks = self.books[sym]
        return {
            "symbol": sym,
            "lastPrice": str(max(bids)),
            "bid1Price": str(max(bids)),
            "ask1Price": str(min(asks)),
            "markPrice": str(max(bids)),
            "bid1Size": "1",
            "ask1Size": "1",
            "volume24h": "10",
            "turnover24h": "1",
            "highPrice24h": str(min(asks)),
            "lowPrice24h": str(max(bids)),
            "prevPrice24h": str(max(bids)),
            "price24hPcnt": "0",
            "indexPrice": str(max(bids)),
            "openInterest": "1",
            "fundingRate": "0.0001",
            "nextFundingTime": "0",
        }

    def step(self, now_ms: int | None = None) -> None:
        for sym in self.symbols:
            bids, asks = self.books[sym]
            self.u[sym] += 1
            side = self.rng.choice("ba")
            book = bids if side == "b" else asks
            p = self.rng.choice(sorted(book))
            q = D(self.rng.randint(0, 5)) / 2
            if q == 0 and len(book) > 5:
                del book[p]
            else:
                q = q or D("0.5")
                book[p] = q
            delta = [[str(p), str(q if q else 0)]]
            msg = self._book_msg(sym, "delta", delta if side == "b" else [], delta if side == "a" else [])
            for depth in ("1", "50", "200", "1000"):
                t = f"orderbook.{depth}.{sym}"
                if t in self.interest:
                    m = dict(msg)
                    m["topic"] = t
                    for cb in self.pub:
                        cb(t, m)

    def market_time(self):
        ms = self.now_ms()
        return {"timeSecond": str(ms // 1000), "timeNano": str(ms * 1_000_000)}

    def instruments_info(self, params):
        lst = [
            {
                "symbol": s,
                "contractType": "LinearPerpetual",
                "status": "Trading",
                "baseCoin": s[:-4],
                "quoteCoin": "USDT",
                "settleCoin": "USDT",
                "priceScale": "2",
                "launchTime": "0",
                "deliveryTime": "0",
                "leverageFilter": {"minLeverage": "1", "maxLeverage": "100.00", "leverageStep": "0.01"},
                "priceFilter": {"minPrice": "0.10", "maxPrice": "1999999.80", "tickSize": "0.10"},
                "lotSizeFilter": {
                    "maxOrderQty": "100.000",
                    "minOrderQty": "0.001",
                    "qtyStep": "0.001",
                    "maxMktOrderQty": "50.000",
                    "minNotionalValue": "5",
                },
                "fundingInterval": 480,
                "unifiedMarginTrade": True,
                "copyTrading": "both",
            }
            for s in self.symbols
            if params.get("symbol") in (None, s)
        ]
        return {"category": "linear", "list": lst, "nextPageCursor": ""}

    def tickers(self, params):
        return {
            "category": "linear",
            "list": [self._ticker(s) for s in self.symbols if params.get("symbol") in (None, s)],
        }

    def kline(self, params):
        return {
            "category": "linear",
            "symbol": params["symbol"],
            "list": [["0", "1", "2", "0.5", "1.5", "10", "15"]],
        }

    def orderbook(self, params):
        sym = params.get("symbol")
        if sym not in self.books:
            raise SimError(10001, "Not supported symbols")
        bids, asks = self.books[sym]
        n = int(params.get("limit", 25))
        return {
            "s": sym,
            "b": [[str(p), str(q)] for p, q in sorted(bids.items(), reverse=True)][:n],
            "a": [[str(p), str(q)] for p, q in sorted(asks.items())][:n],
            "ts": self.now_ms(),
            "u": self.u[sym],
            "seq": self.u[sym],
            "cts": self.now_ms(),
        }

    def recent_trade(self, params):
        return {"category": "linear", "list": []}

    def _emit(self, key, topic, items):
        for cb in self.priv:
            cb(key, topic, items)

    def order_create(self, key, p):
        acct = self.accounts[key]
        if p.get("symbol") not in self.books:
            raise SimError(10001, "params error: symbol invalid")
        qty = D(str(p.get("qty", "0")))
        if qty < D("0.001") or qty > D(100):
            raise SimError(10001, "The number of contracts exceeds minimum limit allowed")
        price = D(str(p.get("price") or "0"))
        if p.get("orderType") == "Limit" and (price <= 0 or price % D("0.1")):
            raise SimError(10001, "price invalid")
        bids, asks = self.books[p["symbol"]]
        px = price or (min(asks) if p["side"] == "Buy" else max(bids))
        if qty * px > acct["bal"] * 10:
            raise SimError(110007, "ab not enough for new order")
        pos = acct["pos"].get(p["symbol"], D(0))
        if p.get("reduceOnly") and (pos == 0 or (pos > 0) == (p["side"] == "Buy")):
            raise SimError(110017, "Reduce-only rule not satisfied")
        self.oid += 1
        oid = f"o{self.oid}"
        o = {
            "orderId": oid,
            "orderLinkId": p.get("orderLinkId", ""),
            "symbol": p["symbol"],
            "side": p["side"],
            "orderType": p.get("orderType", "Limit"),
            "price": str(price),
            "qty": str(qty),
            "orderStatus": "New",
            "leavesQty": str(qty),
            "cumExecQty": "0",
            "category": "linear",
            "timeInForce": "GTC",
            "createdTime": str(self.now_ms()),
            "updatedTime": str(self.now_ms()),
            "avgPrice": "",
            "reduceOnly": bool(p.get("reduceOnly")),
            "positionIdx": 0,
        }
        crosses = (
            p.get("orderType") == "Market"
            or (p["side"] == "Buy" and price >= min(asks))
            or (p["side"] == "Sell" and price <= max(bids))
        )
        if crosses:
            o.update(orderStatus="Filled", leavesQty="0", cumExecQty=str(qty), avgPrice=str(px))
            acct["pos"][p["symbol"]] = pos + (qty if p["side"] == "Buy" else -qty)
            self._emit(key, "order", [o])
            self._emit(
                key,
                "execution",
                [
                    {
                        "symbol": p["symbol"],
                        "orderId": oid,
                        "execQty": str(qty),
                        "execPrice": str(px),
                        "side": p["side"],
                        "category": "linear",
                    }
                ],
            )
            self._emit(key, "position", self.position_list(key, {"symbol": p["symbol"]})["list"])
            self._emit(key, "wallet", self.account_wallet_balance(key, {})["list"])
        else:
            acct["orders"][oid] = o
            self._emit(key, "order", [o])
        return {"orderId": oid, "orderLinkId": o["orderLinkId"]}

    def _find(self, key, p):
        for o in self.accounts[key]["orders"].values():
            if o["orderId"] == p.get("orderId") or (
                p.get("orderLinkId") and o["orderLinkId"] == p.get("orderLinkId")
            ):
                return o
        raise SimError(110001, "order not exists or too late to cancel")

    def order_amend(self, key, p):
        o = self._find(key, p)
        if "price" in p:
            o["price"] = str(p["price"])
        if "qty" in p:
            o["qty"] = o["leavesQty"] = str(p["qty"])
        return {"orderId": o["orderId"], "orderLinkId": o["orderLinkId"]}

    def order_cancel(self, key, p):
        o = self._find(key, p)
        del self.accounts[key]["orders"][o["orderId"]]
        o["orderStatus"] = "Cancelled"
        self._emit(key, "order", [o])
        return {"orderId": o["orderId"], "orderLinkId": o["orderLinkId"]}

    def order_cancel_all(self, key, p):
        orders = self.accounts[key]["orders"]
        out = [{"orderId": o["orderId"], "orderLinkId": o["orderLinkId"]} for o in orders.values()]
        orders.clear()
        return {"list": out, "success": "1"}

    def order_realtime(self, key, p):
        return {
            "category": "linear",
            "list": list(self.accounts[key]["orders"].values()),
            "nextPageCursor": "",
        }

    def order_history(self, key, p):
        return {"category": "linear", "list": [], "nextPageCursor": ""}

    def execution_list(self, key, p):
        return {"category": "linear", "list": [], "nextPageCursor": ""}

    def position_list(self, key, p):
        out = []
        for s in self.symbols:
            if p.get("symbol") not in (None, s):
                continue
            size = self.accounts[key]["pos"].get(s, D(0))
            if p.get("symbol") is None and size == 0:
                continue
            out.append(
                {
                    "symbol": s,
                    "side": "Buy" if size > 0 else "Sell" if size < 0 else "",
                    "size": str(abs(size)),
                    "positionIdx": 0,
                    "avgPrice": "50000",
                    "leverage": self.accounts[key]["lev"].get(s, "10"),
                    "markPrice": "50000",
                    "unrealisedPnl": "0",
                    "positionValue": "0",
                    "liqPrice": "",
                    "cumRealisedPnl": "0",
                    "createdTime": "0",
                    "updatedTime": "0",
                    "category": "linear",
                    "takeProfit": "",
                    "stopLoss": "",
                    "tradeMode": 0,
                    "positionStatus": "Normal",
                    "positionIM": "0",
                    "positionMM": "0",
                }
            )
        return {"category": "linear", "list": out, "nextPageCursor": ""}

    def position_set_leverage(self, key, p):
        lev = self.accounts[key]["lev"]
        if lev.get(p["symbol"]) == p["buyLeverage"]:
            raise SimError(110043, "Set leverage not modified")
        lev[p["symbol"]] = p["buyLeverage"]
        return {}

    def position_trading_stop(self, key, p):
        return {}

    def position_closed_pnl(self, key, p):
        return {"category": "linear", "list": [], "nextPageCursor": ""}

    def account_wallet_balance(self, key, p):
        b = str(self.accounts[key]["bal"])
        return {
            "list": [
                {
                    "accountType": "UNIFIED",
                    "totalEquity": b,
                    "totalWalletBalance": b,
                    "totalAvailableBalance": b,
                    "totalMarginBalance": b,
                    "totalInitialMargin": "0",
                    "totalMaintenanceMargin": "0",
                    "totalPerpUPL": "0",
                    "accountIMRate": "0",
                    "accountMMRate": "0",
                    "coin": [
                        {
                            "coin": "USDT",
                            "equity": b,
                            "walletBalance": b,
                            "usdValue": b,
                            "locked": "0",
                            "unrealisedPnl": "0",
                            "cumRealisedPnl": "0",
                            "totalOrderIM": "0",
                            "totalPositionIM": "0",
                            "totalPositionMM": "0",
                            "borrowAmount": "0",
                            "availableToWithdraw": b,
                            "marginCollateral": True,
                            "collateralSwitch": True,
                        }
                    ],
                }
            ]
        }

    def account_fee_rate(self, key, p):
        return {
            "list": [{"symbol": s, "takerFeeRate": "0.00055", "makerFeeRate": "0.0002"} for s in self.symbols]
        }
