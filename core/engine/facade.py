"""The Engine: a thin facade over the collaborators it builds (implements :class:`core.api.EngineAPI`).

Its public face is the small command API of :class:`core.api.EngineAPI` plus the event stream
in :class:`core.store.MarketStore`. Every order — from the console, a strategy, an algo or a
panic — takes the one path (invariant 2), down the layers and never back here:

    order_path → pretrade (builder) → risk chain → lifecycle (journal intent) → executor
    → rate limiter → circuit breaker → retry → venue

Threads: all engine state is mutated on the event loop. Venue HTTP calls run in worker threads;
feed callbacks run on the feeds' threads and only write the store or hand work to the loop with
``call_soon_threadsafe`` (never blocking the feed thread).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from core.account import AccountState
from core.api import AlgoPreview, AlgoSnapshot, CommandResult, PanicReport, RiskPreview
from core.clock import Clock, SystemClock
from core.config import Settings
from core.endpoint_policy import check_venue_endpoint
from core.engine.compose import Base, build_order_side, build_runtime
from core.engine.guards import Guards
from core.engine.link import Tasks, VenueLink
from core.engine.outcomes import guarded
from core.engine.publisher import Publisher
from core.engine.resync import RecoveryTiming
from core.engine.wiring import build_support
from core.events import RiskStatus
from core.journal.journal import JournalRecord
from core.market.books import BookKeeper
from core.model import AccountSnapshot, Instrument, Order, OrderRequest, Position, Side, TriggerBy
from core.observability.baddata import BadDataTracker
from core.observability.health import HealthSnapshot
from core.orders.executor import OrderExecutor
from core.resilience.retry import RetryPolicy
from core.risk.breakers import BreakerBoard
from core.store import MarketStore
from core.venues.base import Feeds, Venue
from core.venues.registry import build_venue


class Engine:
    """The trading engine (implements :class:`core.api.EngineAPI`): builds its collaborators and
    delegates every command to the one that does it."""

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock | None = None,
        venue: Venue | None = None,
        store: MarketStore | None = None,
        recovery: RecoveryTiming | None = None,
        retry_policy: RetryPolicy | None = None,
    ) -> None:
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        self.store = store or MarketStore()
        shared = getattr(venue, "bad_data", None)
        self.bad_data = shared if isinstance(shared, BadDataTracker) else BadDataTracker(self.clock.monotonic)
        """Values the venue adapters rejected (REST and feeds share it); health and metrics read it."""
        self.venue: Venue = venue or build_venue(settings, now_ms=self.clock.now_ms, bad_data=self.bad_data)
        # Second mode check: the venue the engine uses (built or given) must match the mode.
        check_venue_endpoint(settings.mode, self.venue)
        self.state = AccountState()
        self.link = VenueLink(symbols=settings.risk.symbols)
        self.tasks = Tasks()
        self._recovery = recovery or RecoveryTiming()
        self.publisher = Publisher(self.store, self.clock)
        support = build_support(settings, self.venue, self.clock, self.health_snapshot, retry_policy)
        self.limiter = support.limiter
        self.endpoint_breakers = support.endpoint_breakers
        self.obs = support.obs
        self.metrics = support.metrics
        self.journal = support.journal
        self.guards = Guards(
            support.breaker_board,
            support.endpoint_breakers,
            self.state,
            self.journal,
            self.publisher,
            self.metrics,
            self.link,
        )
        self.executor = OrderExecutor(
            self.venue,
            settings.mode,
            self.limiter,
            self.endpoint_breakers,
            self.journal,
            policy=support.retry_policy,
            on_api_result=self.guards.on_api_result,
            on_call_result=self.guards.on_call_result,
        )
        base = Base(
            settings=settings,
            clock=self.clock,
            store=self.store,
            venue=self.venue,
            state=self.state,
            link=self.link,
            tasks=self.tasks,
            timing=self._recovery,
            publisher=self.publisher,
            bad_data=self.bad_data,
            support=support,
            guards=self.guards,
            executor=self.executor,
        )
        orders = build_order_side(base)
        self.lifecycle = orders.lifecycle
        self.pretrade = orders.pretrade
        self.reconciler = orders.reconciler
        self.account_sync = orders.account_sync
        self.order_path = orders.order_path
        self.amender = orders.amender
        self.position_tools = orders.position_tools
        runtime = build_runtime(base, orders)
        self.panic_runner = runtime.panic_runner
        self.failsafe = runtime.failsafe
        self.health = runtime.health
        self.streams = runtime.streams
        self.loops = runtime.loops
        self.startup = runtime.startup
        self.algo_runner = runtime.algos
        self.deadman = runtime.deadman
        """The venue's dead-man's switch, armed at start and re-armed while the engine runs."""

    # --- configuration and state ------------------------------------------------------------------
    @property
    def recovery(self) -> RecoveryTiming:
        """Watchdog, reconnect, resync and start-up timing (set before :meth:`start`)."""
        return self._recovery

    @recovery.setter
    def recovery(self, timing: RecoveryTiming) -> None:
        self._recovery = timing
        for part in (self.reconciler, self.streams, self.loops, self.startup):
            part.timing = timing

    @property
    def retry_policy(self) -> RetryPolicy:
        """The retry policy every venue call runs under."""
        return self.executor.policy

    @retry_policy.setter
    def retry_policy(self, policy: RetryPolicy) -> None:
        self.executor.policy = policy

    @property
    def instruments(self) -> dict[str, Instrument]:
        """Tradable instruments by symbol, loaded from the venue at start."""
        return self.pretrade.instruments

    def held_symbols(self) -> tuple[str, ...]:
        """Symbols of a part of the venue not admitted yet (:mod:`core.engine.admission`)."""
        return self.startup.admission.held_symbols()

    @property
    def breaker_board(self) -> BreakerBoard:
        """The account breakers (daily loss, balance, exposure, API failures)."""
        return self.guards.board

    @property
    def feeds(self) -> Feeds | None:
        """The market and private streams (None until started with feeds)."""
        return self.link.feeds

    @property
    def books(self) -> BookKeeper | None:
        """The local order books (None until started with feeds)."""
        return self.link.books

    @property
    def symbols(self) -> tuple[str, ...]:
        """The symbols traded (those the venue lists)."""
        return self.link.symbols

    @property
    def started(self) -> bool:
        """True between a completed :meth:`start` and :meth:`stop`."""
        return self.link.started

    def now_ms(self) -> int:
        """The engine clock."""
        return self.clock.now_ms()

    # --- lifecycle --------------------------------------------------------------------------------
    async def start(self, *, feeds: bool = True, metrics: bool = True) -> None:
        """Connect, load instruments, reconcile with the journal, start feeds. ``metrics=False``
        leaves the metrics/health server to :meth:`start_metrics` (the console starts it after its
        first frame: its import and thread are ~0.1 s of CPU a trader would otherwise wait for)."""
        await self.startup.start(feeds=feeds, metrics=metrics)

    async def start_metrics(self) -> None:
        """Start the metrics/health server if ``[metrics] enabled`` and not started yet."""
        await self.startup.start_metrics()

    async def stop(self) -> None:
        """Stop feeds and algos; exchange-side orders stay where they are."""
        await self.startup.stop()

    # --- commands ---------------------------------------------------------------------------------
    def preview(self, request: OrderRequest, *, amending: str | None = None) -> RiskPreview:
        """Build and risk-check ``request`` without sending anything (``amending``: the working
        order it would replace, left out of the open-order totals)."""
        return self.pretrade.preview(request, amending=amending)

    def fee_rates(self, symbol: str) -> tuple[Decimal, Decimal]:
        """The account's ``(taker, maker)`` fee rates for ``symbol``."""
        return self.pretrade.fee_rates(symbol)

    @guarded
    async def place(self, request: OrderRequest) -> CommandResult:
        """Build, risk-check, journal and send one order."""
        return await self.order_path.place(request)

    @guarded
    async def amend(
        self,
        order_link_id: str,
        *,
        qty: Decimal | None = None,
        price: Decimal | None = None,
        trigger_price: Decimal | None = None,
        expect: Order | None = None,
    ) -> CommandResult:
        """Amend a working order's qty, limit price and/or trigger price (the fields its type has),
        rebuilt and re-checked by the risk chain, journaled, then sent. ``expect`` is the order
        as the trader saw it: one whose qty, price or trigger changed since is refused unsent."""
        return await self.amender.amend(order_link_id, qty, price, trigger_price, expect=expect)

    @guarded
    async def cancel(self, order_link_id: str) -> CommandResult:
        """Cancel one working order."""
        return await self.order_path.cancel(order_link_id)

    @guarded
    async def cancel_all(
        self, symbol: str | None = None, *, expect: frozenset[str] | None = None
    ) -> CommandResult:
        """Cancel every working order (on ``symbol``, or everywhere); with ``expect`` (the ids the
        trader was shown), only while exactly those are open (else refused, nothing sent)."""
        return await self.order_path.cancel_all(symbol, expect=expect)

    @guarded
    async def close_position(
        self,
        symbol: str,
        fraction: Decimal = Decimal(1),
        *,
        position: Position | None = None,
        source: str = "user",
        expect: tuple[Side, Decimal] | None = None,
    ) -> CommandResult:
        """Close ``fraction`` of one position reduce-only at market (1 = all of it exactly; less is
        rounded down to the qty step); with ``expect`` (the side and size shown), only while the
        position is still that."""
        return await self.position_tools.close_position(
            symbol, fraction, position=position, source=source, expect=expect
        )

    @guarded
    async def flatten_all(self) -> CommandResult:
        """Stop every algo (each cancelled, journaled), then close every position reduce-only at
        market."""
        await self.algo_runner.stop_all("flatten")
        results = [await self.close_position(s) for s in list(self.state.positions)]
        ok = all(r.ok for r in results)
        return CommandResult(
            ok,
            f"{len(results)} positions closed" if ok else "; ".join(r.message for r in results if not r.ok),
        )

    async def panic(self) -> PanicReport:
        """Cancel all orders, stop all algos, close all positions, verify flat; keeps trying (with
        backoff, reporting each step) until flat or :meth:`stop_panic`."""
        return await self.panic_runner.run()

    def stop_panic(self, reason: str = "stopped by the trader") -> bool:
        """Stop a running panic (False when none is running); its report says it was stopped."""
        return self.panic_runner.request_stop(reason)

    @guarded
    async def set_leverage(self, symbol: str, leverage: Decimal) -> CommandResult:
        """Set leverage for ``symbol`` after our checks: > 0, within the instrument's range and
        step, and <= risk.max_leverage."""
        return await self.position_tools.set_leverage(symbol, leverage)

    async def margin_mode(self) -> str:
        """The account's margin mode in words (cross, isolated, portfolio), asked of the venue;
        raises :class:`~core.resilience.errors.VenueError` when it cannot be asked."""
        return await self.position_tools.margin_mode()

    @guarded
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
        ``expect`` (the side and size shown), only while the position is still that."""
        return await self.position_tools.set_trading_stop(symbol, take_profit, stop_loss, trigger_by, expect)

    @guarded
    async def set_trailing_stop(
        self, symbol: str, distance: Decimal, activation: Decimal | None = None
    ) -> CommandResult:
        """The venue's own trailing stop on the whole position (0 removes it)."""
        return await self.position_tools.set_trailing_stop(symbol, distance, activation)

    @guarded
    async def breakeven(
        self, symbol: str, *, trigger_by: TriggerBy = TriggerBy.MARK, expect: Decimal | None = None
    ) -> CommandResult:
        """Move the position's stop loss to its entry price (refused unless the position is in profit,
        and with ``expect``, the stop shown, unless the entry still gives that stop)."""
        return await self.position_tools.breakeven(symbol, trigger_by, expect)

    async def reset_breaker(self, name: str, who: str = "user", reason: str = "") -> CommandResult:
        """Explicitly reset a tripped breaker; who did it and ``reason`` go to the journal."""
        return self.guards.reset(name, who, reason)

    # --- execution algos --------------------------------------------------------------------------
    @guarded
    async def start_algo(self, kind: str, params: Mapping[str, Any]) -> CommandResult:
        """Build and start an algo; the message (and ``order_link_id``) names its id."""
        return await self.algo_runner.start_algo(kind, params)

    @guarded
    async def pause_algo(self, algo_id: str, who: str = "user") -> CommandResult:
        """Pause a running algo (journaled with who asked)."""
        return await self.algo_runner.control(algo_id, "pause", who)

    @guarded
    async def resume_algo(self, algo_id: str, who: str = "user") -> CommandResult:
        """Resume a paused algo (journaled with who asked)."""
        return await self.algo_runner.control(algo_id, "resume", who)

    @guarded
    async def cancel_algo(self, algo_id: str, who: str = "user") -> CommandResult:
        """Cancel an algo and its working children (journaled with who asked)."""
        return await self.algo_runner.control(algo_id, "cancel", who)

    def algos(self) -> list[AlgoSnapshot]:
        """Every algo of this session, live ones first."""
        return self.algo_runner.algos()

    def preview_algo(self, kind: str, params: Mapping[str, Any]) -> AlgoPreview:
        """The children an algo would place now, each risk-previewed (nothing is sent)."""
        return self.algo_runner.preview(kind, params)

    # --- state for the console --------------------------------------------------------------------
    def account(self) -> AccountSnapshot:
        """The latest balance, positions and open orders."""
        return self.state.snapshot()

    def position(self, symbol: str) -> Position | None:
        """The engine's position in ``symbol`` (None when it holds none)."""
        return self.state.positions.get(symbol)

    def journal_note(self, kind: str, *, symbol: str = "", data: Mapping[str, Any]) -> None:
        """Journal one record kept beside the order path (e.g. a paired order's leg risk)."""
        self.journal.record(kind, symbol=symbol, **dict(data))

    def journal_notes(self, kinds: tuple[str, ...]) -> list[JournalRecord]:
        """The journal's records of ``kinds``, oldest first."""
        return self.journal.query(kinds=kinds)

    def risk_status(self) -> RiskStatus:
        """Current risk usage for the meters."""
        return self.health.risk_status()

    def feed_ages(self) -> dict[str, float]:
        """Seconds since the last book message per symbol."""
        return self.link.feed_ages()

    def health_snapshot(self) -> HealthSnapshot:
        """What /healthz reports."""
        return self.health.snapshot()
