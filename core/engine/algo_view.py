"""The read-only market view an algo decides on: the engine's latest books, tickers, candles,
positions and orders (the same live dicts the engine keeps; nothing is copied)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from core.market.books import BookKeeper
from core.market.candles import Candle
from core.model import Instrument, Order, Position
from core.orders.algos.base import Read
from core.store import MarketStore

BID, ASK = 0, 1


class StaticView:
    """A :class:`~core.orders.algos.base.MarketView` over the engine's state (live, read-only)."""

    def __init__(
        self,
        now_ms: Callable[[], int],
        store: MarketStore,
        instruments: Mapping[str, Instrument],
        positions: Mapping[str, Position],
        orders: Mapping[str, Order],
    ) -> None:
        self._now = now_ms
        self.store = store
        self.instruments = instruments
        self.positions = positions
        self.orders = orders
        self.books: BookKeeper | None = None
        """The engine's live books (the touch as of the last applied update), once there are."""

    def published(self) -> StaticView:
        """The same view over the published books only (the ones the order preview checks a
        price against), never the live touch: a preview priced and checked on one book."""
        view = StaticView(self._now, self.store, self.instruments, self.positions, self.orders)
        view.books = None
        return view

    def now_ms(self) -> int:
        """The engine clock."""
        return self._now()

    def reads(self, symbol: str, reads: Sequence[Read]) -> tuple[Any, ...]:
        """The current values of ``reads`` for ``symbol``, cheap to take and compare (raw touch
        floats, ticker prices, the position's side and size): equal tuples mean the same inputs."""
        read = self._read
        return tuple([read(symbol, r) for r in reads])

    def _read(self, symbol: str, read: Read) -> Any:
        if read is Read.BID or read is Read.ASK:
            side = BID if read is Read.BID else ASK
            if self.books is not None:
                live = self.books.touch(symbol)[side]
                if live is not None:
                    return live
            return self.best_bid(symbol) if side == BID else self.best_ask(symbol)
        if read is Read.POSITION:
            pos = self.positions.get(symbol)
            return None if pos is None else (pos.side, pos.size)
        if read is Read.INSTRUMENT:
            return self.instruments.get(symbol)
        return self.price(symbol, read.value)

    def _live(self, symbol: str, side: int) -> Decimal | None:
        if self.books is None:
            return None
        price = self.books.touch(symbol)[side]
        return Decimal(repr(price)) if price is not None else None

    def best_bid(self, symbol: str) -> Decimal | None:
        """Best bid of the live book, else the latest published one, else the ticker's."""
        live = self._live(symbol, BID)
        if live is not None:
            return live
        book = self.store.book(symbol)
        if book is not None and book.best_bid is not None:
            return book.best_bid
        ticker = self.store.ticker(symbol)
        return ticker.bid1 if ticker is not None and ticker.bid1 > 0 else None

    def best_ask(self, symbol: str) -> Decimal | None:
        """Best ask of the live book, else the latest published one, else the ticker's."""
        live = self._live(symbol, ASK)
        if live is not None:
            return live
        book = self.store.book(symbol)
        if book is not None and book.best_ask is not None:
            return book.best_ask
        ticker = self.store.ticker(symbol)
        return ticker.ask1 if ticker is not None and ticker.ask1 > 0 else None

    def price(self, symbol: str, kind: str = "mark") -> Decimal | None:
        """``mark``, ``last`` or ``index`` price from the latest ticker (None when unknown)."""
        ticker = self.store.ticker(symbol)
        if ticker is None:
            return None
        if kind == "mark":
            value = ticker.mark_price
        elif kind == "last":
            value = ticker.last_price
        elif kind == "index":
            value = ticker.index_price
        else:
            return None
        return value if value > 0 else None

    def instrument(self, symbol: str) -> Instrument | None:
        """Tick size, qty step, min qty/notional."""
        return self.instruments.get(symbol)

    def position(self, symbol: str) -> Position | None:
        """The open position, if any."""
        return self.positions.get(symbol)

    def order(self, client_order_id: str) -> Order | None:
        """The engine's latest view of one order."""
        return self.orders.get(client_order_id)

    def candles(self, symbol: str, timeframe: str, n: int) -> Sequence[Candle]:
        """The last ``n`` candles, oldest first."""
        return self.store.candles(symbol, timeframe, n)
