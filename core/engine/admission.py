"""Late admission: a venue made of parts (:mod:`core.venues.staged`) starts with the parts that
answer, and each part that was down at start-up is brought in by itself once it answers.

At start-up (:meth:`LateAdmission.probe`) every part is asked once; the ones that do not answer
are held (when none answers, nothing is held: start-up waits for the venue as it always did). A
held part is shown as a ``down`` stream named after it, its symbols are refused with the venue's
reason (nothing is sent) and a panic says it could not reach it. In the background
(:meth:`LateAdmission.run`) each held part is asked again with backoff; once it answers it is
admitted and caught up: its instruments, fees and tickers, the account (its positions, open
orders and balance join the others'), the journal's reconciliation for its orders, its feeds and
the dead-man's switch. A part that fails half-way is held again and asked again later.

The daily loss stays honest across the change of parts: while a part is held, the journaled
opening baseline (which counted every part) is kept aside and the day's loss is counted from
start-up; once every part is in, that opening baseline is taken again, or, without one from today,
the baseline is moved by what the admitted part brought (its wallet is no day's profit).

A venue without parts has no held part: none of this runs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import TYPE_CHECKING

from core.engine.link import Tasks, VenueLink
from core.engine.publisher import Publisher
from core.events import Connectivity, Severity
from core.resilience.errors import VenueError
from core.venues.base import Venue
from core.venues.staged import StagedVenue, staged_feeds_of, staged_of

if TYPE_CHECKING:
    from core.engine.startup import EngineParts

DOWN = "down"
UP = "up"


class LateAdmission:
    """Holds the parts of a venue that are down at start-up and admits each once it answers."""

    def __init__(
        self,
        *,
        venue: Venue,
        link: VenueLink,
        parts: EngineParts,
        publisher: Publisher,
        tasks: Tasks,
        retry_s: tuple[float, float],
        load_market: Callable[[tuple[str, ...]], Awaitable[None]],
    ) -> None:
        self.staged: StagedVenue | None = staged_of(venue)
        self.link = link
        self.parts = parts
        self.out = publisher
        self.tasks = tasks
        self.retry_s = retry_s
        self.load_market = load_market
        """Instruments, fee rates and first tickers for the given symbols (start-up's own)."""
        self.admitted: list[str] = []
        """The parts admitted late, in order (for tests and the log)."""
        self.attempts = 0
        """Times a held part was asked again (for tests and diagnostics)."""

    def held(self) -> tuple[str, ...]:
        """The parts not admitted yet."""
        return () if self.staged is None else self.staged.held_parts()

    def held_symbols(self) -> tuple[str, ...]:
        """Our symbols that a held part trades."""
        staged = self.staged
        if staged is None:
            return ()
        return tuple(s for part in staged.held_parts() for s in staged.part_symbols(part, self.link.symbols))

    async def probe(self) -> None:
        """Ask every part once; hold the ones that do not answer (unless none answers)."""
        staged = self.staged
        if staged is None:
            return
        self.parts.pretrade.held_reason = staged.held_reason
        self.parts.panic.unreached = staged.held_parts
        down: dict[str, VenueError] = {}
        for part in staged.parts():
            try:
                await asyncio.to_thread(staged.probe_part, part)
            except VenueError as err:
                down[part] = err
        if len(down) == len(staged.parts()):
            return  # nothing answers: start-up waits for the venue as a whole, as it always did
        self.parts.guards.hold_baseline()
        for part, why in down.items():
            staged.hold_part(part)
            self._report(part, DOWN, f"not answering at start-up ({why}); admitted once it answers")
            self.out.log_line(
                f"venue {part} is down ({why}): its symbols are refused until it answers; "
                "the other venues trade",
                Severity.WARN,
            )

    def spawn(self) -> None:
        """Start asking the held parts again in the background (nothing when none is held)."""
        if self.held():
            self.tasks.spawn(self.run(), "engine-admission")

    async def run(self) -> None:
        """Ask each held part again with backoff until every one is admitted."""
        first, longest = self.retry_s
        delay = first
        while self.held():
            await asyncio.sleep(delay)
            for part in self.held():
                if await self.try_admit(part):
                    delay = first
            delay = min(delay * 2, longest)

    async def try_admit(self, part: str) -> bool:
        """Ask ``part``; when it answers, admit it and catch it up. True when admitted."""
        staged = self.staged
        if staged is None:
            return False
        self.attempts += 1
        try:
            await asyncio.to_thread(staged.probe_part, part)
        except VenueError:
            return False  # still down: said when it was held, not again at every retry
        try:
            staged.admit_part(part)
            await self._catch_up(staged, part)
        except VenueError as err:
            staged.hold_part(part)
            self._report(part, DOWN, f"not admitted ({err}); asking again")
            return False
        self.admitted.append(part)
        self._report(part, UP, "admitted")
        self.out.log_line(f"venue {part} is up: admitted (account, orders and feeds caught up)")
        return True

    async def _catch_up(self, staged: StagedVenue, part: str) -> None:
        """What start-up did for the other parts, for ``part``'s symbols and account."""
        p = self.parts
        await self.load_market(staged.part_symbols(part, self.link.symbols))
        before = self._wallet()
        await p.account.refresh_account()
        self._rebase(before, last=not staged.held_parts())
        await p.reconciler.reconcile_journal()
        if p.reconciler.unchecked_orders:
            p.reconciler.schedule()
        feeds = staged_feeds_of(self.link.feeds)
        if feeds is not None:
            await asyncio.to_thread(feeds.start_part, part)
            p.streams.reseed_candles()
        if p.deadman.enabled:
            await p.deadman.arm()

    def _wallet(self) -> tuple[Decimal, Decimal] | None:
        """(wallet, unrealised) as the breakers count them now."""
        state = self.parts.account.state
        bal = state.balance
        return None if bal is None else (bal.wallet_balance, state.unrealised)

    def _rebase(self, before: tuple[Decimal, Decimal] | None, *, last: bool) -> None:
        """The account just grew by the admitted part: the wallet jump is the venue's own answer
        (no jump to hold back), and the daily-loss baseline follows it."""
        guards = self.parts.guards
        guards.wallet_guard.confirm(self.parts.account.state.balance)
        if last and guards.release_baseline():
            return  # today's opening baseline, taken when every part was in
        base, after = guards.board.baseline(), self._wallet()
        if base is None or before is None or after is None:
            return  # no baseline yet: the first PnL sets one with every admitted part in it
        day, realised, unrealised = base
        moved = (realised + after[0] - before[0], unrealised + after[1] - before[1])
        guards.board.restore_baseline(day, *moved, self.out.now_ms())

    def _report(self, part: str, state: str, detail: str) -> None:
        self.out.publish(Connectivity(self.out.now_ms(), part, state, detail), wake=True)


__all__ = ["LateAdmission"]
