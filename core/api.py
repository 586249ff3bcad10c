"""The engine's public face: result types and the protocol the console and strategies program against.

The console never touches venues, pybit, the risk chain or the journal directly; it calls these
commands and reads the :class:`~core.store.MarketStore` and the event stream.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol

from core.config import Settings
from core.events import RiskStatus
from core.model import AccountSnapshot, Instrument, Order, OrderRequest, Position, Side, TriggerBy
from core.store import MarketStore

if TYPE_CHECKING:
    from core.journal.journal import JournalRecord


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
    logged: bool = False
    """True when the engine has already put this outcome in the log pane (the console says it once)."""


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
    algos_stopped: int = 0
    """Algos the panic stopped (each cancelled and journaled) before it touched any order."""


@dataclass(frozen=True, slots=True)
class AlgoSnapshot:
    """One execution algo as the algos pane shows it (a copy: never changes after it is made)."""

    id: str
    kind: str
    """``chase``, ``scale``, ``twap``, ``iceberg``, ``bracket``, ``oco``, ``trail``, ``cond``."""
    symbol: str
    side: str
    """``Buy`` or ``Sell`` (empty when the algo has no single side, e.g. an OCO)."""
    state: str
    """``waiting``, ``running``, ``paused``, ``done``, ``cancelled`` or ``failed``."""
    filled: Decimal
    total: Decimal
    avg_price: Decimal | None
    arrival_price: Decimal | None
    note: str
    """One short line: ``slice 4/10``, ``chasing @ 95012.5``, or why it ended."""
    describe: str
    """The algo in one line: ``twap Buy 2 BTCUSDT over 30m``."""
    started_ms: int
    children: int
    """Child orders sent so far."""

    @property
    def terminal(self) -> bool:
        """True once the algo is done, cancelled or failed."""
        return self.state in ("done", "cancelled", "failed")


@dataclass(frozen=True, slots=True)
class AlgoChildPreview:
    """One child an algo would place now, with the engine's risk preview of it."""

    tag: str
    request: OrderRequest
    risk: RiskPreview
    trigger_by: TriggerBy | None = None


@dataclass(frozen=True, slots=True)
class AlgoPreview:
    """What :meth:`EngineAPI.start_algo` would do now, without sending anything.

    ``error`` names the bad parameter (the algo's ValueError text) and leaves ``children``
    empty; otherwise ``children`` are the orders the algo would place at once (for a scale,
    the exact ladder), each with its risk preview.
    """

    kind: str
    describe: str = ""
    children: tuple[AlgoChildPreview, ...] = ()
    error: str = ""
    notes: tuple[str, ...] = ()
    later: tuple[AlgoChildPreview, ...] = ()
    """Orders the algo places later (a conditional's order when it fires), each risk-previewed
    against the market of now: shown, not part of :attr:`ok` (the chain checks them again when
    they go, against the market of then)."""

    @property
    def ok(self) -> bool:
        """True when the parameters are valid and every child passes every check."""
        return not self.error and all(c.risk.allowed for c in self.children)


class EngineAPI(Protocol):
    """The command API plus state accessors. Every method is safe to call from the event loop."""

    settings: Settings
    store: MarketStore

    @property
    def instruments(self) -> dict[str, Instrument]:
        """Tradable instruments by symbol, loaded from the venue at start."""
        ...

    def held_symbols(self) -> tuple[str, ...]:
        """Configured symbols whose part of the venue was down at start-up and is not admitted
        yet (no instruments until it is; orders for them are refused naming the venue)."""
        ...

    async def start(self, *, metrics: bool = True) -> None:
        """Connect, load instruments, reconcile with the journal, start feeds; with ``metrics`` the
        metrics/health server first, else it waits for :meth:`start_metrics`."""
        ...

    async def start_metrics(self) -> None:
        """Start the metrics/health server if configured and not started yet."""
        ...

    async def stop(self) -> None:
        """Stop feeds and algos; exchange-side orders stay where they are."""
        ...

    def preview(self, request: OrderRequest, *, amending: str | None = None) -> RiskPreview:
        """Build and risk-check ``request`` without sending anything. ``amending``: the link id of
        the working order ``request`` would replace (an amend's preview), left out of the
        open-order totals."""
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
        expect: Order | None = None,
    ) -> CommandResult:
        """Amend a working order's qty, limit price and/or trigger price (None = unchanged);
        ``expect``: the order as the trader saw it, refused unsent if it has changed since."""
        ...

    async def cancel(self, order_link_id: str) -> CommandResult:
        """Cancel one working order."""
        ...

    async def cancel_all(
        self, symbol: str | None = None, *, expect: frozenset[str] | None = None
    ) -> CommandResult:
        """Cancel every working order (on ``symbol``, or everywhere); with ``expect`` (the ids the
        trader was shown), only while exactly those are open (else refused, nothing sent)."""
        ...

    async def close_position(
        self, symbol: str, fraction: Decimal = Decimal(1), *, expect: tuple[Side, Decimal] | None = None
    ) -> CommandResult:
        """Close ``fraction`` of one position reduce-only at market (1 = all of it exactly; less is
        rounded down to the qty step); with ``expect`` (the side and size the trader was shown),
        refused unsent when the position is no longer that."""
        ...

    async def set_trading_stop(
        self,
        symbol: str,
        *,
        take_profit: Decimal | None = None,
        stop_loss: Decimal | None = None,
        trigger_by: TriggerBy = TriggerBy.MARK,
        expect: tuple[Side, Decimal] | None = None,
    ) -> CommandResult:
        """Set the whole position's TP and/or SL (None leaves one unchanged, 0 removes it); with
        ``expect`` (the side and size the trader was shown), refused unsent when the position is
        no longer that (its risk at the stop is not what the screen said)."""
        ...

    async def set_trailing_stop(
        self, symbol: str, distance: Decimal, activation: Decimal | None = None
    ) -> CommandResult:
        """The venue's own trailing stop on the whole position: ``distance`` (a price) behind the
        best last price, armed once the last price reaches ``activation``; 0 removes it.
        Refused on a venue without native trailing stops."""
        ...

    async def breakeven(
        self, symbol: str, *, trigger_by: TriggerBy = TriggerBy.MARK, expect: Decimal | None = None
    ) -> CommandResult:
        """Move the position's stop loss to its entry price (refused unless it is in profit, and with
        ``expect``, the stop the trader was shown, unless the entry still gives that stop)."""
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

    def position(self, symbol: str) -> Position | None:
        """The engine's position in ``symbol`` (None when it holds none), without copying the
        account as :meth:`account` does."""
        ...

    def journal_note(self, kind: str, *, symbol: str = "", data: Mapping[str, Any]) -> None:
        """Journal one record kept beside the order path (e.g. a paired order's leg risk)."""
        ...

    def journal_notes(self, kinds: tuple[str, ...]) -> list[JournalRecord]:
        """The journal's records of ``kinds``, oldest first (what a restart shows again)."""
        ...

    # --- execution algos (run in the engine, journaled, resumed after a restart) -----------------
    async def start_algo(self, kind: str, params: Mapping[str, Any]) -> CommandResult:
        """Build and start an algo of ``kind`` from ``params``; the message names its id (also in
        ``order_link_id``). Bad params: ok False with the ValueError's text naming the parameter."""
        ...

    async def pause_algo(self, algo_id: str, who: str = "user") -> CommandResult:
        """Pause a running algo (its working children are cancelled or left, per algo)."""
        ...

    async def resume_algo(self, algo_id: str, who: str = "user") -> CommandResult:
        """Resume a paused algo."""
        ...

    async def cancel_algo(self, algo_id: str, who: str = "user") -> CommandResult:
        """Cancel an algo and its working children."""
        ...

    def algos(self) -> list[AlgoSnapshot]:
        """Every algo of this session (running first, then ended), as the pane shows them."""
        ...

    def preview_algo(self, kind: str, params: Mapping[str, Any]) -> AlgoPreview:
        """The children ``kind`` with ``params`` would place now, each risk-previewed."""
        ...

    def risk_status(self) -> RiskStatus:
        """Current risk usage for the meters."""
        ...
