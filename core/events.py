"""Typed events the engine publishes. The console and strategies consume only these.

Market-data events (book, ticker, trades) are *coalesced*: the engine keeps the latest per key in
a store and the UI drains it on a timer. Account and control events (orders, fills, positions,
rejections, breakers, panic, connectivity) are delivered one by one, in order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from core.model import Balance, Fill, Order, Position


class Severity(StrEnum):
    """How loudly an event should be shown."""

    INFO = "info"
    WARN = "warn"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class Event:
    """Base class: every event carries the engine clock time it was made."""

    ts_ms: int


@dataclass(frozen=True, slots=True)
class OrderUpdated(Event):
    """An order changed state (ack, partial fill, amend, cancel, reject)."""

    order: Order


@dataclass(frozen=True, slots=True)
class FillReceived(Event):
    """An execution happened."""

    fill: Fill
    earlier: bool = False
    """Taken again from the venue although the journal already held it (a restart's backfill):
    history for the algos and the fills pane, not news for the log."""


@dataclass(frozen=True, slots=True)
class PositionUpdated(Event):
    """A position changed (including going flat)."""

    position: Position


@dataclass(frozen=True, slots=True)
class BalanceUpdated(Event):
    """The wallet changed."""

    balance: Balance


@dataclass(frozen=True, slots=True)
class RiskRejected(Event):
    """The risk chain (or the builder) refused an order: ``check`` names the rule, ``reason`` the numbers."""

    symbol: str
    order_link_id: str
    check: str
    reason: str


@dataclass(frozen=True, slots=True)
class VenueRejected(Event):
    """The venue refused a request; ``ret_code`` is Bybit's retCode."""

    symbol: str
    order_link_id: str
    ret_code: int
    message: str


@dataclass(frozen=True, slots=True)
class BreakerChanged(Event):
    """A circuit breaker tripped or was reset."""

    name: str
    state: str
    reason: str


@dataclass(frozen=True, slots=True)
class PanicProgress(Event):
    """One step of a panic run; ``done`` is set on the last one with ``flat`` telling the outcome."""

    step: str
    detail: str
    done: bool = False
    flat: bool = False


@dataclass(frozen=True, slots=True)
class Connectivity(Event):
    """A feed or the REST path changed state (``up``, ``down``, ``stale``, ``resyncing``)."""

    stream: str
    state: str
    detail: str = ""


@dataclass(frozen=True, slots=True)
class LogLine(Event):
    """A human-readable line for the console's log pane."""

    message: str
    severity: Severity = Severity.INFO
    fields: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AlertRaised(Event):
    """An alert rule fired (or cleared, when ``active`` is False)."""

    rule: str
    message: str
    active: bool = True


@dataclass(frozen=True, slots=True)
class AlgoUpdated(Event):
    """An execution algo changed (started, progressed, paused, resumed, ended): redraw from
    ``EngineAPI.algos()``."""

    algo_id: str
    state: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class DeadMansSwitchChanged(Event):
    """The venue's dead-man's switch changed: ``state`` is ``armed`` (``window_s`` seconds),
    ``off`` (not configured) or ``failed`` (``reason`` says why)."""

    state: str
    window_s: int | None = None
    reason: str = ""


@dataclass(frozen=True, slots=True)
class RiskStatus:
    """A point-in-time view of risk usage for the risk meters (not an event)."""

    daily_loss: Decimal
    daily_loss_limit: Decimal
    gross_exposure: Decimal
    gross_exposure_cap: Decimal
    margin_use_pct: Decimal
    breakers: dict[str, tuple[str, str]]
    rate_headroom: dict[str, float]
    daily_pnl: Decimal | None = None
    """Today's PnL (realised net of fees + unrealised change) since local midnight; None if unknown."""
