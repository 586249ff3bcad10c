"""The log pane (a ``Log`` widget, far cheaper than ``RichLog``): engine events as one-line text.

Rejections carry the check and its numbers; fills show side, size and price; breaker changes and
panic steps are spelled out. ``format_event`` is pure so it can be tested without a screen.
"""

from __future__ import annotations

from collections.abc import Iterable

from textual.widgets import Log

from core.events import (
    AlertRaised,
    BalanceUpdated,
    BreakerChanged,
    Connectivity,
    Event,
    FillReceived,
    LogLine,
    OrderUpdated,
    PanicProgress,
    PositionUpdated,
    RiskRejected,
    VenueRejected,
)
from widgets.fmt import fmt_dec, fmt_time


def format_event(ev: Event) -> str | None:
    """One log line for ``ev``, or None for events the log does not show (balance ticks)."""
    t = fmt_time(ev.ts_ms)
    if isinstance(ev, LogLine):
        sev = "" if ev.severity.value == "info" else f"{ev.severity.value.upper()} "
        return f"{t} {sev}{ev.message}"
    if isinstance(ev, RiskRejected):
        return f"{t} REJECTED {ev.symbol} by {ev.check}: {ev.reason}"
    if isinstance(ev, VenueRejected):
        return f"{t} VENUE REJECTED {ev.symbol} retCode {ev.ret_code}: {ev.message}"
    if isinstance(ev, FillReceived):
        f = ev.fill
        role = "maker" if f.is_maker else "taker"
        return f"{t} FILL {f.symbol} {f.side.value} {f.qty} @ {f.price} ({role}, fee {f.fee})" + (
            f" pnl {fmt_dec(f.closed_pnl, 2, sign=True)}" if f.closed_pnl else ""
        )
    if isinstance(ev, OrderUpdated):
        o = ev.order
        px = f" @ {o.price}" if o.price is not None else ""
        why = f" ({o.reject_reason})" if o.reject_reason else ""
        return f"{t} order {o.symbol} {o.side.value} {o.qty}{px} {o.status.value}{why} [{o.order_link_id}]"
    if isinstance(ev, PositionUpdated):
        p = ev.position
        if p.is_flat:
            return f"{t} position {p.symbol} flat"
        side = "long" if p.side is not None and p.side.value == "Buy" else "short"
        return f"{t} position {p.symbol} {side} {p.size} @ {p.entry_price}"
    if isinstance(ev, BreakerChanged):
        return f"{t} BREAKER {ev.name} {ev.state}: {ev.reason}"
    if isinstance(ev, PanicProgress):
        tail = (" — FLAT" if ev.flat else " — NOT FLAT") if ev.done else ""
        return f"{t} PANIC {ev.step}: {ev.detail}{tail}"
    if isinstance(ev, Connectivity):
        return f"{t} {ev.stream} {ev.state}" + (f": {ev.detail}" if ev.detail else "")
    if isinstance(ev, AlertRaised):
        return f"{t} ALERT {ev.rule}: {ev.message}" + ("" if ev.active else " (cleared)")
    if isinstance(ev, BalanceUpdated):
        return None
    return f"{t} {type(ev).__name__}"


class EventLog(Log):
    """Bounded log of engine events."""

    DEFAULT_CSS = """
    EventLog { height: 1fr; min-height: 3; overflow-y: auto; }
    """

    def __init__(self, *, max_lines: int = 2000, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(max_lines=max_lines, id=id, classes=classes, auto_scroll=True)
        self.history: list[str] = []
        """The most recent lines (bounded like the widget), for tests."""

    def add_events(self, events: Iterable[Event]) -> int:
        """Append one line per displayable event (one batched write); returns the count."""
        lines = [line for line in (format_event(e) for e in events) if line is not None]
        return self.add_lines(lines)

    def add_lines(self, lines: list[str]) -> int:
        """Append plain lines."""
        if lines:
            # Follow the tail unless the user scrolled up (also before the first layout, when
            # Log's own check would leave the view stuck at the top).
            follow = self.is_vertical_scroll_end or not self.size.height
            self.write_lines(lines, scroll_end=False)
            if follow:
                self.scroll_end(animate=False, x_axis=False)
            self.history.extend(lines)
            if len(self.history) > (self.max_lines or 2000):
                del self.history[: len(self.history) - (self.max_lines or 2000)]
        return len(lines)
