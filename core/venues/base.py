"""The one venue interface the engine talks to, whatever the exchange behind it.

Every failure a venue raises is one of the classified errors of :mod:`core.resilience.errors`
(RateLimited, TimestampError, Transient, Unknown, Rejected), so retry and idempotency rules are
the same for every exchange.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from core.market.candles import Candle
from core.market.timerange import TimeRange
from core.model import Balance, Fill, Instrument, Order, Position, Ticker


@dataclass(frozen=True, slots=True)
class RestReply:
    """A successful REST reply: the ``result`` object and the response headers."""

    result: dict[str, Any]
    headers: Mapping[str, str]
    elapsed_s: float


class Venue(Protocol):
    """Blocking access to one exchange account. The engine runs every call in a worker thread,
    behind its rate limiter, per-endpoint circuit breaker and retry policy; ``endpoint_of``
    names the endpoint group each method uses so those layers can key on it.
    """

    name: str
    rest_url: str

    def endpoint_of(self, method: str) -> str:
        """The REST path a venue method calls (for limits, breakers and metrics)."""
        ...

    def server_time_ms(self) -> int:
        """The venue's clock."""
        ...

    def instruments(self, symbols: tuple[str, ...]) -> list[Instrument]:
        """Instruments and their filters."""
        ...

    def fee_rates(self) -> dict[str, tuple[Decimal, Decimal]]:
        """(taker, maker) fee rate per symbol."""
        ...

    def place(self, params: dict[str, Any]) -> RestReply:
        """Send one order (exchange-native params built by the order builder)."""
        ...

    def amend(
        self,
        symbol: str,
        order_link_id: str,
        qty: str | None,
        price: str | None,
        trigger_price: str | None = None,
    ) -> RestReply:
        """Amend a working order (None leaves a field as it is)."""
        ...

    def margin_mode(self) -> str:
        """The account's margin mode as the venue names it ("" when it does not say)."""
        ...

    def set_trading_stop(
        self,
        symbol: str,
        *,
        take_profit: str | None,
        stop_loss: str | None,
        tp_trigger_by: str | None = None,
        sl_trigger_by: str | None = None,
    ) -> RestReply:
        """Set the whole position's TP and/or SL (None leaves one as it is, "0" removes it)."""
        ...

    def cancel(self, symbol: str, order_link_id: str) -> RestReply:
        """Cancel a working order."""
        ...

    def cancel_all(self, symbol: str | None) -> list[str]:
        """Cancel every working order (of ``symbol`` or all); returns the orderLinkIds cancelled."""
        ...

    def open_orders(self, symbol: str | None = None) -> list[Order]:
        """Every working order."""
        ...

    def find_order(self, symbol: str, order_link_id: str) -> Order | None:
        """Look an order up by its client id, open or closed; None when the venue never saw it."""
        ...

    def order_lookups(
        self, symbol: str, order_link_id: str
    ) -> Sequence[tuple[str, Callable[[], Order | None]]]:
        """The requests :meth:`find_order` makes, as ``(venue method, request)`` in order, so the
        engine can retry each one on its own; the first that returns an order answers."""
        ...

    def executions(self, window: TimeRange, symbol: str | None = None) -> list[Fill]:
        """Every execution in an explicit time range (chunked to the venue's limits)."""
        ...

    def positions(self) -> list[Position]:
        """Every open position."""
        ...

    def balance(self) -> Balance | None:
        """The settle-coin balance."""
        ...

    def set_leverage(self, symbol: str, leverage: Decimal) -> None:
        """Set buy and sell leverage."""
        ...

    def ticker(self, symbol: str) -> Ticker | None:
        """The latest ticker over REST (before the WebSocket feed delivers one)."""
        ...

    def orderbook(self, symbol: str, depth: int) -> dict[str, Any]:
        """A REST order book snapshot (exchange-native shape)."""
        ...

    def klines(self, symbol: str, timeframe: str, limit: int = 200) -> list[Candle]:
        """Candle history for the chart, oldest first (``timeframe``: one of ``candles.TIMEFRAMES``)."""
        ...
