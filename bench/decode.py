"""msgspec typed decoding of Bybit V5 WebSocket frames: a comparison for the benchmarks only.

The product does not take this path. The Bybit adapter sees each raw frame (it overrides pybit's
``_on_message``), decodes it with ``orjson`` and translates it into the venue port's domain events
(:func:`core.venues.bybit.parse.book_frame`, float levels, each checked once); measured, a
typed msgspec decode of a book delta saves well under a microsecond of a path that costs several
(the level checks and the book apply dominate), and would need a second decoder for every other
topic. ``bench/engine_book.py`` measures the product's path and quotes this one beside it.

Book prices/sizes decode straight to float (``strict=False`` accepts Bybit's numeric strings);
trade, ticker and private fields stay strings. ``decode_public`` / ``decode_private`` dispatch by
topic prefix with a byte scan (Bybit puts ``"topic"`` first in data frames), so each frame is
parsed once, by the right typed decoder. Control frames come back as plain dicts.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec

from core.model import Side, Trade

# --- public -------------------------------------------------------------------------------------


class BookData(msgspec.Struct):
    """``data`` of an ``orderbook.*`` frame: levels as (price, size) floats."""

    s: str
    b: list[tuple[float, float]]
    a: list[tuple[float, float]]
    u: int
    seq: int = 0


class BookFrame(msgspec.Struct):
    """``orderbook.{depth}.{symbol}`` snapshot or delta."""

    topic: str
    type: str
    data: BookData
    ts: int = 0
    cts: int = 0


class TradeItem(msgspec.Struct):
    """One public trade (``S`` is the taker side)."""

    T: int
    s: str
    S: str
    v: str
    p: str
    L: str = ""
    i: str = ""
    BT: bool = False
    RPI: bool = False
    seq: int = 0


class TradeFrame(msgspec.Struct):
    """``publicTrade.{symbol}``: trades sorted ascending."""

    topic: str
    data: list[TradeItem]
    type: str = "snapshot"
    ts: int = 0


class TickerData(msgspec.Struct, omit_defaults=True):
    """``tickers.{symbol}`` data; in a delta, absent (None) fields are unchanged."""

    symbol: str
    tickDirection: str | None = None
    price24hPcnt: str | None = None
    lastPrice: str | None = None
    prevPrice24h: str | None = None
    highPrice24h: str | None = None
    lowPrice24h: str | None = None
    prevPrice1h: str | None = None
    markPrice: str | None = None
    indexPrice: str | None = None
    openInterest: str | None = None
    openInterestValue: str | None = None
    turnover24h: str | None = None
    volume24h: str | None = None
    nextFundingTime: str | None = None
    fundingRate: str | None = None
    bid1Price: str | None = None
    bid1Size: str | None = None
    ask1Price: str | None = None
    ask1Size: str | None = None
    fundingIntervalHour: str | None = None
    fundingCap: str | None = None


class TickerFrame(msgspec.Struct):
    """``tickers.{symbol}`` snapshot or delta."""

    topic: str
    type: str
    data: TickerData
    cs: int = 0
    ts: int = 0


class KlineItem(msgspec.Struct):
    """One ``kline.{interval}.{symbol}`` candle (``confirm`` = closed)."""

    start: int
    end: int
    interval: str
    open: str
    close: str
    high: str
    low: str
    volume: str
    turnover: str = "0"
    confirm: bool = False
    timestamp: int = 0


class KlineFrame(msgspec.Struct):
    """``kline.{interval}.{symbol}``."""

    topic: str
    data: list[KlineItem]
    type: str = "snapshot"
    ts: int = 0


# --- private ------------------------------------------------------------------------------------


class OrderItem(msgspec.Struct):
    """One item of the private ``order`` topic (the fields the engine uses)."""

    symbol: str
    orderId: str
    orderLinkId: str = ""
    category: str = "linear"
    side: str = ""
    orderType: str = ""
    price: str = "0"
    qty: str = "0"
    orderStatus: str = ""
    timeInForce: str = ""
    avgPrice: str = ""
    leavesQty: str = "0"
    cumExecQty: str = "0"
    cumExecValue: str = "0"
    cumExecFee: str = "0"
    triggerPrice: str = ""
    triggerDirection: int = 0
    takeProfit: str = ""
    stopLoss: str = ""
    reduceOnly: bool = False
    closeOnTrigger: bool = False
    positionIdx: int = 0
    stopOrderType: str = ""
    createType: str = ""
    cancelType: str = ""
    rejectReason: str = ""
    closedPnl: str = "0"
    createdTime: str = "0"
    updatedTime: str = "0"


class ExecutionItem(msgspec.Struct):
    """One item of the private ``execution`` topic."""

    symbol: str
    execId: str
    orderId: str
    orderLinkId: str = ""
    category: str = "linear"
    side: str = ""
    execPrice: str = "0"
    execQty: str = "0"
    execFee: str = "0"
    execValue: str = "0"
    execType: str = "Trade"
    execTime: str = "0"
    execPnl: str = "0"
    feeRate: str = "0"
    feeCurrency: str = ""
    isMaker: bool = False
    leavesQty: str = "0"
    closedSize: str = "0"
    markPrice: str = "0"
    orderPrice: str = "0"
    orderQty: str = "0"
    orderType: str = ""
    stopOrderType: str = ""
    createType: str = ""
    seq: int = 0


class PositionItem(msgspec.Struct):
    """One item of the private ``position`` topic (``side`` is "" when flat)."""

    symbol: str
    side: str = ""
    size: str = "0"
    positionIdx: int = 0
    entryPrice: str = ""
    avgPrice: str = ""
    markPrice: str = "0"
    leverage: str = "1"
    liqPrice: str = ""
    positionValue: str = "0"
    positionIM: str = "0"
    positionMM: str = "0"
    unrealisedPnl: str = "0"
    curRealisedPnl: str = "0"
    cumRealisedPnl: str = "0"
    takeProfit: str = ""
    stopLoss: str = ""
    trailingStop: str = ""
    positionStatus: str = ""
    category: str = "linear"
    seq: int = 0
    createdTime: str = "0"
    updatedTime: str = "0"


class WalletCoin(msgspec.Struct):
    """Per-coin part of a wallet item."""

    coin: str
    equity: str = "0"
    walletBalance: str = "0"
    unrealisedPnl: str = "0"
    cumRealisedPnl: str = "0"
    totalPositionIM: str = "0"
    totalOrderIM: str = "0"
    totalPositionMM: str = "0"
    locked: str = "0"
    usdValue: str = "0"


class WalletItem(msgspec.Struct):
    """One item of the private ``wallet`` topic."""

    accountType: str = "UNIFIED"
    totalEquity: str = "0"
    totalWalletBalance: str = "0"
    totalAvailableBalance: str = "0"
    totalPerpUPL: str = "0"
    totalInitialMargin: str = "0"
    totalMaintenanceMargin: str = "0"
    accountIMRate: str = "0"
    accountMMRate: str = "0"
    coin: list[WalletCoin] = []


class OrderFrame(msgspec.Struct):
    """Private ``order`` / ``order.linear``."""

    topic: str
    data: list[OrderItem]
    id: str = ""
    creationTime: int = 0


class ExecutionFrame(msgspec.Struct):
    """Private ``execution`` / ``execution.linear``."""

    topic: str
    data: list[ExecutionItem]
    id: str = ""
    creationTime: int = 0


class PositionFrame(msgspec.Struct):
    """Private ``position`` / ``position.linear``."""

    topic: str
    data: list[PositionItem]
    id: str = ""
    creationTime: int = 0


class WalletFrame(msgspec.Struct):
    """Private ``wallet``."""

    topic: str
    data: list[WalletItem]
    id: str = ""
    creationTime: int = 0


PublicFrame = BookFrame | TradeFrame | TickerFrame | KlineFrame
PrivateFrame = OrderFrame | ExecutionFrame | PositionFrame | WalletFrame

_BOOK = msgspec.json.Decoder(BookFrame, strict=False)
_TRADE = msgspec.json.Decoder(TradeFrame, strict=False)
_TICKER = msgspec.json.Decoder(TickerFrame, strict=False)
_KLINE = msgspec.json.Decoder(KlineFrame, strict=False)
_ORDER = msgspec.json.Decoder(OrderFrame, strict=False)
_EXEC = msgspec.json.Decoder(ExecutionFrame, strict=False)
_POSITION = msgspec.json.Decoder(PositionFrame, strict=False)
_WALLET = msgspec.json.Decoder(WalletFrame, strict=False)
_ANY = msgspec.json.Decoder()

_PUBLIC: tuple[tuple[bytes, msgspec.json.Decoder[Any]], ...] = (
    (b"orderbook.", _BOOK),
    (b"publicTrade.", _TRADE),
    (b"tickers.", _TICKER),
    (b"kline.", _KLINE),
)
_PRIVATE: tuple[tuple[bytes, msgspec.json.Decoder[Any]], ...] = (
    (b"order", _ORDER),
    (b"execution", _EXEC),
    (b"position", _POSITION),
    (b"wallet", _WALLET),
)
_TOPIC_KEY = b'"topic":"'


def _topic_start(raw: bytes) -> int:
    """Index where the topic value starts, or -1 (frames without a topic are control frames)."""
    i = raw.find(_TOPIC_KEY, 0, 64)
    if i < 0:
        i = raw.find(_TOPIC_KEY)
        if i < 0:
            return -1
    return i + len(_TOPIC_KEY)


def _dispatch(raw: bytes | str, table: tuple[tuple[bytes, msgspec.json.Decoder[Any]], ...]) -> Any:
    b = raw.encode() if isinstance(raw, str) else raw
    start = _topic_start(b)
    if start >= 0:
        for prefix, decoder in table:
            if b.startswith(prefix, start):
                return decoder.decode(b)
    return _ANY.decode(b)


def decode_public(raw: bytes | str) -> PublicFrame | dict[str, Any]:
    """Decode a public-stream frame into its typed Struct; control frames/unknown topics → dict."""
    out: PublicFrame | dict[str, Any] = _dispatch(raw, _PUBLIC)
    return out


def decode_private(raw: bytes | str) -> PrivateFrame | dict[str, Any]:
    """Decode a private-stream frame (order/execution/position/wallet) into its Struct; else → dict."""
    out: PrivateFrame | dict[str, Any] = _dispatch(raw, _PRIVATE)
    return out


def decode_book(raw: bytes | str) -> BookFrame:
    """Decode a frame known to be ``orderbook.*`` (the fastest path)."""
    out: BookFrame = _BOOK.decode(raw)
    return out


def trades_from_frame(frame: TradeFrame) -> list[Trade]:
    """Model :class:`~core.model.Trade` objects (exact Decimals) from a decoded trade frame."""
    return [
        Trade(
            symbol=t.s,
            side=Side.BUY if t.S == "Buy" else Side.SELL,
            price=Decimal(t.p),
            qty=Decimal(t.v),
            ts_ms=t.T,
            trade_id=t.i,
        )
        for t in frame.data
    ]


def trades_from_message(msg: dict[str, Any]) -> list[Trade]:
    """Model trades from a pybit-parsed ``publicTrade`` dict."""
    return [
        Trade(
            symbol=t["s"],
            side=Side.BUY if t["S"] == "Buy" else Side.SELL,
            price=Decimal(t["p"]),
            qty=Decimal(t["v"]),
            ts_ms=int(t["T"]),
            trade_id=str(t.get("i", "")),
        )
        for t in msg.get("data", ())
    ]
