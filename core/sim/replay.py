"""Replay of a recording as the sim's market: the generator's interface, recorded events as input.

:class:`ReplayMarket` stands where :class:`~core.sim.market.MarketGenerator` stands in the sim's
exchange core. Each ``step(now_ms)`` applies every recorded event whose receive time, mapped onto
the sim's clock, is due: ``start_ms + (recv_ms - first_recv_ms) / speed``. Book snapshots replace
a side, deltas set levels (size 0 removes), trades print on the tape and the candles (so resting
orders and triggers see them), tickers move mark and index. Orders match against the replayed
book; the next recorded update of a level sets it back to what the venue had (the recording does
not know our orders).

The recording's file format is read with :mod:`core.record.format`, which is pure (standard
library and orjson); prices become ticks with this sim's own instrument rules.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Iterator, Sequence
from decimal import Decimal
from pathlib import Path

from core.clock import Clock
from core.record.format import BookRec, Record, TickerRec, TradeRec, read_symbol, recorded_symbols
from core.sim._kline import Candles
from core.sim.book import Book
from core.sim.exchange import SimExchange
from core.sim.instruments import SPECS, InstrumentSpec
from core.sim.market import MarketGenerator, SymbolMarket

TRADING_BOOK = 0
"""The book stream replayed: the venue's trading book (a display-depth stream is skipped)."""


class ReplayError(ValueError):
    """A recording this sim cannot replay (the message says why)."""


class ReplayMarket(MarketGenerator):
    """The recorded market of ``directory``, played from ``start_ms`` at ``speed`` times real time."""

    def __init__(
        self,
        directory: Path,
        specs: Sequence[InstrumentSpec],
        start_ms: int,
        *,
        speed: float = 1.0,
        seed: int = 0,
    ) -> None:
        if speed <= 0:
            raise ReplayError(f"speed must be positive, got {speed}")
        self.rng = random.Random(seed)
        self.last_ms = start_ms
        self.start_ms = start_ms
        self.speed = speed
        self.directory = directory
        self.symbols: dict[str, SymbolMarket] = {}
        for i, spec in enumerate(specs):
            self.symbols[spec.symbol] = self._symbol(spec, i + 1)
        self.applied = 0
        """Recorded events applied so far."""
        self.first_recv = min((r.recv_ms for r in (self._first(s) for s in self.symbols) if r), default=0)
        self._events: Iterator[Record] = heapq.merge(
            *(read_symbol(directory, s) for s in self.symbols), key=lambda r: r.recv_ms
        )
        self._next: Record | None = next(self._events, None)
        self.step(start_ms)

    def _first(self, symbol: str) -> Record | None:
        return next(read_symbol(self.directory, symbol), None)

    def _symbol(self, spec: InstrumentSpec, index: int) -> SymbolMarket:
        """A symbol's empty market, priced at its first recorded trade (or ticker), else the spec's."""
        price = spec.start_price
        for rec in read_symbol(self.directory, spec.symbol):
            if isinstance(rec, TradeRec):
                price = Decimal(rec.price)
                break
            if isinstance(rec, TickerRec) and "mark_price" in rec.fields:
                price = Decimal(str(rec.fields["mark_price"]))
                break
        px = float(price)
        return SymbolMarket(
            spec=spec,
            index=index,
            book=Book(),
            candles=Candles(),
            fair=px,
            mark=px,
            index_px=px,
            spread=1,
            base_lots=max(1, int(spec.level_qty / spec.step)),
            last_tick=max(1, int(price / spec.tick)),
        )

    def due_ms(self, recv_ms: int) -> int:
        """The sim time at which an event received at ``recv_ms`` is replayed."""
        return self.start_ms + int((recv_ms - self.first_recv) / self.speed)

    @property
    def finished(self) -> bool:
        """True once every recorded event has been applied."""
        return self._next is None

    def step(self, now_ms: int) -> None:
        """Apply every recorded event due by ``now_ms``."""
        self.last_ms = max(self.last_ms, now_ms)
        rec = self._next
        touched: set[str] = set()
        while rec is not None and self.due_ms(rec.recv_ms) <= now_ms:
            sm = self.symbols[rec.symbol]
            self._apply(sm, rec, self.due_ms(rec.recv_ms))
            touched.add(rec.symbol)
            self.applied += 1
            rec = next(self._events, None)
        self._next = rec
        for sym in touched:
            self.symbols[sym].book.seq += 1

    def _apply(self, sm: SymbolMarket, rec: Record, at_ms: int) -> None:
        if isinstance(rec, BookRec):
            if rec.depth == TRADING_BOOK:
                self._book(sm, rec)
        elif isinstance(rec, TradeRec):
            tick = max(1, int(Decimal(rec.price) / sm.spec.tick))
            lots = max(1, int(Decimal(rec.qty) / sm.spec.step))
            sm.record_trade(at_ms, tick, lots, 1 if rec.side == "Buy" else -1)
        elif isinstance(rec, TickerRec):
            mark, index = rec.fields.get("mark_price"), rec.fields.get("index_price")
            if mark:
                sm.mark = float(mark)
            if index:
                sm.index_px = float(index)

    @staticmethod
    def _book(sm: SymbolMarket, rec: BookRec) -> None:
        tick_f, step_f = float(sm.spec.tick), float(sm.spec.step)
        for side, levels in ((sm.book.bids, rec.bids), (sm.book.asks, rec.asks)):
            ticks = [(round(p / tick_f), round(q / step_f)) for p, q in levels]
            if rec.snapshot:
                side.replace([(t, lots) for t, lots in ticks if lots > 0])
            else:
                for t, lots in ticks:
                    side.set(t, lots)


def replay_symbols(directory: Path) -> tuple[str, ...]:
    """The recording's symbols; :class:`ReplayError` when this sim has no rules for one of them."""
    try:
        symbols = recorded_symbols(directory)
    except ValueError as exc:
        raise ReplayError(str(exc)) from None
    unknown = [s for s in symbols if s not in SPECS]
    if unknown:
        raise ReplayError(f"{directory}: the sim has no instrument rules for {', '.join(unknown)}")
    if not symbols:
        raise ReplayError(f"{directory}: the recording lists no symbols")
    return symbols


def replay_exchange(
    directory: Path,
    *,
    clock: Clock,
    speed: float = 1.0,
    seed: int = 0,
    starting_balance: Decimal = Decimal("100000"),
) -> SimExchange:
    """A sim exchange core whose market is the recording in ``directory``, started at the clock's now."""
    symbols = replay_symbols(directory)
    ex = SimExchange(seed=seed, clock=clock, starting_balance=starting_balance, symbols=symbols)
    market = ReplayMarket(directory, [SPECS[s] for s in symbols], clock.now_ms(), speed=speed, seed=seed)
    # The exchange core builds its generator itself; its matcher and public feed read the market
    # through these attributes, so the replay takes the generator's place in all three.
    ex.gen = market
    ex.matcher.gen = market
    ex.public.gen = market
    return ex
