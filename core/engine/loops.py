"""The engine's background loops: the feed watchdog (twice a second) and housekeeping (once a
second: marks, breakers, rate metrics, alerts; an account sync every 15 s). Each step is guarded
on its own (:class:`~core.engine.failsafe.FailSafe`): one that fails is reported and the loop goes on."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from functools import partial

from core.account import AccountState
from core.engine.failsafe import FailSafe
from core.engine.guards import Guards
from core.engine.health import Health
from core.engine.link import VenueLink
from core.engine.publisher import Publisher
from core.engine.resync import RecoveryTiming
from core.events import Severity
from core.resilience.errors import VenueError
from core.store import MarketStore

HOUSEKEEPING_S = 1.0
SYNC_EVERY_TICKS = 15
"""Housekeeping ticks between two periodic account syncs."""


class Loops:
    """Runs the watchdog and housekeeping loops."""

    def __init__(
        self,
        *,
        failsafe: FailSafe,
        link: VenueLink,
        health: Health,
        guards: Guards,
        state: AccountState,
        store: MarketStore,
        refresh_account: Callable[[], Awaitable[object]],
        publisher: Publisher,
        timing: RecoveryTiming,
    ) -> None:
        self.failsafe = failsafe
        self.link = link
        self.health = health
        self.guards = guards
        self.state = state
        self.store = store
        self.refresh_account = refresh_account
        self.out = publisher
        self.timing = timing

    async def watchdog(self) -> None:
        """Feed checks twice a second; a failing step is reported and the loop goes on."""
        while True:
            await asyncio.sleep(self.timing.watchdog_s)
            feeds = self.link.feeds
            if feeds is None:
                continue
            books = self.link.books
            if books is not None:
                self.failsafe.step("watchdog.books", books.check)
            await self.failsafe.astep("watchdog.check", partial(asyncio.to_thread, feeds.check))
            self.failsafe.step("watchdog.ages", self.health.feed_age_metrics)

    async def housekeeping(self) -> None:
        """Once a second: marks, breakers, metrics, alerts; an account sync every 15 s."""
        ticks = 0
        safe = self.failsafe
        while True:
            await asyncio.sleep(HOUSEKEEPING_S)
            ticks += 1
            safe.step("housekeeping.marks", self.remark_positions)
            safe.step("housekeeping.breakers", self.guards.update)
            safe.step("housekeeping.rate_metrics", self.health.update_rate_metrics)
            safe.step("housekeeping.alerts", self.health.evaluate_alerts)
            if ticks % SYNC_EVERY_TICKS == 0:
                await safe.astep("housekeeping.account_sync", self.periodic_sync)

    def remark_positions(self) -> None:
        """Mark every position to the latest mark price."""
        for sym in list(self.state.positions):
            mark = self.store.mark_price(sym)
            if mark is not None:
                self.state.mark(sym, mark)

    async def periodic_sync(self) -> None:
        """The housekeeping loop's account sync (a failure is logged; the next one tries again)."""
        try:
            await self.refresh_account()
        except VenueError as err:
            self.out.log_line(f"periodic account sync failed: {err}", Severity.WARN)
