"""A feed sink that keeps what the venue's feeds deliver, for tests that read the feeds directly."""

from __future__ import annotations

from core.market.candles import Candle
from core.model import Balance, Fill, Order, Position, Ticker, Trade
from core.venues.base import BookDelta, BookSnapshot


class RecordingSink:
    """A :class:`core.venues.base.FeedSink` that keeps every event, in order."""

    def __init__(self) -> None:
        self.events: list[tuple[str, object]] = []

    def of(self, kind: str) -> list[object]:
        """The events of one kind, in order."""
        return [e for k, e in self.events if k == kind]

    def book_snapshot(self, book: BookSnapshot) -> None:
        self.events.append(("book_snapshot", book))

    def book_delta(self, delta: BookDelta) -> None:
        self.events.append(("book_delta", delta))

    def ticker(self, ticker: Ticker) -> None:
        self.events.append(("ticker", ticker))

    def trade(self, trade: Trade) -> None:
        self.events.append(("trade", trade))

    def candle(self, symbol: str, timeframe: str, candle: Candle) -> None:
        self.events.append(("candle", (symbol, timeframe, candle)))

    def order(self, order: Order) -> None:
        self.events.append(("order", order))

    def fill(self, fill: Fill) -> None:
        self.events.append(("fill", fill))

    def position(self, position: Position) -> None:
        self.events.append(("position", position))

    def balance(self, balance: Balance) -> None:
        self.events.append(("balance", balance))

    def connection(self, stream: str, state: str, detail: str) -> None:
        self.events.append(("connection", (stream, state, detail)))
