"""Keeps the account state true: REST snapshots adopted as the truth, private pushes applied,
fills taken once (journaled, timed), missed fills backfilled, implausible wallets confirmed."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from functools import partial

from core.account import AccountState, day_start
from core.clock import Clock
from core.engine.fill_pnl import attach_closed_pnl
from core.engine.guards import Guards
from core.engine.lifecycle import OrderJournal
from core.engine.link import VenueLink
from core.engine.publisher import Publisher
from core.engine.sent_times import SentTimes
from core.events import Event, FillReceived, Severity
from core.market.timerange import TimeRange
from core.metrics import Metrics
from core.model import Balance, Fill, Order, Position
from core.orders.executor import OrderExecutor
from core.resilience.errors import VenueError
from core.store import MarketStore
from core.venues.base import Venue

BACKFILL_LOOKBACK_MS = 3_600_000
"""How far back a backfill looks when no fill has been seen yet."""


class AccountSync:
    """Adopts the venue's word on orders, positions, balance and fills into the account state."""

    def __init__(
        self,
        *,
        clock: Clock,
        state: AccountState,
        store: MarketStore,
        executor: OrderExecutor,
        venue: Venue,
        lifecycle: OrderJournal,
        publisher: Publisher,
        guards: Guards,
        link: VenueLink,
        metrics: Metrics,
        sent_at: SentTimes,
        reconcile_later: Callable[[], None],
    ) -> None:
        self.clock = clock
        self.state = state
        self.store = store
        self.executor = executor
        self.venue = venue
        self.lifecycle = lifecycle
        self.out = publisher
        self.guards = guards
        self.link = link
        self.metrics = metrics
        self.sent_at = sent_at
        self.reconcile_later = reconcile_later
        self._wallet_check: asyncio.Task[None] | None = None
        guards.on_wallet_jump = self.confirm_wallet_later

    # --- REST snapshots ---------------------------------------------------------------------
    async def refresh_account(self) -> tuple[list[Order], list[Position]]:
        """REST snapshot of open orders, positions and balance, adopted as the truth.

        Each request is marked (:meth:`core.account.AccountState.begin_snapshot`) just before it
        goes out, so whatever the engine hears after that (an ack, a push) is never overruled by
        a reply the venue may have produced earlier.
        """
        orders_since = self.state.begin_snapshot()
        orders = await self.executor.call("open_orders", self.venue.open_orders, bypass_breaker=True)
        positions_since = self.state.begin_snapshot()
        positions = await self.executor.call("positions", self.venue.positions, bypass_breaker=True)
        balance = await self.executor.call("balance", self.venue.balance, bypass_breaker=True)
        now = self.clock.now_ms()
        in_flight = self.link.in_flight
        events = self.state.replace_open_orders(orders, now, orders_since, keep=in_flight)
        events += self.state.replace_positions(positions, now, positions_since)
        self.guards.wallet_guard.confirm(balance)
        if balance is not None:
            events += self.state.apply_balance(balance, now)
            self.guards.pnl_settled()
        self.out.publish_all(events)
        self.guards.update()
        if any(o.order_link_id not in in_flight for o in self.state.unacknowledged()):
            self.reconcile_later()  # an unknown outcome no snapshot may judge: ask by id
        return orders, positions

    def confirm_wallet_later(self, bal: Balance) -> None:
        """A wallet moved implausibly far in one message: ask the venue (once at a time)."""
        if self._wallet_check is not None and not self._wallet_check.done():
            return
        self.out.log_line(
            f"wallet equity {bal.equity} in one message (breakers saw {self.guards.wallet_guard.fed}): "
            "held until the venue confirms it over REST",
            Severity.WARN,
        )
        self._wallet_check = asyncio.get_running_loop().create_task(self._confirm_wallet())

    async def _confirm_wallet(self) -> None:
        try:
            balance = await self.executor.call("balance", self.venue.balance, bypass_breaker=True)
        except VenueError as err:
            self.out.log_line(
                f"wallet confirmation failed ({err}); the breakers keep their view", Severity.WARN
            )
            return
        self.guards.wallet_guard.confirm(balance)
        if balance is not None:
            self.out.publish_all(self.state.apply_balance(balance, self.clock.now_ms()))
        self.guards.update()

    # --- pushes (on the loop, from the feed sink) ----------------------------------------------
    def _adopt(self, events: list[Event]) -> None:
        self.out.publish_all(events, wake=True)
        self.guards.update()

    def apply_order(self, order: Order) -> None:
        """An order push: journaled and adopted."""
        self.lifecycle.order_update(order)
        self._adopt(self.state.apply_order(order, self.clock.now_ms()))

    def apply_fill(self, fill: Fill) -> None:
        """An execution push: recorded once (state, journal, latency)."""
        now = self.clock.now_ms()
        self.guards.pnl_moving(now)
        self._adopt(self.take_fill(fill, now))

    def apply_position(self, position: Position) -> None:
        """A position push. A size change holds the daily-loss breaker until the wallet follows."""
        now = self.clock.now_ms()
        prev = self.state.positions.get(position.symbol)
        if (prev.size if prev else 0) != position.size:
            # Realised PnL lands in the wallet push that follows; until then the wallet and
            # the positions disagree, and the daily-loss breaker must not judge them.
            self.guards.pnl_moving(now)
        self._adopt(self.state.apply_position(position, now))

    def apply_balance(self, balance: Balance) -> None:
        """A wallet push."""
        self.guards.pnl_settled()
        self._adopt(self.state.apply_balance(balance, self.clock.now_ms()))

    # --- fills ------------------------------------------------------------------------------
    def take_fill(
        self, fill: Fill, now: int, *, backfilled: bool = False, journal: bool = True
    ) -> list[Event]:
        """Record an execution once: state, journal (unless it already holds it) and place→fill
        latency; returns its events."""
        events = self.state.apply_fill(fill, now)
        if not events:
            return events
        self.store.put_fill(fill)
        if journal:
            self.lifecycle.fill(fill, backfilled=backfilled)
        sent = self.sent_at.pop(fill.order_link_id, None)
        if sent is not None:
            self.metrics.observe_place_fill(self.clock.monotonic() - sent)
        return events

    async def backfill_fills(self) -> int:
        """Fetch executions missed while a socket was down (explicit TimeRange, deduplicated; a
        fill the journal already holds, as after a restart, is not journaled again)."""
        now = self.clock.now_ms()
        since = max((f.ts_ms for f in self.state.fills), default=now - BACKFILL_LOOKBACK_MS)
        window = TimeRange(min(since, now - 1), now + 1)
        fills = await self._fetch_fills(window)
        journaled = self._journaled_exec_ids(window.start_ms) if fills else set()
        added = earlier = 0
        for fill in fills:
            known = fill.exec_id in journaled
            events = self.take_fill(fill, now, backfilled=True, journal=not known)
            added += bool(events)
            if known and events:
                earlier += 1
                events = [replace(e, earlier=True) if isinstance(e, FillReceived) else e for e in events]
            self.out.publish_all(events)
        if earlier:
            self.out.log_line(f"{earlier} earlier fills taken again from the venue (already journaled)")
        return added

    async def load_day(self) -> int:
        """Today's fills (UTC day) and their realised PnL, as the venue has them.

        Fills made before this session (earlier today, or by another session) are taken once
        (by exec id, as pushes are) into the account state and the store, so the fills pane and
        :attr:`AccountState.realised_today` cover the whole day after a restart. They are history,
        not news: no event per fill, one log line; a fill the journal already holds is not
        journaled again.
        """
        now = self.clock.now_ms()
        start = day_start(now)
        fills = await self._fetch_fills(TimeRange(start, now + 1))
        journaled = self._journaled_exec_ids(start)
        added = 0
        for fill in fills:
            added += bool(self.take_fill(fill, now, backfilled=True, journal=fill.exec_id not in journaled))
        if added:
            self.out.log_line(
                f"{added} earlier fills of today loaded; today's realised PnL "
                f"{self.state.realised_today - self.state.fees_today:,.2f} net of fees"
            )
        return added

    async def _fetch_fills(self, window: TimeRange) -> list[Fill]:
        """The venue's executions in ``window``, oldest first, each closing fill with its realised
        PnL from the venue's closed-PnL records of the same window."""
        records = await self.executor.call("closed_pnl", partial(self.venue.closed_pnl, window))
        fills = await self.executor.call("executions", partial(self.venue.executions, window))
        fills.sort(key=lambda f: (f.ts_ms, f.exec_id))
        return attach_closed_pnl(fills, records, self.state.fills)

    def _journaled_exec_ids(self, since_ms: int) -> set[str]:
        records = self.lifecycle.journal.query(since_ms=since_ms, kinds=["fill"])
        return {str(r.data.get("exec_id", "")) for r in records}
