"""The UI bridge: decides what to redraw on each refresh tick, from the engine's store and account.

The feed threads only write the store. The app calls :meth:`UIBridge.tick` from a
``set_interval(1/refresh_hz)`` timer (and once more when the store's waker fires for an instant
event); the bridge drains the queued events, skips market panes when ``store.version`` has not
moved, and refreshes the tables only every ``refresh_hz / table_hz`` ticks or when account events
arrived. It never touches widgets itself and has no Textual import, so it is testable alone.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from core.api import AlgoSnapshot, EngineAPI
from core.clock import Clock
from core.events import (
    AlgoUpdated,
    BalanceUpdated,
    Connectivity,
    Event,
    FillReceived,
    OrderUpdated,
    PositionUpdated,
    RiskStatus,
)
from core.market.candles import TIMEFRAMES, Candle
from core.market.depth import DepthLevels
from core.model import ZERO, AccountSnapshot, BookView, Fill, Side, Ticker, Trade

_ACCOUNT_EVENTS = (OrderUpdated, FillReceived, PositionUpdated, BalanceUpdated)
CHART_CANDLES = 240
COVERED_MARKET_EVERY = 5
"""While a modal (ticket, command line, confirmation) covers the main screen, the market panes
behind it are refreshed every this many ticks (2 Hz at 10 Hz): each refresh repaints and re-dims
the whole covered screen, and the modal follows the market from the store on its own."""
"""Candles handed to the chart per frame (more than the widest pane shows)."""


@dataclass(slots=True)
class MarketFrame:
    """What the market panes show for the selected symbol."""

    symbol: str
    book: BookView | None
    ticker: Ticker | None
    trades: list[Trade]
    own: dict[Decimal, list[tuple[Side, Decimal]]]
    timeframe: str = TIMEFRAMES[0]
    candles: list[Candle] | None = None
    """The chart's candles; None when they did not change since the last frame."""
    levels: list[tuple[str, Decimal]] = field(default_factory=list)
    """Chart lines as ``(kind, price)``: ``entry``, ``liq``, ``bid`` / ``ask`` (own orders)."""
    depth: DepthLevels | None = None
    """The display book's levels (the ladder's coarse groups past the book's own levels)."""


@dataclass(slots=True)
class Frame:
    """One refresh tick's worth of changes; ``None`` fields did not change."""

    events: list[Event] = field(default_factory=list)
    market: MarketFrame | None = None
    account: AccountSnapshot | None = None
    risk: RiskStatus | None = None
    fills: list[Fill] | None = None
    """The account's recorded fills, when they changed (at the table rate)."""
    algos: list[AlgoSnapshot] | None = None
    """Every algo of the session, when one changed (an ``AlgoUpdated`` was drained)."""


class UIBridge:
    """Turns the engine's store and account into per-tick frames, skipping unchanged work."""

    def __init__(self, engine: EngineAPI, clock: Clock, *, refresh_hz: float, table_hz: float) -> None:
        self.engine = engine
        self.clock = clock
        self.symbol = ""
        self.timeframe = TIMEFRAMES[0]
        self.table_every = max(1, round(refresh_hz / table_hz))
        self.connectivity: dict[str, str] = {}
        self._ticks = 0
        self.covered = False
        """True while a modal covers the main screen (see :data:`COVERED_MARKET_EVERY`)."""
        self._last_version = -1
        self._last_symbol = ""
        self._account_dirty = True
        self._account: AccountSnapshot = AccountSnapshot()
        self._algos_dirty = True
        self.algos: list[AlgoSnapshot] = []
        """The algos as last drawn (the pane's keys act on these)."""
        self._candles_seen: tuple[str, str, int] = ("", "", -2)
        self._fills_seen = -1
        self._start_equity: Decimal | None = None
        self._daily_pnl: Decimal | None = None
        self.frames = 0
        self.skipped = 0

    def tick(self, *, force: bool = False) -> Frame | None:
        """Drain events and build the frame for this tick (None when nothing changed)."""
        store = self.engine.store
        self._ticks += 1
        events = store.drain_events(2000)
        for ev in events:
            if isinstance(ev, _ACCOUNT_EVENTS):
                self._account_dirty = True
            elif isinstance(ev, Connectivity):
                self.connectivity[ev.stream] = ev.state
            elif isinstance(ev, AlgoUpdated):
                self._algos_dirty = True
        version = store.version
        frame = Frame(events=events)
        if self._algos_dirty or force:
            self._algos_dirty = False
            self.algos = self.engine.algos()
            frame.algos = self.algos
        tables_due = force or self._account_dirty or self._ticks % self.table_every == 0
        if tables_due:
            self._account = self.engine.account()
            self._account_dirty = False
            frame.account = self._account
            frame.risk = self.engine.risk_status()
            self._daily_pnl = frame.risk.daily_pnl
            bal = self._account.balance
            if bal is not None and self._start_equity is None:
                self._start_equity = bal.equity
            if store.fills_version != self._fills_seen:
                self._fills_seen = store.fills_version
                frame.fills = store.fills()
        changed = version != self._last_version or self.symbol != self._last_symbol or tables_due
        background_due = not self.covered or self._ticks % COVERED_MARKET_EVERY == 0
        if force or (changed and background_due):
            frame.market = self.market_frame(self.symbol)
            self._last_version = version
            self._last_symbol = self.symbol
        if not frame.events and frame.market is None and frame.account is None and frame.algos is None:
            self.skipped += 1
            return None
        self.frames += 1
        return frame

    def market_frame(self, symbol: str) -> MarketFrame:
        """The market panes' data for ``symbol``, with own open orders by price and chart lines."""
        store = self.engine.store
        own: dict[Decimal, list[tuple[Side, Decimal]]] = {}
        levels: list[tuple[str, Decimal]] = []
        for o in self._account.orders.values():
            if o.symbol != symbol or not o.is_open:
                continue
            if o.price is not None:
                own.setdefault(o.price, []).append((o.side, o.leaves_qty))
            line = o.trigger_price if o.trigger_price is not None else o.price
            if line is not None:
                levels.append(("bid" if o.side is Side.BUY else "ask", line))
        pos = self._account.positions.get(symbol)
        if pos is not None and not pos.is_flat:
            levels.append(("entry", pos.entry_price))
            if pos.liq_price is not None:
                levels.append(("liq", pos.liq_price))
        return MarketFrame(
            symbol=symbol,
            book=store.book(symbol),
            ticker=store.ticker(symbol),
            trades=store.trades(symbol, 60),
            own=own,
            timeframe=self.timeframe,
            candles=self._changed_candles(symbol),
            levels=levels,
            depth=store.depth(symbol),
        )

    def _changed_candles(self, symbol: str) -> list[Candle] | None:
        """The chart's candles when the symbol, timeframe or data changed since the last frame."""
        store = self.engine.store
        seen = (symbol, self.timeframe, store.candles_version(symbol, self.timeframe))
        if seen == self._candles_seen:
            return None
        self._candles_seen = seen
        return store.candles(symbol, self.timeframe, CHART_CANDLES)

    @property
    def account(self) -> AccountSnapshot:
        """The latest account snapshot the bridge fetched."""
        return self._account

    def today_pnl(self) -> Decimal | None:
        """Today's PnL as the engine's daily-loss breaker counts it; equity change since start if unknown."""
        if self._daily_pnl is not None:
            return self._daily_pnl
        return self.session_pnl()

    def session_pnl(self) -> Decimal | None:
        """Equity change since the console started."""
        bal = self._account.balance
        if bal is None or self._start_equity is None:
            return None
        return bal.equity - self._start_equity

    def feed_age_s(self, book: BookView | None) -> float | None:
        """Seconds since the selected book's last update (engine clock)."""
        if book is None or not book.ts_ms:
            return None
        return max(0, self.clock.now_ms() - book.ts_ms) / 1000


class Waker:
    """A thread-safe, coalescing wake-up: many calls from feed threads → one loop callback."""

    def __init__(self, loop: asyncio.AbstractEventLoop, callback: Callable[[], None]) -> None:
        self._loop = loop
        self._callback = callback
        self._pending = False
        self._lock = threading.Lock()
        self.calls = 0

    def __call__(self) -> None:
        """Called from any thread; schedules at most one pending callback."""
        with self._lock:
            self.calls += 1
            if self._pending:
                return
            self._pending = True
        try:
            self._loop.call_soon_threadsafe(self._run)
        except RuntimeError:  # the loop is closed (shutdown race): nothing left to wake
            with self._lock:
                self._pending = False

    def _run(self) -> None:
        with self._lock:
            self._pending = False
        self._callback()


def marked_upnl(account: AccountSnapshot) -> Decimal | None:
    """The unrealised PnL of the open positions at their marks, as the positions pane shows them
    (None before the venue has sent a balance): the wallet's own figure moves only when the venue
    pushes the wallet (a fill, a funding payment), the positions with every mark."""
    if account.balance is None:
        return None
    return sum((p.unrealised_pnl for p in account.positions.values()), ZERO)
