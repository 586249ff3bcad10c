"""The engine's public face: result types and the protocol the console and strategies program against.

The console never touches venues, pybit, the risk chain or the journal directly; it calls these
commands and reads the :class:`~core.store.MarketStore` and the event stream.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

from core.config import Settings
from core.events import RiskStatus
from core.model import AccountSnapshot, Instrument, OrderRequest, TriggerBy
from core.store import MarketStore


@dataclass(frozen=True, slots=True)
class CheckResult:
    """The verdict of one risk check. ``reason`` carries the numbers when it blocks."""

    check: str
    passed: bool
    reason: str = ""


@dataclass(frozen=True, slots=True)
class RiskPreview:
    """What the order ticket shows before sending."""

    symbol: str
    qty: Decimal
    price: Decimal | None
    notional: Decimal
    initial_margin: Decimal
    est_fee: Decimal
    liq_price: Decimal | None
    loss_at_stop: Decimal | None
    checks: tuple[CheckResult, ...]
    build_error: str = ""
    trigger: Decimal | None = None
    """The trigger price that will be sent (after rounding), for conditional orders."""
    take_profit: Decimal | None = None
    """The take-profit that will be sent (after rounding)."""
    stop_loss: Decimal | None = None
    """The stop-loss that will be sent (after rounding)."""
    adjustments: tuple[str, ...] = ()
    """One line per value the builder changed from what was typed (``qty 0.0015 → 0.001 (step 0.001)``)."""
    notes: tuple[str, ...] = ()
    """Plain-words facts about the order: liquidity taken, what an attached TP/SL governs."""
    stop_qty: Decimal | None = None
    """Contracts the stop-loss will close: the whole resulting position, not just this order."""
    closing_qty: Decimal = Decimal(0)
    """Contracts of an existing position this order closes (reduce-only or opposite side)."""
    margin_released: Decimal | None = None
    """Initial margin freed by the closing part, when the order reduces a position."""
    realised_pnl: Decimal | None = None
    """Estimated realised PnL of the closing part (after the exit fee), when the order reduces a position."""

    @property
    def allowed(self) -> bool:
        """True when the order would be built and every check passes."""
        return not self.build_error and all(c.passed for c in self.checks)

    @property
    def blocking(self) -> CheckResult | None:
        """The first failing check, if any."""
        return next((c for c in self.checks if not c.passed), None)


@dataclass(frozen=True, slots=True)
class CommandResult:
    """Outcome of an engine command. ``ok`` False always comes with a human ``message``."""

    ok: bool
    message: str
    order_link_id: str = ""
    check: str = ""
    ret_code: int = 0


@dataclass(frozen=True, slots=True)
class PanicReport:
    """Outcome of a panic run: each step in order, and whether the account ended flat."""

    flat: bool
    steps: tuple[str, ...]
    cancelled: int
    closed: int
    duration_s: float
    remaining: tuple[str, ...] = field(default_factory=tuple)
    stopped: bool = False
    """True when the trader (or shutdown) stopped the panic before the account was flat."""


class EngineAPI(Protocol):
    """The command API plus state accessors. Every method is safe to call from the event loop."""

    settings: Settings
    store: MarketStore

    @property
    def instruments(self) -> dict[str, Instrument]:
        """Tradable instruments by symbol, loaded from the venue at start."""
        ...

    async def start(self) -> None:
        """Connect, load instruments, reconcile with the journal, start feeds."""
        ...

    async def stop(self) -> None:
        """Stop feeds and algos; exchange-side orders stay where they are."""
        ...

    def preview(self, request: OrderRequest) -> RiskPreview:
        """Build and risk-check ``request`` without sending anything."""
        ...

    def fee_rates(self, symbol: str) -> tuple[Decimal, Decimal]:
        """The account's ``(taker, maker)`` fee rates for ``symbol``."""
        ...

    async def place(self, request: OrderRequest) -> CommandResult:
        """Build, risk-check, journal and send one order."""
        ...

    async def amend(
        self,
        order_link_id: str,
        *,
        qty: Decimal | None = None,
        price: Decimal | None = None,
        trigger_price: Decimal | None = None,
    ) -> CommandResult:
        """Amend a working order's qty, limit price and/or trigger price (None = unchanged)."""
        ...

    async def cancel(self, order_link_id: str) -> CommandResult:
        """Cancel one working order."""
        ...

    async def cancel_all(self, symbol: str | None = None) -> CommandResult:
        """Cancel every working order (on ``symbol``, or everywhere)."""
        ...

    async def close_position(self, symbol: str, fraction: Decimal = Decimal(1)) -> CommandResult:
        """Close ``fraction`` of one position reduce-only at market (1 = all of it exactly; less is
        rounded down to the qty step)."""
        ...

    async def set_trading_stop(
        self,
        symbol: str,
        *,
        take_profit: Decimal | None = None,
        stop_loss: Decimal | None = None,
        trigger_by: TriggerBy = TriggerBy.MARK,
    ) -> CommandResult:
        """Set the whole position's TP and/or SL (None leaves one unchanged, 0 removes it)."""
        ...

    async def breakeven(self, symbol: str, *, trigger_by: TriggerBy = TriggerBy.MARK) -> CommandResult:
        """Move the position's stop loss to its entry price (refused unless it is in profit)."""
        ...

    async def margin_mode(self) -> str:
        """The account's margin mode in words (cross, isolated, portfolio), asked of the venue."""
        ...

    async def flatten_all(self) -> CommandResult:
        """Close every position reduce-only at market."""
        ...

    async def panic(self) -> PanicReport:
        """Cancel all orders, stop all algos, close all positions, verify flat; keeps trying (with
        backoff, reporting each step) until flat or :meth:`stop_panic`."""
        ...

    def stop_panic(self, reason: str = "stopped by the trader") -> bool:
        """Stop a running panic (False when none is running); its report says it was stopped."""
        ...

    async def reset_breaker(self, name: str, who: str = "user", reason: str = "") -> CommandResult:
        """Explicitly reset a tripped breaker; who did it and ``reason`` go to the journal."""
        ...

    async def set_leverage(self, symbol: str, leverage: Decimal) -> CommandResult:
        """Set leverage for ``symbol``."""
        ...

    def account(self) -> AccountSnapshot:
        """The latest balance, positions and open orders."""
        ...

    def risk_status(self) -> RiskStatus:
        """Current risk usage for the meters."""
        ...
