"""Domain model: instruments, orders, fills, positions, balances.

Every price, size and amount on the order path is a :class:`~decimal.Decimal`. Objects are
immutable value types (``frozen`` dataclasses with slots) so they can be handed between the
feed threads, the engine and the UI without copying or locking.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

ZERO = Decimal(0)


class Mode(StrEnum):
    """Trading mode. ``sim`` is the built-in venue, ``demo`` is Bybit paper money, ``live`` is real."""

    SIM = "sim"
    DEMO = "demo"
    LIVE = "live"

    @property
    def is_paper(self) -> bool:
        """True for every mode that can never move real money."""
        return self is not Mode.LIVE


class Side(StrEnum):
    """Order / position side, spelled as Bybit spells it."""

    BUY = "Buy"
    SELL = "Sell"

    @property
    def opposite(self) -> Side:
        """The side that closes a position of this side."""
        return Side.SELL if self is Side.BUY else Side.BUY

    @property
    def sign(self) -> int:
        """+1 for buys, -1 for sells."""
        return 1 if self is Side.BUY else -1


class OrderType(StrEnum):
    """Bybit order types."""

    MARKET = "Market"
    LIMIT = "Limit"


class TimeInForce(StrEnum):
    """Bybit time-in-force values."""

    GTC = "GTC"
    IOC = "IOC"
    FOK = "FOK"
    POST_ONLY = "PostOnly"


class OrderStatus(StrEnum):
    """Bybit order statuses (``docs:enum`` orderStatus)."""

    CREATED = "Created"
    NEW = "New"
    PARTIALLY_FILLED = "PartiallyFilled"
    UNTRIGGERED = "Untriggered"
    REJECTED = "Rejected"
    FILLED = "Filled"
    CANCELLED = "Cancelled"
    TRIGGERED = "Triggered"
    DEACTIVATED = "Deactivated"

    @property
    def is_open(self) -> bool:
        """True while the order can still trade."""
        return self._value_ in _OPEN_VALUES  # a str's hash, not Enum's own (a Python call)


_OPEN_VALUES = frozenset(
    s.value
    for s in (OrderStatus.CREATED, OrderStatus.NEW, OrderStatus.PARTIALLY_FILLED, OrderStatus.UNTRIGGERED)
)


class TriggerBy(StrEnum):
    """The price a conditional order or a position TP/SL triggers on (Bybit ``triggerBy``)."""

    MARK = "MarkPrice"
    LAST = "LastPrice"
    INDEX = "IndexPrice"


RISING = 1
"""triggerDirection: triggers when the price rises to triggerPrice."""
FALLING = 2
"""triggerDirection: triggers when the price falls to triggerPrice."""


@dataclass(frozen=True, slots=True)
class Instrument:
    """A tradable contract and its exchange filters (``instruments-info``)."""

    symbol: str
    base_coin: str
    quote_coin: str
    tick_size: Decimal
    qty_step: Decimal
    min_order_qty: Decimal
    max_order_qty: Decimal
    max_mkt_order_qty: Decimal
    min_notional: Decimal
    min_leverage: Decimal
    max_leverage: Decimal
    leverage_step: Decimal
    min_price: Decimal = Decimal("0.01")
    max_price: Decimal = Decimal("9999999")
    status: str = "Trading"

    @property
    def price_decimals(self) -> int:
        """Number of decimals implied by the tick size."""
        return _decimals(self.tick_size)

    @property
    def qty_decimals(self) -> int:
        """Number of decimals implied by the quantity step."""
        return _decimals(self.qty_step)


_DECIMALS: dict[Decimal, int] = {}
"""Decimals of each step seen (equal steps, whatever their exponent, normalize alike)."""
_DECIMALS_KEPT = 1024


def _decimals(step: Decimal) -> int:
    """Decimal places of ``step`` once normalized (``0.10`` -> 1, ``5`` -> 0); remembered per value."""
    known = _DECIMALS.get(step)
    if known is None:
        exp = step.normalize().as_tuple().exponent
        known = max(0, -int(exp))
        if len(_DECIMALS) >= _DECIMALS_KEPT:
            _DECIMALS.clear()
        _DECIMALS[step] = known
    return known


@dataclass(frozen=True, slots=True)
class OrderRequest:
    """What a user, strategy or algo asks for, before building and risk checks."""

    symbol: str
    side: Side
    qty: Decimal
    order_type: OrderType = OrderType.LIMIT
    price: Decimal | None = None
    time_in_force: TimeInForce = TimeInForce.GTC
    reduce_only: bool = False
    take_profit: Decimal | None = None
    stop_loss: Decimal | None = None
    trigger_price: Decimal | None = None
    trigger_direction: int | None = None
    source: str = "user"
    trigger_by: TriggerBy | None = None
    """The price a conditional order triggers on (None: the venue's default)."""


@dataclass(frozen=True, slots=True)
class Order:
    """The engine's view of one order, as last reported by the venue."""

    symbol: str
    side: Side
    order_type: OrderType
    qty: Decimal
    price: Decimal | None
    order_link_id: str
    order_id: str = ""
    status: OrderStatus = OrderStatus.CREATED
    filled_qty: Decimal = ZERO
    avg_price: Decimal | None = None
    time_in_force: TimeInForce = TimeInForce.GTC
    reduce_only: bool = False
    trigger_price: Decimal | None = None
    take_profit: Decimal | None = None
    stop_loss: Decimal | None = None
    reject_reason: str = ""
    created_ms: int = 0
    updated_ms: int = 0
    trigger_direction: int | None = None
    """RISING or FALLING for a conditional order (None for a plain one)."""

    @property
    def is_conditional(self) -> bool:
        """True for a stop (trigger) order: its ``price`` is a limit, or hidden for a stop-market."""
        return self.trigger_price is not None

    @property
    def leaves_qty(self) -> Decimal:
        """Quantity still working."""
        return self.qty - self.filled_qty

    @property
    def is_open(self) -> bool:
        """True while the order can still trade."""
        return self.status.is_open


@dataclass(frozen=True, slots=True)
class Fill:
    """One execution of one order."""

    symbol: str
    side: Side
    qty: Decimal
    price: Decimal
    fee: Decimal
    exec_id: str
    order_id: str
    order_link_id: str
    is_maker: bool
    ts_ms: int
    closed_pnl: Decimal = ZERO
    exec_type: str = "Trade"
    """The venue's execution type: ``Trade``; ``Funding`` (a funding settlement: ``fee`` is the
    funding paid, negative when received, ``qty``/``price`` the position and mark); ``BustTrade``
    (a liquidation's takeover at the bankruptcy price)."""


@dataclass(frozen=True, slots=True)
class Position:
    """A one-way-mode position. ``size`` is always >= 0; ``side`` is None when flat."""

    symbol: str
    side: Side | None
    size: Decimal
    entry_price: Decimal
    mark_price: Decimal
    unrealised_pnl: Decimal
    realised_pnl: Decimal = ZERO
    leverage: Decimal = Decimal(1)
    liq_price: Decimal | None = None
    take_profit: Decimal | None = None
    stop_loss: Decimal | None = None
    position_im: Decimal = ZERO
    updated_ms: int = 0
    trailing_stop: Decimal | None = None
    """The venue's own trailing stop on the whole position: its distance in price (None: none)."""

    @property
    def is_flat(self) -> bool:
        """True when there is no open exposure."""
        return self.size == 0

    @property
    def signed_size(self) -> Decimal:
        """Positive for longs, negative for shorts, zero when flat."""
        if self.side is None:
            return ZERO
        return self.size * self.side.sign

    @property
    def notional(self) -> Decimal:
        """Absolute position value at the mark price."""
        return self.size * self.mark_price

    @property
    def upnl_pct(self) -> Decimal:
        """Unrealised PnL as a percentage of the entry value."""
        entry_value = self.size * self.entry_price
        if entry_value == 0:
            return ZERO
        return self.unrealised_pnl / entry_value * 100


@dataclass(frozen=True, slots=True)
class Balance:
    """Account balance in the settle coin (USDT)."""

    coin: str
    wallet_balance: Decimal
    equity: Decimal
    available: Decimal
    unrealised_pnl: Decimal = ZERO
    initial_margin: Decimal = ZERO
    maintenance_margin: Decimal = ZERO
    cum_realised_pnl: Decimal = ZERO

    @property
    def margin_use_pct(self) -> Decimal:
        """Initial margin as a percentage of equity."""
        if self.equity <= 0:
            return ZERO
        return self.initial_margin / self.equity * 100


@dataclass(frozen=True, slots=True)
class BookLevel:
    """One price level of an order book."""

    price: Decimal
    size: Decimal


@dataclass(frozen=True, slots=True)
class BookView:
    """An immutable top-of-book slice handed to the UI."""

    symbol: str
    bids: tuple[BookLevel, ...]
    asks: tuple[BookLevel, ...]
    update_id: int
    seq: int
    ts_ms: int
    stale: bool = False

    @property
    def best_bid(self) -> Decimal | None:
        """Highest bid price, if any."""
        return self.bids[0].price if self.bids else None

    @property
    def best_ask(self) -> Decimal | None:
        """Lowest ask price, if any."""
        return self.asks[0].price if self.asks else None

    @property
    def mid(self) -> Decimal | None:
        """Mid price, if both sides exist."""
        if not self.bids or not self.asks:
            return None
        return (self.bids[0].price + self.asks[0].price) / 2


@dataclass(frozen=True, slots=True)
class Ticker:
    """Latest ticker fields the console uses."""

    symbol: str
    last_price: Decimal
    mark_price: Decimal
    index_price: Decimal
    bid1: Decimal
    ask1: Decimal
    volume_24h: Decimal = ZERO
    price_24h_pcnt: Decimal = ZERO
    funding_rate: Decimal = ZERO
    ts_ms: int = 0
    next_funding_ms: int = 0
    """When the next funding is settled (epoch ms); 0 when the venue did not say."""
    turnover_24h: Decimal = ZERO
    open_interest: Decimal = ZERO
    """Open interest in the base coin (contracts)."""
    open_interest_value: Decimal = ZERO
    high_24h: Decimal = ZERO
    low_24h: Decimal = ZERO
    prev_price_24h: Decimal = ZERO


@dataclass(frozen=True, slots=True)
class Trade:
    """A public trade print."""

    symbol: str
    side: Side
    price: Decimal
    qty: Decimal
    ts_ms: int
    trade_id: str = ""


@dataclass(slots=True)
class AccountSnapshot:
    """Everything the console shows about the account, assembled by the engine."""

    balance: Balance | None = None
    positions: dict[str, Position] = field(default_factory=dict)
    orders: dict[str, Order] = field(default_factory=dict)
