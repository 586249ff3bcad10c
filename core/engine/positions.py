"""Position tools: partial close, the position's TP/SL (and the breakeven stop), leverage.

Each command checks what it can locally first (a position exists, prices are on the right side
of the price they trigger on, leverage within the instrument's and the risk config's bounds),
refusing with the check's name and the numbers, and only then journals and sends. Closes go
through the one order path (reduce-only market orders via ``Engine.place``); the TP/SL goes to
the venue's position endpoint (Bybit ``/v5/position/trading-stop``, tpslMode Full: it governs
the whole position) through the executor (limiter → breaker → retry), bypassing the endpoint
breaker as a protective write.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from functools import partial

from core.account import AccountState
from core.api import CommandResult
from core.engine.lifecycle import OrderJournal
from core.engine.outcomes import Refusals
from core.engine.position_trailing import plan_trailing
from core.engine.publisher import Publisher
from core.model import Instrument, OrderRequest, OrderType, Position, Side, TriggerBy
from core.orders.builder import snap
from core.orders.closing import changed_since_shown, close_qty, fmt_pct
from core.orders.executor import OrderExecutor
from core.orders.tick_rules import level_rounding
from core.resilience.errors import Unchanged, VenueError
from core.store import MarketStore
from core.venues.base import Venue, capabilities_for


@dataclass(frozen=True, slots=True)
class StopPlan:
    """A validated TP/SL change: venue strings (None = unchanged, "0" = remove) and a summary."""

    take_profit: str | None
    stop_loss: str | None
    tp_trigger_by: str | None
    sl_trigger_by: str | None
    summary: str


class PositionTools:
    """Position commands: partial close (through the one order path), TP/SL, leverage."""

    def __init__(
        self,
        *,
        state: AccountState,
        store: MarketStore,
        instruments: dict[str, Instrument],
        max_leverage: Decimal,
        place: Callable[[OrderRequest], Awaitable[CommandResult]],
        refusals: Refusals,
        lifecycle: OrderJournal,
        executor: OrderExecutor,
        venue: Venue,
        publisher: Publisher,
    ) -> None:
        self.state = state
        self.store = store
        self.instruments = instruments
        self.max_leverage = max_leverage
        self.place = place
        self.refusals = refusals
        self.lifecycle = lifecycle
        self.executor = executor
        self.venue = venue
        self.out = publisher

    # --- helpers ---------------------------------------------------------------------------
    def _refuse(self, symbol: str, check: str, reason: str) -> CommandResult:
        return self.refusals.reject(symbol, "", check, reason)

    def _changed_since_shown(
        self, symbol: str, expect: tuple[Side, Decimal] | None, pos: Position
    ) -> CommandResult | None:
        """The refusal when the trader was shown ``expect`` (side, size) and ``pos`` is not that."""
        if expect is None or (pos.side, pos.size) == expect:
            return None
        return self._refuse(symbol, "position_changed", changed_since_shown(expect, pos))

    def _open_position(self, symbol: str) -> Position | None:
        pos = self.state.positions.get(symbol)
        return pos if pos is not None and not pos.is_flat and pos.side is not None else None

    def trigger_ref(self, symbol: str, by: TriggerBy) -> Decimal | None:
        """The current price a TP/SL triggered ``by`` compares against."""
        ticker = self.store.ticker(symbol)
        if ticker is None:
            return None
        value = {
            TriggerBy.MARK: ticker.mark_price,
            TriggerBy.LAST: ticker.last_price,
            TriggerBy.INDEX: ticker.index_price,
        }[by]
        return value if value > 0 else None

    # --- close -----------------------------------------------------------------------------
    async def close_position(
        self,
        symbol: str,
        fraction: Decimal = Decimal(1),
        *,
        position: Position | None = None,
        source: str = "user",
        expect: tuple[Side, Decimal] | None = None,
    ) -> CommandResult:
        """Close ``fraction`` (0 < f <= 1; 1 = the whole size exactly, else rounded down to the qty
        step) of one position reduce-only at market, split by the instrument's max market qty.

        ``position`` is the venue's word on it (a panic's REST read), adopted first. ``expect`` is
        the side and size the trader was shown: a position that is no longer that is refused
        unsent (the fraction of another position is not what the screen said)."""
        if not fraction.is_finite() or not 0 < fraction <= 1:
            return self._refuse(
                symbol, "close_fraction", f"fraction {fraction} must be above 0 and at most 1"
            )
        if position is not None:  # the venue's word (a panic's REST read): the reduce-only check judges by it
            self.out.publish_all(self.state.apply_position(position, self.out.now_ms()))
        pos = position or self.state.positions.get(symbol)
        if pos is None or pos.is_flat or pos.side is None:
            return CommandResult(True, f"{symbol}: already flat")
        changed = self._changed_since_shown(symbol, expect, pos)
        if changed is not None:
            return changed
        await self._instrument_for_close(symbol)
        inst = self.instruments.get(symbol)
        qty = close_qty(pos.size, fraction, inst.qty_step) if inst else pos.size
        if qty <= 0:
            step = inst.qty_step if inst else "?"
            return self._refuse(
                symbol,
                "close_fraction",
                f"{fmt_pct(fraction)} of {pos.size} is {pos.size * fraction}, below the qty step {step}",
            )
        remaining = qty
        messages = []
        while remaining > 0:
            chunk = min(remaining, inst.max_mkt_order_qty) if inst else remaining
            request = OrderRequest(
                symbol=symbol,
                side=pos.side.opposite,
                qty=chunk,
                order_type=OrderType.MARKET,
                reduce_only=True,
                source=source,
            )
            result = await self.place(request)
            messages.append(result.message)
            if not result.ok:
                return CommandResult(False, "; ".join(messages), result.order_link_id, result.check)
            remaining -= chunk
        what = "" if fraction >= 1 else f"{fmt_pct(fraction)} ({qty} of {pos.size}): "
        return CommandResult(True, what + "; ".join(messages))

    async def _instrument_for_close(self, symbol: str) -> None:
        """A position in a symbol outside ``risk.symbols`` must still be closable: load it."""
        if symbol in self.instruments:
            return
        insts = await self.executor.call("instruments", partial(self.venue.instruments, (symbol,)))
        for inst in insts:
            self.instruments[inst.symbol] = inst

    # --- TP / SL ---------------------------------------------------------------------------
    def _level(
        self,
        pos: Position,
        inst: Instrument,
        kind: str,
        raw: Decimal,
        by: TriggerBy,
    ) -> tuple[str | None, str]:
        """One TP or SL: (venue string or None when unchanged, refusal reason or "")."""
        current = pos.take_profit if kind == "take-profit" else pos.stop_loss
        if raw == 0:
            return ("0", "") if current is not None else (None, "")
        long = pos.side is Side.BUY
        # A stop never sits further from the market than typed; a TP snaps to the nearest tick.
        value = snap(raw, inst.tick_size, level_rounding(kind == "stop-loss", long))
        if value <= 0 or value < inst.min_price or value > inst.max_price:
            return None, f"{kind} {value} is outside the instrument's price range"
        ref = self.trigger_ref(pos.symbol, by)
        if ref is None:
            return None, f"no {by.value} yet to check the {kind} against"
        above = (kind == "take-profit") == long
        pd = inst.price_decimals
        side = "long" if long else "short"
        if above and value <= ref:
            return None, f"{kind} {value:.{pd}f} must be above the {by.value} {ref:.{pd}f} for a {side}"
        if not above and value >= ref:
            return None, f"{kind} {value:.{pd}f} must be below the {by.value} {ref:.{pd}f} for a {side}"
        return f"{value:.{pd}f}", ""

    def plan_trading_stop(
        self,
        symbol: str,
        take_profit: Decimal | None,
        stop_loss: Decimal | None,
        trigger_by: TriggerBy,
    ) -> StopPlan | CommandResult:
        """Validate a TP/SL change locally: a plan to send, or the refusal."""
        pos = self._open_position(symbol)
        if pos is None:
            return self._refuse(symbol, "position", f"no open position in {symbol} to protect")
        inst = self.instruments.get(symbol)
        if inst is None:
            return self._refuse(symbol, "symbol_allowlist", f"{symbol} is not a loaded instrument")
        out: dict[str, str | None] = {}
        for kind, raw in (("take-profit", take_profit), ("stop-loss", stop_loss)):
            if raw is None:
                out[kind] = None
                continue
            if not raw.is_finite() or raw < 0:
                return self._refuse(
                    symbol,
                    kind.replace("-", "_"),
                    f"{kind} {raw} must be a finite number >= 0 (0 removes it)",
                )
            value, why = self._level(pos, inst, kind, raw, trigger_by)
            if why:
                return self._refuse(symbol, kind.replace("-", "_"), why)
            out[kind] = value
        tp, sl = out["take-profit"], out["stop-loss"]
        if tp is None and sl is None:
            return self._refuse(symbol, "trading_stop", "nothing to change: give a TP or SL (0 removes one)")
        side = "long" if pos.side is Side.BUY else "short"
        parts = [
            f"TP {'removed' if tp == '0' else tp}" if tp else "",
            f"SL {'removed' if sl == '0' else sl}" if sl else "",
        ]
        summary = (
            f"{symbol} {' '.join(p for p in parts if p)} ({trigger_by.value}) for the whole {side} {pos.size}"
        )
        return StopPlan(
            tp,
            sl,
            trigger_by.value if tp and tp != "0" else None,
            trigger_by.value if sl and sl != "0" else None,
            summary,
        )

    async def set_trading_stop(
        self,
        symbol: str,
        take_profit: Decimal | None,
        stop_loss: Decimal | None,
        trigger_by: TriggerBy,
        expect: tuple[Side, Decimal] | None = None,
    ) -> CommandResult:
        """Set, change or remove (``0``) the position's TP and/or SL; with ``expect`` (the side and
        size the trader was shown), refused unsent when the position is no longer that."""
        pos = self._open_position(symbol)
        changed = None if pos is None else self._changed_since_shown(symbol, expect, pos)
        if changed is not None:
            return changed
        plan = self.plan_trading_stop(symbol, take_profit, stop_loss, trigger_by)
        if isinstance(plan, CommandResult):
            return plan
        return await self._send_stop(symbol, plan)

    async def _send_stop(self, symbol: str, plan: StopPlan) -> CommandResult:
        self.lifecycle.trading_stop(
            symbol,
            take_profit=plan.take_profit or "",
            stop_loss=plan.stop_loss or "",
            tp_trigger_by=plan.tp_trigger_by or "",
            sl_trigger_by=plan.sl_trigger_by or "",
        )
        venue = self.venue
        result = await self.executor.write(
            "trading_stop",
            symbol,
            "",
            lambda: venue.set_trading_stop(
                symbol,
                take_profit=_decimal(plan.take_profit),
                stop_loss=_decimal(plan.stop_loss),
                trigger_by=TriggerBy(plan.tp_trigger_by or plan.sl_trigger_by or TriggerBy.MARK),
            ),
            bypass_breaker=True,
        )
        if result.ok or isinstance(result.error, Unchanged):
            self.lifecycle.ack(symbol, action="trading_stop", ret_code=result.code)
            note = "" if result.ok else " (venue: already set)"
            self.out.log_line(f"TP/SL set: {plan.summary}{note}", symbol=symbol)
            return CommandResult(True, f"TP/SL set: {plan.summary}{note}", logged=True)
        return self.refusals.venue_refused(symbol, "trading stop", result.code, result.message)

    async def set_trailing_stop(
        self, symbol: str, distance: Decimal, activation: Decimal | None = None
    ) -> CommandResult:
        """The venue's trailing stop on the whole position (``distance`` behind the best last
        price, armed at ``activation``; 0 removes it). Checks in :mod:`position_trailing`."""
        pos = self._open_position(symbol)
        if pos is None:
            return self._refuse(symbol, "position", f"no open position in {symbol} to protect")
        inst = self.instruments.get(symbol)
        if inst is None:
            return self._refuse(symbol, "symbol_allowlist", f"{symbol} is not a loaded instrument")
        capabilities = capabilities_for(self.venue, symbol)
        if not capabilities.native_trailing:
            return self._refuse(symbol, "native_trailing", f"{capabilities.name} keeps no trailing stops")
        last = self.trigger_ref(symbol, TriggerBy.LAST)
        if last is None:
            return self._refuse(
                symbol, "trailing_stop", "no last price yet to check the trailing stop against"
            )
        plan = plan_trailing(pos, inst, last, distance, activation)
        if isinstance(plan, tuple):
            return self._refuse(symbol, *plan)
        self.lifecycle.trading_stop(
            symbol, trailing_stop=str(plan.distance), active_price=str(plan.activation or "")
        )
        venue = self.venue
        result = await self.executor.write(
            "trading_stop",
            symbol,
            "",
            lambda: venue.set_trading_stop(
                symbol,
                take_profit=None,
                stop_loss=None,
                trailing_distance=plan.distance,
                activation=plan.activation,
            ),
            bypass_breaker=True,
        )
        if result.ok or isinstance(result.error, Unchanged):
            self.lifecycle.ack(symbol, action="trading_stop", ret_code=result.code)
            self.out.log_line(f"Trailing stop set: {plan.summary}", symbol=symbol)
            return CommandResult(True, f"Trailing stop set: {plan.summary}", logged=True)
        return self.refusals.venue_refused(symbol, "trailing stop", result.code, result.message)

    async def breakeven(
        self, symbol: str, trigger_by: TriggerBy, expect: Decimal | None = None
    ) -> CommandResult:
        """Move the position's stop loss to its entry price (rounded to the tick on the no-loss side);
        with ``expect`` (the stop the trader was shown), only while the entry still gives that stop."""
        pos = self._open_position(symbol)
        if pos is None:
            return self._refuse(symbol, "position", f"no open position in {symbol} to move to breakeven")
        inst = self.instruments.get(symbol)
        if inst is None:
            return self._refuse(symbol, "symbol_allowlist", f"{symbol} is not a loaded instrument")
        long = pos.side is Side.BUY
        entry = snap(pos.entry_price, inst.tick_size, ROUND_CEILING if long else ROUND_FLOOR)
        if expect is not None and entry != expect:
            why = f"entry changed since shown: the stop would be {entry}, not {expect}; nothing sent"
            return self._refuse(symbol, "position_changed", why)
        ref = self.trigger_ref(symbol, trigger_by)
        if ref is None:
            return self._refuse(symbol, "breakeven", f"no {trigger_by.value} yet to compare with the entry")
        if (long and ref <= entry) or (not long and ref >= entry):
            where = "at or below" if long else "at or above"
            pd = inst.price_decimals
            return self._refuse(
                symbol,
                "breakeven",
                f"{trigger_by.value} {ref:.{pd}f} is {where} the entry {entry:.{pd}f}: a stop there "
                f"would fire at once (the {'long' if long else 'short'} is not in profit)",
            )
        return await self.set_trading_stop(symbol, None, entry, trigger_by)

    # --- leverage --------------------------------------------------------------------------
    def leverage_refusal(self, symbol: str, leverage: Decimal) -> tuple[str, str]:
        """(check, reason) when ``leverage`` may not be sent for ``symbol``; ("", "") when it may."""
        inst = self.instruments.get(symbol)
        cap = self.max_leverage
        if not leverage.is_finite() or leverage <= 0:
            return "leverage", f"leverage {leverage} must be a finite number greater than 0"
        if inst is None:
            return "symbol_allowlist", f"{symbol} is not a loaded instrument"
        if leverage < inst.min_leverage or leverage > inst.max_leverage:
            return (
                "leverage_range",
                f"leverage {leverage} outside {inst.min_leverage}..{inst.max_leverage} (instrument)",
            )
        if leverage % inst.leverage_step != 0:
            return (
                "leverage_step",
                f"leverage {leverage} is not a multiple of {inst.leverage_step} (instrument)",
            )
        if leverage > cap:
            return "leverage_cap", f"leverage {leverage} > max {cap} (risk.max_leverage)"
        return "", ""

    async def margin_mode(self) -> str:
        """The account's margin mode in words, asked of the venue (raises VenueError)."""
        raw = await self.executor.call("account_info", self.venue.margin_mode)
        return raw or "not reported by the venue"

    async def set_leverage(self, symbol: str, leverage: Decimal) -> CommandResult:
        """Set buy and sell leverage after our own checks."""
        check, reason = self.leverage_refusal(symbol, leverage)
        if check:
            return self._refuse(symbol, check, reason)
        lev = f"{leverage.normalize():f}"
        # Not risk-reducing: with the journal unwritable it is refused (JournalUnwritable), unsent.
        self.lifecycle.set_leverage(symbol, lev)
        venue = self.venue
        try:
            await self.executor.call("set_leverage", lambda: venue.set_leverage(symbol, leverage))
        except VenueError as err:
            if isinstance(err, Unchanged):
                return CommandResult(True, f"{symbol} leverage already {lev}x")
            return self.refusals.venue_refused(symbol, "set leverage", err.code, str(err))
        self.lifecycle.ack(symbol, action="set_leverage", leverage=lev)
        self.out.log_line(f"{symbol} leverage set to {lev}x", symbol=symbol)
        return CommandResult(True, f"{symbol} leverage {lev}x", logged=True)


def _decimal(value: str | None) -> Decimal | None:
    """A plan's venue string as a Decimal (None stays None: unchanged)."""
    return None if value is None else Decimal(value)
