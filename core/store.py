"""The lock-protected latest-state store between feed threads and the UI.

pybit delivers WebSocket callbacks on its own threads. Those callbacks only write here (latest
book/ticker per symbol, candles per symbol and timeframe, bounded deques for trades, fills and
log lines) and never touch the UI.
The console drains the store on a 10–20 Hz timer; nothing here ever blocks a feed thread for
longer than a dict assignment.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING

from core.events import Event
from core.market.candles import Candle, CandleSeries
from core.model import BookView, Fill, Ticker, Trade

if TYPE_CHECKING:
    from core.market.depth import DepthLevels


class MarketStore:
    """Latest market state per symbol plus a bounded queue of engine events.

    ``version`` increases on every write so readers can skip unchanged frames cheaply.
    """

    def __init__(
        self,
        trades_per_symbol: int = 200,
        events: int = 10_000,
        fills: int = 500,
        candles_per_series: int = 300,
    ) -> None:
        self._lock = threading.Lock()
        self._books: dict[str, BookView] = {}
        self._depths: dict[str, DepthLevels] = {}
        self._depth_source: Callable[[str], DepthLevels | None] | None = None
        self._tickers: dict[str, Ticker] = {}
        self._trades: dict[str, deque[Trade]] = {}
        self._events: deque[Event] = deque(maxlen=events)
        self._fills: deque[Fill] = deque(maxlen=fills)
        self._candles: dict[tuple[str, str], CandleSeries] = {}
        self._candles_max = candles_per_series
        self.fills_version = 0
        self._trades_max = trades_per_symbol
        self._wake: Callable[[], None] | None = None
        self.version = 0
        self.dropped_events = 0

    def set_waker(self, wake: Callable[[], None] | None) -> None:
        """Install a thread-safe callable that wakes the event loop for instant events."""
        self._wake = wake

    # --- writers (any thread) ---------------------------------------------------------
    def put_book(self, book: BookView) -> None:
        """Replace the latest book for its symbol."""
        with self._lock:
            self._books[book.symbol] = book
            self.version += 1

    def put_depth(self, depth: DepthLevels) -> None:
        """Replace the latest display-book levels for their symbol (the ladder's deep groups)."""
        with self._lock:
            self._depths[depth.symbol] = depth
            self.version += 1

    def set_depth_source(self, source: Callable[[str], DepthLevels | None] | None) -> None:
        """Read display-book levels from ``source`` when asked (:meth:`depth`) instead of from
        :meth:`put_depth`: a display book of 1,000 levels a side is sorted only when a reader
        wants it, not on every push of every symbol (the ladder shows one)."""
        with self._lock:
            self._depth_source = source
            self.version += 1

    def depth_changed(self) -> None:
        """A display book behind the depth source changed (readers of ``version`` look again)."""
        with self._lock:
            self.version += 1

    def put_ticker(self, ticker: Ticker) -> None:
        """Replace the latest ticker for its symbol."""
        with self._lock:
            self._tickers[ticker.symbol] = ticker
            self.version += 1

    def put_trades(self, trades: list[Trade]) -> None:
        """Append public trades (newest last)."""
        if not trades:
            return
        with self._lock:
            for t in trades:
                dq = self._trades.get(t.symbol)
                if dq is None:
                    dq = self._trades[t.symbol] = deque(maxlen=self._trades_max)
                dq.append(t)
            self.version += 1

    def put_fill(self, fill: Fill) -> None:
        """Append one of the account's executions (the engine records each exec id once)."""
        with self._lock:
            self._fills.append(fill)
            self.fills_version += 1
            self.version += 1

    def put_candle(self, symbol: str, timeframe: str, candle: Candle) -> None:
        """Apply one pushed kline (the current candle, or the one that just closed)."""
        with self._lock:
            self._series(symbol, timeframe).upsert(candle)
            self.version += 1

    def seed_candles(self, symbol: str, timeframe: str, history: list[Candle]) -> None:
        """Merge REST kline history; candles the stream already delivered win."""
        with self._lock:
            self._series(symbol, timeframe).seed(history)
            self.version += 1

    def _series(self, symbol: str, timeframe: str) -> CandleSeries:
        key = (symbol, timeframe)
        series = self._candles.get(key)
        if series is None:
            series = self._candles[key] = CandleSeries(self._candles_max)
        return series

    def put_event(self, event: Event, *, wake: bool = False) -> None:
        """Queue an account/control event; ``wake`` nudges the loop for instant delivery."""
        with self._lock:
            if len(self._events) == self._events.maxlen:
                self.dropped_events += 1
            self._events.append(event)
            self.version += 1
        if wake and self._wake is not None:
            self._wake()

    # --- readers (the loop) -----------------------------------------------------------
    def book(self, symbol: str) -> BookView | None:
        """Latest book for ``symbol``."""
        with self._lock:
            return self._books.get(symbol)

    def depth(self, symbol: str) -> DepthLevels | None:
        """Latest display-book levels for ``symbol`` (None without a display book)."""
        with self._lock:
            source = self._depth_source
            if source is None:
                return self._depths.get(symbol)
        return source(symbol)

    def ticker(self, symbol: str) -> Ticker | None:
        """Latest ticker for ``symbol``."""
        with self._lock:
            return self._tickers.get(symbol)

    def tickers(self) -> dict[str, Ticker]:
        """A copy of every latest ticker."""
        with self._lock:
            return dict(self._tickers)

    def mark_price(self, symbol: str) -> Decimal | None:
        """Latest mark price for ``symbol``."""
        with self._lock:
            t = self._tickers.get(symbol)
        return t.mark_price if t else None

    def trades(self, symbol: str, n: int = 50) -> list[Trade]:
        """The newest ``n`` trades for ``symbol``, newest last."""
        with self._lock:
            dq = self._trades.get(symbol)
            if not dq:
                return []
            return list(dq)[-n:]

    def fills(self, n: int | None = None) -> list[Fill]:
        """The newest ``n`` recorded fills (all held when None), in arrival order."""
        with self._lock:
            items = list(self._fills)
        return items if n is None else items[-n:] if n > 0 else []

    def candles_version(self, symbol: str, timeframe: str) -> int:
        """Changes whenever the candles of ``symbol``/``timeframe`` change (-1 before any)."""
        with self._lock:
            series = self._candles.get((symbol, timeframe))
            return series.version if series is not None else -1

    def candles(self, symbol: str, timeframe: str, n: int | None = None) -> list[Candle]:
        """Copies of the newest ``n`` candles of ``symbol``/``timeframe``, oldest first."""
        with self._lock:
            series = self._candles.get((symbol, timeframe))
            return series.candles(n) if series is not None else []

    def drain_events(self, limit: int = 1000) -> list[Event]:
        """Remove and return up to ``limit`` queued events, oldest first."""
        with self._lock:
            n = min(limit, len(self._events))
            return [self._events.popleft() for _ in range(n)]
