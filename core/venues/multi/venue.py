"""The composite venue: every leg behind the one port, routed by venue-qualified symbol.

The engine, the order path and the risk chain see one venue. Each call that names a symbol goes
to the leg the symbol's suffix names (``BTCUSDT`` -> Bybit, ``BTCUSDT.HL`` -> Hyperliquid, see
:mod:`core.venues.naming`) with the leg's own symbol; every answer comes back with our qualified
symbols. Listings (open orders, positions, fills, instruments, fee rates) merge the legs;
``cancel_all(None)`` cancels on every leg; the one account :class:`Balance` is the sum of the
legs' (so daily loss and minimum balance count every venue); the dead-man's switch arms every leg.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from core.market.candles import Candle
from core.market.timerange import TimeRange
from core.model import Balance, Fill, Instrument, Order, Position, Ticker, TriggerBy
from core.resilience.errors import Rejected, VenueError
from core.venue_symbols import leg_endpoint
from core.venues import naming
from core.venues.base import (
    BookSnapshot,
    Capabilities,
    ClosedPnl,
    FeedSink,
    FeedTiming,
    PlaceAck,
    RateFeedback,
    Venue,
    dead_mans_switch_of,
)
from core.venues.multi.combine import combined_capabilities, summed
from core.venues.multi.gate import LegGate, held_message
from core.venues.multi.legs import COMPOSITE, Naming, renamed
from core.venues.multi.limits import blame, feedback_of, table_of

if TYPE_CHECKING:
    from core.orders.built import BuiltOrder
    from core.resilience.ratelimit import RateTable
    from core.venues.base import Feeds

T = TypeVar("T")
CODE_NO_LEG = -1
"""The code of a refusal for a symbol no leg trades (nothing was sent)."""


class MultiVenue:
    """Several venues as one (implements :class:`core.venues.base.Venue`)."""

    name = COMPOSITE

    def __init__(self, legs: Sequence[Venue]) -> None:
        if not legs:
            raise ValueError("a composite venue needs at least one leg")
        self.legs: tuple[Venue, ...] = tuple(legs)
        """The legs, primary first (the endpoint policy checks each one)."""
        self._naming = {leg.name: Naming(leg.name) for leg in self.legs}
        self._by_name = {leg.name: leg for leg in self.legs}
        self.primary = self.legs[0]
        self.rest_url = self.primary.rest_url
        self.capabilities = combined_capabilities([leg.capabilities for leg in self.legs])
        self.rate_table: RateTable = table_of(self.legs)
        self._owners: dict[str, str] = {}
        """Client order id -> the leg it was sent to."""
        self._lock = threading.Lock()
        self.gate = LegGate([leg.name for leg in self.legs])
        """The legs held out until they answer (:mod:`core.venues.staged`)."""

    # --- staged admission (core.venues.staged.StagedVenue) -------------------------------------
    def parts(self) -> tuple[str, ...]:
        """The legs' names, the primary first."""
        return self.gate.names

    def held_parts(self) -> tuple[str, ...]:
        """The legs not admitted yet."""
        return self.gate.held()

    def probe_part(self, part: str) -> None:
        """Ask leg ``part`` for its clock (raises its classified failure)."""
        leg = self._by_name[part]
        self._on(leg, leg.server_time_ms)

    def hold_part(self, part: str) -> None:
        """Leave leg ``part`` out until it is admitted."""
        self.gate.hold(part)

    def admit_part(self, part: str) -> None:
        """Take leg ``part`` in."""
        self.gate.admit(part)

    def part_symbols(self, part: str, symbols: Sequence[str]) -> tuple[str, ...]:
        """The ones of ``symbols`` that leg ``part`` trades."""
        return tuple(s for s in symbols if naming.venue_of(s) == part)

    def held_reason(self, symbol: str) -> str | None:
        """Why an order for ``symbol`` cannot be sent now (its leg is held), or None."""
        try:
            venue = naming.venue_of(symbol)
        except ValueError:  # no leg's symbol: routing refuses it with its own reason
            return None
        return held_message(symbol, venue) if self.gate.is_held(venue) else None

    def _live(self) -> list[Venue]:
        return [leg for leg in self.legs if not self.gate.is_held(leg.name)]

    # --- routing -------------------------------------------------------------------------------
    @property
    def on_rate_feedback(self) -> Callable[[RateFeedback], None] | None:
        """The primary leg's rate reports (its endpoint names key the engine's rate table)."""
        return self.primary.on_rate_feedback

    @on_rate_feedback.setter
    def on_rate_feedback(self, fn: Callable[[RateFeedback], None] | None) -> None:
        self.primary.on_rate_feedback = fn
        for leg in self.legs[1:]:
            leg.on_rate_feedback = None if fn is None else feedback_of(leg.name, fn)

    def _on(self, leg: Venue, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``fn(*args, **kwargs)`` on ``leg``: a second leg's failure names that leg's endpoint."""
        try:
            return fn(*args, **kwargs)
        except VenueError as err:
            if leg is not self.primary:
                raise blame(err, leg.name) from None
            raise

    def capabilities_for(self, symbol: str) -> Capabilities:
        """The capabilities of the leg trading ``symbol`` (the combined ones for no leg's symbol,
        whose commands routing refuses anyway)."""
        try:
            leg, _ = self._leg_of(symbol)
        except Rejected:
            return self.capabilities
        return leg.capabilities

    def route(self, symbol: str, *, query: bool = False) -> tuple[Venue, str]:
        """The leg trading ``symbol`` and the leg's own symbol for it (Rejected: no such leg).

        A held leg refuses a command (Rejected) and leaves a ``query`` unanswered (Transient)."""
        leg, asset = self._leg_of(symbol)
        if self.gate.is_held(leg.name):
            endpoint = self.endpoint_for("place", symbol)
            gate = self.gate
            raise (gate.unreachable if query else gate.refuse)(symbol, leg.name, endpoint)
        return leg, asset

    def _leg_of(self, symbol: str) -> tuple[Venue, str]:
        try:
            asset, venue = naming.split(symbol)
        except ValueError as why:
            raise Rejected(CODE_NO_LEG, str(why), endpoint=self.endpoint_of("place")) from None
        leg = self._by_name.get(venue)
        if leg is None:
            reason = f"{symbol}: venue {venue!r} is not a leg of this composite ({list(self._by_name)})"
            raise Rejected(CODE_NO_LEG, reason, endpoint=self.endpoint_of("place"))
        return leg, asset

    def _out(self, leg: Venue, item: T) -> T:
        return renamed(item, self._naming[leg.name])

    def _outs(self, leg: Venue, items: Sequence[T]) -> list[T]:
        return [renamed(i, self._naming[leg.name]) for i in items]

    def _legs_for(self, symbol: str | None) -> list[tuple[Venue, str | None]]:
        if symbol is None:
            return [(leg, None) for leg in self._live()]
        leg, asset = self.route(symbol, query=True)
        return [(leg, asset)]

    def _group(self, symbols: Sequence[str]) -> dict[str, tuple[Venue, list[str]]]:
        groups: dict[str, tuple[Venue, list[str]]] = {}
        for sym in symbols:
            leg, asset = self.route(sym, query=True)
            groups.setdefault(leg.name, (leg, []))[1].append(asset)
        return groups

    def leg_of_order(self, client_order_id: str) -> str | None:
        """The leg an order was sent to by this process (None: unknown, e.g. after a restart)."""
        with self._lock:
            return self._owners.get(client_order_id)

    # --- the port: housekeeping ----------------------------------------------------------------
    def endpoint_of(self, method: str) -> str:
        """The primary leg's endpoint name (calls that name no symbol: listings, the clock)."""
        return self.primary.endpoint_of(method)

    def endpoint_for(self, method: str, symbol: str) -> str:
        """The endpoint ``method`` uses for ``symbol``: its leg's own (a second leg's prefixed
        with its name), so each leg has its own rate limits and breakers."""
        try:
            leg = self._by_name[naming.split(symbol)[1]]
        except (ValueError, KeyError):
            return self.endpoint_of(method)
        if leg is self.primary:
            return leg.endpoint_of(method)
        return leg_endpoint(leg.name, leg.endpoint_of(method))

    def _clock_leg(self) -> Venue:
        live = self._live()
        return live[0] if live else self.primary

    def set_clock_offset(self, offset_ms: int) -> None:
        """The offset the engine measured against :meth:`server_time_ms` (the first admitted
        leg's clock)."""
        self._clock_leg().set_clock_offset(offset_ms)

    def server_time_ms(self) -> int:
        """The first admitted leg's clock (the primary's unless it is held)."""
        leg = self._clock_leg()
        return self._on(leg, leg.server_time_ms)

    def instruments(self, symbols: tuple[str, ...]) -> list[Instrument]:
        """Each leg's instruments for its symbols, qualified."""
        out: list[Instrument] = []
        for leg, assets in self._group(symbols).values():
            out += self._outs(leg, self._on(leg, leg.instruments, tuple(assets)))
        return out

    def fee_rates(self) -> dict[str, tuple[Decimal, Decimal]]:
        """Every leg's fee rates, keyed by qualified symbol."""
        out: dict[str, tuple[Decimal, Decimal]] = {}
        for leg in self._live():
            naming_ = self._naming[leg.name]
            out.update({naming_.qualify(sym): rates for sym, rates in self._on(leg, leg.fee_rates).items()})
        return out

    def margin_mode(self) -> str:
        """The legs' margin modes (one word when they agree)."""
        modes = [(leg.name, self._on(leg, leg.margin_mode)) for leg in self._live() or self.legs]
        if len({mode for _, mode in modes}) == 1:
            return modes[0][1]
        return " / ".join(f"{name} {mode}" for name, mode in modes)

    # --- commands ------------------------------------------------------------------------------
    def place(self, order: BuiltOrder) -> PlaceAck:
        """Send ``order`` to its symbol's leg (the client id is remembered with the leg)."""
        leg, asset = self.route(order.symbol)
        with self._lock:
            self._owners[order.order_link_id] = leg.name
        return self._on(leg, leg.place, dataclasses.replace(order, symbol=asset))

    def amend(
        self,
        symbol: str,
        client_order_id: str,
        *,
        qty: Decimal | None = None,
        price: Decimal | None = None,
        trigger_price: Decimal | None = None,
    ) -> None:
        """Amend on the order's leg."""
        leg, asset = self.route(symbol)
        self._on(leg, leg.amend, asset, client_order_id, qty=qty, price=price, trigger_price=trigger_price)

    def cancel(self, symbol: str, client_order_id: str) -> None:
        """Cancel on the order's leg."""
        leg, asset = self.route(symbol)
        self._on(leg, leg.cancel, asset, client_order_id)

    def cancel_all(self, symbol: str | None) -> list[str]:
        """Cancel on the symbol's leg, or on every leg (``None``): every leg is tried before the
        first failure is raised."""
        done: list[str] = []
        failure: Exception | None = None
        for leg, asset in self._legs_for(symbol):
            try:
                done += self._on(leg, leg.cancel_all, asset)
            except Exception as exc:  # noqa: BLE001 - the other legs still cancel; re-raised below
                failure = failure or exc
        if failure is not None:
            raise failure
        return done

    def set_leverage(self, symbol: str, leverage: Decimal) -> None:
        """Leverage on the symbol's leg."""
        leg, asset = self.route(symbol)
        self._on(leg, leg.set_leverage, asset, leverage)

    def set_trading_stop(
        self,
        symbol: str,
        *,
        take_profit: Decimal | None,
        stop_loss: Decimal | None,
        trigger_by: TriggerBy = TriggerBy.MARK,
        trailing_distance: Decimal | None = None,
        activation: Decimal | None = None,
    ) -> None:
        """Position TP/SL on the symbol's leg."""
        leg, asset = self.route(symbol)
        self._on(
            leg,
            leg.set_trading_stop,
            asset,
            take_profit=take_profit,
            stop_loss=stop_loss,
            trigger_by=trigger_by,
            trailing_distance=trailing_distance,
            activation=activation,
        )

    def set_dead_mans_switch(self, window_s: int) -> None:
        """Arm every leg's switch (each is tried before the first failure is raised)."""
        failure: Exception | None = None
        for leg in self._live():
            switch = dead_mans_switch_of(leg)
            if switch is None:
                continue
            try:
                self._on(leg, switch.set_dead_mans_switch, window_s)
            except Exception as exc:  # noqa: BLE001 - the other legs are still armed; re-raised below
                failure = failure or exc
        if failure is not None:
            raise failure

    # --- queries -------------------------------------------------------------------------------
    def open_orders(self, symbol: str | None = None) -> list[Order]:
        """Working orders of the symbol's leg, or of every leg."""
        out: list[Order] = []
        for leg, asset in self._legs_for(symbol):
            out += self._outs(leg, self._on(leg, leg.open_orders, asset))
        return out

    def _order_leg(self, symbol: str, client_order_id: str) -> tuple[Venue, str]:
        leg, asset = self.route(symbol, query=True)
        owner = self.leg_of_order(client_order_id)
        if owner is not None and owner != leg.name:  # sent elsewhere than the symbol says
            leg = self._by_name[owner]
        return leg, asset

    def find_order(self, symbol: str, client_order_id: str) -> Order | None:
        """Look the order up on the leg it was sent to (by its symbol after a restart)."""
        leg, asset = self._order_leg(symbol, client_order_id)
        found = self._on(leg, leg.find_order, asset, client_order_id)
        return None if found is None else self._out(leg, found)

    def order_lookups(
        self, symbol: str, client_order_id: str
    ) -> Sequence[tuple[str, Callable[[], Order | None]]]:
        """The leg's lookups, each answer qualified."""
        leg, asset = self._order_leg(symbol, client_order_id)

        def qualified(fn: Callable[[], Order | None]) -> Callable[[], Order | None]:
            def call() -> Order | None:
                found = self._on(leg, fn)
                return None if found is None else self._out(leg, found)

            return call

        return [(method, qualified(fn)) for method, fn in leg.order_lookups(asset, client_order_id)]

    def executions(self, window: TimeRange, symbol: str | None = None) -> list[Fill]:
        """Every leg's executions (or the symbol's leg's), qualified, in time order."""
        out: list[Fill] = []
        for leg, asset in self._legs_for(symbol):
            out += self._outs(leg, self._on(leg, leg.executions, window, asset))
        return sorted(out, key=lambda f: f.ts_ms)

    def closed_pnl(self, window: TimeRange, symbol: str | None = None) -> list[ClosedPnl]:
        """Every leg's closed-PnL records (or the symbol's leg's), qualified."""
        out: list[ClosedPnl] = []
        for leg, asset in self._legs_for(symbol):
            out += self._outs(leg, self._on(leg, leg.closed_pnl, window, asset))
        return out

    def positions(self) -> list[Position]:
        """Every leg's open positions, qualified."""
        out: list[Position] = []
        for leg in self._live():
            out += self._outs(leg, self._on(leg, leg.positions))
        return out

    def balance(self) -> Balance | None:
        """The sum of every admitted leg's balance; None until each of them has one."""
        balances = [self._on(leg, leg.balance) for leg in self._live()]
        known = [b for b in balances if b is not None]
        return summed(known) if len(known) == len(balances) else None

    def ticker(self, symbol: str) -> Ticker | None:
        """The symbol's leg's ticker (None while the leg is held)."""
        if self.held_reason(symbol) is not None:
            return None
        leg, asset = self.route(symbol, query=True)
        found = self._on(leg, leg.ticker, asset)
        return None if found is None else self._out(leg, found)

    def orderbook(self, symbol: str, depth: int) -> BookSnapshot:
        """The symbol's leg's book."""
        leg, asset = self.route(symbol, query=True)
        return self._out(leg, self._on(leg, leg.orderbook, asset, depth))

    def klines(self, symbol: str, timeframe: str, limit: int = 200) -> list[Candle]:
        """The symbol's leg's candles (none while the leg is held: fetched again at admission)."""
        if self.held_reason(symbol) is not None:
            return []
        leg, asset = self.route(symbol, query=True)
        return self._on(leg, leg.klines, asset, timeframe, limit)

    def feeds(self, symbols: tuple[str, ...], sink: FeedSink, timing: FeedTiming) -> Feeds:
        """Every leg's streams for its symbols, delivering qualified events to ``sink``."""
        from core.venues.multi.feeds import MultiFeeds

        groups: dict[str, tuple[Venue, list[str]]] = {}
        for sym in symbols:  # a held leg's too: its streams start when it is admitted
            leg, asset = self._leg_of(sym)
            groups.setdefault(leg.name, (leg, []))[1].append(asset)
        parts = [
            (leg, self._naming[leg.name], tuple(groups[leg.name][1]) if leg.name in groups else ())
            for leg in self.legs
        ]
        return MultiFeeds(parts, sink, timing, self.gate)
