"""What a backtest is given and gives back, and the venue it drives (see :mod:`core.strategy.backtest`)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol, runtime_checkable

from core.analytics.types import FundingPayment
from core.api import CommandResult
from core.model import Balance, Fill, Position, Side

NEXT_OPEN = "next-open"
BAR_CLOSE = "bar-close"
THROUGH_BOOK = "through-book"
FILL_MODELS = (NEXT_OPEN, BAR_CLOSE, THROUGH_BOOK)
DEFAULT_LATENCY_MS = 50
"""Order latency of the through-book fill model: the time from the bar's close to the send."""
DEFAULT_FUNDING_RATE = Decimal("0.0001")
"""The funding rate positions settle at every 8 h by default: the sim venue's ticker rate."""
FundingSeries = tuple[tuple[int, Decimal], ...]
"""Recorded funding: (funding time in ms, rate settled then), ascending (see core.record.funding)."""
Progress = Callable[[int], None]
"""Told each bar's index as the run goes."""
LIQ_NEAR = 0.002
"""A bar whose adverse extreme comes within this fraction of the position's liquidation price
drives the venue (so a liquidation happens at the same instant as if every bar did)."""


class BarControls(Protocol):
    """The bar-by-bar drives of the in-process venue (its ``bars`` part)."""

    def drive(self, symbol: str, price: float, at_ms: int, takes: Side | None = None) -> None:
        """Jump to ``at_ms`` and move ``symbol``'s market to ``price`` (quoted on the side
        ``takes`` when an order is about to take it there)."""
        ...

    def set_bar_mode(self, on: bool = True) -> None:
        """Publish what a bar's orders read (top of book, prices), not a deep book, trades or klines."""
        ...

    def set_funding_rate(self, rate: Decimal | FundingSeries | None) -> None:
        """Settle open positions at ``rate`` at each funding time (None: no funding; a recorded
        series: at its times and rates)."""
        ...

    def wander(self, at_ms: int) -> None:
        """Jump to ``at_ms`` with the market generator moving the market over the time elapsed."""
        ...

    def next_funding_ms(self) -> int | None:
        """The next funding time (None: no funding is paid)."""
        ...

    def market_idle(self, symbol: str) -> bool:
        """True when no resting order, conditional or TP/SL/trailing stop waits on ``symbol``."""
        ...

    def private_pushes(self) -> int:
        """Private messages the venue's feeds have delivered so far."""
        ...

    @property
    def drives(self) -> int:
        """Market drives so far."""
        ...


@runtime_checkable
class DrivenVenue(Protocol):
    """A venue a backtest can move bar by bar (the in-process one, built by name through the registry)."""

    @property
    def bars(self) -> BarControls:
        """Its bar-by-bar drives."""
        ...


@dataclass(frozen=True, slots=True)
class BacktestConfig:
    """What to run: symbol, bar interval, seed, fill model, starting balance, setting overrides."""

    symbol: str = "BTCUSDT"
    interval_ms: int = 60_000
    seed: int = 7
    fill_model: str = NEXT_OPEN
    starting_balance: Decimal = Decimal("100000")
    funding_rate: Decimal | FundingSeries | None = DEFAULT_FUNDING_RATE
    """Funding rate settled at each funding time (a constant), or a recorded series of (funding
    time ms, rate) settled at those times instead; None pays no funding."""
    latency_ms: int = DEFAULT_LATENCY_MS
    """Through-book fills only: milliseconds from a bar's close to the orders' send."""
    settings: dict[str, Any] = field(default_factory=dict)
    """Extra settings sections, e.g. ``{"risk": {"max_order_notional": "1000"}}``."""


@dataclass(slots=True)
class EquityPoint:
    """Equity at one bar's close."""

    ts_ms: int
    equity: float
    position: float
    price: float


@dataclass(slots=True)
class BacktestResult:
    """What a run produced: the fills, the equity curve, the engine's answers that were refusals."""

    config: BacktestConfig
    strategy: str
    params: dict[str, Any]
    fills: list[Fill] = field(default_factory=list)
    equity: list[EquityPoint] = field(default_factory=list)
    rejections: list[CommandResult] = field(default_factory=list)
    funding: list[FundingPayment] = field(default_factory=list)
    """Funding settlements (positive: paid)."""
    liquidations: list[Fill] = field(default_factory=list)
    """The venue's liquidation executions (also among ``fills``: they closed the position)."""
    commands: int = 0
    bars: int = 0
    drives: int = 0
    """Moves of the venue's market to a bar's price (bars where nothing could happen at the venue
    move none)."""


@dataclass(frozen=True, slots=True)
class Held:
    """The account as the equity curve and the liquidation check read it, in floats."""

    wallet: float
    size: float
    """Signed: negative when short, 0 when flat."""
    entry: float
    liq_floor: float
    """A long is near liquidation when a bar's low reaches this (``-inf``: unknown, always)."""
    liq_ceiling: float
    """A short is near liquidation when a bar's high reaches this (``inf``: unknown, always)."""

    @classmethod
    def of(cls, balance: Balance | None, pos: Position | None) -> Held:
        """From the engine's balance and position of the backtest's symbol."""
        wallet = float(balance.wallet_balance) if balance is not None else 0.0
        if pos is None or pos.size <= 0:
            return cls(wallet, 0.0, 0.0, math.inf, -math.inf)
        size = float(pos.size) if pos.side is Side.BUY else -float(pos.size)
        if pos.liq_price is None:
            return cls(wallet, size, float(pos.entry_price), math.inf, -math.inf)
        liq = float(pos.liq_price)
        return cls(wallet, size, float(pos.entry_price), liq * (1 + LIQ_NEAR), liq * (1 - LIQ_NEAR))
