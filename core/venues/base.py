"""The venue port: what the engine needs from any exchange, in domain types only.

An adapter (``core/venues/<name>/``) implements :class:`Venue` (blocking commands and queries,
run by the engine in worker threads behind its rate limiter, endpoint breakers and retry policy)
and :class:`Feeds` (streams that deliver domain events to a :class:`FeedSink`). Nothing above
``core/venues/`` sees an exchange's field names, parameter encoding, error codes, rate-limit
table or client-id rules: the adapter translates both ways.

Errors: every failure a venue method raises is one of the classified errors of
:mod:`core.resilience.errors` (rate-limited with a reset time, rejected with a reason, duplicate
client id, order gone, unknown outcome, transient, timestamp, auth), so retry and idempotency
rules are the same for every exchange.

Adding a venue: write an adapter package that implements these protocols; the engine, the order
path, risk, resilience and the journal do not change.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, NamedTuple, Protocol, runtime_checkable

from core.market.candles import Candle
from core.market.timerange import TimeRange
from core.model import Balance, Fill, Instrument, Order, Position, Side, Ticker, Trade, TriggerBy

if TYPE_CHECKING:
    from core.orders.built import BuiltOrder
    from core.resilience.ratelimit import RateTable


# --- what a venue is -------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a venue has natively, and the rules the engine must respect when talking to it."""

    name: str
    """Short venue name (``bybit``, ``hyperliquid``, ``simulated``): metrics, /healthz, logs."""
    client_id_max_len: int
    """Longest client order id the venue accepts (Bybit: 36)."""
    client_id_pattern: str = r"^[A-Za-z0-9_-]+$"
    """A regular expression every client order id must match."""
    native_tpsl: bool = False
    """TP/SL attached to an order or a position is kept by the venue itself."""
    native_trailing: bool = False
    """The venue runs trailing stops itself."""
    dead_mans_switch: bool = False
    """The venue can cancel everything if the client goes silent: it then implements
    :meth:`DeadMansSwitch.set_dead_mans_switch`."""
    dead_mans_switch_deadline: bool = False
    """The switch fires at the time it was last set for (Hyperliquid's ``scheduleCancel``), not
    once a connection has been gone a while (Bybit's disconnect-cancel-all): the engine sets it
    again well inside its window for as long as it runs."""
    conditional_orders: bool = False
    """The venue holds trigger (stop) orders itself."""
    rate_groups: tuple[str, ...] = ()
    """The rate-limit groups the venue's table defines (see :class:`RateTable`)."""
    inline_calls: bool = False
    """True for an in-process venue: its methods never block, so the engine calls them on the
    loop directly instead of in a worker thread (deterministic, no threads)."""


@dataclass(frozen=True, slots=True)
class PlaceAck:
    """A venue accepted an order: its own id for it, and the client id it was sent with."""

    client_order_id: str
    order_id: str


@dataclass(frozen=True, slots=True)
class ClosedPnl:
    """The venue's realised-PnL record of one closing order (or one closing part of it).

    ``side`` is the closing order's side (a sell closes a long). ``net_pnl`` is what the venue
    reports as closed PnL, net of the opening and closing fees; :attr:`gross_pnl` is the price
    move alone, the figure a fill's ``closed_pnl`` carries.
    """

    symbol: str
    order_id: str
    side: Side
    closed_qty: Decimal
    entry_value: Decimal
    exit_value: Decimal
    net_pnl: Decimal
    ts_ms: int
    """When the venue last updated the record (the close)."""

    @property
    def gross_pnl(self) -> Decimal:
        """Realised PnL before fees: exit minus entry value for a long, the reverse for a short."""
        move = self.exit_value - self.entry_value
        return move if self.side is Side.SELL else -move


@dataclass(frozen=True, slots=True)
class RateFeedback:
    """What a venue's reply said about a rate-limit window (Bybit: the ``X-Bapi-Limit*`` headers).

    ``endpoint`` is the venue's endpoint name (as :meth:`Venue.endpoint_of` returns it); ``None``
    fields were not reported.
    """

    endpoint: str
    limit: int | None = None
    remaining: int | None = None
    reset_ms: int | None = None


BookLevels = tuple[tuple[float, float], ...]
"""A book side's ``(price, size)`` levels as floats, already checked by the adapter: every price
finite and > 0, every size finite and >= 0 (in a delta, 0 removes the level).

Floats, not Decimals, on purpose: a book is market data, not money on the order path (orders,
fills, positions and balances stay Decimal). :class:`~core.market.orderbook.OrderBook` is float
inside, and a Decimal round trip per level (string -> Decimal -> float) made a book delta about
three times slower. The adapter checks each level once; the book keeper and the book trust them.
Prices and sizes carry far fewer than 15 significant digits, so ``Decimal(repr(level[0]))`` gives
back exactly the decimal the venue sent (:meth:`~core.market.orderbook.OrderBook.view` does).
"""


class BookSnapshot(NamedTuple):
    """A whole book (REST or a stream's first message). ``seq`` is the venue's update id.

    ``bids``/``asks`` are :data:`BookLevels` (checked floats, see there why not Decimals).
    Book events are named tuples, not frozen dataclasses: one is made per book message, and a
    frozen dataclass's ``__init__`` cost ~2 µs of a ~22 µs delta (a tuple ~0.8 µs).
    """

    symbol: str
    bids: BookLevels
    asks: BookLevels
    seq: int
    ts_ms: int
    cross_seq: int = 0
    depth: int = 0
    """The stream's depth when a venue streams one symbol's book at several depths, each with its
    own sequence (0: the venue's trading book; a display-depth stream's events carry its depth)."""


class BookDelta(NamedTuple):
    """Changed levels since ``seq - 1`` (size 0 removes a level), as :data:`BookLevels`.
    Tell it from a snapshot by type (``isinstance``), never by comparing values."""

    symbol: str
    bids: BookLevels
    asks: BookLevels
    seq: int
    ts_ms: int
    cross_seq: int = 0
    depth: int = 0
    """As :attr:`BookSnapshot.depth`: which of the symbol's book streams the delta belongs to."""


# --- commands and queries --------------------------------------------------------------------
class Venue(Protocol):
    """Blocking access to one exchange account. The engine runs every call in a worker thread,
    behind its rate limiter, per-endpoint circuit breaker and retry policy; :meth:`endpoint_of`
    names the endpoint each method uses so those layers can key on it.
    """

    name: str
    rest_url: str
    capabilities: Capabilities
    rate_table: RateTable
    """The venue's rate limits (groups, windows, which endpoint is in which group)."""
    on_rate_feedback: Callable[[RateFeedback], None] | None
    """Set by the engine: called (on the worker thread) with each reply's rate-limit report."""

    def endpoint_of(self, method: str) -> str:
        """The endpoint a venue method calls (keys limits, breakers and metrics)."""
        ...

    def set_clock_offset(self, offset_ms: int) -> None:
        """Correct the time the adapter signs requests with by ``offset_ms`` (venue minus local)."""
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

    def place(self, order: BuiltOrder) -> PlaceAck:
        """Send one order built by the order builder; the venue's ack."""
        ...

    def amend(
        self,
        symbol: str,
        client_order_id: str,
        *,
        qty: Decimal | None = None,
        price: Decimal | None = None,
        trigger_price: Decimal | None = None,
    ) -> None:
        """Amend a working order (None leaves a field as it is)."""
        ...

    def cancel(self, symbol: str, client_order_id: str) -> None:
        """Cancel a working order."""
        ...

    def cancel_all(self, symbol: str | None) -> list[str]:
        """Cancel every working order (of ``symbol`` or all); the client order ids cancelled."""
        ...

    def open_orders(self, symbol: str | None = None) -> list[Order]:
        """Every working order."""
        ...

    def find_order(self, symbol: str, client_order_id: str) -> Order | None:
        """Look an order up by its client id, open or closed; None when the venue never saw it."""
        ...

    def order_lookups(
        self, symbol: str, client_order_id: str
    ) -> Sequence[tuple[str, Callable[[], Order | None]]]:
        """The requests :meth:`find_order` makes, as ``(venue method, request)`` in order, so the
        engine can retry each one on its own; the first that returns an order answers."""
        ...

    def executions(self, window: TimeRange, symbol: str | None = None) -> list[Fill]:
        """Every execution in an explicit time range (chunked to the venue's limits). A venue
        whose execution history has no realised PnL leaves ``closed_pnl`` zero: the engine takes
        it from :meth:`closed_pnl`."""
        ...

    def closed_pnl(self, window: TimeRange, symbol: str | None = None) -> list[ClosedPnl]:
        """Every closed-PnL record of an explicit time range (chunked to the venue's limits)."""
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

    def margin_mode(self) -> str:
        """The account's margin mode in words (``cross``, ``isolated``, ``portfolio``; ``""``
        when the venue does not say)."""
        ...

    def set_trading_stop(
        self,
        symbol: str,
        *,
        take_profit: Decimal | None,
        stop_loss: Decimal | None,
        trigger_by: TriggerBy = TriggerBy.MARK,
        trailing_distance: Decimal | None = None,
        activation: Decimal | None = None,
    ) -> None:
        """Set the whole position's TP and/or SL (None leaves one as it is, 0 removes it), and,
        on a venue with ``Capabilities.native_trailing``, its trailing stop: a price distance
        behind the best price (0 removes it), armed once ``activation`` is reached."""
        ...

    def ticker(self, symbol: str) -> Ticker | None:
        """The latest ticker (before a stream delivers one)."""
        ...

    def orderbook(self, symbol: str, depth: int) -> BookSnapshot:
        """A book snapshot."""
        ...

    def klines(self, symbol: str, timeframe: str, limit: int = 200) -> list[Candle]:
        """Candle history, oldest first (``timeframe``: one of ``candles.TIMEFRAMES``)."""
        ...

    def feeds(self, symbols: tuple[str, ...], sink: FeedSink, timing: FeedTiming) -> Feeds:
        """The venue's streams for ``symbols``, delivering to ``sink`` (not started)."""
        ...


@runtime_checkable
class DeadMansSwitch(Protocol):
    """Optional part of the port, present when ``capabilities.dead_mans_switch`` is True."""

    def set_dead_mans_switch(self, window_s: int) -> None:
        """Arm or re-arm the venue's dead-man's switch: if the account's private stream is gone
        ``window_s`` seconds, the venue cancels every working order itself."""
        ...


@runtime_checkable
class SymbolCapabilities(Protocol):
    """Optional part of the port: a venue whose features differ by symbol (a composite of
    exchanges answers for the exchange that trades the symbol)."""

    def capabilities_for(self, symbol: str) -> Capabilities:
        """What the venue has natively for ``symbol``."""
        ...


def capabilities_for(venue: Venue, symbol: str) -> Capabilities:
    """What ``venue`` has natively for ``symbol``: its own capabilities, unless it answers per
    symbol (:class:`SymbolCapabilities`)."""
    if isinstance(venue, SymbolCapabilities):
        return venue.capabilities_for(symbol)
    return venue.capabilities


def dead_mans_switch_of(venue: Venue) -> DeadMansSwitch | None:
    """``venue`` as a :class:`DeadMansSwitch` when its capabilities say it has one, else None."""
    if not venue.capabilities.dead_mans_switch:
        return None
    return venue if isinstance(venue, DeadMansSwitch) else None


# --- streams ---------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class FeedTiming:
    """How patient the streams are (tests shorten them)."""

    reconnect_backoff_s: tuple[float, float] = (1.0, 30.0)
    ack_timeout_s: float = 10.0
    stale_after_s: float = 5.0


class FeedSink(Protocol):
    """Where a venue's streams deliver domain events. Called on the feed's own thread(s): an
    implementation only stores or hands over (never blocks, never raises to the feed)."""

    def book_snapshot(self, book: BookSnapshot) -> None:
        """A whole book (first message after a (re)subscribe)."""
        ...

    def book_delta(self, delta: BookDelta) -> None:
        """Changed levels; ``delta.seq`` must follow the previous update's."""
        ...

    def ticker(self, ticker: Ticker) -> None:
        """Last/mark/index prices, funding and 24 h stats (fields the venue did not send are kept)."""
        ...

    def trade(self, trade: Trade) -> None:
        """A public trade."""
        ...

    def candle(self, symbol: str, timeframe: str, candle: Candle) -> None:
        """The current (or just closed) candle."""
        ...

    def order(self, order: Order) -> None:
        """An order update of this account."""
        ...

    def fill(self, fill: Fill) -> None:
        """An execution of this account."""
        ...

    def position(self, position: Position) -> None:
        """A position update of this account."""
        ...

    def balance(self, balance: Balance) -> None:
        """A wallet update of this account."""
        ...

    def connection(self, stream: str, state: str, detail: str) -> None:
        """A stream's state: ``stream`` is ``public``/``private`` (or ``book:<symbol>``), ``state``
        one of ``up``, ``down``, ``resync``, ``stale``."""
        ...


class Feeds(Protocol):
    """A venue's running streams (public market data and the private account stream)."""

    messages: Mapping[str, int]
    """Messages received per stream (for metrics)."""

    def start(self) -> None:
        """Connect and subscribe (blocking; the engine runs it in a worker thread)."""
        ...

    def stop(self) -> None:
        """Close every socket."""
        ...

    def check(self) -> None:
        """Watchdog tick: rebuild dead sockets (with backoff), flag stale books."""
        ...

    def resubscribe_book(self, symbol: str) -> None:
        """Ask for a fresh book snapshot of ``symbol`` (after a sequence gap)."""
        ...

    def is_connected(self, stream: str) -> bool:
        """True when ``stream`` (``public``/``private``) is connected and subscribed."""
        ...
