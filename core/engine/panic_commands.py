"""The commands a panic runs, over the engine's collaborators (the :class:`PanicCommands` it needs)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from core.account import AccountState
from core.api import CommandResult
from core.engine.account_sync import AccountSync
from core.engine.reconcile import Reconciler
from core.model import Order, Position
from core.orders.executor import OrderExecutor
from core.venues.base import Venue

ClosePosition = Callable[..., Awaitable[CommandResult]]


class EnginePanicCommands:
    """Implements :class:`core.engine.panic.PanicCommands` with the executor, the venue and the
    account; closes go through the one order path (``close``: the guarded position close)."""

    def __init__(
        self,
        *,
        state: AccountState,
        executor: OrderExecutor,
        venue: Venue,
        account: AccountSync,
        reconciler: Reconciler,
        close: ClosePosition,
    ) -> None:
        self.state = state
        self.executor = executor
        self.venue = venue
        self.account = account
        self.reconciler = reconciler
        self.close = close

    def open_counts(self) -> tuple[int, int]:
        """(working orders, positions) the engine knows of now."""
        return len(self.state.orders), len(self.state.positions)

    async def cancel_all_orders(self) -> list[str]:
        """Cancel every working order on the venue (bypassing the endpoint breaker)."""
        venue = self.venue
        ids: list[str] = await self.executor.call(
            "cancel_all", lambda: venue.cancel_all(None), bypass_breaker=True
        )
        return ids

    async def venue_positions(self) -> list[Position]:
        """The positions as the venue has them now."""
        positions: list[Position] = await self.executor.call(
            "positions", self.venue.positions, bypass_breaker=True
        )
        return positions

    async def close_position(self, symbol: str, *, position: Position, source: str) -> CommandResult:
        """Close ``position`` reduce-only at market."""
        return await self.close(symbol, position=position, source=source)

    async def refresh_account(self) -> tuple[list[Order], list[Position]]:
        """Re-read the account from the venue and adopt it."""
        return await self.account.refresh_account()

    def settle_unknown(self) -> None:
        """Reconcile any unacknowledged order by client order id, in the background."""
        if self.state.unacknowledged():
            self.reconciler.schedule()
