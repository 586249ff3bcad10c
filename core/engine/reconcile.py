"""Unknown outcomes resolved by asking the venue by client order id (invariant 8).

Intents the journal never saw settled (a crash, a lost reply) and placeholders the venue never
acknowledged are looked up one by one; what the venue says is adopted and journaled. Until the
venue has answered for every one of them, :meth:`Reconciler.schedule` keeps asking with backoff.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from functools import partial

from core.account import AccountState
from core.engine.lifecycle import OrderJournal
from core.engine.link import Tasks, VenueLink
from core.engine.publisher import Publisher
from core.engine.resync import RecoveryTiming
from core.events import Severity
from core.journal.adopt import adopt_unknown_orders
from core.journal.journal import Journal
from core.model import Instrument, OrderStatus
from core.orders.executor import OrderExecutor
from core.resilience.errors import VenueError
from core.venues.base import Venue

log = logging.getLogger(__name__)


async def _not_wired() -> None:
    raise RuntimeError("reconciler used before the account sync was wired to it")


class Reconciler:
    """Asks the venue about every order whose outcome the engine does not know."""

    def __init__(
        self,
        *,
        state: AccountState,
        journal: Journal,
        lifecycle: OrderJournal,
        executor: OrderExecutor,
        venue: Venue,
        instruments: dict[str, Instrument],
        link: VenueLink,
        publisher: Publisher,
        tasks: Tasks,
        timing: RecoveryTiming,
    ) -> None:
        self.state = state
        self.journal = journal
        self.lifecycle = lifecycle
        self.executor = executor
        self.venue = venue
        self.instruments = instruments
        self.link = link
        self.out = publisher
        self.tasks = tasks
        self.timing = timing
        self.refresh_account: Callable[[], Awaitable[object]] = _not_wired
        """The account sync run once every order is settled (wired by the engine: it also asks
        this reconciler to run, so one of the two is wired after both exist)."""
        self.unchecked_orders = 0
        """Orders the last :meth:`reconcile_journal` could not ask the venue about (it is run again)."""
        self._task: asyncio.Task[None] | None = None

    async def reconcile_journal(self) -> list[str]:
        """Ask the venue about every order whose outcome the engine does not know; report each one.

        These are intents the journal never saw settled (a crash, a lost reply) and placeholders
        the venue never acknowledged. An order the venue cannot be asked about now is counted in
        :attr:`unchecked_orders` and stays open in the journal for the next run.
        """
        differences: list[str] = []
        targets = [(rec.symbol, rec.order_link_id) for rec in self.journal.open_intents()]
        listed = {link for _, link in targets}
        targets += [
            (o.symbol, o.order_link_id) for o in self.state.unacknowledged() if o.order_link_id not in listed
        ]
        unchecked = 0
        for symbol, link in targets:
            if symbol not in self.instruments or link in self.link.in_flight:
                continue
            msg, checked = await self._reconcile_one(symbol, link)
            unchecked += not checked
            differences.append(msg)
        self.unchecked_orders = unchecked
        differences += adopt_unknown_orders(self.journal, self.state.orders.values())
        if self.journal.recovery is not None and not self.link.started:
            self.out.log_line(self.journal.recovery.message(), Severity.ERROR)
        for msg in differences:
            self.out.log_line(f"reconcile: {msg}", Severity.WARN)
        if not differences:
            self.lifecycle.reconcile_clean()
        return differences

    async def _reconcile_one(self, symbol: str, link: str) -> tuple[str, bool]:
        """Ask the venue for ``link``; adopt and journal its answer. (What was found, answered?)"""
        try:
            order = await self.executor.call("open_orders", partial(self.venue.find_order, symbol, link))
        except VenueError as err:
            return f"{link}: could not check ({err})", False
        now = self.out.now_ms()
        if order is None:
            msg = f"{link} ({symbol}): journaled intent never reached the venue"
            placeholder = self.state.orders.get(link)
            if placeholder is not None:
                gone = replace(
                    placeholder, status=OrderStatus.REJECTED, reject_reason="never reached the venue"
                )
                self.out.publish_all(self.state.apply_order(gone, now), wake=True)
        else:
            msg = f"{link} ({symbol}): on the venue as {order.status.value}, filled {order.filled_qty}"
            self.out.publish_all(self.state.apply_order(order, now), wake=True)
        self.lifecycle.reconciled(symbol, link, found=order is not None, detail=msg)
        return msg, True

    def schedule(self, delay_s: float | None = None) -> None:
        """Resolve unknown-outcome orders in the background, asking again with backoff until the
        venue has answered for every one of them (then one account sync adopts the result)."""
        if self._task is not None and not self._task.done():
            return
        first, longest = self.timing.reconcile_backoff_s
        wait = first if delay_s is None else delay_s
        self._task = self.tasks.spawn(self._later(wait, min(wait * 2, longest)), "engine-reconcile")

    async def _later(self, wait: float, next_wait: float) -> None:
        await asyncio.sleep(wait)
        try:
            await self.reconcile_journal()
            if not self.unchecked_orders:
                await self.refresh_account()
        except VenueError as err:
            self.out.log_line(f"reconcile failed: {err}; retrying in {next_wait:.0f}s", Severity.WARN)
        except Exception:  # a bug must not end the asking: the orders would stay unknown
            log.exception("reconcile raised unexpectedly; retrying")
        else:
            if not self.unchecked_orders:
                return
            self.out.log_line(
                f"reconcile: {self.unchecked_orders} order(s) could not be checked; "
                f"asking again in {next_wait:.0f}s",
                Severity.WARN,
            )
        self._task = None
        self.schedule(next_wait)
