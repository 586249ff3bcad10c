"""When the algos get a :class:`~core.orders.algos.base.Tick`: their market moved, or a timer they
asked for is due — both on the engine clock, so they follow virtual time on the in-process venue.

An idle algo (its worker waiting, its inbox empty) decides on its tick right in the tick pass;
its worker only carries the actions out. So when a symbol moves, every algo on it decides
before the first of their order commands starts (an algo's decisions and actions stay in order:
a busy algo gets the tick in its inbox and decides when its worker reaches it). The moved symbols
are visited in the order their markets moved, and the decisions that act reach the workers
first, so every command of a pass starts in one loop turn and their durable journal records
share one commit (see docs/performance.md for why the pass does not yield between symbols).

Market moves come from the book keeper: every update it applies marks its symbol (any thread,
before the keeper's publication throttle) and wakes the tick loop once; a new ticker (mark, last,
index) marks its symbol too. A marked symbol's algos — and only them, indexed by symbol — get a
tick at most every ``min_tick_ms`` of engine time; an algo with a tick still in its inbox gets no
second one (it will read the newest market when it decides). Timers sit in a heap by due time.
Without market updates the loop still wakes every ``tick_s`` (real seconds) for timers on a real
clock; on a virtual clock, time only moves with the market, which wakes it.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import logging
import threading
from collections.abc import Callable, Mapping

from core.clock import Clock
from core.engine.algo_slot import AlgoSlot, Decided, Item
from core.engine.algo_view import StaticView
from core.market.books import BookKeeper
from core.orders.algos.base import AlgoState, Tick
from core.store import MarketStore

log = logging.getLogger(__name__)

TICK_S = 0.05
"""The longest the tick loop sleeps without a market update (timers on a real clock)."""
MIN_TICK_MS = 20
"""Shortest engine time between two market ticks to the algos of one symbol."""
_NEVER_MS = -(2**62)


class AlgoTicks:
    """The per-symbol market triggers and the timers of the runner's algos."""

    def __init__(
        self,
        clock: Clock,
        store: MarketStore,
        view: StaticView,
        slots: Mapping[str, AlgoSlot],
        books_of: Callable[[], BookKeeper | None],
        tick_s: float = TICK_S,
    ) -> None:
        self.clock = clock
        self.store = store
        self.view = view
        self.slots = slots
        self.books_of = books_of
        """The engine's current book keeper (built with the feeds; None before)."""
        self.tick_s = tick_s
        self.min_tick_ms = MIN_TICK_MS
        self.by_symbol: dict[str, dict[str, AlgoSlot]] = {}
        """symbol -> live algos on it (a market move visits only these)."""
        self._books: BookKeeper | None = None
        self._dirty: dict[str, None] = {}
        """Symbols whose market moved since their last tick, in the order they moved."""
        self._timers: list[tuple[int, str]] = []
        self._last_tick_ms: dict[str, int] = {}
        self._seen_ticker: dict[str, object] = {}
        self._pending: dict[str, tuple[AlgoSlot, list[Item]]] = {}
        """What this pass decided, per algo, handed to the workers at its end."""
        self._wake = asyncio.Event()
        self._nudged = False
        self.nudges = 0
        """Times a market move or a due timer woke the tick loop (for tests and diagnostics)."""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread = 0
        self.decide: Callable[[AlgoSlot, Tick], Decided | None] | None = None
        """The runner's decision of an idle algo on a tick, None when it skipped the tick (no
        decide function: every tick goes to the inbox)."""

    # --- the algos it ticks ------------------------------------------------------------------
    def track(self, slot: AlgoSlot) -> None:
        """Tick ``slot`` when its symbol moves."""
        self.by_symbol.setdefault(slot.algo.symbol, {})[slot.algo_id] = slot

    def forget(self, slot: AlgoSlot) -> None:
        """An ended algo gets no more ticks."""
        self.by_symbol.get(slot.algo.symbol, {}).pop(slot.algo_id, None)

    def add_wakes(self, slot: AlgoSlot, wakes: list[int]) -> None:
        """Timers (engine ms) ``slot`` asked for; one already due wakes the loop."""
        now = self.clock.now_ms()
        for at_ms in wakes:
            slot.wakes.append(at_ms)
            heapq.heappush(self._timers, (at_ms, slot.algo_id))
            if at_ms <= now:
                self._nudge()

    # --- market triggers ---------------------------------------------------------------------
    def attach(self, books: BookKeeper | None) -> None:
        """Take market triggers from ``books`` and read the live touch from it (again when the
        engine builds new books)."""
        if books is self._books:
            return
        self._books = books
        self.view.books = books
        if books is not None:
            books.on_update = self.market_moved

    def market_moved(self, symbol: str) -> None:
        """``symbol``'s market changed (any thread): its algos get a tick, the loop is woken once.
        A symbol no live algo trades marks nothing and wakes nothing (a feed's every update did)."""
        if not self.by_symbol.get(symbol):
            return
        self._dirty.setdefault(symbol, None)
        self._nudge()

    def _nudge(self) -> None:
        if self._nudged or self._loop is None:
            return
        self._nudged = True
        self.nudges += 1
        if threading.get_ident() == self._loop_thread:
            self._wake.set()
            return
        with contextlib.suppress(RuntimeError):  # the loop has closed: the engine is stopping
            self._loop.call_soon_threadsafe(self._wake.set)

    # --- the loop ------------------------------------------------------------------------------
    def tick(self) -> None:
        """Queue a Tick for the algos of every symbol that moved (throttled per symbol) and for
        every algo whose timer is due. The decisions of the pass reach the workers at its end,
        those with actions first (a worker that only records a quiet decision never runs ahead of
        one that sends)."""
        try:
            self._pass()
        finally:
            self._hand_over()

    def _hand_over(self) -> None:
        pending, self._pending = self._pending, {}
        acting = [p for p in pending.values() if _acts(p[1][0])]
        quiet = [p for p in pending.values() if not _acts(p[1][0])]
        for slot, items in acting + quiet:
            for item in items:
                slot.inbox.put_nowait(item)

    def _pass(self) -> None:
        self.attach(self.books_of())
        now = self.clock.now_ms()
        tick = Tick(now)  # frozen: one for every algo this pass ticks
        self._note_tickers()
        for sym in list(self._dirty):
            if now - self._last_tick_ms.get(sym, _NEVER_MS) < self.min_tick_ms:
                continue  # throttled: it stays marked for a later pass
            self._dirty.pop(sym, None)
            self._last_tick_ms[sym] = now
            for slot in list(self.by_symbol.get(sym, {}).values()):
                self._queue(slot, tick)
        while self._timers and self._timers[0][0] <= now:
            _, algo_id = heapq.heappop(self._timers)
            timed = self.slots.get(algo_id)
            if timed is not None and timed.due_wake(now):
                timed.quiet = None  # a due timer always decides, whatever the market did
                self._queue(timed, tick)

    def _note_tickers(self) -> None:
        """A new ticker (mark, last, index) is a market move too."""
        for sym in self.by_symbol:
            ticker = self.store.ticker(sym)
            if ticker is not self._seen_ticker.get(sym):
                self._seen_ticker[sym] = ticker
                self._dirty.setdefault(sym, None)

    def _queue(self, slot: AlgoSlot, tick: Tick) -> None:
        """Give ``slot`` its tick: an idle algo decides on it here and now (so every algo of a
        moved symbol has decided before any of them sends); a busy one finds it in its inbox."""
        if slot.ended or slot.tick_queued or slot.algo.status is AlgoState.PAUSED:
            return
        held = self._pending.get(slot.algo_id)
        if self.decide is not None and held is None and not slot.busy and slot.inbox.empty():
            decided = self.decide(slot, tick)
            if decided is not None:  # None: its reads had not moved, the tick was skipped
                self._pending[slot.algo_id] = (slot, [decided])
            return
        slot.tick_queued = True
        if held is not None:  # decided once in this pass: this tick is decided after those actions
            held[1].append(tick)
        else:
            slot.inbox.put_nowait(tick)

    def wait_s(self) -> float:
        """How long the loop may sleep: until a throttled symbol may tick, else ``tick_s``."""
        return min(self.tick_s, self.min_tick_ms / 1000) if self._dirty else self.tick_s

    async def run(self) -> None:
        """The tick loop: woken by market updates and due timers, at the latest after
        :meth:`wait_s`."""
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        self.attach(self.books_of())
        while True:
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow the task's
            # cancellation when the wake fires at the same moment, and stop() then waits forever.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.wait_s()):
                    await self._wake.wait()
            self._wake.clear()
            self._nudged = False
            try:
                self.tick()
            except Exception:  # a tick must never end the loop: logged, the next one goes on
                log.exception("algo tick failed")


def _acts(item: Item) -> bool:
    """A decided tick with something to carry out (actions, or the algo's failure)."""
    return isinstance(item, Decided) and (bool(item.actions) or item.error is not None)
