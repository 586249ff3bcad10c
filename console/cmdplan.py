"""What a command line will do: parse it (:mod:`core.orders.grammar`), resolve it against the
market (:mod:`core.orders.resolve`), preview orders through the engine's own builder and risk
chain, and describe everything else in words. Nothing here sends: a :class:`Plan` carries the
engine call to make, and the app makes it only when the trader presses Enter on a ready plan.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import ROUND_CEILING, ROUND_FLOOR
from typing import TYPE_CHECKING

from console.algo_actions import algo_preview_text, plan_lines, preview_error, said
from console.screens.ticket_preview import preview_text
from core.api import AlgoPreview, CommandResult, RiskPreview
from core.engine.order_path import changed_orders_words, open_order_ids
from core.engine.position_trailing import TrailPlan, plan_trailing
from core.model import OrderRequest, OrderType, Side
from core.orders.algo_commands import TrailCommand
from core.orders.builder import snap
from core.orders.grammar import (
    BreakevenCommand,
    CancelAllCommand,
    CloseCommand,
    Command,
    GrammarError,
    LeverageCommand,
    PlaceCommand,
    SymbolCommand,
    parse,
)
from core.orders.resolve import MarketContext, Resolved, ResolveError, resolve_close, resolve_place
from core.orders.resolve_algos import AlgoOrder, resolve_algo
from core.venue_symbols import venue_of

if TYPE_CHECKING:
    from console.app import TradeConsoleApp

EngineCall = Callable[[], Awaitable[CommandResult]]


@dataclass(frozen=True, slots=True)
class Plan:
    """What Enter on ``line`` would do. ``ready`` False: Enter refuses and ``error`` says why."""

    line: str
    summary: str
    ready: bool
    detail: str = ""
    error: str = ""
    what: str = ""
    """How the log names the command when it runs."""
    call: EngineCall | None = None
    """The engine command to run (orders, cancel all, leverage)."""
    local: Callable[[], None] | None = None
    """A console-only effect (switching symbol)."""
    request: OrderRequest | None = None
    preview: RiskPreview | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)
    algo: AlgoOrder | None = None
    """The algo Enter starts (kind and params), with its preview in ``algo_preview``."""
    algo_preview: AlgoPreview | None = None
    stale: Callable[[], str] | None = None
    """What changed since the plan was shown ('' nothing): Enter refuses and re-previews instead."""


def refused(line: str, error: str) -> Plan:
    """A plan that will not run."""
    return Plan(line, "", False, error=error)


def describe(request: OrderRequest, places: int, preview: RiskPreview | None = None) -> str:
    """One line saying the order as it will be sent: ``BUY 0.010 BTCUSDT LIMIT @ 95,100.0 post-only
    ...`` — with ``preview``, its quantity, price and TP/SL after rounding to the step and tick
    (``buy 0.0015`` said ``BUY 0.0015`` while 0.001 was to be sent)."""
    sent = preview if preview is not None and not preview.build_error else None
    qty = sent.qty if sent is not None and sent.qty != request.qty else request.qty
    price = sent.price if sent is not None and sent.price is not None else request.price
    stop = sent.stop_loss if sent is not None and sent.stop_loss is not None else request.stop_loss
    take = sent.take_profit if sent is not None and sent.take_profit is not None else request.take_profit
    parts = [request.side.value.upper(), str(qty), request.symbol]
    if request.order_type is OrderType.MARKET:
        parts.append("MARKET")
    else:
        assert price is not None
        parts.append(f"LIMIT @ {price:,.{places}f}")
    if request.time_in_force.value == "PostOnly":
        parts.append("post-only")
    if request.reduce_only:
        parts.append("reduce-only")
    if stop is not None:
        parts.append(f"SL {stop:,.{places}f}")
    if take is not None:
        parts.append(f"TP {take:,.{places}f}")
    return " ".join(parts)


class CommandPlanner:
    """Turns a typed line into a :class:`Plan` for one console."""

    def __init__(self, app: TradeConsoleApp) -> None:
        self.app = app

    def plan(self, line: str) -> Plan:
        """The plan for ``line`` (never raises for bad input: the plan says what is wrong)."""
        if not line.strip():
            return Plan(line, "", False, error="")
        if line.split(maxsplit=1)[0].lower() == "strat":  # strategies: console/strategy_actions.py
            return self.app.strategy_actions.plan(line)
        try:
            cmd = parse(line, self.app.symbols)
        except GrammarError as exc:
            return refused(line, str(exc))
        try:
            return self._plan(line, cmd)
        except ResolveError as exc:
            return refused(line, str(exc))

    def _plan(self, line: str, cmd: Command) -> Plan:
        if isinstance(cmd, PlaceCommand):
            ctx = self.context(cmd.symbol)
            return self._order_plan(line, resolve_place(cmd, ctx), ctx)
        if isinstance(cmd, CloseCommand):
            return self._close_plan(line, cmd)
        if isinstance(cmd, CancelAllCommand):
            return self._cancel_all_plan(line, cmd)
        if isinstance(cmd, LeverageCommand):
            return self._leverage_plan(line, cmd)
        if isinstance(cmd, BreakevenCommand):
            return self._breakeven_plan(line, cmd)
        if isinstance(cmd, SymbolCommand):
            return self._symbol_plan(line, cmd)
        if isinstance(cmd, TrailCommand) and cmd.on_venue:
            return self._venue_trail_plan(line, cmd)
        return self.algo_plan(line, resolve_algo(cmd, self.context(cmd.symbol)))

    # --- market context ---------------------------------------------------------------------
    def context(self, symbol: str | None) -> MarketContext:
        """The resolver's view of ``symbol`` (the console's symbol when None)."""
        sym = symbol or self.app.symbol
        engine = self.app.engine
        inst = engine.instruments.get(sym)
        if inst is None:
            if sym in engine.held_symbols():  # its venue was down at start-up: nothing is sent
                raise ResolveError(
                    f"{sym}: venue {venue_of(sym)} is down (not connected since start-up); "
                    "nothing is sent until it answers"
                )
            raise ResolveError(f"{sym}: instrument not loaded yet (the engine is still starting)")
        book, ticker = engine.store.book(sym), engine.store.ticker(sym)
        acct = engine.account()
        return MarketContext(
            instrument=inst,
            best_bid=book.best_bid if book else None,
            best_ask=book.best_ask if book else None,
            mark=ticker.mark_price if ticker else None,
            equity=acct.balance.equity if acct.balance else None,
            position=acct.positions.get(sym),
            taker_fee=engine.fee_rates(sym)[0],
            now_ms=self.app.clock.now_ms(),
        )

    # --- orders -----------------------------------------------------------------------------
    def _order_plan(self, line: str, resolved: Resolved, ctx: MarketContext, what: str = "") -> Plan:
        engine = self.app.engine
        request = resolved.request
        preview = engine.preview(request)
        places = ctx.instrument.price_decimals
        summary = describe(request, places, preview)
        qd = ctx.instrument.qty_decimals
        detail = "\n".join([*resolved.notes, preview_text(preview, places, compact=True, qty_places=qd)])
        block = preview.blocking
        error = (
            "" if preview.allowed else (f"{block.check}: {block.reason}" if block else preview.build_error)
        )
        return Plan(
            line,
            summary,
            preview.allowed,
            detail=detail,
            error=error,
            what=what or f"place {request.side.value} {request.qty} {request.symbol}",
            call=lambda: engine.place(request),
            request=request,
            preview=preview,
            notes=resolved.notes,
        )

    def _close_plan(self, line: str, cmd: CloseCommand) -> Plan:
        """The preview of the reduce-only market order; Enter runs the engine's partial close,
        which rounds the same way (down to the step, 100% exactly)."""
        ctx = self.context(cmd.symbol)
        resolved = resolve_close(cmd, ctx)
        plan = self._order_plan(line, resolved, ctx, what=f"close {cmd.percent}% {ctx.symbol}")
        engine, sym, fraction = self.app.engine, ctx.symbol, cmd.percent / 100
        pos = ctx.position  # resolve_close refused a flat one
        assert pos is not None and pos.side is not None
        shown = (pos.side, pos.size)  # a position changed since this preview is refused unsent
        return replace(plan, call=lambda: engine.close_position(sym, fraction, expect=shown))

    # --- algos ------------------------------------------------------------------------------
    def algo_plan(self, line: str, algo: AlgoOrder) -> Plan:
        """The engine's preview of the algo (every child it would place now, each risk-checked);
        Enter starts it only when the preview allows."""
        engine = self.app.engine
        preview = engine.preview_algo(algo.kind, algo.params)
        inst = engine.instruments.get(str(algo.params.get("symbol", "")))
        places, qd = (inst.price_decimals, inst.qty_decimals) if inst is not None else (2, 3)
        plan = plan_lines(algo.kind, algo.params, places)
        detail = "\n".join([*algo.notes, *plan, algo_preview_text(preview, places, qd)])
        summary = f"START {preview.describe or algo.kind}"
        return Plan(
            line,
            summary,
            preview.ok,
            detail=detail,
            error=preview_error(preview),
            what=f"start {algo.kind}",
            call=lambda: said(engine.start_algo(algo.kind, algo.params)),
            notes=algo.notes,
            algo=algo,
            algo_preview=preview,
        )

    # --- other commands ---------------------------------------------------------------------
    def _cancel_all_plan(self, line: str, cmd: CancelAllCommand) -> Plan:
        engine = self.app.engine
        shown = open_order_ids(engine.account().orders.values(), cmd.symbol)
        where = f"on {cmd.symbol}" if cmd.symbol else "on every symbol"
        summary = f"CANCEL ALL {len(shown)} working order(s) {where}"

        def stale() -> str:
            now = open_order_ids(engine.account().orders.values(), cmd.symbol)
            return "" if now == shown else changed_orders_words(shown, now)

        return Plan(
            line,
            summary,
            True,
            detail="Enter cancels exactly these at the venue (refused if the set changes first)",
            what=f"cancel all {cmd.symbol or ''}".strip(),
            call=lambda: engine.cancel_all(cmd.symbol, expect=shown),
            stale=stale,
        )

    def _leverage_plan(self, line: str, cmd: LeverageCommand) -> Plan:
        engine = self.app.engine
        sym = cmd.symbol or self.app.symbol
        inst = engine.instruments.get(sym)
        if inst is not None and not inst.min_leverage <= cmd.leverage <= inst.max_leverage:
            return refused(
                line, f"lev: {cmd.leverage} is outside {sym}'s {inst.min_leverage}-{inst.max_leverage}x"
            )
        cap = engine.settings.risk.max_leverage
        if cmd.leverage > cap:
            return refused(line, f"lev: {cmd.leverage} > max {cap} (risk.max_leverage)")
        pos = engine.account().positions.get(sym)
        now = f" (now {pos.leverage}x)" if pos is not None else ""
        return Plan(
            line,
            f"SET {sym} LEVERAGE {cmd.leverage}x{now}",
            True,
            what=f"leverage {sym} {cmd.leverage}x",
            call=lambda: engine.set_leverage(sym, cmd.leverage),
        )

    def _breakeven_plan(self, line: str, cmd: BreakevenCommand) -> Plan:
        """The position's stop to its entry (rounded to the tick on the no-loss side), only in profit."""
        ctx = self.context(cmd.symbol)
        pos, sym = ctx.position, ctx.symbol
        if pos is None or pos.is_flat or pos.side is None:
            return refused(line, f"be: no open position in {sym}")
        long = pos.side is Side.BUY
        tick = ctx.instrument.tick_size
        level = snap(pos.entry_price, tick, ROUND_CEILING if long else ROUND_FLOOR)
        pd = ctx.instrument.price_decimals
        side = "long" if long else "short"
        if ctx.mark is None or (ctx.mark <= level if long else ctx.mark >= level):
            mark = "no mark yet" if ctx.mark is None else f"mark {ctx.mark:,.{pd}f}"
            return refused(line, f"be: {sym} {side} is not in profit ({mark}, entry {level:,.{pd}f})")
        was = f" (now {pos.stop_loss:,.{pd}f})" if pos.stop_loss is not None else ""
        engine = self.app.engine
        return Plan(
            line,
            f"{sym} {side} {pos.size}: STOP LOSS -> {level:,.{pd}f} (entry){was}",
            True,
            detail="the stop governs the whole position (replaces its stop loss); by mark price",
            what=f"breakeven {sym}",
            call=lambda: engine.breakeven(sym, expect=level),  # a changed entry is refused unsent
        )

    def _venue_trail_plan(self, line: str, cmd: TrailCommand) -> Plan:
        """The venue's own trailing stop on the whole position (a percentage is a price distance
        on the last price now), checked as the engine will check it before sending."""
        ctx = self.context(cmd.symbol)
        pos, sym, engine = ctx.position, ctx.symbol, self.app.engine
        if pos is None or pos.is_flat or pos.side is None:
            return refused(line, f"trail: no open position in {sym} to protect")
        ticker = engine.store.ticker(sym)
        last = ticker.last_price if ticker is not None and ticker.last_price > 0 else None
        if last is None:
            return refused(line, f"trail: no last price for {sym} yet")
        distance = last * cmd.distance / 100 if cmd.pct else cmd.distance
        plan = plan_trailing(pos, ctx.instrument, last, distance, cmd.activation)
        if not isinstance(plan, TrailPlan):
            return refused(line, f"trail: {plan[1]}")
        detail = (
            "removes the trailing stop the venue keeps for the position"
            if plan.distance == 0
            else "kept by the venue: it keeps working when this console stops; it replaces any "
            "trailing stop the position has"
        )
        return Plan(
            line,
            plan.summary.replace("trailing stop", "TRAILING STOP (on the exchange)", 1),
            True,
            detail=detail,
            what=f"venue trailing stop {sym}",
            call=lambda: engine.set_trailing_stop(sym, plan.distance, plan.activation),
        )

    def _symbol_plan(self, line: str, cmd: SymbolCommand) -> Plan:
        app = self.app
        return Plan(
            line,
            f"SHOW {cmd.symbol}",
            True,
            what=f"symbol {cmd.symbol}",
            local=lambda: app.select_symbol(cmd.symbol),
        )


def check_aliases(
    aliases: Mapping[str, str], symbols: Sequence[str], taken: Iterable[str]
) -> tuple[dict[str, str], list[str]]:
    """``[aliases]`` split into the usable ones and one log line per bad one (naming the alias).

    An alias is bad when its text is not a command (the grammar's message says why) or its key
    is already a console key (``taken``): a key cannot mean two things.
    """
    used = {k.strip() for keys in taken for k in keys.split(",")}
    good: dict[str, str] = {}
    problems: list[str] = []
    for key, text in aliases.items():
        if key in used:
            problems.append(f"config [aliases] {key}: the key is already bound; alias {text!r} ignored")
            continue
        try:
            parse(text, symbols)
        except GrammarError as exc:
            problems.append(f"config [aliases] {key} = {text!r} is not a command: {exc}")
            continue
        good[key] = text
    return good, problems


__all__ = ["CommandPlanner", "Plan", "check_aliases", "describe", "refused"]
