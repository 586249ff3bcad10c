"""The strategy API: one class, the same in a backtest and against a venue.

A strategy subclasses :class:`Strategy`, declares its :class:`~core.strategy.params.Param`s in
``params`` and overrides the callbacks it needs. It reads the market and the account through
``self.ctx`` (:class:`~core.strategy.context.StrategyContext`) and acts only through the
context's commands, which go through the engine's one order path (builder, risk chain, journal,
executor) with ``source="strategy:<name>"``. A runner (the backtester, or the console) calls the
callbacks on one thread, in time order; a bar arrives only once it has closed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from core.strategy.params import Param

if TYPE_CHECKING:
    from core.api import CommandResult
    from core.model import BookView, Fill, Order, Trade
    from core.strategy.context import StrategyContext


@dataclass(frozen=True, slots=True)
class Bar:
    """One closed OHLCV bar starting at ``ts_ms`` (market data: floats)."""

    ts_ms: int
    open: float
    high: float
    low: float
    close: float
    volume: float = 0.0


class Strategy:
    """Base class of every strategy; the callbacks do nothing unless overridden."""

    name: ClassVar[str] = "strategy"
    """The name orders carry (``source="strategy:<name>"``) and reports show."""
    params: ClassVar[tuple[Param, ...]] = ()
    """Declared parameters; their values are attributes of the instance."""

    def __init__(self, **values: Any) -> None:
        declared = {p.name: p for p in self.params}
        unknown = sorted(set(values) - set(declared))
        if unknown:
            raise TypeError(f"{type(self).__name__} has no parameter {unknown[0]!r}")
        for param in self.params:
            setattr(self, param.name, values.get(param.name, param.default))
        self._ctx: StrategyContext | None = None

    @property
    def ctx(self) -> StrategyContext:
        """The context the runner bound (the market, the account, the commands)."""
        if self._ctx is None:
            raise RuntimeError(f"strategy {self.name} is not bound to a runner yet")
        return self._ctx

    def bind(self, ctx: StrategyContext) -> None:
        """Called by the runner before :meth:`on_start`."""
        self._ctx = ctx

    def values(self) -> dict[str, Any]:
        """The parameters' current values."""
        return {p.name: getattr(self, p.name) for p in self.params}

    # --- callbacks ------------------------------------------------------------------------------
    def check(self) -> None:
        """Refuse a combination of parameters with a ValueError naming them (``fast`` must be below
        ``slow``). Called before anything runs: the console's preview, a live start, a backtest."""

    def on_start(self) -> None:
        """Once, before the first bar."""

    def on_bar(self, bar: Bar) -> None:
        """A bar of the strategy's symbol has closed (``ctx.bars[-1]`` is this bar)."""

    def on_trade(self, trade: Trade) -> None:
        """A public trade (runners that stream trades)."""

    def on_book(self, book: BookView) -> None:
        """The order book changed (runners that stream books)."""

    def on_fill(self, fill: Fill) -> None:
        """One of this strategy's orders filled (partly or fully)."""

    def on_order(self, order: Order) -> None:
        """One of this strategy's orders changed state."""

    def on_result(self, result: CommandResult) -> None:
        """The engine's answer to one command (a rejection names the check and the numbers)."""

    def on_timer(self, now_ms: int) -> None:
        """A timer set with ``ctx.set_timer`` is due."""

    def on_stop(self) -> None:
        """Once, after the last bar (or when stopped)."""
