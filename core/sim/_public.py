"""Public market data: REST results and the public WebSocket topics (orderbook, trades, tickers, klines)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal

from core.sim._common import Params, SimError, dstr, get_int, get_str, limit_param, require_linear
from core.sim._kline import INTERVALS, Candle, bucket_end, bucket_start
from core.sim.book import DepthView
from core.sim.market import MarketGenerator, SymbolMarket

DEPTHS = (1, 50, 200, 1000)
PHASE_STEP_MS = 50
"""The deep books of the symbols subscribed together push one market step (50 ms) apart, not all
in the same step: Bybit's per-symbol push cadences are not locked to each other, and three
1,000-level deltas in one step made every fourth step the slowest by far."""
DEEP_PUSH_MS = {200: 100, 1000: 200}
"""Bybit's push intervals of the deep linear books (``orderbook.200`` every 100 ms,
``orderbook.1000`` every 200 ms), the default when no intervals are given; shallower books are
pushed at every market step with a change."""
L1_REPUSH_MS = 3_000
FUNDING_MS = 8 * 3_600_000
TOPIC_WITH_ARG_PARTS = 3
"""``orderbook.{depth}.{symbol}`` and ``kline.{interval}.{symbol}``."""
TOPIC_PARTS = 2
"""``publicTrade.{symbol}`` and ``tickers.{symbol}``."""
PublicCb = Callable[[str, dict[str, object]], None]


def ticker_fields(sm: SymbolMarket, now_ms: int) -> dict[str, str]:
    """Every tickers field (strings) of one symbol."""
    spec = sm.spec
    prev24, prev1, hi, lo, vol, turn = sm.candles.stats24h(now_ms)
    last = sm.last_tick
    hi, lo = max(hi, last), min(lo, last) if lo else last
    pcnt = (last - prev24) / prev24 if prev24 else 0.0
    bb, ba = sm.book.bids.best(), sm.book.asks.best()
    oi_lots = sm.base_lots * 20_000
    return {
        "symbol": spec.symbol,
        "tickDirection": sm.tick_direction,
        "price24hPcnt": f"{pcnt:.6f}",
        "lastPrice": spec.fmt_px(last),
        "prevPrice24h": spec.fmt_px(prev24),
        "highPrice24h": spec.fmt_px(hi),
        "lowPrice24h": spec.fmt_px(lo),
        "prevPrice1h": spec.fmt_px(prev1),
        "markPrice": spec.fmt_px(sm.mark_tick()),
        "indexPrice": spec.fmt_px(sm.index_tick()),
        "openInterest": spec.fmt_qty(oi_lots),
        "openInterestValue": dstr(spec.qty(oi_lots) * spec.px(last)),
        "singleOpenInterest": spec.fmt_qty(oi_lots // 2),
        "singleOpenInterestValue": dstr(spec.qty(oi_lots // 2) * spec.px(last)),
        "turnover24h": dstr(Decimal(turn) * spec.tick * spec.step),
        "volume24h": spec.fmt_qty(vol),
        "nextFundingTime": str(now_ms - now_ms % FUNDING_MS + FUNDING_MS),
        "fundingRate": "0.0001",
        "bid1Price": spec.fmt_px(bb) if bb is not None else "",
        "bid1Size": spec.fmt_qty(sm.book.bids.size(bb)) if bb is not None else "",
        "ask1Price": spec.fmt_px(ba) if ba is not None else "",
        "ask1Size": spec.fmt_qty(sm.book.asks.size(ba)) if ba is not None else "",
        "preOpenPrice": "",
        "preQty": "",
        "curPreListingPhase": "",
        "fundingIntervalHour": "8",
        "fundingCap": "0.005",
    }


def lean_ticker_fields(sm: SymbolMarket) -> dict[str, str]:
    """The tickers fields a bar-driven market moves (prices and the top of book): no 24 h stats,
    open interest or funding, which a backtest's bar-by-bar publication leaves as first sent."""
    spec = sm.spec
    bb, ba = sm.book.bids.best(), sm.book.asks.best()
    return {
        "symbol": spec.symbol,
        "tickDirection": sm.tick_direction,
        "lastPrice": spec.fmt_px(sm.last_tick),
        "markPrice": spec.fmt_px(sm.mark_tick()),
        "indexPrice": spec.fmt_px(sm.index_tick()),
        "bid1Price": spec.fmt_px(bb) if bb is not None else "",
        "bid1Size": spec.fmt_qty(sm.book.bids.size(bb)) if bb is not None else "",
        "ask1Price": spec.fmt_px(ba) if ba is not None else "",
        "ask1Size": spec.fmt_qty(sm.book.asks.size(ba)) if ba is not None else "",
    }


def candle_row(sm: SymbolMarket, c: Candle) -> list[str]:
    """REST kline row: [startTime, open, high, low, close, volume, turnover]."""
    spec = sm.spec
    return [
        str(c[0]),
        spec.fmt_px(c[1]),
        spec.fmt_px(c[2]),
        spec.fmt_px(c[3]),
        spec.fmt_px(c[4]),
        spec.fmt_qty(c[5]),
        dstr(Decimal(c[6]) * spec.tick * spec.step),
    ]


class PublicFeed:
    """Per-topic publishing state; only topics with interest cost anything per step."""

    def __init__(
        self, gen: MarketGenerator, ticker_ms: int, kline_ms: int, book_ms: Mapping[int, int] | None = None
    ) -> None:
        self.gen = gen
        self.ticker_ms = ticker_ms
        self.kline_ms = kline_ms
        self.book_ms: dict[int, int] = dict(DEEP_PUSH_MS if book_ms is None else book_ms)
        self.interest: set[str] = set()
        self.u: dict[str, int] = {}
        self.views: dict[str, DepthView] = {}
        self.l1: dict[str, tuple[tuple[int, int, int, int], int]] = {}
        self.tickers: dict[str, tuple[dict[str, str], int]] = {}
        self.klines: dict[str, tuple[list[int], int]] = {}
        self.lean_tickers = False
        """Bar mode (a backtest): ticker deltas carry prices and the top of book only."""

    # --- topics ------------------------------------------------------------------------------
    def parse(self, topic: str) -> tuple[str, str, SymbolMarket] | None:
        """(kind, arg, symbol market) of a valid topic, else None."""
        parts = topic.split(".")
        if len(parts) == TOPIC_WITH_ARG_PARTS and parts[0] in ("orderbook", "kline"):
            kind, arg, sym = parts
            if kind == "orderbook" and (not arg.isdigit() or int(arg) not in DEPTHS):
                return None
            if kind == "kline" and arg not in INTERVALS:
                return None
        elif len(parts) == TOPIC_PARTS and parts[0] in ("publicTrade", "tickers"):
            kind, sym = parts
            arg = ""
        else:
            return None
        sm = self.gen.symbols.get(sym)
        return (kind, arg, sm) if sm is not None else None

    def set_interest(self, topic: str, interested: bool) -> None:
        """Start or stop generating messages for ``topic``."""
        parsed = self.parse(topic)
        if parsed is None:
            return
        if interested:
            self.interest.add(topic)
            return
        self.interest.discard(topic)
        view = self.views.pop(topic, None)
        if view is not None:
            view.detach()
        self.l1.pop(topic, None)
        self.tickers.pop(topic, None)
        self.klines.pop(topic, None)

    def _new_view(self, topic: str, depth: int, sm: SymbolMarket, now: int) -> DepthView:
        """A depth view for ``topic``; a deep book's pushes on its own phase (:data:`PHASE_STEP_MS`
        after the previous symbol's of that depth)."""
        view = DepthView(sm.book, depth, self._next_u(topic))
        interval = self.book_ms.get(depth, 0)
        if interval:
            same = sum(1 for v in self.views.values() if v.depth == depth)
            view.last_push_ms = now + ((same + 1) * PHASE_STEP_MS) % interval - interval
        return view

    def _next_u(self, topic: str) -> int:
        u = self.u.get(topic, 0) + 1
        self.u[topic] = u
        return u

    def snapshot(self, topic: str, now: int) -> dict[str, object] | None:
        """First message for a new subscriber (consistent with the deltas that follow)."""
        parsed = self.parse(topic)
        if parsed is None:
            return None
        kind, arg, sm = parsed
        if kind == "orderbook":
            depth = int(arg)
            if depth == 1:
                top = self._top1(sm)
                state = self.l1.get(topic)
                u = state[1] if state is not None and state[0] == top else self._next_u(topic)
                self.l1[topic] = (top, now)
                return self._l1_msg(topic, sm, top, u, now)
            view = self.views.get(topic)
            if view is None:
                view = self._new_view(topic, depth, sm, now)
                if topic in self.interest:
                    self.views[topic] = view
                else:  # nobody will get deltas: do not keep a view that tracks every change
                    view.detach()
            b, a = view.levels()
            return self._book_msg(topic, "snapshot", sm, b, a, view.u, now)
        if kind == "tickers":
            # The shared last-sent state, so later deltas are consistent for every subscriber.
            tstate = self.tickers.get(topic)
            if tstate is None:
                tstate = (ticker_fields(sm, now), now)
                if topic in self.interest:
                    self.tickers[topic] = tstate
            data = dict(tstate[0])
            return {"topic": topic, "type": "snapshot", "data": data, "cs": sm.book.seq, "ts": now}
        if kind == "kline":
            c = sm.candles.current(arg)
            if c is None:
                return None
            if topic in self.interest and topic not in self.klines:
                self.klines[topic] = (c, now)
            return self._kline_msg(topic, sm, arg, c, False, now)
        return None  # publicTrade: nothing to send until the next trade (as on Bybit)

    # --- messages ----------------------------------------------------------------------------
    @staticmethod
    def _top1(sm: SymbolMarket) -> tuple[int, int, int, int]:
        bb, ba = sm.book.bids.best() or 0, sm.book.asks.best() or 0
        return bb, sm.book.bids.size(bb), ba, sm.book.asks.size(ba)

    @staticmethod
    def _l1_msg(
        topic: str, sm: SymbolMarket, top: tuple[int, int, int, int], u: int, now: int
    ) -> dict[str, object]:
        spec = sm.spec
        b = [[spec.fmt_px(top[0]), spec.fmt_qty(top[1])]] if top[1] else []
        a = [[spec.fmt_px(top[2]), spec.fmt_qty(top[3])]] if top[3] else []
        data = {"s": spec.symbol, "b": b, "a": a, "u": u, "seq": sm.book.seq}
        return {"topic": topic, "ts": now, "type": "snapshot", "data": data, "cts": now}

    @staticmethod
    def _book_msg(
        topic: str,
        kind: str,
        sm: SymbolMarket,
        b: list[tuple[int, int]],
        a: list[tuple[int, int]],
        u: int,
        now: int,
    ) -> dict[str, object]:
        fp, fq = sm.spec.fmt_px, sm.spec.fmt_qty
        data = {
            "s": sm.spec.symbol,
            "b": [[fp(t), fq(q) if q else "0"] for t, q in b],  # a deleted level is "0", as Bybit sends it
            "a": [[fp(t), fq(q) if q else "0"] for t, q in a],
            "u": u,
            "seq": sm.book.seq,
        }
        return {"topic": topic, "type": kind, "ts": now, "data": data, "cts": now}

    @staticmethod
    def _kline_msg(
        topic: str, sm: SymbolMarket, interval: str, c: Candle, confirm: bool, now: int
    ) -> dict[str, object]:
        spec = sm.spec
        item = {
            "start": c[0],
            "end": bucket_end(interval, c[0]),
            "interval": interval,
            "open": spec.fmt_px(c[1]),
            "close": spec.fmt_px(c[4]),
            "high": spec.fmt_px(c[2]),
            "low": spec.fmt_px(c[3]),
            "volume": spec.fmt_qty(c[5]),
            "turnover": dstr(Decimal(c[6]) * spec.tick * spec.step),
            "confirm": confirm,
            "timestamp": now,
        }
        return {"topic": topic, "data": [item], "ts": now, "type": "snapshot"}

    def publish(self, now: int, cb: PublicCb) -> None:
        """Emit the messages of every interested topic for the current state."""
        for topic in list(self.interest):
            parsed = self.parse(topic)
            if parsed is None:
                continue
            kind, arg, sm = parsed
            if kind == "orderbook":
                self._publish_book(topic, int(arg), sm, now, cb)
            elif kind == "publicTrade":
                if sm.trades:
                    spec = sm.spec
                    seq = sm.book.seq
                    data = [
                        {
                            "T": t.ts,
                            "s": spec.symbol,
                            "S": "Buy" if t.side > 0 else "Sell",
                            "v": spec.fmt_qty(t.lots),
                            "p": spec.fmt_px(t.tick),
                            "L": t.direction,
                            "i": t.trade_id,
                            "BT": False,
                            "RPI": False,
                            "seq": seq,
                        }
                        for t in sm.trades[-1024:]
                    ]
                    cb(topic, {"topic": topic, "type": "snapshot", "ts": now, "data": data})
            elif kind == "tickers":
                self._publish_ticker(topic, sm, now, cb)
            else:
                self._publish_kline(topic, arg, sm, now, cb)

    def _publish_book(self, topic: str, depth: int, sm: SymbolMarket, now: int, cb: PublicCb) -> None:
        interval = self.book_ms.get(depth, 0)
        if depth == 1:
            top = self._top1(sm)
            state = self.l1.get(topic)
            if state is not None and now - state[1] < interval:
                return
            if state is None or state[0] != top:
                self.l1[topic] = (top, now)
                cb(topic, self._l1_msg(topic, sm, top, self._next_u(topic), now))
            elif now - state[1] >= L1_REPUSH_MS:
                self.l1[topic] = (top, now)
                cb(topic, self._l1_msg(topic, sm, top, self.u.get(topic, 0), now))
            return
        view = self.views.get(topic)
        if view is None:
            self.views[topic] = self._new_view(topic, depth, sm, now)
            return
        if now - view.last_push_ms < interval:
            return
        db, da = view.diff()
        if not db and not da:
            return
        view.last_push_ms = now
        view.u = self._next_u(topic)
        b = sorted(db.items(), key=lambda x: -x[0])
        a = sorted(da.items())
        cb(topic, self._book_msg(topic, "delta", sm, b, a, view.u, now))

    def _publish_ticker(self, topic: str, sm: SymbolMarket, now: int, cb: PublicCb) -> None:
        state = self.tickers.get(topic)
        if state is not None and now - state[1] < self.ticker_ms:
            return
        if self.lean_tickers and state is not None:
            fields = {**state[0], **lean_ticker_fields(sm)}
        else:
            fields = ticker_fields(sm, now)
        if state is None:
            self.tickers[topic] = (fields, now)
            cb(topic, {"topic": topic, "type": "snapshot", "data": fields, "cs": sm.book.seq, "ts": now})
            return
        old = state[0]
        delta = {k: v for k, v in fields.items() if old.get(k) != v}
        if not delta:
            return
        delta["symbol"] = sm.spec.symbol
        self.tickers[topic] = (fields, now)
        cb(topic, {"topic": topic, "type": "delta", "data": delta, "cs": sm.book.seq, "ts": now})

    def _publish_kline(self, topic: str, interval: str, sm: SymbolMarket, now: int, cb: PublicCb) -> None:
        state = self.klines.get(topic)
        rows = sm.candles.rows
        if not rows:
            return
        if state is not None:
            last, pushed = state
            cur_start = bucket_start(interval, rows[-1][0])
            if cur_start == last[0] and now - pushed < self.kline_ms:
                return
            if cur_start != last[0]:
                closed = sm.candles.query(interval, last[0], last[0], 1)
                if closed:
                    cb(topic, self._kline_msg(topic, sm, interval, closed[0], True, now))
        c = sm.candles.current(interval)
        if c is None:
            return
        if state is not None and state[0] == c:
            self.klines[topic] = (c, now)
            return
        self.klines[topic] = (c, now)
        cb(topic, self._kline_msg(topic, sm, interval, c, False, now))

    # --- REST --------------------------------------------------------------------------------
    def _symbol(self, params: Params, required: bool) -> SymbolMarket | None:
        sym = get_str(params, "symbol")
        if sym is None:
            if required:
                raise SimError(10001, "symbol is required")
            return None
        sm = self.gen.symbols.get(sym)
        if sm is None:
            raise SimError(10001, "Not supported symbols")
        return sm

    def tickers_rest(self, params: Params, now: int) -> dict[str, object]:
        """GET /v5/market/tickers."""
        require_linear(params)
        sm = self._symbol(params, False)
        items = [sm] if sm is not None else list(self.gen.symbols.values())
        out = []
        for s in items:
            f = ticker_fields(s, now)
            f.pop("tickDirection")
            # GET tickers lists the futures-only fields for every linear symbol ("" / "0" for a
            # perpetual, as its example shows); the tickers topic leaves them out for perpetuals.
            f.update(
                {
                    "basis": "",
                    "basisRate": "",
                    "basisRateYear": "",
                    "deliveryFeeRate": "",
                    "deliveryTime": "0",
                    "predictedDeliveryPrice": "",
                }
            )
            out.append(f)
        return {"category": "linear", "list": out}

    def kline_rest(self, params: Params, now: int) -> dict[str, object]:
        """GET /v5/market/kline (newest first)."""
        cat = get_str(params, "category") or "linear"
        if cat != "linear":
            raise SimError(10001, "category only support linear")
        sm = self._symbol(params, True)
        assert sm is not None
        interval = get_str(params, "interval")
        if interval not in INTERVALS:
            raise SimError(10001, "Invalid period!")
        limit = limit_param(params, 200, 1000)
        start = get_int(params, "start")
        end = get_int(params, "end")
        rows = sm.candles.query(interval, start, end if end is not None else now, limit)
        return {"category": "linear", "symbol": sm.spec.symbol, "list": [candle_row(sm, c) for c in rows]}

    def orderbook_rest(self, params: Params, now: int) -> dict[str, object]:
        """GET /v5/market/orderbook."""
        require_linear(params)
        sm = self._symbol(params, True)
        assert sm is not None
        limit = limit_param(params, 25, 1000)
        b = sm.book.bids.top(limit)
        a = sm.book.asks.top(limit)
        msg = self._book_msg("", "snapshot", sm, b, a, sm.book.seq, now)
        data = msg["data"]
        assert isinstance(data, dict)
        return {
            "s": data["s"],
            "b": data["b"],
            "a": data["a"],
            "ts": now,
            "u": sm.book.seq,
            "seq": sm.book.seq,
            "cts": now,
        }

    def recent_trade_rest(self, params: Params) -> dict[str, object]:
        """GET /v5/market/recent-trade (newest first, from the retained tape)."""
        require_linear(params)
        sm = self._symbol(params, True)
        assert sm is not None
        limit = limit_param(params, 500, 1000)
        spec = sm.spec
        tape = list(sm.tape)[-limit:]
        out = [
            {
                "execId": t.trade_id,
                "symbol": spec.symbol,
                "price": spec.fmt_px(t.tick),
                "size": spec.fmt_qty(t.lots),
                "side": "Buy" if t.side > 0 else "Sell",
                "time": str(t.ts),
                "isBlockTrade": False,
                "isRPITrade": False,
                "seq": str(t.seq),
            }
            for t in reversed(tape)
        ]
        return {"category": "linear", "list": out}
