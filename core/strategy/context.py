"""What a strategy sees and the commands it sends.

The context holds only the bars the runner has handed over (:class:`BarHistory`: appended by the
runner once a bar has closed, read-only to the strategy, so the future cannot be read) and reads
the account from the engine. Commands are queued and sent by the runner through the engine's
:class:`~core.api.EngineAPI` (``place``, ``cancel``, ``close_position``, ``start_algo``), so every
order takes the one path: builder, risk chain, journal, executor. The runner chooses when: right
after the callback (bar-close fills, live) or at the next bar's open (next-open fills).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import TYPE_CHECKING, Any, overload

from core.model import OrderRequest, OrderType, Position, Side, TimeInForce
from core.strategy import indicators
from core.strategy.base import Bar

if TYPE_CHECKING:
    from core.api import CommandResult, EngineAPI
    from core.model import Balance

KEEP_BARS = 5_000
"""Bars a context keeps (older ones are dropped; indicators look back less than this)."""

Send = Callable[["EngineAPI"], Awaitable["CommandResult"]]


class BarHistory(Sequence[Bar]):
    """The closed bars seen so far, oldest first; only the runner appends."""

    def __init__(self, keep: int = KEEP_BARS) -> None:
        self._bars: list[Bar] = []
        self._closes: list[float] = []
        self._keep = keep

    def __len__(self) -> int:
        return len(self._bars)

    @overload
    def __getitem__(self, index: int) -> Bar: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Bar]: ...
    def __getitem__(self, index: int | slice) -> Bar | Sequence[Bar]:
        return self._bars[index]

    def __iter__(self) -> Iterator[Bar]:
        return iter(self._bars)

    @property
    def closes(self) -> Sequence[float]:
        """The closes of the bars seen, oldest first."""
        return self._closes

    def _append(self, bar: Bar) -> None:
        """The runner's only way in: one more closed bar."""
        self._bars.append(bar)
        self._closes.append(bar.close)
        if len(self._bars) > 2 * self._keep:
            del self._bars[: -self._keep]
            del self._closes[: -self._keep]


@dataclass(frozen=True, slots=True)
class Command:
    """One queued engine command and what it is, for the log."""

    what: str
    send: Send
    takes: Side | None = None
    """The side a market order of the strategy's own symbol takes (None: anything else), so a
    backtest filling at the next open can quote the open on that side."""


class StrategyContext:
    """The strategy's view of the market and account, and its command queue."""

    def __init__(self, engine: EngineAPI, name: str, symbol: str, now_ms: Callable[[], int]) -> None:
        self._engine = engine
        self._now_ms = now_ms
        self.name = name
        self.symbol = symbol
        """The symbol whose bars this strategy receives."""
        self.source = f"strategy:{name}"
        self.resumed = False
        """True when the strategy was rebuilt after a restart: its own position and working orders
        are as the last session left them (``on_start`` runs again; do not place them twice)."""
        self.bars = BarHistory()
        self._queue: list[Command] = []
        self.timer_ms: int | None = None
        """The interval of the strategy's timer (None: no timer)."""
        self._next_timer_ms: int | None = None

    # --- the market -------------------------------------------------------------------------------
    def now_ms(self) -> int:
        """The engine clock (virtual in a backtest)."""
        return self._now_ms()

    def sma(self, n: int) -> float | None:
        """The simple moving average of the last ``n`` closes (None before ``n`` bars)."""
        return indicators.sma(self.bars._closes, n)

    def atr(self, n: int) -> float | None:
        """The average true range of the last ``n`` bars (None before ``n + 1`` bars)."""
        return indicators.atr(self.bars, n)

    # --- the account ------------------------------------------------------------------------------
    @property
    def positions(self) -> Mapping[str, Position]:
        """Open positions by symbol, as the engine has them."""
        return self._engine.account().positions

    def position(self, symbol: str | None = None) -> Position | None:
        """The open position of ``symbol`` (default: the strategy's), None when flat."""
        pos = self._engine.position(symbol or self.symbol)
        return pos if pos is not None and pos.size > 0 else None

    def signed_size(self, symbol: str | None = None) -> Decimal:
        """The position's size, negative when short, 0 when flat."""
        pos = self.position(symbol)
        if pos is None:
            return Decimal(0)
        return pos.size if pos.side is Side.BUY else -pos.size

    @property
    def balance(self) -> Balance | None:
        """The settle-coin balance."""
        return self._engine.account().balance

    # --- commands ---------------------------------------------------------------------------------
    def place(self, request: OrderRequest) -> None:
        """Queue an order; it is sent as ``strategy:<name>`` through the builder and risk chain."""
        req = replace(request, source=self.source)
        takes = req.side if req.order_type is OrderType.MARKET and req.symbol == self.symbol else None
        what = f"place {req.side.value} {req.qty} {req.symbol}"
        self._queue.append(Command(what, lambda e: e.place(req), takes))

    def market(self, side: Side, qty: Decimal, *, reduce_only: bool = False, **extra: Any) -> None:
        """Queue a market order on the strategy's symbol."""
        self.place(
            OrderRequest(
                self.symbol,
                side,
                qty,
                OrderType.MARKET,
                time_in_force=TimeInForce.IOC,
                reduce_only=reduce_only,
                **extra,
            )
        )

    def limit(self, side: Side, qty: Decimal, price: Decimal, **extra: Any) -> None:
        """Queue a limit order on the strategy's symbol."""
        self.place(OrderRequest(self.symbol, side, qty, OrderType.LIMIT, price=price, **extra))

    def cancel(self, order_link_id: str) -> None:
        """Queue a cancel of one working order."""
        self._queue.append(Command(f"cancel {order_link_id}", lambda e: e.cancel(order_link_id)))

    def cancel_all(self, symbol: str | None = None) -> None:
        """Queue a cancel of every working order of ``symbol`` (default: the strategy's)."""
        sym = symbol or self.symbol
        self._queue.append(Command(f"cancel all {sym}", lambda e: e.cancel_all(sym)))

    def close_position(self, symbol: str | None = None, fraction: Decimal = Decimal(1)) -> None:
        """Queue a reduce-only market close of ``fraction`` of a position."""
        sym = symbol or self.symbol
        pos = self.position(sym) if sym == self.symbol else None
        takes = None if pos is None else (Side.SELL if pos.side is Side.BUY else Side.BUY)
        self._queue.append(Command(f"close {sym}", lambda e: e.close_position(sym, fraction), takes))

    def start_algo(self, kind: str, params: Mapping[str, Any]) -> None:
        """Queue the start of an execution algo (its children carry the algo's source)."""
        args = dict(params)
        self._queue.append(Command(f"algo {kind}", lambda e: e.start_algo(kind, args)))

    def set_timer(self, every_ms: int | None) -> None:
        """Call ``on_timer`` every ``every_ms`` of engine time (None stops it)."""
        if every_ms is not None and every_ms <= 0:
            raise ValueError(f"timer interval must be positive, got {every_ms} ms")
        self.timer_ms = every_ms

    # --- for the runner ---------------------------------------------------------------------------
    @property
    def pending(self) -> bool:
        """True when commands wait to be sent."""
        return bool(self._queue)

    def taking(self) -> Side | None:
        """The side the first queued market order of the strategy's symbol takes (None: none)."""
        return next((c.takes for c in self._queue if c.takes is not None), None)

    def take(self) -> list[Command]:
        """The queued commands, oldest first; the queue is emptied."""
        out, self._queue = self._queue, []
        return out

    def due_timers(self, now_ms: int) -> list[int]:
        """The timer instants due by ``now_ms`` (runners call ``on_timer`` with each)."""
        every = self.timer_ms
        if every is None:
            self._next_timer_ms = None
            return []
        if self._next_timer_ms is None:
            self._next_timer_ms = now_ms + every
        due: list[int] = []
        while self._next_timer_ms <= now_ms:
            due.append(self._next_timer_ms)
            self._next_timer_ms += every
        return due

    def push_bar(self, bar: Bar) -> None:
        """Hand over one closed bar (runners only)."""
        self.bars._append(bar)
