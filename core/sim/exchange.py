"""The sim venue's exchange core: one facade over the market generator, matcher and accounts.

The network layer calls these methods with decoded request parameters and serialises what they
return (the Bybit ``result`` object) or the :class:`SimError` they raise. Nothing here does I/O or
reads wall time: time comes from the injected clock (or ``step(now_ms)``), randomness from ``seed``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal

from core.clock import Clock
from core.sim import _orderapi, dcp, trailing
from core.sim._common import (
    Params,
    SimError,
    get_dec,
    get_int,
    get_str,
    limit_param,
    paginate,
    require_linear,
    time_window,
)
from core.sim._orders import Order
from core.sim._public import PublicFeed
from core.sim.accounts import Account, available_balance, wallet_dict
from core.sim.funding import FundingSchedule
from core.sim.instruments import MAKER_FEE, SPECS, TAKER_FEE, InstrumentSpec
from core.sim.liquidation import Liquidator
from core.sim.market import MarketGenerator, SymbolMarket
from core.sim.matching import Matcher

__all__ = ["SimError", "SimExchange"]

PublicListener = Callable[[str, dict[str, object]], None]
PrivateListener = Callable[[str, str, list[dict[str, object]]], None]
PRIVATE_TOPICS = ("order", "execution", "position", "wallet")
_WS_ONLY_EXEC = frozenset({"category", "execPnl", "isLeverage", "marketUnit"})
"""Execution fields the private topic documents and GET /v5/execution/list does not."""
Result = dict[str, object]


class SimExchange:
    """Bybit V5 linear exchange core: REST handlers, a market ``step()``, and WS message listeners."""

    def __init__(
        self,
        *,
        seed: int,
        clock: Clock,
        starting_balance: Decimal = Decimal("100000"),
        symbols: Sequence[str] = ("BTCUSDT", "ETHUSDT", "SOLUSDT"),
        ticker_interval_ms: int = 100,
        kline_interval_ms: int = 1000,
        book_interval_ms: Mapping[int, int] | None = None,
    ) -> None:
        """``book_interval_ms`` maps an orderbook depth to its minimum push interval (Bybit: 1→10,
        50→20, 200→100, 1000→200 ms); by default the deep books (200, 1000) keep Bybit's intervals and
        the others push at every step with a change."""
        unknown = [s for s in symbols if s not in SPECS]
        if unknown:
            raise ValueError(f"unknown sim symbols: {unknown}")
        self.clock = clock
        self.starting_balance = starting_balance
        self.gen = MarketGenerator(seed, [SPECS[s] for s in symbols], clock.now_ms())
        self.matcher = Matcher(self.gen, self._emit, seed)
        self.public = PublicFeed(self.gen, ticker_interval_ms, kline_interval_ms, book_interval_ms)
        self.accounts: dict[str, Account] = self.matcher.accounts
        self._public_listeners: list[PublicListener] = []
        self._private_listeners: list[PrivateListener] = []
        self._outbox: dict[str, dict[str, list[dict[str, object]]]] = {}
        self.dcp = dcp.DcpBook()
        """Disconnection protection per account (the network layer reports dcp connections)."""
        self.funding = FundingSchedule(clock.now_ms())
        self.liquidator = Liquidator(self.matcher)
        """Liquidates a position when the mark price reaches its liquidation price."""
        """Funding times and rates; every open position settles at each funding time."""

    # --- time, accounts, listeners -----------------------------------------------------------
    def now_ms(self) -> int:
        """Milliseconds from the injected clock."""
        return self.clock.now_ms()

    def ensure_account(self, api_key: str) -> None:
        """Create a UNIFIED account with the starting USDT balance on first use."""
        if api_key not in self.accounts:
            self.accounts[api_key] = Account(api_key, self.starting_balance)

    def _acct(self, api_key: str) -> Account:
        self.ensure_account(api_key)
        self.matcher.now = self.now_ms()
        return self.accounts[api_key]

    def add_public_listener(self, cb: PublicListener) -> None:
        """Register ``cb(topic, message)`` for public WS messages."""
        self._public_listeners.append(cb)

    def add_private_listener(self, cb: PrivateListener) -> None:
        """Register ``cb(api_key, topic, items)`` for the private topics."""
        self._private_listeners.append(cb)

    def set_topic_interest(self, topic: str, interested: bool) -> None:
        """Generate messages for ``topic`` only while it has subscribers.

        Call with True before :meth:`public_snapshot` so the snapshot and later deltas share one view.
        """
        self.public.set_interest(topic, interested)

    def set_bar_mode(self, on: bool) -> None:
        """Bar mode (a backtest driving the market bar by bar): ticker deltas carry prices and
        the top of book only, not the 24 h statistics."""
        self.public.lean_tickers = on

    def is_valid_topic(self, topic: str) -> bool:
        """True for orderbook.{1,50,200,1000}.S, publicTrade.S, tickers.S and kline.{interval}.S."""
        return self.public.parse(topic) is not None

    def public_snapshot(self, topic: str) -> dict[str, object] | None:
        """The first message for a new subscriber, or None for an invalid topic."""
        return self.public.snapshot(topic, self.now_ms())

    def _emit(self, api_key: str, topic: str, item: dict[str, object]) -> None:
        self._outbox.setdefault(api_key, {}).setdefault(topic, []).append(item)

    def _flush(self) -> None:
        if not self._outbox:
            return
        box, self._outbox = self._outbox, {}
        for key, topics in box.items():
            for topic in PRIVATE_TOPICS:
                items = topics.get(topic)
                if not items:
                    continue
                if topic in ("position", "wallet"):
                    items = _last_per(items, "symbol" if topic == "position" else "accountType")
                for cb in self._private_listeners:
                    cb(key, topic, items)

    # --- the market --------------------------------------------------------------------------
    def step(self, now_ms: int | None = None) -> None:
        """Advance the market one tick and publish what changed to the listeners."""
        now = self.now_ms() if now_ms is None else now_ms
        if self.funding.due(now):
            self._settle_funding(now)
        self.matcher.now = now
        self.gen.step(now)
        self._after_market(now)

    def drive(self, symbol: str, price: float, now_ms: int | None = None, take: int = 0) -> None:
        """Move ``symbol``'s market to ``price`` at once (a backtest's bar price) and publish it:
        resting orders, conditionals and TP/SL are matched against the trade printed there.
        ``take`` (1 buy, -1 sell): the book quotes the price on that side for an order about to
        take it (:meth:`MarketGenerator.drive`)."""
        now = self.now_ms() if now_ms is None else now_ms
        if self.funding.due(now):
            self._settle_funding(now)
        self.matcher.now = now
        self.gen.drive(symbol, price, now, take)
        self._after_market(now)

    def _settle_funding(self, now: int) -> None:
        """Settle every funding time up to ``now`` at the marks standing before the market moves."""
        matcher = self.matcher
        marks = self.gen.symbols
        while self.funding.due(now):
            matcher.now = self.funding.next_ms
            if self.funding.settle(
                self.accounts.values(), lambda s: marks[s].mark_tick(), self._emit, matcher.new_exec_id
            ):
                for acct in self.accounts.values():
                    for pos in acct.positions.values():
                        if pos.size:
                            matcher.push_state(acct, pos.spec)

    def _after_market(self, now: int) -> None:
        """Match, fire disconnection protection, and publish what the market's move changed."""
        self.matcher.on_market()
        self.liquidator.check(self.accounts.values())
        self._fire_dcp(now)
        self._flush()
        if self.public.interest:
            cbs = self._public_listeners

            def fan(topic: str, msg: dict[str, object]) -> None:
                for cb in cbs:
                    cb(topic, msg)

            self.public.publish(now, fan)
        for sm in self.gen.symbols.values():
            sm.trades.clear()

    # --- disconnection protection ------------------------------------------------------------
    def dcp_alive(self, api_key: str, conn_id: str) -> None:
        """A private connection subscribed a linear dcp topic, or pinged on one."""
        self.dcp.alive(api_key, conn_id, self.now_ms())

    def dcp_unsubscribed(self, api_key: str, conn_id: str) -> None:
        """A private connection unsubscribed its last dcp topic."""
        self.dcp.forget(api_key, conn_id)

    def dcp_lost(self, api_key: str, conn_id: str) -> None:
        """A private connection that had subscribed dcp went away."""
        self.dcp.lost(api_key, conn_id, self.now_ms())

    def order_disconnected_cancel_all(self, api_key: str, params: Params) -> Result:
        """POST /v5/order/disconnected-cancel-all (the result is empty)."""
        self._acct(api_key)
        self.dcp.set_window(api_key, params)
        return {}

    def _fire_dcp(self, now: int) -> None:
        for key in self.dcp.due(now):
            acct = self.accounts.get(key)
            if acct is not None:
                dcp.cancel_active(self.matcher, acct)

    # --- public REST -------------------------------------------------------------------------
    def market_time(self) -> Result:
        """GET /v5/market/time."""
        now = self.now_ms()
        return {"timeSecond": str(now // 1000), "timeNano": str(now * 1_000_000)}

    def instruments_info(self, params: Params) -> Result:
        """GET /v5/market/instruments-info."""
        require_linear(params)
        sym = get_str(params, "symbol")
        status = get_str(params, "status")
        base = get_str(params, "baseCoin")
        items = [sm.spec.info() for sm in self.gen.symbols.values()]
        if sym is not None:
            items = [i for i in items if i["symbol"] == sym]
        if status is not None:
            items = [i for i in items if i["status"] == status]
        if base is not None:
            items = [i for i in items if i["baseCoin"] == base]
        page, nxt = paginate(items, params, limit_param(params, 500, 1000))
        return {"category": "linear", "list": page, "nextPageCursor": nxt}

    def tickers(self, params: Params) -> Result:
        """GET /v5/market/tickers."""
        return self.public.tickers_rest(params, self.now_ms())

    def kline(self, params: Params) -> Result:
        """GET /v5/market/kline (newest first)."""
        return self.public.kline_rest(params, self.now_ms())

    def orderbook(self, params: Params) -> Result:
        """GET /v5/market/orderbook."""
        return self.public.orderbook_rest(params, self.now_ms())

    def recent_trade(self, params: Params) -> Result:
        """GET /v5/market/recent-trade."""
        return self.public.recent_trade_rest(params)

    # --- trade -------------------------------------------------------------------------------
    def _run(self, fn: Callable[[], Result]) -> Result:
        try:
            return fn()
        finally:
            self._flush()

    def order_create(self, api_key: str, params: Params) -> Result:
        """POST /v5/order/create."""
        acct = self._acct(api_key)

        def go() -> Result:
            o = _orderapi.create_order(self.matcher, acct, params)
            return {"orderId": o.order_id, "orderLinkId": o.link_id}

        return self._run(go)

    def order_amend(self, api_key: str, params: Params) -> Result:
        """POST /v5/order/amend."""
        acct = self._acct(api_key)

        def go() -> Result:
            o = _orderapi.amend_order(self.matcher, acct, params)
            return {"orderId": o.order_id, "orderLinkId": o.link_id}

        return self._run(go)

    def order_cancel(self, api_key: str, params: Params) -> Result:
        """POST /v5/order/cancel."""
        acct = self._acct(api_key)

        def go() -> Result:
            o = _orderapi.cancel_order(self.matcher, acct, params)
            return {"orderId": o.order_id, "orderLinkId": o.link_id}

        return self._run(go)

    def order_cancel_all(self, api_key: str, params: Params) -> Result:
        """POST /v5/order/cancel-all."""
        acct = self._acct(api_key)

        def go() -> Result:
            out = _orderapi.cancel_all(self.matcher, acct, params)
            return {"list": [{"orderId": o.order_id, "orderLinkId": o.link_id} for o in out], "success": "1"}

        return self._run(go)

    def _order_filter(self, acct: Account, params: Params, orders: list[Order]) -> list[Order]:
        sym = get_str(params, "symbol")
        if sym is not None and sym not in self.gen.symbols:
            raise SimError(10001, "symbol invalid")
        base = get_str(params, "baseCoin")
        settle = get_str(params, "settleCoin")
        oid = get_str(params, "orderId")
        link = get_str(params, "orderLinkId")
        flt = get_str(params, "orderFilter")
        status = get_str(params, "orderStatus")
        out = []
        for o in orders:
            if sym is not None and o.spec.symbol != sym:
                continue
            if base is not None and o.spec.base_coin != base:
                continue
            if settle is not None and settle != "USDT":
                continue
            if oid is not None and o.order_id != oid:
                continue
            if link is not None and o.link_id != link:
                continue
            if flt == "Order" and o.trigger:
                continue
            if flt == "StopOrder" and not o.trigger:
                continue
            if status is not None and o.status != status:
                continue
            out.append(o)
        return out

    def order_realtime(self, api_key: str, params: Params) -> Result:
        """GET /v5/order/realtime: open orders (``openOnly=1``: the most recent closed ones)."""
        require_linear(params)
        acct = self._acct(api_key)
        if not any(
            get_str(params, k) for k in ("symbol", "baseCoin", "settleCoin", "orderId", "orderLinkId")
        ):
            raise SimError(10001, "symbol, baseCoin or settleCoin is required")
        open_only = get_int(params, "openOnly", 0)
        if open_only not in (0, 1, 2):
            raise SimError(10001, "openOnly invalid")
        if open_only == 0:
            pool = [o for o in acct.order_log if o.is_open]
        else:
            pool = [o for o in acct.order_log if not o.is_open][-500:]
        items = self._order_filter(acct, params, pool)
        items.sort(key=lambda o: (o.created_ms, o.seq), reverse=True)
        page, nxt = paginate([o.to_dict() for o in items], params, limit_param(params, 20, 50))
        return {"category": "linear", "list": page, "nextPageCursor": nxt}

    def order_history(self, api_key: str, params: Params) -> Result:
        """GET /v5/order/history: closed orders in the time window (≤ 7 days)."""
        require_linear(params)
        acct = self._acct(api_key)
        start, end = time_window(params, self.now_ms())
        pool = [o for o in acct.order_log if not o.is_open and start <= o.created_ms <= end]
        items = self._order_filter(acct, params, pool)
        items.sort(key=lambda o: (o.created_ms, o.seq), reverse=True)
        rows = [o.to_dict(history=True) for o in items]
        page, nxt = paginate(rows, params, limit_param(params, 20, 50))
        return {"category": "linear", "list": page, "nextPageCursor": nxt}

    def execution_list(self, api_key: str, params: Params) -> Result:
        """GET /v5/execution/list (newest first)."""
        require_linear(params)
        acct = self._acct(api_key)
        start, end = time_window(params, self.now_ms())
        sym = get_str(params, "symbol")
        oid = get_str(params, "orderId")
        link = get_str(params, "orderLinkId")
        et = get_str(params, "execType")
        out = []
        for e in reversed(acct.executions):
            t = int(str(e["execTime"]))
            if not start <= t <= end:
                continue
            if sym is not None and e["symbol"] != sym:
                continue
            if oid is not None and e["orderId"] != oid:
                continue
            if link is not None and e["orderLinkId"] != link:
                continue
            if et is not None and e["execType"] != et:
                continue
            out.append({k: v for k, v in e.items() if k not in _WS_ONLY_EXEC})
        page, nxt = paginate(out, params, limit_param(params, 50, 100))
        return {"category": "linear", "list": page, "nextPageCursor": nxt}

    # --- position ----------------------------------------------------------------------------
    def _spec(self, params: Params) -> InstrumentSpec:
        return _orderapi.symbol_spec(self.matcher, params)

    def position_list(self, api_key: str, params: Params) -> Result:
        """GET /v5/position/list: with symbol a row even when flat; with settleCoin only open ones."""
        require_linear(params)
        acct = self._acct(api_key)
        now = self.now_ms()
        sym = get_str(params, "symbol")
        settle = get_str(params, "settleCoin")
        if sym is None and settle is None:
            raise SimError(10001, "symbol or settleCoin is required")
        marks = self.matcher.marks()
        if sym is not None:
            spec = self._spec(params)
            rows = [acct.position(spec).to_dict(marks[spec.symbol], now)]
        else:
            rows = [
                p.to_dict(marks[s], now)
                for s, p in acct.positions.items()
                if p.size != 0 and settle == "USDT"
            ]
        page, nxt = paginate(rows, params, limit_param(params, 20, 200))
        return {"category": "linear", "list": page, "nextPageCursor": nxt}

    def position_set_leverage(self, api_key: str, params: Params) -> Result:
        """POST /v5/position/set-leverage (110043 when unchanged)."""
        require_linear(params)
        acct = self._acct(api_key)
        spec = self._spec(params)
        buy = get_dec(params, "buyLeverage")
        sell = get_dec(params, "sellLeverage")
        if buy is None or sell is None or buy != sell:
            raise SimError(10001, "buyLeverage must equal sellLeverage in one-way mode")
        if buy < 1 or buy > spec.max_leverage or buy % Decimal("0.01") != 0:
            raise SimError(10001, f"leverage invalid: allowed 1..{spec.max_leverage}")
        pos = acct.position(spec)
        if buy == pos.leverage:
            raise SimError(110043, "Set leverage has not been modified")
        old = pos.leverage
        pos.leverage = buy
        if buy < old and available_balance(acct, self.matcher.marks()) < 0:
            pos.leverage = old
            raise SimError(110044, "Available margin is insufficient")
        self.matcher.push_state(acct, spec)
        self._flush()
        return {}

    def position_trading_stop(self, api_key: str, params: Params) -> Result:
        """POST /v5/position/trading-stop (position TP/SL and trailing stop; "0" cancels one)."""
        require_linear(params)
        acct = self._acct(api_key)
        spec = self._spec(params)
        mode = get_str(params, "tpslMode") or "Full"
        if mode not in ("Full", "Partial"):
            raise SimError(10001, "tpslMode invalid")
        if get_int(params, "positionIdx", 0) != 0:
            raise SimError(10001, "position idx not match position mode")
        pos = acct.position(spec)
        if pos.size == 0:
            raise SimError(10001, "can not set tp/sl/ts for zero position")
        tp = _orderapi.price_ticks(spec, params, "takeProfit")
        sl = _orderapi.price_ticks(spec, params, "stopLoss")
        ts = trailing.distance_ticks(spec, params)
        active = trailing.active_ticks(spec, params, ts)
        if tp is None and sl is None and ts is None:
            raise SimError(10001, "takeProfit, stopLoss or trailingStop is required")
        sm = self.gen.symbols[spec.symbol]
        tp_by = get_str(params, "tpTriggerBy") or pos.tp_trigger_by
        sl_by = get_str(params, "slTriggerBy") or pos.sl_trigger_by
        if tp_by not in _orderapi.TRIGGER_BY or sl_by not in _orderapi.TRIGGER_BY:
            raise SimError(10001, "triggerBy invalid")
        self._check_levels(sm, pos.size > 0, (tp, tp_by), (sl, sl_by))
        before = (pos.take_profit, pos.stop_loss, pos.tp_trigger_by, pos.sl_trigger_by, pos.trailing_stop)
        new_ts = pos.trailing_stop if ts is None else ts
        after = (
            pos.take_profit if tp is None else tp,
            pos.stop_loss if sl is None else sl,
            tp_by,
            sl_by,
            new_ts,
        )
        if after == before and (ts is None or active == pos.active_price):
            raise SimError(34040, "not modified")
        if ts is not None:
            trailing.arm(pos, ts, active, sm.last_tick)
        pos.take_profit, pos.stop_loss, pos.tp_trigger_by, pos.sl_trigger_by = after[:4]
        if pos.take_profit or pos.stop_loss or pos.trailing_stop:
            self.matcher.tpsl[spec.symbol][api_key] = acct
        self.matcher.push_state(acct, spec)
        self._flush()
        return {}

    def _check_levels(
        self, sm: SymbolMarket, long: bool, tp: tuple[int | None, str], sl: tuple[int | None, str]
    ) -> None:
        """10001 when a TP or SL being set is on the wrong side of the price it triggers on."""
        if tp[0]:
            ref = self.matcher.ref_tick(sm, tp[1])
            if (tp[0] <= ref) if long else (tp[0] >= ref):
                raise SimError(10001, "TakeProfit price is on the wrong side of the current price")
        if sl[0]:
            ref = self.matcher.ref_tick(sm, sl[1])
            if (sl[0] >= ref) if long else (sl[0] <= ref):
                raise SimError(10001, "StopLoss price is on the wrong side of the current price")

    def position_closed_pnl(self, api_key: str, params: Params) -> Result:
        """GET /v5/position/closed-pnl (one record per closing order, newest first)."""
        require_linear(params)
        acct = self._acct(api_key)
        start, end = time_window(params, self.now_ms())
        sym = get_str(params, "symbol")
        if sym is not None and sym not in self.gen.symbols:
            raise SimError(10001, "symbol invalid")
        out = [
            r
            for r in reversed(acct.closed_pnl)
            if start <= int(str(r["createdTime"])) <= end and (sym is None or r["symbol"] == sym)
        ]
        page, nxt = paginate(out, params, limit_param(params, 50, 100))
        return {"category": "linear", "list": page, "nextPageCursor": nxt}

    # --- account -----------------------------------------------------------------------------
    def account_wallet_balance(self, api_key: str, params: Params) -> Result:
        """GET /v5/account/wallet-balance (accountType UNIFIED)."""
        acct = self._acct(api_key)
        if get_str(params, "accountType") != "UNIFIED":
            raise SimError(10001, "accountType only support UNIFIED")
        w = wallet_dict(acct, self.matcher.marks())
        coins = get_str(params, "coin")
        if coins is not None and "USDT" not in coins.split(","):
            w["coin"] = []
        return {"list": [w]}

    def account_info(self, api_key: str, params: Params) -> Result:
        """GET /v5/account/info: a unified account in regular (cross) margin, one-way positions."""
        self._acct(api_key)
        return {
            "marginMode": "REGULAR_MARGIN",
            "updatedTime": str(self.now_ms()),
            "unifiedMarginStatus": 6,
            "dcpStatus": self.dcp.status(api_key),
            "timeWindow": self.dcp.window_s(api_key) or dcp.DEFAULT_WINDOW_S,
            "smpGroup": 0,
            "isMasterTrader": False,
            "spotHedgingStatus": "OFF",
        }

    def account_fee_rate(self, api_key: str, params: Params) -> Result:
        """GET /v5/account/fee-rate."""
        self._acct(api_key)
        cat = get_str(params, "category") or "linear"
        if cat != "linear":
            raise SimError(10001, "category only support linear")
        sym = get_str(params, "symbol")
        syms = list(self.gen.symbols) if sym is None else [self._spec(params).symbol]
        return {
            "list": [
                {
                    "symbol": s,
                    "takerFeeRate": f"{TAKER_FEE:f}",
                    "makerFeeRate": f"{MAKER_FEE:f}",
                }
                for s in syms
            ]
        }


def _last_per(items: list[dict[str, object]], key: str) -> list[dict[str, object]]:
    """Keep only the latest item per ``key`` value (order of last appearance)."""
    latest: dict[object, dict[str, object]] = {}
    for it in items:
        latest.pop(it.get(key), None)
        latest[it.get(key)] = it
    return list(latest.values())
