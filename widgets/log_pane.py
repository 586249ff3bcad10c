"""The log pane (a ``Log`` widget, far cheaper than ``RichLog``): one clear line per event.

Rejections carry the check and its numbers; fills show side, size and the price they filled at;
breaker changes and panic steps are spelled out. Order updates are told as what happened to the
order (placed, amended, triggered, cancelled, rejected), once each: the local "sending"
placeholder and fill statuses are left to the acknowledgement and the FILL lines, a market
order's slippage-protection price is never shown as if it were a price, and a position line
appears only when its side, size or entry changed (not on every mark-price push).

:class:`LogFormatter` holds that memory; :func:`format_event` is its stateless core, pure so it
can be tested without a screen. Numbers use the instrument's decimals and thousands separators.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Mapping
from decimal import Decimal

from textual import events
from textual.widgets import Log

from core.events import (
    AlertRaised,
    BalanceUpdated,
    BreakerChanged,
    Connectivity,
    DeadMansSwitchChanged,
    Event,
    FillReceived,
    LogLine,
    OrderUpdated,
    PanicProgress,
    PositionUpdated,
    RiskRejected,
    VenueRejected,
)
from core.model import Instrument, Order, OrderStatus, OrderType, Position, Side
from widgets.fmt import fmt_dec, fmt_time

Instruments = Mapping[str, Instrument]
MEMORY = 2000
"""Orders / rejections remembered for de-duplication (oldest forgotten first)."""

_VERBS = {
    OrderStatus.NEW: "placed",
    OrderStatus.UNTRIGGERED: "placed",
    OrderStatus.TRIGGERED: "triggered",
    OrderStatus.CANCELLED: "cancelled",
    OrderStatus.DEACTIVATED: "deactivated",
    OrderStatus.REJECTED: "REJECTED by the venue",
}
"""What an order update says happened; statuses not listed (Created, fills) print nothing."""


def _places(inst: Instrument | None) -> tuple[int | None, int | None]:
    return (inst.price_decimals, inst.qty_decimals) if inst is not None else (None, None)


def _num(value: object, places: int | None) -> str:
    """A Decimal with the instrument's decimals (as received when the instrument is unknown)."""
    if not isinstance(value, Decimal):
        return str(value)
    return fmt_dec(value, places) if places is not None else f"{value:,f}"


def describe_order(o: Order, inst: Instrument | None = None) -> str:
    """``BTCUSDT Buy 0.010 Limit @ 93,091.7 PostOnly RO`` — the order as the trader entered it.

    A market order shows no price (the venue's price field holds its slippage protection, not
    what it filled at); a stop shows its trigger.
    """
    pp, qp = _places(inst)
    parts = [o.symbol, o.side.value, _num(o.qty, qp)]
    market = o.order_type is OrderType.MARKET
    if o.trigger_price is not None:
        parts.append("stop-market" if market else "stop-limit")
        parts.append(f"trigger {_num(o.trigger_price, pp)}")
        if not market and o.price is not None:
            parts.append(f"@ {_num(o.price, pp)}")
    elif market:
        parts.append("Market")
    else:
        parts.append("Limit")
        if o.price is not None:
            parts.append(f"@ {_num(o.price, pp)}")
    if o.time_in_force.value != "GTC" and not market:
        parts.append(o.time_in_force.value)
    if o.reduce_only:
        parts.append("RO")
    return " ".join(parts)


def _fill_line(ev: FillReceived, inst: Instrument | None) -> str:
    f = ev.fill
    pp, qp = _places(inst)
    role = "maker" if f.is_maker else "taker"
    line = f"FILL {f.symbol} {f.side.value} {_num(f.qty, qp)} @ {_num(f.price, pp)}"
    line += f" ({role}, fee {fmt_dec(f.fee, 4)})"
    if not f.closed_pnl.is_zero():
        line += f" pnl {fmt_dec(f.closed_pnl, 2, sign=True)}"
    return line


def _position_line(p: Position, inst: Instrument | None) -> str:
    if p.is_flat:
        return f"position {p.symbol} flat"
    pp, qp = _places(inst)
    side = "long" if p.side is Side.BUY else "short"
    return f"position {p.symbol} {side} {_num(p.size, qp)} @ {_num(p.entry_price, pp)}"


def format_event(ev: Event, inst: Instrument | None = None) -> str | None:
    """One log line for ``ev`` on its own (no memory of earlier events), or None for events the
    log does not show (balance ticks, an order's local placeholder and fill statuses)."""
    t = fmt_time(ev.ts_ms)
    if isinstance(ev, LogLine):
        sev = "" if ev.severity.value == "info" else f"{ev.severity.value.upper()} "
        return f"{t} {sev}{ev.message}"
    if isinstance(ev, RiskRejected):
        return f"{t} REJECTED {ev.symbol} by {ev.check}: {ev.reason}"
    if isinstance(ev, VenueRejected):
        link = f" [{ev.order_link_id}]" if ev.order_link_id else ""
        return f"{t} VENUE REJECTED {ev.symbol} retCode {ev.ret_code}: {ev.message}{link}"
    if isinstance(ev, FillReceived):
        return None if ev.earlier else f"{t} {_fill_line(ev, inst)}"
    if isinstance(ev, OrderUpdated):
        o = ev.order
        verb = _VERBS.get(o.status)
        if verb is None or (o.status is OrderStatus.NEW and o.order_type is OrderType.MARKET):
            return None  # a market order's event is its fill (or its cancellation, unfilled)
        why = f": {o.reject_reason}" if o.reject_reason else ""
        return f"{t} {verb} {describe_order(o, inst)}{why} [{o.order_link_id}]"
    if isinstance(ev, PositionUpdated):
        return f"{t} {_position_line(ev.position, inst)}"
    if isinstance(ev, BreakerChanged):
        return f"{t} BREAKER {ev.name} {ev.state}: {ev.reason}"
    if isinstance(ev, PanicProgress):
        tail = (" — FLAT" if ev.flat else " — NOT FLAT") if ev.done else ""
        return f"{t} PANIC {ev.step}: {ev.detail}{tail}"
    if isinstance(ev, Connectivity):
        return f"{t} {ev.stream} {ev.state}" + (f": {ev.detail}" if ev.detail else "")
    if isinstance(ev, AlertRaised):
        return f"{t} ALERT {ev.rule}: {ev.message}" + ("" if ev.active else " (cleared)")
    if isinstance(ev, BalanceUpdated | DeadMansSwitchChanged):
        return None  # the header shows the switch; the engine says arming and failures in lines
    return f"{t} {type(ev).__name__}"


def _symbol_of(ev: Event) -> str:
    if isinstance(ev, OrderUpdated):
        return ev.order.symbol
    if isinstance(ev, PositionUpdated):
        return ev.position.symbol
    if isinstance(ev, FillReceived):
        return ev.fill.symbol
    return str(getattr(ev, "symbol", "") or "")


def _order_key(o: Order) -> tuple[object, ...]:
    return (o.status, o.qty, o.price, o.trigger_price, o.reduce_only)


class LogFormatter:
    """Turns the event stream into log lines, saying each thing once.

    * an order update prints only when its status or terms changed: the first ``New`` is
      "placed", a later change of price / qty / trigger is "amended", repeats print nothing;
    * an order rejection reported as ``VenueRejected`` is not repeated by the order update;
    * a position prints only when its side, size or entry changed.
    """

    def __init__(self) -> None:
        self._orders: OrderedDict[str, tuple[object, ...]] = OrderedDict()
        self._rejected: OrderedDict[str, None] = OrderedDict()
        self._positions: dict[str, str] = {}

    @staticmethod
    def _remember(store: OrderedDict[str, object], key: str, value: object) -> None:
        store[key] = value
        store.move_to_end(key)
        while len(store) > MEMORY:
            store.popitem(last=False)

    def _order_line(self, ev: OrderUpdated, inst: Instrument | None) -> str | None:
        o = ev.order
        key = o.order_link_id or o.order_id
        prev = self._orders.get(key)
        now = _order_key(o)
        if prev == now:
            return None
        self._remember(self._orders, key, now)  # type: ignore[arg-type]
        if o.status is OrderStatus.REJECTED and key in self._rejected:
            return None  # the VenueRejected line said it
        if prev is not None and prev[0] == o.status:
            # Same status, new terms: an amendment (a closed order's echo says nothing new).
            return (
                f"{fmt_time(ev.ts_ms)} amended {describe_order(o, inst)} [{o.order_link_id}]"
                if o.is_open
                else None
            )
        return format_event(ev, inst)

    def line(self, ev: Event, instruments: Instruments | None = None) -> str | None:
        """The line for ``ev`` given what was already said (None: nothing new to say)."""
        symbol = _symbol_of(ev)
        inst = instruments.get(symbol) if instruments is not None and symbol else None
        if isinstance(ev, OrderUpdated):
            return self._order_line(ev, inst)
        if isinstance(ev, VenueRejected) and ev.order_link_id:
            self._remember(self._rejected, ev.order_link_id, None)  # type: ignore[arg-type]
        if isinstance(ev, PositionUpdated):
            text = _position_line(ev.position, inst)
            if self._positions.get(ev.position.symbol) == text:
                return None
            self._positions[ev.position.symbol] = text
        return format_event(ev, inst)


class EventLog(Log):
    """Bounded log of engine events."""

    DEFAULT_CSS = """
    EventLog { height: 1fr; min-height: 3; overflow-y: auto; }
    """

    def __init__(self, *, max_lines: int = 2000, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(max_lines=max_lines, id=id, classes=classes, auto_scroll=True)
        self.history: list[str] = []
        """The most recent lines (bounded like the widget), for tests."""
        self.formatter = LogFormatter()
        self.following = True
        """True while the view is at the tail (False once the trader scrolled up to read)."""

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        """Remember whether the view is at the tail (a resize that clamps it counts as a move)."""
        super().watch_scroll_y(old_value, new_value)
        self.following = new_value >= self.max_scroll_y

    def on_resize(self, event: events.Resize) -> None:
        """Stay at the tail across a resize: growing the terminal put the view at the top (every
        line fit), shrinking it back left it there, and the pane never followed again."""
        if self.following:
            self.scroll_end(animate=False, immediate=True, force=True, x_axis=False)

    def add_events(self, events: Iterable[Event], instruments: Instruments | None = None) -> int:
        """Append one line per event that says something new (one batched write); returns the count."""
        fmt = self.formatter.line
        lines = [line for line in (fmt(e, instruments) for e in events) if line is not None]
        return self.add_lines(lines)

    def add_lines(self, lines: list[str]) -> int:
        """Append plain lines."""
        if lines:
            # Follow the tail unless the user scrolled up (also before the first layout, when
            # Log's own check would leave the view stuck at the top). At once and forced: the
            # scrollbar the new lines need is not laid out yet, and under another screen (a
            # ticket, the help) it is not until that screen closes, so an unforced scroll was
            # dropped and the pane stopped following for good.
            follow = self.following or self.is_vertical_scroll_end or not self.size.height
            self.write_lines(lines, scroll_end=False)
            if follow:
                self.scroll_end(animate=False, immediate=True, force=True, x_axis=False)
            self.history.extend(lines)
            if len(self.history) > (self.max_lines or 2000):
                del self.history[: len(self.history) - (self.max_lines or 2000)]
        return len(lines)
