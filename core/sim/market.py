"""Seeded market generator: correlated random walks driving dense synthetic books and trade flow.

Everything is drawn from one ``random.Random(seed)`` in a fixed order, and time comes only from the
``now_ms`` values passed in, so the same seed and the same clock sequence give the same market.
"""

from __future__ import annotations

import math
import random
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field

from core.sim._kline import MINUTE_MS, Candles
from core.sim.book import Book, SideBook
from core.sim.instruments import InstrumentSpec

YEAR_S = 365 * 86_400
LEVELS = 1000
"""Synthetic levels kept on each side."""
CORRELATION = 0.7
"""Loading of every symbol on the common market factor."""
MAX_REFILL = 200
TRADES_PER_S = 25.0
"""Rate of synthetic taker trades at the touch, per symbol."""
SWEEP_PRINTS_PER_S = 10.0
"""Rate at which a price move through the touch prints a trade (otherwise quotes are just pulled)."""
TRADE_SIZE = 0.1
"""Mean trade size as a fraction of a typical top level."""
HISTORY_MINUTES = 1500
"""1-minute candles synthesised before the start so charts and 24 h stats have data at once."""
SPREAD_CHANGE_P = 0.02
"""Chance per step that a symbol's spread is redrawn."""
TIGHT_SPREAD_P = 0.8
"""Chance that a redrawn spread is one tick (otherwise two or three)."""
ADJACENT_LEVEL_P = 0.85
"""Chance that a refilled level sits on the next tick (otherwise one tick is skipped)."""
PULL_LEVEL_P = 0.08
"""Chance per step that a level behind the touch is pulled."""
MAX_TRADES_PER_STEP = 20
"""Cap on the synthetic trades printed in one step (a long step does not flood the tape)."""
BUY_P = 0.5
"""Chance that a synthetic taker trade is a buy."""
DRIVE_LEVELS = 20
SIZE_MIN_F = 0.15
SIZE_RANGE_F = 1.7
"""A level's size in base lots: ``base * (SIZE_MIN_F + SIZE_RANGE_F * r**2)``, r uniform in [0, 1)."""
SIZE_DEPTH_SCALE = 40.0
"""... times ``1 + distance / SIZE_DEPTH_SCALE`` (deeper levels are larger)."""
DRIVE_DEPTHS = tuple(1.0 + d / SIZE_DEPTH_SCALE for d in range(DRIVE_LEVELS))
"""The depth factor of each level a drive rebuilds (the same floats as computed per level)."""
"""Levels a side after a driven move (a bar-driven market needs only the depth it publishes)."""


@dataclass(slots=True)
class Trade:
    """One public trade: taker side +1 Buy / -1 Sell."""

    ts: int
    tick: int
    lots: int
    side: int
    trade_id: str
    direction: str
    seq: int = 0
    """The book's cross sequence when the trade printed."""


@dataclass(slots=True)
class SymbolMarket:
    """The generated state of one symbol."""

    spec: InstrumentSpec
    index: int
    book: Book
    candles: Candles
    fair: float
    mark: float
    index_px: float
    spread: int
    base_lots: int
    last_tick: int
    tick_direction: str = "ZeroPlusTick"
    trades: list[Trade] = field(default_factory=list)
    """Trades since the exchange last drained them."""
    trade_count: int = 0
    tape: deque[Trade] = field(default_factory=lambda: deque(maxlen=1000))
    """The most recent trades, for REST recent-trade."""

    @property
    def tick_f(self) -> float:
        """Tick size as a float (for the random walk only; never for money)."""
        return float(self.spec.tick)

    def mark_tick(self) -> int:
        """Mark price rounded to the tick."""
        return max(1, round(self.mark / float(self.spec.tick)))

    def index_tick(self) -> int:
        """Index price rounded to the tick."""
        return max(1, round(self.index_px / float(self.spec.tick)))

    def record_trade(self, ts: int, tick: int, lots: int, side: int) -> Trade:
        """Record a trade (generated or a user's taker fill) in the tape, candles and last price."""
        self.trade_count += 1
        tid = f"{self.index:08x}-0000-4000-8000-{self.trade_count:012x}"
        self.candles.add(ts, tick, lots)
        if tick > self.last_tick:
            self.tick_direction = "PlusTick"
        elif tick < self.last_tick:
            self.tick_direction = "MinusTick"
        elif self.tick_direction == "PlusTick":
            self.tick_direction = "ZeroPlusTick"
        elif self.tick_direction == "MinusTick":
            self.tick_direction = "ZeroMinusTick"
        self.last_tick = tick
        tr = Trade(ts, tick, lots, side, tid, self.tick_direction, self.book.seq)
        self.trades.append(tr)
        self.tape.append(tr)
        return tr


class MarketGenerator:
    """Drives every symbol's book, trades, mark and index forward in time."""

    def __init__(self, seed: int, specs: Sequence[InstrumentSpec], start_ms: int) -> None:
        self.rng = random.Random(seed)
        self.last_ms = start_ms
        self.symbols: dict[str, SymbolMarket] = {}
        for i, spec in enumerate(specs):
            tick = float(spec.tick)
            start = float(spec.start_price)
            base_lots = max(1, int(spec.level_qty / spec.step))
            sm = SymbolMarket(
                spec=spec,
                index=i + 1,
                book=Book(),
                candles=Candles(),
                fair=start,
                mark=start,
                index_px=start,
                spread=1,
                base_lots=base_lots,
                last_tick=round(start / tick),
            )
            self._history(sm, start_ms)
            self._fill_initial(sm)
            self.symbols[spec.symbol] = sm

    # --- set-up ------------------------------------------------------------------------------
    def _history(self, sm: SymbolMarket, start_ms: int) -> None:
        """Synthesise 1-minute candles ending at the start price (a walk run backwards)."""
        rng = self.rng
        tick = sm.tick_f
        sig = sm.spec.annual_vol / math.sqrt(YEAR_S / 60)
        px = float(sm.spec.start_price)
        closes = []
        for _ in range(HISTORY_MINUTES):
            closes.append(px)
            px *= math.exp(rng.gauss(0.0, sig))
        closes.reverse()
        first = start_ms - start_ms % MINUTE_MS - HISTORY_MINUTES * MINUTE_MS
        prev = px
        for k, c in enumerate(closes):
            t0 = first + k * MINUTE_MS
            o, cl = round(prev / tick), round(c / tick)
            wig = abs(rng.gauss(0.0, sig * c)) / tick
            hi, lo = max(o, cl) + int(wig), min(o, cl) - int(wig * rng.random())
            lots = sm.base_lots * (100 + int(rng.expovariate(1 / 100)))
            sm.candles.add(t0, o, lots // 4)
            sm.candles.add(t0 + 1, hi, lots // 4)
            sm.candles.add(t0 + 2, lo, lots // 4)
            sm.candles.add(t0 + 3, cl, lots - 3 * (lots // 4))
            prev = c
        sm.last_tick = sm.candles.last_close() or sm.last_tick

    def _fill_initial(self, sm: SymbolMarket) -> None:
        tb, ta = self._targets(sm)
        for d in range(LEVELS):
            sm.book.bids.set(tb - d, self._size(sm, d))
            sm.book.asks.set(ta + d, self._size(sm, d))

    def _size(self, sm: SymbolMarket, dist: int) -> int:
        r = self.rng.random()
        depth = 1.0 + dist / SIZE_DEPTH_SCALE
        return max(1, int(sm.base_lots * (SIZE_MIN_F + SIZE_RANGE_F * r * r) * depth))

    @staticmethod
    def _targets(sm: SymbolMarket) -> tuple[int, int]:
        """Best bid and best ask ticks implied by the fair price and the spread."""
        centre = sm.fair / sm.tick_f
        tb = max(1, math.floor(centre - sm.spread / 2.0))
        return tb, tb + sm.spread

    # --- stepping ----------------------------------------------------------------------------
    def step(self, now_ms: int) -> None:
        """Advance every symbol to ``now_ms``."""
        dt_ms = now_ms - self.last_ms
        if dt_ms <= 0:
            dt_ms = 1
        else:
            self.last_ms = now_ms
        dt = min(dt_ms, 5_000) / 1000.0
        rng = self.rng
        z0 = rng.gauss(0.0, 1.0)
        idio = math.sqrt(1.0 - CORRELATION * CORRELATION)
        for sm in self.symbols.values():
            z = CORRELATION * z0 + idio * rng.gauss(0.0, 1.0)
            sig = sm.spec.annual_vol * math.sqrt(dt / YEAR_S)
            sm.fair *= math.exp(sig * z - 0.5 * sig * sig)
            if rng.random() < SPREAD_CHANGE_P:
                sm.spread = 1 if rng.random() < TIGHT_SPREAD_P else rng.randint(2, 3)
            self._move_book(sm, now_ms, dt)
            self._noise(sm, sm.book.bids)
            self._noise(sm, sm.book.asks)
            self._trade_flow(sm, now_ms, dt)
            bb, ba = sm.book.bids.best(), sm.book.asks.best()
            if bb is not None and ba is not None:
                mid = (bb + ba) * 0.5 * sm.tick_f
                a = 1.0 - math.exp(-dt / 0.5)
                sm.mark += (mid - sm.mark) * a
                sm.index_px += (sm.fair - sm.index_px) * (1.0 - math.exp(-dt / 1.0))
            sm.book.seq += 1

    def drive(self, symbol: str, price: float, now_ms: int, take: int = 0) -> None:
        """Move one symbol's market to ``price`` at once (no random walk): fair, mark and index
        jump there, the book is rebuilt around it, and one trade prints at that price (a buy
        when the price rose, else a sell) so resting orders and triggers see it.

        ``take`` quotes the price on the side an order about to come takes: 1 (a buy) puts the
        best ask at the price's tick, -1 (a sell) the best bid, each with the spread behind it;
        0 centres the spread on the price."""
        sm = self.symbols[symbol]
        self.last_ms = max(self.last_ms, now_ms)
        sm.fair = sm.mark = sm.index_px = price
        tick = max(1, round(price / sm.tick_f))
        self._rebuild(sm, *self._quoted(sm, tick, take))
        side = 1 if tick >= sm.last_tick else -1
        sm.record_trade(now_ms, tick, self._trade_lots(sm), side)
        sm.book.seq += 1

    @classmethod
    def _quoted(cls, sm: SymbolMarket, tick: int, take: int) -> tuple[int, int]:
        """Best bid and best ask ticks of a drive to ``tick`` (see :meth:`drive`'s ``take``)."""
        if take > 0:
            bid = max(1, tick - sm.spread)
            return bid, max(tick, bid + 1)
        if take < 0:
            return tick, tick + sm.spread
        return cls._targets(sm)

    def _rebuild(self, sm: SymbolMarket, tb: int, ta: int) -> None:
        """Replace the book with ``DRIVE_LEVELS`` fresh levels a side from best bid ``tb`` and
        best ask ``ta`` outwards."""
        bids: list[tuple[int, int]] = []
        asks: list[tuple[int, int]] = []
        rnd, base = self.rng.random, sm.base_lots
        for d, depth in enumerate(DRIVE_DEPTHS):  # _size inlined: the same draws in the same order
            r = rnd()
            bids.append((tb - d, max(1, int(base * (SIZE_MIN_F + SIZE_RANGE_F * r * r) * depth))))
            r = rnd()
            asks.append((ta + d, max(1, int(base * (SIZE_MIN_F + SIZE_RANGE_F * r * r) * depth))))
        sm.book.bids.replace(bids)
        sm.book.asks.replace(asks)

    def _move_book(self, sm: SymbolMarket, now_ms: int, dt: float) -> None:
        tb, ta = self._targets(sm)
        self._align(sm, sm.book.bids, tb, now_ms, dt)
        self._align(sm, sm.book.asks, ta, now_ms, dt)
        for side in (sm.book.bids, sm.book.asks):
            n = len(side)
            while n > LEVELS:
                side.pop_worst()
                n -= 1
            if n < LEVELS:
                w = side.worst()
                if w is None:
                    continue
                d = n
                while n < LEVELS:
                    w += side.sign * (1 if self.rng.random() < ADJACENT_LEVEL_P else 2)
                    side.set(w, self._size(sm, d))
                    n += 1
                    d += 1

    def _align(self, sm: SymbolMarket, side: SideBook, target: int, now_ms: int, dt: float) -> None:
        """Make ``target`` the best level of ``side``: sweep levels through it, refill up to it."""
        s = side.sign
        best = side.best()
        if best is not None and s * best < s * target:
            printed = self.rng.random() >= SWEEP_PRINTS_PER_S * dt  # prints at a rate independent of steps
            while side.keys and side.keys[0] < s * target:
                t = s * side.keys[0]
                if (
                    not printed
                ):  # one print per sweep (hitting bids is a Sell, -1); the rest are pulled quotes
                    sm.record_trade(now_ms, t, min(self._trade_lots(sm), side.levels[t]), s)
                    printed = True
                side.set(t, 0)
        best = side.best()
        start = s * target + MAX_REFILL if best is None else min(s * best, s * target + MAX_REFILL)
        # Add every missing tick between the target and the current best (both in signed key space).
        k = s * target
        d = 0
        while k < start:
            t = s * k
            if t > 0 and t not in side.levels:
                side.set(t, self._size(sm, d))
            k += 1
            d += 1

    def _noise(self, sm: SymbolMarket, side: SideBook) -> None:
        rng = self.rng
        best = side.best()
        if best is None:
            return
        for _ in range(2):
            d = min(int(rng.expovariate(0.1)), LEVELS - 1)
            t = best + side.sign * d
            if t <= 0:
                continue
            cur = side.levels.get(t)
            r = rng.random()
            if cur is None:
                side.set(t, self._size(sm, d))
            elif d > 0 and r < PULL_LEVEL_P:
                side.set(t, 0)
            else:
                side.set(t, max(1, int(cur * (0.6 + 0.8 * r))))

    def _trade_lots(self, sm: SymbolMarket) -> int:
        return max(1, int(self.rng.expovariate(1.0) * sm.base_lots * TRADE_SIZE))

    def _trade_flow(self, sm: SymbolMarket, now_ms: int, dt: float) -> None:
        rng = self.rng
        lam = TRADES_PER_S * dt
        n = int(lam) + (1 if rng.random() < lam - int(lam) else 0)
        for _ in range(min(n, MAX_TRADES_PER_STEP)):
            sign = 1 if rng.random() < BUY_P else -1
            side = sm.book.asks if sign == 1 else sm.book.bids
            best = side.best()
            if best is None:
                return
            lvl = side.levels[best]
            lots = min(self._trade_lots(sm), lvl)
            sm.record_trade(now_ms, best, lots, sign)
            if lots < lvl:
                side.set(best, lvl - lots)
            elif len(side) > 1:
                side.set(best, 0)
            else:
                side.set(best, 1)
