"""The typed algo commands the command line parses into (:mod:`core.orders.grammar_algos`) and
:mod:`core.orders.resolve_algos` turns into ``(kind, params)`` for the engine. Plain data."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from core.model import Side


@dataclass(frozen=True, slots=True)
class Offset:
    """A price as typed: absolute, a signed percent offset, or an unsigned percent distance."""

    price: Decimal | None = None
    pct: Decimal | None = None
    signed: bool = False
    """True for ``-1%`` / ``+1%`` (direction typed); False for ``1%`` (direction from the role)."""


@dataclass(frozen=True, slots=True)
class ChaseCommand:
    """``chase``: a limit order chasing the touch."""

    side: Side
    qty: Decimal
    symbol: str | None = None
    max_abs: Decimal | None = None
    max_pct: Decimal | None = None
    reduce_only: bool = False


@dataclass(frozen=True, slots=True)
class ScaleCommand:
    """``scale``: ``count`` limit orders across ``low``..``high``."""

    side: Side
    qty: Decimal
    low: Decimal
    high: Decimal
    count: int
    symbol: str | None = None
    shape: str = "flat"
    """``flat``, ``lin`` or ``exp``."""
    larger_high: bool = True
    """True: larger sizes at the higher prices (``skew up``)."""
    geometric: bool = False
    reduce_only: bool = False
    post_only: bool = False


@dataclass(frozen=True, slots=True)
class TwapCommand:
    """``twap``: ``qty`` over ``duration_s`` in ``slices`` (None: one a minute)."""

    side: Side
    qty: Decimal
    duration_s: int
    symbol: str | None = None
    slices: int | None = None
    limit: Decimal | None = None
    maker: bool = False
    reduce_only: bool = False


@dataclass(frozen=True, slots=True)
class IcebergCommand:
    """``iceberg``: ``qty`` at ``price``, ``display`` visible at a time."""

    side: Side
    qty: Decimal
    price: Offset
    display: Decimal
    symbol: str | None = None
    post_only: bool = False
    reduce_only: bool = False


@dataclass(frozen=True, slots=True)
class BracketCommand:
    """``bracket``: an entry (limit at ``entry``, market when None) with take-profits and a stop."""

    side: Side
    qty: Decimal
    symbol: str | None = None
    entry: Offset | None = None
    take_profits: tuple[Offset, ...] = ()
    stop: Offset | None = None


@dataclass(frozen=True, slots=True)
class TrailCommand:
    """``trail``: a trailing stop on the symbol's position."""

    distance: Decimal
    """A price distance, or a percentage with ``pct``; 0 (``trail off ex``) removes the venue's."""
    pct: bool
    symbol: str | None = None
    activation: Decimal | None = None
    on_venue: bool = False
    """``ex``: the venue's own trailing stop on the whole position, not an engine algo."""


@dataclass(frozen=True, slots=True)
class Trigger:
    """One price condition of ``when``: ``price_type`` ``op`` (``>=``/``<=``) ``level``."""

    price_type: str
    op: str
    level: Decimal


@dataclass(frozen=True, slots=True)
class SmaTrigger:
    """``last >= sma 20 5m``: ``price_type`` above (``>=``) or below (``<=``) SMA(``length``) of
    the ``timeframe`` candles' closes."""

    price_type: str
    op: str
    length: int
    timeframe: str


@dataclass(frozen=True, slots=True)
class TimeTrigger:
    """``time >= 09:00`` (the next 09:00 UTC) or ``time >= 2026-12-01T09:00`` (UTC): ``at`` as typed,
    resolved against the engine's clock."""

    at: str


@dataclass(frozen=True, slots=True)
class FilledTrigger:
    """``filled LINK`` (fully filled) or ``filled LINK any`` (any fill) of another order."""

    order_link_id: str
    mode: str = "full"


@dataclass(frozen=True, slots=True)
class PositionTrigger:
    """``pos long|short|flat`` or ``pos >=|<= SIZE`` on the command's symbol."""

    op: str
    size: Decimal | None = None


WhenTrigger = Trigger | SmaTrigger | TimeTrigger | FilledTrigger | PositionTrigger


@dataclass(frozen=True, slots=True)
class WhenCommand:
    """``when``: an order placed once the triggers (joined by ``join``) hold."""

    triggers: tuple[WhenTrigger, ...]
    join: str
    """``and`` or ``or`` (one kind per line: no mixed grouping to guess)."""
    side: Side
    qty: Decimal
    symbol: str | None = None
    price: Offset | None = None
    reduce_only: bool = False
    post_only: bool = False
    expire_s: int | None = None
    """``expire 2h``: still unfired that long after it starts, it is cancelled."""


AlgoCommand = (
    ChaseCommand | ScaleCommand | TwapCommand | IcebergCommand | BracketCommand | TrailCommand | WhenCommand
)


__all__ = [
    "AlgoCommand",
    "BracketCommand",
    "ChaseCommand",
    "IcebergCommand",
    "Offset",
    "ScaleCommand",
    "TrailCommand",
    "Trigger",
    "TwapCommand",
    "FilledTrigger",
    "PositionTrigger",
    "SmaTrigger",
    "TimeTrigger",
    "WhenCommand",
    "WhenTrigger",
]
