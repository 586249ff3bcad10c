"""The Engine: owns the venue, the risk chain, the feeds, the account state and the journal.

Its public face is the small command API of :class:`core.api.EngineAPI` plus the event stream
in :class:`core.store.MarketStore`. Every order — from the console, a strategy, an algo or a
panic — takes the one path (invariant 2):

    builder → risk chain → journal intent → executor → rate limiter → circuit breaker → retry → venue

Threads: all engine state is mutated on the event loop. pybit HTTP calls run in worker threads
(``asyncio.to_thread``); pybit WebSocket callbacks run on pybit's threads and only write the
store or hand work to the loop with ``call_soon_threadsafe`` (never blocking the feed thread).
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable, Coroutine
from dataclasses import replace
from decimal import Decimal
from functools import partial
from typing import Any, ParamSpec

from core.account import AccountState
from core.api import CommandResult, PanicReport, RiskPreview
from core.clock import Clock, SystemClock
from core.config import Settings, assert_endpoint_matches_mode
from core.engine_amend import OrderAmender
from core.engine_outcomes import WriteOutcomes, cancel_applied
from core.engine_positions import PositionTools
from core.engine_runtime import EngineRuntime
from core.events import Event, LogLine, RiskRejected, RiskStatus, Severity, VenueRejected
from core.failsafe import FailSafe
from core.journal.journal import JournalUnwritable
from core.model import (
    AccountSnapshot,
    Instrument,
    Order,
    OrderRequest,
    OrderStatus,
    Position,
    TriggerBy,
)
from core.observability.baddata import BadDataTracker
from core.orders.builder import OrderBuilder
from core.orders.built import BuildError, BuiltOrder
from core.orders.executor import JournalEntry, OrderExecutor
from core.orders.ids import new_order_link_id
from core.orders.values import request_problem
from core.panic import PanicRunner
from core.resilience.errors import VenueError
from core.resilience.retry import RetryPolicy
from core.risk.context import RiskContext, summarize_open_orders
from core.risk.preview import PreviewContext, preview_order
from core.risk.sizing import DEFAULT_MAKER_FEE, DEFAULT_TAKER_FEE, error_preview
from core.sent_times import SentTimes
from core.store import MarketStore
from core.venues.base import Feeds, Venue
from core.venues.bybit.rest import BybitVenue

log = logging.getLogger(__name__)
P = ParamSpec("P")


def guarded(
    fn: Callable[P, Coroutine[Any, Any, CommandResult]],
) -> Callable[P, Coroutine[Any, Any, CommandResult]]:
    """A command never raises to its caller: any failure becomes a failed CommandResult, logged."""

    @functools.wraps(fn)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> CommandResult:
        try:
            return await fn(*args, **kwargs)
        except JournalUnwritable as exc:  # nothing was sent: the write it needed first was refused
            log.error("%s refused: %s", fn.__name__, exc)
            return CommandResult(False, f"rejected by journal: {exc}", check="journal")
        except VenueError as err:
            log.warning("%s failed: %s", fn.__name__, err)
            return CommandResult(False, f"{fn.__name__} failed: {err}")
        except Exception as exc:
            log.exception("%s failed unexpectedly", fn.__name__)
            return CommandResult(False, f"{fn.__name__} failed: {type(exc).__name__}: {exc}")

    return wrapper


class Engine(EngineRuntime):
    """The trading engine (implements :class:`core.api.EngineAPI`)."""

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock | None = None,
        venue: Venue | None = None,
        store: MarketStore | None = None,
        retry_policy: RetryPolicy | None = None,
    ) -> None:
        # Second mode check: the venue the engine builds must match the configured mode.
        assert_endpoint_matches_mode(settings.mode, settings.rest_url)
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        self.store = store or MarketStore()
        shared = getattr(venue, "bad_data", None)
        self.bad_data = shared if isinstance(shared, BadDataTracker) else BadDataTracker(self.clock.monotonic)
        """Values the venue adapters rejected (REST and feeds share it); health and metrics read it."""
        self.venue: Venue = venue or BybitVenue(settings, now_ms=self.clock.now_ms, bad_data=self.bad_data)
        self.state = AccountState()
        self.builder = OrderBuilder()
        self._instruments: dict[str, Instrument] = {}
        self._fees: dict[str, tuple[Decimal, Decimal]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._resync_pending = False
        self.pnl_settling_since: int | None = None
        self.in_flight: set[str] = set()
        """orderLinkIds being sent right now (reconciliation leaves them alone)."""
        self._reconcile_task: asyncio.Task[None] | None = None
        self._sent_at = SentTimes()
        self.started = False
        self.time_offset_ms: float | None = None
        self.venue_reachable = False
        self.symbols: tuple[str, ...] = settings.risk.symbols
        self._init_support()
        self.retry_policy = retry_policy or self.retry_policy  # injected (tests: a fast schedule)
        self.executor = OrderExecutor(
            self.venue,
            settings.mode,
            self.limiter,
            self.endpoint_breakers,
            self.journal,
            policy=self.retry_policy,
            on_api_result=self._on_api_result,
            on_call_result=self._on_call_result,
        )
        self.feeds: Feeds | None = None
        self.panic_runner = PanicRunner(self)
        self.amender = OrderAmender(self)
        self.outcomes = WriteOutcomes(self)
        self.position_tools = PositionTools(self)
        self.failsafe = FailSafe(self)

    # --- properties -------------------------------------------------------------------------
    @property
    def instruments(self) -> dict[str, Instrument]:
        """Tradable instruments by symbol."""
        return self._instruments

    def now_ms(self) -> int:
        """The engine clock."""
        return self.clock.now_ms()

    def publish(self, event: Event, *, wake: bool = False) -> None:
        """Queue an event for the console (and strategies)."""
        self.store.put_event(event, wake=wake)

    def log_line(self, message: str, severity: Severity = Severity.INFO, **fields: str) -> None:
        """A line for the console's log pane (and the structured log)."""
        self.publish(LogLine(self.now_ms(), message, severity, dict(fields)))
        self.trace(message, severity, **fields)

    def trace(self, message: str, severity: Severity = Severity.INFO, **fields: str) -> None:
        """A structured-log line only, for an outcome the console already shows through its typed
        event (OrderUpdated, RiskRejected, VenueRejected): the log pane says each thing once."""
        level = {Severity.INFO: logging.INFO, Severity.WARN: logging.WARNING}.get(severity, logging.ERROR)
        log.log(level, message, extra={"fields": fields})

    # --- the order path -------------------------------------------------------------------------
    def _ref_price(self, symbol: str) -> Decimal | None:
        ticker = self.store.ticker(symbol)
        if ticker is not None and ticker.mark_price > 0:
            return ticker.mark_price
        book = self.store.book(symbol)
        return book.mid if book is not None else None

    def risk_context(self, symbol: str, *, exclude: str | None = None) -> RiskContext:
        """A frozen snapshot of everything the risk checks need for ``symbol``.

        ``exclude`` leaves one working order out (the one being amended, which the amended
        request replaces rather than adds to).
        """
        inst = self._instruments[symbol]
        book = self.store.book(symbol)
        now = self.now_ms()
        marks = {s: m for s in self.symbols if (m := self._ref_price(s)) is not None}
        # The feed's own flag is live; the store's BookView lags it by up to one publish interval.
        stale = self.books.is_stale(symbol) if self.books is not None else bool(book and book.stale)
        return RiskContext(
            mode=self.settings.mode,
            rest_url=self.venue.rest_url,
            instrument=inst,
            mark_price=marks.get(symbol, Decimal(0)),
            best_bid=book.best_bid if book else None,
            best_ask=book.best_ask if book else None,
            book_stale=stale,
            # Book timestamps are the venue's clock: compare them on the venue's clock.
            book_age_s=(now + (self.time_offset_ms or 0) - book.ts_ms) / 1000 if book and book.ts_ms else 0.0,
            positions=dict(self.state.positions),
            open_orders=summarize_open_orders(
                (o for k, o in self.state.orders.items() if k != exclude), marks
            ),
            balance=self.state.balance,
            breakers=self.breaker_board.snapshot(),
            journal_error=self.journal.unwritable_reason,
        )

    def _build(self, request: OrderRequest, link_id: str | None = None) -> BuiltOrder | BuildError:
        bad = request_problem(request)  # NaN/Infinity/<= 0 never reach the builder's arithmetic
        if bad is not None:
            return bad
        inst = self._instruments.get(request.symbol)
        if inst is None:
            return BuildError("symbol_allowlist", f"{request.symbol} is not a configured, listed symbol")
        ref = self._ref_price(request.symbol)
        if ref is None and request.reduce_only:
            pos = self.state.positions.get(request.symbol)
            ref = pos.mark_price if pos is not None and pos.mark_price > 0 else None
        return self.builder.try_build(request, inst, ref_price=ref, order_link_id=link_id)

    async def _instrument_for_close(self, symbol: str) -> None:
        """A position in a symbol outside ``risk.symbols`` must still be closable: load it."""
        if symbol in self._instruments:
            return
        insts = await self.executor.call("instruments", partial(self.venue.instruments, (symbol,)))
        for inst in insts:
            self._instruments[inst.symbol] = inst

    def _leverage(self, symbol: str) -> Decimal:
        pos = self.state.positions.get(symbol)
        return pos.leverage if pos is not None else Decimal(10)

    def fee_rates(self, symbol: str) -> tuple[Decimal, Decimal]:
        """The account's ``(taker, maker)`` fee rates for ``symbol`` (Bybit's base tier until the
        venue's own rates are loaded)."""
        return self._fees.get(symbol, (DEFAULT_TAKER_FEE, DEFAULT_MAKER_FEE))

    def preview(self, request: OrderRequest) -> RiskPreview:
        """Build and risk-check ``request`` without sending anything."""
        built = self._build(request, link_id="preview")
        if isinstance(built, BuildError):
            return error_preview(request.symbol, request.qty, request.price, built)
        checks = self.risk_chain.evaluate(built, self.risk_context(request.symbol))
        taker, maker = self.fee_rates(request.symbol)
        book = self.store.book(request.symbol)
        ctx = PreviewContext(
            instrument=self._instruments[request.symbol],
            leverage=self._leverage(request.symbol),
            position=self.state.positions.get(request.symbol),
            best_bid=book.best_bid if book is not None else None,
            best_ask=book.best_ask if book is not None else None,
            taker_fee=taker,
            maker_fee=maker,
        )
        return preview_order(request, built, checks, ctx)

    def _reject(
        self,
        symbol: str,
        link_id: str,
        check: str,
        reason: str,
        intent: JournalEntry | None = None,
        *,
        action: str = "",
    ) -> CommandResult:
        """Refuse a command by a named check: journaled, published, counted.

        ``action`` names a command on an existing order (``amend``): its refusal is journaled under
        that order's id with ``action`` set, so it never reads as the order's own rejection (the
        order is live on the venue) and never settles the order's intent.
        """
        data: dict[str, object] = {"approved": False, "check": check, "reason": reason}
        if action:
            data["action"] = action
        decision: JournalEntry = ("risk_decision", symbol, link_id, data)
        self.journal.record_many([intent, decision] if intent else [decision])
        self.publish(RiskRejected(self.now_ms(), symbol, link_id, check, reason), wake=True)
        self.trace(
            f"REJECTED {symbol} by {check}: {reason}", Severity.WARN, symbol=symbol, order_link_id=link_id
        )
        self.metrics.risk_rejection(check)
        return CommandResult(False, f"rejected by {check}: {reason}", link_id, check=check)

    @guarded
    async def place(self, request: OrderRequest) -> CommandResult:
        """Build, risk-check, journal and send one order.

        The intent, the risk decision and the first request go to the journal in one durable
        write just before the order is sent (one fsync per order, not three).
        """
        link_id = new_order_link_id("tc")
        intent: JournalEntry = (
            "intent",
            request.symbol,
            link_id,
            {
                "side": request.side.value,
                "qty": str(request.qty),
                "price": str(request.price) if request.price is not None else "",
                "order_type": request.order_type.value,
                "reduce_only": request.reduce_only,
                "source": request.source,
            },
        )
        built = self._build(request, link_id)
        if isinstance(built, BuildError):
            return self._reject(request.symbol, link_id, built.check, built.reason, intent)
        failure = self.risk_chain.first_failure(built, self.risk_context(request.symbol))
        if failure is not None:
            return self._reject(request.symbol, link_id, failure.check, failure.reason, intent)
        approved: JournalEntry = ("risk_decision", built.symbol, link_id, {"approved": True})
        return await self._send(built, [intent, approved])

    async def _send(self, built: BuiltOrder, pre_records: list[JournalEntry]) -> CommandResult:
        link_id = built.order_link_id
        placeholder = Order(
            symbol=built.symbol,
            side=built.side,
            order_type=built.order_type,
            qty=built.qty,
            price=built.price,
            order_link_id=link_id,
            status=OrderStatus.CREATED,
            time_in_force=built.tif,
            reduce_only=built.reduce_only,
            trigger_price=built.trigger_price,
            trigger_direction=built.trigger_direction,
            created_ms=self.now_ms(),
            updated_ms=0,  # 0 = no venue time yet: any venue update supersedes a local placeholder
        )
        for ev in self.state.apply_order(placeholder, self.now_ms()):
            self.publish(ev, wake=True)
        started = self.clock.monotonic()
        self._sent_at[link_id] = started
        self.in_flight.add(link_id)
        try:
            with self.metrics.timed("order_create"):
                result = await self.executor.create(
                    built,
                    reduce_only=built.reduce_only,
                    pre_records=pre_records,
                )
        except JournalUnwritable as exc:  # the intent could not be recorded: nothing was sent
            self._sent_at.pop(link_id, None)
            gone = replace(placeholder, status=OrderStatus.REJECTED, reject_reason=str(exc))
            for ev in self.state.apply_order(gone, self.now_ms()):
                self.publish(ev, wake=True)
            return self._reject(built.symbol, link_id, "journal", f"{exc}; nothing was sent", pre_records[0])
        finally:
            self.in_flight.discard(link_id)
        found = result.order
        if found is not None:
            # Resolved by a lookup: adopt what the venue holds (it may be filled, or dead).
            for ev in self.state.apply_order(found, self.now_ms()):
                self.publish(ev, wake=True)
            if not found.is_open and found.filled_qty == 0:
                reason = found.reject_reason or found.status.value
                result = replace(result, ok=False, message=f"order ended {found.status.value}: {reason}")
        if result.ok:
            self.metrics.observe_place_ack(self.clock.monotonic() - started)
            order_id = result.order.order_id if result.order else (result.ack.order_id if result.ack else "")
            self.journal.record(
                "ack", symbol=built.symbol, order_link_id=link_id, order_id=order_id, attempts=result.attempts
            )
            cur = self.state.orders.get(link_id)
            if cur is not None and cur.status is OrderStatus.CREATED:
                acked = replace(cur, order_id=order_id, status=OrderStatus.NEW)
                for ev in self.state.apply_order(acked, self.now_ms()):
                    self.publish(ev, wake=True)
            self.trace(f"sent {built.describe()} [{link_id}]", symbol=built.symbol, order_link_id=link_id)
            return CommandResult(True, f"sent {built.describe()}", link_id)
        self._sent_at.pop(link_id, None)
        if result.unknown:
            self.log_line(
                f"{built.describe()} [{link_id}]: {result.message}; will reconcile by orderLinkId",
                Severity.ERROR,
                symbol=built.symbol,
                order_link_id=link_id,
            )
            self._schedule_reconcile()
            return CommandResult(False, result.message, link_id)
        self.journal.record(
            "reject",
            symbol=built.symbol,
            order_link_id=link_id,
            ret_code=result.code,
            message=result.message,
        )
        # The rejection first: the console shows it once and knows the order update that follows.
        self.publish(
            VenueRejected(self.now_ms(), built.symbol, link_id, result.code, result.message), wake=True
        )
        gone = replace(placeholder, status=OrderStatus.REJECTED, reject_reason=result.message)
        for ev in self.state.apply_order(gone, self.now_ms()):
            self.publish(ev, wake=True)
        self.trace(
            f"venue rejected {built.describe()}: retCode {result.code} {result.message}",
            Severity.ERROR,
            symbol=built.symbol,
            order_link_id=link_id,
        )
        return CommandResult(False, f"venue rejected: {result.message}", link_id, ret_code=result.code)

    @guarded
    async def amend(
        self,
        order_link_id: str,
        *,
        qty: Decimal | None = None,
        price: Decimal | None = None,
        trigger_price: Decimal | None = None,
    ) -> CommandResult:
        """Amend a working order's qty, limit price and/or trigger price (the fields its type has),
        rebuilt and re-checked by the risk chain, journaled, then sent."""
        return await self.amender.amend(order_link_id, qty, price, trigger_price)

    @guarded
    async def cancel(self, order_link_id: str) -> CommandResult:
        """Cancel one working order."""
        order = self.state.orders.get(order_link_id)
        if order is None:
            return CommandResult(False, f"no working order {order_link_id}", order_link_id)
        self.journal.record("cancel", symbol=order.symbol, order_link_id=order_link_id)
        result = await self.executor.write(
            "cancel",
            order.symbol,
            order_link_id,
            lambda: self.venue.cancel(order.symbol, order_link_id),
            bypass_breaker=True,
            applied=cancel_applied,
        )
        return self.outcomes.report("cancel", order.symbol, order_link_id, result)

    @guarded
    async def cancel_all(self, symbol: str | None = None) -> CommandResult:
        """Cancel every working order (on ``symbol``, or everywhere)."""
        self.journal.record("cancel_all", symbol=symbol or "")
        try:
            ids = await self.executor.call(
                "cancel_all", lambda: self.venue.cancel_all(symbol), bypass_breaker=True
            )
        except VenueError as err:
            self.log_line(f"cancel all failed: {err}", Severity.ERROR)
            return CommandResult(False, f"cancel all failed: {err}")
        self.journal.record("ack", symbol=symbol or "", action="cancel_all", cancelled=ids)
        self.trace(f"cancel all: {len(ids)} orders cancelled")  # the console reports the command
        try:
            await self.refresh_account()
        except VenueError as err:
            self.log_line(f"account refresh after cancel all failed: {err}", Severity.WARN)
            return CommandResult(True, f"{len(ids)} orders cancelled (account refresh failed: {err})")
        return CommandResult(True, f"{len(ids)} orders cancelled")

    @guarded
    async def close_position(
        self,
        symbol: str,
        fraction: Decimal = Decimal(1),
        *,
        position: Position | None = None,
        source: str = "user",
    ) -> CommandResult:
        """Close ``fraction`` (0 < f <= 1; 1 = the whole size exactly, else rounded down to the qty
        step) of one position reduce-only at market, split by the instrument's max market qty."""
        return await self.position_tools.close(symbol, fraction, position, source)

    @guarded
    async def flatten_all(self) -> CommandResult:
        """Close every position reduce-only at market."""
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
        stopping = self.panic_runner.stop(reason)
        if stopping:
            self.journal.record("panic_stop", reason=reason)
            self.log_line(f"panic stop requested: {reason}", Severity.WARN)
        return stopping

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
    ) -> CommandResult:
        """Set the whole position's TP and/or SL (None leaves one unchanged, 0 removes it)."""
        return await self.position_tools.set_trading_stop(symbol, take_profit, stop_loss, trigger_by)

    @guarded
    async def breakeven(self, symbol: str, *, trigger_by: TriggerBy = TriggerBy.MARK) -> CommandResult:
        """Move the position's stop loss to its entry price (refused unless the position is in profit)."""
        return await self.position_tools.breakeven(symbol, trigger_by)

    # --- state for the console ---------------------------------------------------------------
    def account(self) -> AccountSnapshot:
        """The latest balance, positions and open orders."""
        return self.state.snapshot()

    def risk_status(self) -> RiskStatus:
        """Current risk usage for the meters."""
        bal = self.state.balance
        return RiskStatus(
            daily_loss=max(Decimal(0), -self.breaker_board.daily_pnl),
            daily_loss_limit=self.settings.breakers.daily_loss_limit,
            gross_exposure=self.state.gross_exposure,
            gross_exposure_cap=self.settings.risk.max_gross_exposure,
            margin_use_pct=bal.margin_use_pct if bal else Decimal(0),
            breakers=self.breaker_board.status_map()
            | {f"api:{k}": v for k, v in self.endpoint_breakers.states().items()},
            rate_headroom=self.limiter.headroom(),
            daily_pnl=self.breaker_board.daily_pnl,
        )

    def feed_ages(self) -> dict[str, float]:
        """Seconds since the last book message per symbol."""
        return self.books.feed_ages_s() if self.books is not None else {}
