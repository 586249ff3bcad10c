"""The in-process venue: the sim's exchange core behind the venue port, on a clock the caller moves.

:class:`SimulatedVenue` calls :class:`core.sim.exchange.SimExchange` (matching, accounts, the
seeded market generator) directly: no HTTP, no threads, no pybit. Time is virtual: the caller
owns a :class:`~core.clock.FrozenClock` and calls :meth:`SimulatedVenue.advance`, which steps the
market at the sim's tick interval up to the new time and delivers, synchronously, what changed to
the running feeds (:class:`~core.venues.simulated.feeds.InProcessFeeds`). Backtests and engine
tests that are not about the wire run on it fast and deterministically.

The sim keeps its own implementation of the exchange's rules (it never imports the engine, the
order path, risk or the venues): what this module sends it and reads back goes through the Bybit
adapter's client-side codec (:mod:`core.venues.simulated.wire`), so a bug in the client's
encoding or parsing is met by an independent exchange, as over the wire.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from functools import partial
from typing import TYPE_CHECKING, Any, Protocol

from core.clock import Clock, FrozenClock
from core.market.candles import Candle
from core.market.timerange import TimeRange
from core.model import Balance, Fill, Instrument, Order, Position, Ticker, TriggerBy
from core.resilience.errors import Transient, VenueError
from core.sim.exchange import SimError, SimExchange
from core.venues.base import (
    BookSnapshot,
    Capabilities,
    ClosedPnl,
    Feeds,
    FeedSink,
    FeedTiming,
    PlaceAck,
    RateFeedback,
)
from core.venues.bybit import parse
from core.venues.bybit.parse import KLINE_INTERVALS
from core.venues.simulated import endpoints, wire
from core.venues.simulated.bars import BarDriver
from core.venues.simulated.feeds import InProcessFeeds
from core.venues.simulated.klines import kline_candles
from core.venues.simulated.prepared import prepared_exchange
from core.venues.values import BadValue, integer, text

if TYPE_CHECKING:
    from core.config import Settings
    from core.observability.baddata import BadDataTracker
    from core.orders.built import BuiltOrder

NAME = "simulated"
REST_URL = endpoints.REST_URL
"""The in-process venue's endpoint: no network address (allowed in sim mode only)."""
API_KEY = "in-process"
"""The sim account this venue trades on."""
TICK_MS = 50
"""The market's step interval (the wire sim's default 20 Hz)."""
DEFAULT_SYMBOLS = ("BTCUSDT", "ETHUSDT", "SOLUSDT")
LOOKUP_WINDOW_MS = 86_400_000
"""How far back :meth:`SimulatedVenue.find_order` looks among closed orders (a day)."""
NON_IDEMPOTENT = frozenset({"place"})
PAGE_LIMITS = {
    "open_orders": 50,
    "executions": 100,
    "closed_pnl": 100,
    "positions": 200,
    "order_history": 50,
}
MAX_PAGES = 200
DCP_PRODUCT = "DERIVATIVES"
"""The disconnect-cancel-all product covering linear perpetuals."""

Result = dict[str, Any]


class SteppingClock(Clock, Protocol):
    """A clock the caller moves (:class:`~core.clock.FrozenClock`)."""

    def advance(self, ms: int) -> None:
        """Move time forward by ``ms`` milliseconds."""
        ...


CAPABILITIES = Capabilities(
    name=NAME,
    client_id_max_len=36,
    native_tpsl=True,
    native_trailing=True,
    dead_mans_switch=True,
    conditional_orders=True,
    inline_calls=True,
)


class SimulatedVenue:
    """The sim's exchange core as a :class:`core.venues.base.Venue`, on a virtual clock."""

    name = NAME
    rest_url = REST_URL
    capabilities = CAPABILITIES

    def __init__(
        self,
        clock: SteppingClock,
        *,
        seed: int = 7,
        symbols: Sequence[str] = DEFAULT_SYMBOLS,
        starting_balance: Decimal = Decimal("100000"),
        tick_ms: int = TICK_MS,
        exchange: SimExchange | None = None,
    ) -> None:
        """``exchange``: an exchange already built on ``clock`` (e.g. an independent copy of one
        prepared earlier, see :func:`prepared_exchange`); then ``seed``, ``symbols`` and
        ``starting_balance`` are the ones it was built with."""
        self.clock = clock
        self.tick_ms = tick_ms
        if exchange is not None and exchange.clock is not clock:
            raise ValueError("the exchange must run on the venue's clock")
        self.exchange = exchange or SimExchange(
            seed=seed, clock=clock, starting_balance=starting_balance, symbols=tuple(symbols)
        )
        self.exchange.ensure_account(API_KEY)
        self.exchange.dcp.heartbeat_timeout_ms = None  # in-process streams cannot go silent, only stop
        self.rate_table = wire.RATE_TABLE
        self.on_rate_feedback: Callable[[RateFeedback], None] | None = None
        self.clock_offset_ms = 0
        self._next_step_ms = clock.now_ms() + tick_ms
        self._lock = threading.RLock()
        self._feeds: list[InProcessFeeds] = []
        self.bar_mode = False
        """See :meth:`BarDriver.set_bar_mode`."""
        self.bars = BarDriver(self)
        """A backtest's bar-by-bar drives of this venue's market."""

    @classmethod
    def prepared(
        cls,
        *,
        seed: int = 7,
        start_ms: int | None = None,
        symbols: Sequence[str] = DEFAULT_SYMBOLS,
        starting_balance: Decimal = Decimal("100000"),
        tick_ms: int = TICK_MS,
    ) -> SimulatedVenue:
        """A venue on its own :class:`~core.clock.FrozenClock` (at ``start_ms``, the frozen clock's
        default start when None), the same as ``SimulatedVenue(FrozenClock(start_ms), ...)`` but
        copied from a market built once per seed, start, symbols and balance (many short runs)."""
        start = FrozenClock().now_ms() if start_ms is None else start_ms
        exchange = prepared_exchange(
            seed=seed, start_ms=start, symbols=symbols, starting_balance=starting_balance
        )
        clock = exchange.clock
        assert isinstance(clock, FrozenClock)
        return cls(
            clock,
            seed=seed,
            symbols=symbols,
            starting_balance=starting_balance,
            tick_ms=tick_ms,
            exchange=exchange,
        )

    # --- time ---------------------------------------------------------------------------------
    def advance(self, ms: int) -> None:
        """Let ``ms`` milliseconds pass: step the market at every tick up to the new time; the
        running feeds deliver what changed before this returns."""
        if ms < 0:
            raise ValueError(f"time only moves forward, got {ms} ms")
        with self._lock:
            target = self.clock.now_ms() + ms
            while self._next_step_ms <= target:
                at = max(self._next_step_ms, self.clock.now_ms())
                self.clock.advance(at - self.clock.now_ms())
                self.exchange.step(at)
                self._next_step_ms = at + self.tick_ms
            self.clock.advance(target - self.clock.now_ms())

    def jump(self, at_ms: int) -> None:
        """Move the clock to ``at_ms`` with no market step in between (the caller moves the
        market itself, e.g. to a bar's price); the next step is one tick after it."""
        with self._lock:
            now = self.clock.now_ms()
            if at_ms < now:
                raise ValueError(f"time only moves forward: {at_ms} is before {now}")
            self.clock.advance(at_ms - now)
            self._next_step_ms = at_ms + self.tick_ms

    @property
    def lock(self) -> threading.RLock:
        """Held while the exchange core is called or stepped (feeds deliver under it too)."""
        return self._lock

    @property
    def started_feeds(self) -> tuple[InProcessFeeds, ...]:
        """The streams built on this venue so far."""
        return tuple(self._feeds)

    def set_clock_offset(self, offset_ms: int) -> None:
        """Nothing is signed in process; the offset is kept for display."""
        self.clock_offset_ms = int(offset_ms)

    def endpoint_of(self, method: str) -> str:
        """The V5 path a venue method stands for."""
        return wire.ENDPOINTS[method]

    # --- plumbing -----------------------------------------------------------------------------
    def _call(self, method: str, handler: Callable[[], Result]) -> Result:
        """Run one exchange request; a business error becomes the classified venue error."""
        with self._lock:
            try:
                return handler()
            except SimError as err:
                idempotent = method not in NON_IDEMPOTENT
                raise wire.classify(method, err.ret_code, err.ret_msg, idempotent=idempotent) from None

    def _private(
        self, method: str, handler: Callable[[str, Mapping[str, object]], Result], **params: Any
    ) -> Result:
        return self._call(method, partial(handler, API_KEY, params))

    def _refused(self, method: str, bad: BadValue) -> VenueError:
        return Transient(f"bad value in the reply: {bad}", endpoint=self.endpoint_of(method))

    def _listing(
        self, method: str, handler: Callable[[str, Mapping[str, object]], Result], **params: Any
    ) -> list[Any]:
        """Every item of a cursor-paged list."""
        query: dict[str, Any] = {"category": wire.CATEGORY, **params, "limit": PAGE_LIMITS[method]}
        items: list[Any] = []
        for _page in range(MAX_PAGES):
            res = self._private(method, handler, **query)
            items.extend(self._rows(method, res))
            cursor = res.get("nextPageCursor")
            if not cursor:
                return items
            query["cursor"] = cursor
        raise Transient(f"more than {MAX_PAGES} pages", endpoint=self.endpoint_of(method))

    def _rows(self, method: str, result: Any) -> list[Any]:
        try:
            return parse.rows(result)
        except BadValue as bad:
            raise self._refused(method, bad) from None

    # --- public queries -----------------------------------------------------------------------
    def server_time_ms(self) -> int:
        """The venue's clock."""
        res = self._call("server_time", self.exchange.market_time)
        return integer(res.get("timeNano"), "timeNano") // 1_000_000

    def instruments(self, symbols: tuple[str, ...]) -> list[Instrument]:
        """Instruments and their filters."""
        out: list[Instrument] = []
        for sym in symbols:
            params = {"category": wire.CATEGORY, "symbol": sym}
            res = self._call("instruments", partial(self.exchange.instruments_info, params))
            out.extend(parse.instrument(item) for item in self._rows("instruments", res))
        return out

    def ticker(self, symbol: str) -> Ticker | None:
        """The latest ticker."""
        params = {"category": wire.CATEGORY, "symbol": symbol}
        res = self._call("tickers", partial(self.exchange.tickers, params))
        items = self._rows("tickers", res)
        ts = integer(res.get("time"), "time", self.clock.now_ms())
        return parse.ticker(items[0], ts) if items else None

    def orderbook(self, symbol: str, depth: int) -> BookSnapshot:
        """A book snapshot."""
        params = {"category": wire.CATEGORY, "symbol": symbol, "limit": depth}
        res = self._call("orderbook", partial(self.exchange.orderbook, params))
        # The REST result has a snapshot frame's ``data`` shape (s, b, a, u, seq).
        snap = parse.book_frame(symbol, {"type": "snapshot", "ts": res.get("ts"), "data": res})
        assert isinstance(snap, BookSnapshot)
        return snap

    def klines(self, symbol: str, timeframe: str, limit: int = 200) -> list[Candle]:
        """Candle history, oldest first."""
        params = {
            "category": wire.CATEGORY,
            "symbol": symbol,
            "interval": KLINE_INTERVALS[timeframe],
            "limit": limit,
        }
        res = self._call("kline", partial(self.exchange.kline, params))
        return kline_candles(self._rows("kline", res))

    # --- orders -------------------------------------------------------------------------------
    def place(self, order: BuiltOrder) -> PlaceAck:
        """Send one order built by the order builder."""
        res = self._private("place", self.exchange.order_create, **wire.order_params(order))
        return PlaceAck(
            client_order_id=text(res.get("orderLinkId"), "orderLinkId"),
            order_id=text(res.get("orderId"), "orderId"),
        )

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
        params = wire.amend_params(symbol, client_order_id, qty, price, trigger_price)
        self._private("amend", self.exchange.order_amend, **params)

    def cancel(self, symbol: str, client_order_id: str) -> None:
        """Cancel a working order."""
        params = {"category": wire.CATEGORY, "symbol": symbol, "orderLinkId": client_order_id}
        self._private("cancel", self.exchange.order_cancel, **params)

    def cancel_all(self, symbol: str | None) -> list[str]:
        """Cancel every working order (of ``symbol`` or all); the client ids cancelled."""
        scope = {"symbol": symbol} if symbol else {"settleCoin": wire.SETTLE_COIN}
        res = self._private("cancel_all", self.exchange.order_cancel_all, category=wire.CATEGORY, **scope)
        return [
            text(parse.record(i).get("orderLinkId"), "orderLinkId") for i in self._rows("cancel_all", res)
        ]

    def open_orders(self, symbol: str | None = None) -> list[Order]:
        """Every working order."""
        scope = {"symbol": symbol} if symbol else {"settleCoin": wire.SETTLE_COIN}
        return [parse.order(i) for i in self._listing("open_orders", self.exchange.order_realtime, **scope)]

    def find_order(self, symbol: str, client_order_id: str) -> Order | None:
        """Look an order up by its client id, open or closed."""
        for _method, lookup in self.order_lookups(symbol, client_order_id):
            found = lookup()
            if found is not None:
                return found
        return None

    def order_lookups(
        self, symbol: str, client_order_id: str
    ) -> Sequence[tuple[str, Callable[[], Order | None]]]:
        """Open orders, the most recent closed ones, then the last day's history."""
        window = TimeRange.last(LOOKUP_WINDOW_MS, self.clock.now_ms() + 1)
        history = {"order_history": wire.window_params(window)}
        return [
            ("open_orders", partial(self._find_in, "open_orders", symbol, client_order_id, {})),
            ("open_orders", partial(self._find_in, "open_orders", symbol, client_order_id, {"openOnly": 1})),
            (
                "order_history",
                partial(self._find_in, "order_history", symbol, client_order_id, history["order_history"]),
            ),
        ]

    def _find_in(self, method: str, symbol: str, client_order_id: str, extra: dict[str, Any]) -> Order | None:
        handler = self.exchange.order_realtime if method == "open_orders" else self.exchange.order_history
        res = self._private(
            method, handler, category=wire.CATEGORY, symbol=symbol, orderLinkId=client_order_id, **extra
        )
        mine = [
            i
            for i in self._rows(method, res)
            if isinstance(i, dict) and i.get("orderLinkId") == client_order_id
        ]
        return parse.order(mine[0]) if mine else None

    def executions(self, window: TimeRange, symbol: str | None = None) -> list[Fill]:
        """Every execution in ``window`` (chunked to the venue's 7-day limit)."""
        scope = {"symbol": symbol} if symbol else {}
        out: list[Fill] = []
        for chunk in window.chunks():
            items = self._listing(
                "executions", self.exchange.execution_list, **scope, **wire.window_params(chunk)
            )
            out.extend(parse.fill(i) for i in items)
        return out

    def closed_pnl(self, window: TimeRange, symbol: str | None = None) -> list[ClosedPnl]:
        """Every closed-PnL record in ``window`` (chunked to the venue's 7-day limit)."""
        scope = {"symbol": symbol} if symbol else {}
        out: list[ClosedPnl] = []
        for chunk in window.chunks():
            items = self._listing(
                "closed_pnl", self.exchange.position_closed_pnl, **scope, **wire.window_params(chunk)
            )
            try:
                out.extend(parse.closed_pnl(i) for i in items)
            except BadValue as bad:
                raise self._refused("closed_pnl", bad) from None
        return out

    # --- account ------------------------------------------------------------------------------
    def positions(self) -> list[Position]:
        """Every open position."""
        items = self._listing("positions", self.exchange.position_list, settleCoin=wire.SETTLE_COIN)
        return [parse.position(i) for i in items]

    def balance(self) -> Balance | None:
        """The settle-coin balance."""
        res = self._private(
            "balance",
            self.exchange.account_wallet_balance,
            accountType=wire.ACCOUNT_TYPE,
            coin=wire.SETTLE_COIN,
        )
        items = self._rows("balance", res)
        return parse.balance(items[0], wire.SETTLE_COIN) if items else None

    def fee_rates(self) -> dict[str, tuple[Decimal, Decimal]]:
        """(taker, maker) fee rate per symbol."""
        res = self._private("fee_rates", self.exchange.account_fee_rate, category=wire.CATEGORY)
        out: dict[str, tuple[Decimal, Decimal]] = {}
        for raw in self._rows("fee_rates", res):
            item = parse.record(raw, "fee rate")
            out[parse.symbol_of(item)] = (
                parse.dec(item.get("takerFeeRate"), field="takerFeeRate"),
                parse.dec(item.get("makerFeeRate"), field="makerFeeRate"),
            )
        return out

    def set_leverage(self, symbol: str, leverage: Decimal) -> None:
        """Set buy and sell leverage (one-way mode)."""
        lev = wire.plain(leverage)
        self._private(
            "set_leverage",
            self.exchange.position_set_leverage,
            category=wire.CATEGORY,
            symbol=symbol,
            buyLeverage=lev,
            sellLeverage=lev,
        )

    def margin_mode(self) -> str:
        """The account's margin mode in words."""
        raw = text(self._private("account_info", self.exchange.account_info).get("marginMode"), "marginMode")
        return wire.MARGIN_MODES.get(raw, raw)

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
        """Set the whole position's TP and/or SL and/or trailing stop (None leaves one as it
        is, 0 removes it; the trailing stop follows the last price from ``activation``)."""
        params = wire.trading_stop_params(
            symbol, take_profit, stop_loss, trigger_by, trailing=(trailing_distance, activation)
        )
        self._private("trading_stop", self.exchange.position_trading_stop, **params)

    def set_dead_mans_switch(self, window_s: int) -> None:
        """Arm the sim's disconnect-cancel-all for derivatives: once the feeds stop, the exchange
        cancels every order ``window_s`` seconds later on the virtual clock."""
        self._private(
            "dead_mans_switch",
            self.exchange.order_disconnected_cancel_all,
            product=DCP_PRODUCT,
            timeWindow=int(window_s),
        )

    # --- streams ------------------------------------------------------------------------------
    def feeds(self, symbols: tuple[str, ...], sink: FeedSink, timing: FeedTiming) -> Feeds:
        """The in-process streams for ``symbols`` (not started)."""
        feeds = InProcessFeeds(self.exchange, API_KEY, symbols, sink, lock=self._lock, bar_mode=self.bar_mode)
        self._feeds.append(feeds)
        return feeds


def from_settings(
    settings: Settings,
    *,
    now_ms: Callable[[], int] | None = None,
    bad_data: BadDataTracker | None = None,
) -> SimulatedVenue:
    """The in-process venue for ``settings`` (the registry's ``ADAPTER``): the sim's seed, starting
    balance and market rate. ``bad_data`` is unused (a sound sim sends no bad values).

    Time: when ``now_ms`` is a :class:`~core.clock.FrozenClock`'s ``now_ms`` (an engine built with
    a frozen clock), the venue moves that clock, so engine and venue share one virtual time;
    otherwise the venue gets its own frozen clock starting at ``now_ms()``.
    """
    del bad_data
    owner = getattr(now_ms, "__self__", None)
    if isinstance(owner, FrozenClock):
        clock = owner
    else:
        clock = FrozenClock(now_ms()) if now_ms is not None else FrozenClock()
    sim = settings.sim
    return SimulatedVenue(
        clock,
        seed=sim.seed,
        starting_balance=sim.starting_balance,
        tick_ms=max(1, round(1000 / sim.market_rate_hz)),
    )
