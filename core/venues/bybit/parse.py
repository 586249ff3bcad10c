"""Bybit V5 JSON → domain model. Strings become Decimals here and nowhere else on the client side
(book levels become checked floats: they are market data for the float order book, see
:class:`~core.venues.base.BookSnapshot`).

Every value is checked at this boundary (:mod:`core.venues.values`): NaN, Infinity, sNaN,
garbage, negative or zero values where they make no sense, wrong JSON types (a record that is
not an object, a list that is not an array, ``"false"`` for a boolean, a side that is neither
Buy nor Sell) and missing keys raise :class:`~core.venues.values.BadValue` naming the field —
never a ``KeyError``, ``TypeError`` or ``AttributeError``. Fields whose loss must not hide a whole
order or position (a position's mark price, an order's TP) are replaced by "unknown" and reported
to the ``report`` callback instead; the fields a record cannot be trusted without (a size, a
side, an id, an equity) always raise, and the caller drops the record and keeps what it had.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from core.market.candles import Candle
from core.model import (
    Balance,
    Fill,
    Instrument,
    Order,
    OrderStatus,
    OrderType,
    Position,
    Side,
    Ticker,
    TimeInForce,
    Trade,
)
from core.venues.base import BookDelta, BookSnapshot, ClosedPnl
from core.venues.values import BadValue, Report, flag, integer, lenient, number, positive, price, size, text

_ZERO = Decimal(0)

KLINE_INTERVALS: dict[str, str] = {"1m": "1", "5m": "5", "15m": "15", "1h": "60"}
"""The chart's timeframes (``core.market.candles.TIMEFRAMES``) as Bybit kline intervals."""
TIMEFRAME_OF: dict[str, str] = {v: k for k, v in KLINE_INTERVALS.items()}


def record(item: Any, what: str = "item") -> dict[str, Any]:
    """``item`` when it is a JSON object; :class:`~core.venues.values.BadValue` naming ``what`` otherwise."""
    if not isinstance(item, dict):
        raise BadValue(what, item, "is not an object")
    return item


def rows(result: Any, key: str = "list") -> list[Any]:
    """The array ``result[key]`` of a reply (absent = empty); a result that is not an object or a
    ``key`` that is not an array raises :class:`~core.venues.values.BadValue`."""
    raw = record(result, "result").get(key)
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise BadValue(key, raw, "is not an array")
    return raw


def symbol_of(item: dict[str, Any]) -> str:
    """The record's ``symbol``: a non-empty string."""
    sym = text(item.get("symbol"), "symbol")
    if not sym:
        raise BadValue("symbol", item.get("symbol"), "is missing")
    return sym


def side_of(raw: Any, field: str = "side") -> Side:
    """``Buy`` or ``Sell``; anything else raises (a side is never guessed)."""
    if raw not in ("Buy", "Sell"):
        raise BadValue(field, raw, "is not Buy or Sell")
    return Side(raw)


def dec(value: Any, default: Decimal = _ZERO, field: str = "value") -> Decimal:
    """A finite Decimal from Bybit's string numbers; empty strings and None give ``default``.

    Raises :class:`~core.venues.values.BadValue` for NaN, Infinity, garbage or absurd magnitudes.
    """
    return number(value, field, default)


def opt_dec(value: Any, field: str = "value") -> Decimal | None:
    """Like :func:`dec` but None for empty/zero values (Bybit sends "0" for "not set")."""
    d = dec(value, field=field)
    return d if d != 0 else None


def opt_price(value: Any, field: str) -> Decimal | None:
    """An optional price: None when empty or "0" (not set); negative or non-finite raises."""
    d = price(value, field)
    return d if d != 0 else None


def _opt_price(report: Report | None, item: dict[str, Any], key: str) -> Decimal | None:
    return lenient(report, opt_price, item.get(key), key, None)


def instrument(item: dict[str, Any]) -> Instrument:
    """One instruments-info list item."""
    item = record(item, "instrument")
    lot = record(item.get("lotSizeFilter", {}), "lotSizeFilter")
    px = record(item.get("priceFilter", {}), "priceFilter")
    lev = record(item.get("leverageFilter", {}), "leverageFilter")
    max_qty = positive(lot.get("maxOrderQty"), "maxOrderQty")
    return Instrument(
        symbol=symbol_of(item),
        base_coin=text(item.get("baseCoin"), "baseCoin"),
        quote_coin=text(item.get("quoteCoin"), "quoteCoin", "USDT"),
        tick_size=positive(px.get("tickSize"), "tickSize"),
        qty_step=positive(lot.get("qtyStep"), "qtyStep"),
        min_order_qty=size(lot.get("minOrderQty"), "minOrderQty"),
        max_order_qty=max_qty,
        max_mkt_order_qty=positive(lot.get("maxMktOrderQty"), "maxMktOrderQty", max_qty),
        min_notional=size(lot.get("minNotionalValue"), "minNotionalValue"),
        min_leverage=positive(lev.get("minLeverage"), "minLeverage", Decimal(1)),
        max_leverage=positive(lev.get("maxLeverage"), "maxLeverage", Decimal(1)),
        leverage_step=positive(lev.get("leverageStep"), "leverageStep", Decimal("0.01")),
        min_price=price(px.get("minPrice"), "minPrice", Decimal("0")),
        max_price=positive(px.get("maxPrice"), "maxPrice", Decimal("9999999")),
        status=text(item.get("status"), "status", "Trading"),
    )


def _status(raw: Any) -> OrderStatus:
    status = text(raw, "orderStatus", "New")
    try:
        return OrderStatus(status)
    except ValueError:
        return OrderStatus.CANCELLED if "Cancel" in status else OrderStatus.NEW


def _order_type(raw: Any) -> OrderType:
    kind = text(raw, "orderType", "Limit")
    if kind not in ("Limit", "Market"):
        raise BadValue("orderType", raw, "is not Limit or Market")
    return OrderType(kind)


def _tif(raw: Any) -> TimeInForce:
    try:
        return TimeInForce(text(raw, "timeInForce", "GTC"))
    except ValueError:
        return TimeInForce.GTC


def _ids(item: dict[str, Any]) -> tuple[str, str]:
    """(orderLinkId, orderId): strings, not both empty (the engine keys orders by them)."""
    link = text(item.get("orderLinkId"), "orderLinkId")
    oid = text(item.get("orderId"), "orderId")
    if not link and not oid:
        raise BadValue("orderId", item.get("orderId"), "is missing (and so is orderLinkId)")
    return link, oid


def _reject_reason(item: dict[str, Any]) -> str:
    reason = text(item.get("rejectReason"), "rejectReason")
    return "" if reason == "EC_NoError" else reason


def order(item: dict[str, Any], report: Report | None = None) -> Order:
    """One order list item or private ``order`` push item.

    ``symbol``, ``side``, the ids, ``qty``, ``cumExecQty``, ``reduceOnly`` and the times must be
    sound (else :class:`~core.venues.values.BadValue`); a bad price, average price, trigger, TP
    or SL becomes None and is reported to ``report``.
    """
    item = record(item, "order")
    link, oid = _ids(item)
    trigger = _opt_price(report, item, "triggerPrice")
    return Order(
        symbol=symbol_of(item),
        side=side_of(item.get("side")),
        order_type=_order_type(item.get("orderType")),
        qty=size(item.get("qty"), "qty"),
        price=_opt_price(report, item, "price"),
        order_link_id=link,
        order_id=oid,
        status=_status(item.get("orderStatus")),
        filled_qty=size(item.get("cumExecQty"), "cumExecQty"),
        avg_price=_opt_price(report, item, "avgPrice"),
        time_in_force=_tif(item.get("timeInForce")),
        reduce_only=flag(item.get("reduceOnly"), "reduceOnly"),
        trigger_price=trigger,
        take_profit=_opt_price(report, item, "takeProfit"),
        stop_loss=_opt_price(report, item, "stopLoss"),
        reject_reason=_reject_reason(item),
        created_ms=integer(item.get("createdTime"), "createdTime"),
        updated_ms=integer(item.get("updatedTime"), "updatedTime"),
        trigger_direction=_direction(item, trigger, report),
    )


def _direction(item: dict[str, Any], trigger: Decimal | None, report: Report | None) -> int | None:
    """``triggerDirection`` (1 rising, 2 falling) of a conditional order; None otherwise."""
    if trigger is None:
        return None
    value = lenient(report, integer, item.get("triggerDirection"), "triggerDirection", 0)
    return value if value in (1, 2) else None


def position(item: dict[str, Any], report: Report | None = None) -> Position:
    """One position list item or private ``position`` push item.

    ``size`` must be sound (else :class:`~core.venues.values.BadValue`: a position is never
    guessed flat). Any other bad field is replaced and reported to ``report``, so the position
    stays visible and closable: a bad mark price falls back to the entry price (the engine
    re-marks it from the ticker), a bad leverage to 1, PnL and margin to 0, prices to None.
    An open position's ``side`` must be Buy or Sell: it is never guessed (a wrong side would
    flip the position, none would hide its exposure).
    """
    item = record(item, "position")
    qty = size(item.get("size"), "size")
    entry_key = "avgPrice" if item.get("avgPrice") else "entryPrice"
    entry = lenient(report, price, item.get(entry_key), entry_key, _ZERO)
    return Position(
        symbol=symbol_of(item),
        side=side_of(item.get("side")) if qty > 0 else None,
        size=qty,
        entry_price=entry,
        mark_price=lenient(report, price, item.get("markPrice"), "markPrice", entry),
        unrealised_pnl=lenient(report, number, item.get("unrealisedPnl"), "unrealisedPnl", _ZERO),
        realised_pnl=lenient(report, number, item.get("cumRealisedPnl"), "cumRealisedPnl", _ZERO),
        leverage=lenient(report, _leverage, item.get("leverage"), "leverage", Decimal(1)),
        liq_price=_opt_price(report, item, "liqPrice"),
        take_profit=_opt_price(report, item, "takeProfit"),
        stop_loss=_opt_price(report, item, "stopLoss"),
        position_im=lenient(report, size, item.get("positionIM"), "positionIM", _ZERO),
        updated_ms=integer(item.get("updatedTime"), "updatedTime"),
        trailing_stop=_opt_price(report, item, "trailingStop"),
    )


def _leverage(raw: Any, field: str) -> Decimal:
    return positive(raw, field, Decimal(1))


def balance(account: dict[str, Any], coin: str = "USDT") -> Balance | None:
    """The ``coin`` balance from one wallet-balance account item (REST or ``wallet`` push).

    Every field must be sound (:class:`~core.venues.values.BadValue` otherwise): a balance with
    one wrong number is dropped whole and the previous one kept.
    """
    for c in rows(record(account, "account"), "coin"):
        if record(c, "coin").get("coin") == coin:
            equity = number(c.get("equity"), "equity")
            im = size(c.get("totalPositionIM"), "totalPositionIM")
            im += size(c.get("totalOrderIM"), "totalOrderIM")
            available = number(account.get("totalAvailableBalance"), "totalAvailableBalance", equity - im)
            return Balance(
                coin=coin,
                wallet_balance=number(c.get("walletBalance"), "walletBalance"),
                equity=equity,
                available=available,
                unrealised_pnl=number(c.get("unrealisedPnl"), "unrealisedPnl"),
                initial_margin=im,
                maintenance_margin=size(c.get("totalPositionMM"), "totalPositionMM"),
                cum_realised_pnl=number(c.get("cumRealisedPnl"), "cumRealisedPnl"),
            )
    return None


def fill(item: dict[str, Any], report: Report | None = None) -> Fill:
    """One execution list item or private ``execution`` push item.

    ``execId`` must be there (fills are counted once by it); a bad ``isMaker`` becomes False and
    is reported to ``report``; any other bad field raises :class:`~core.venues.values.BadValue`.
    """
    item = record(item, "execution")
    exec_id = text(item.get("execId"), "execId")
    if not exec_id:
        raise BadValue("execId", item.get("execId"), "is missing")
    return Fill(
        symbol=symbol_of(item),
        side=side_of(item.get("side")),
        qty=positive(item.get("execQty"), "execQty"),
        price=positive(item.get("execPrice"), "execPrice"),
        fee=number(item.get("execFee"), "execFee"),
        exec_id=exec_id,
        order_id=text(item.get("orderId"), "orderId"),
        order_link_id=text(item.get("orderLinkId"), "orderLinkId"),
        is_maker=lenient(report, flag, item.get("isMaker"), "isMaker", False),
        ts_ms=integer(item.get("execTime"), "execTime"),
        closed_pnl=number(item.get("execPnl"), "execPnl"),
        exec_type=text(item.get("execType"), "execType", "Trade") or "Trade",
    )


def closed_pnl(item: dict[str, Any]) -> ClosedPnl:
    """One ``GET /v5/position/closed-pnl`` item (one closing order).

    Its time is ``updatedTime`` (milliseconds; the documented example's ``createdTime`` has more
    digits than milliseconds). Any bad field raises :class:`~core.venues.values.BadValue`.
    """
    item = record(item, "closed-pnl record")
    return ClosedPnl(
        symbol=symbol_of(item),
        order_id=text(item.get("orderId"), "orderId"),
        side=side_of(item.get("side")),
        closed_qty=size(item.get("closedSize"), "closedSize"),
        entry_value=size(item.get("cumEntryValue"), "cumEntryValue"),
        exit_value=size(item.get("cumExitValue"), "cumExitValue"),
        net_pnl=number(item.get("closedPnl"), "closedPnl"),
        ts_ms=integer(item.get("updatedTime"), "updatedTime"),
    )


def ticker(data: dict[str, Any], ts_ms: int) -> Ticker:
    """A merged tickers snapshot (REST list item or WS snapshot+deltas).

    Any bad number raises :class:`~core.venues.values.BadValue` (the caller keeps the previous
    ticker): prices must be positive when present (bid/ask may be empty on an empty book), sizes
    and turnovers >= 0.
    """
    data = record(data, "ticker")
    return Ticker(
        symbol=symbol_of(data),
        last_price=positive(data.get("lastPrice"), "lastPrice", _ZERO),
        mark_price=positive(data.get("markPrice"), "markPrice", _ZERO),
        index_price=positive(data.get("indexPrice"), "indexPrice", _ZERO),
        bid1=price(data.get("bid1Price"), "bid1Price"),
        ask1=price(data.get("ask1Price"), "ask1Price"),
        volume_24h=size(data.get("volume24h"), "volume24h"),
        price_24h_pcnt=number(data.get("price24hPcnt"), "price24hPcnt"),
        funding_rate=number(data.get("fundingRate"), "fundingRate"),
        ts_ms=ts_ms,
        next_funding_ms=integer(data.get("nextFundingTime"), "nextFundingTime"),
        turnover_24h=size(data.get("turnover24h"), "turnover24h"),
        open_interest=size(data.get("openInterest"), "openInterest"),
        open_interest_value=size(data.get("openInterestValue"), "openInterestValue"),
        high_24h=price(data.get("highPrice24h"), "highPrice24h"),
        low_24h=price(data.get("lowPrice24h"), "lowPrice24h"),
        prev_price_24h=price(data.get("prevPrice24h"), "prevPrice24h"),
    )


def _candle(start: Any, o: Any, h: Any, lo: Any, c: Any, v: Any) -> Candle:
    """A chart candle: positive finite prices with low <= open, close <= high, volume >= 0."""
    prices = [positive(raw, name) for raw, name in ((o, "open"), (h, "high"), (lo, "low"), (c, "close"))]
    op, hi, low, cl = prices
    if not low <= min(op, cl) <= max(op, cl) <= hi:
        raise BadValue("high", h, f"and low {lo!r} do not enclose open {o!r} and close {c!r}")
    volume = float(size(v, "volume"))
    return Candle(integer(start, "start"), float(op), float(hi), float(low), float(cl), volume)


def kline(item: dict[str, Any]) -> Candle:
    """One ``kline.{interval}.{symbol}`` push item (``start``, ``open``, ``high``, ...).

    A bad number, a missing ``start`` or a candle whose high/low do not enclose its open and close
    raises :class:`~core.venues.values.BadValue` (the chart keeps what it had).
    """
    item = record(item, "kline")
    if item.get("start") in (None, ""):
        raise BadValue("start", item.get("start"), "is missing")
    fields = (item.get(k) for k in ("start", "open", "high", "low", "close", "volume"))
    return _candle(*fields)


def kline_rows(items: list[Any], report: Report | None = None) -> list[Candle]:
    """REST ``/v5/market/kline`` rows (``[start, open, high, low, close, volume, turnover]``, newest
    first) as candles, oldest first. A bad row is dropped and reported to ``report`` (raised without)."""
    out: list[Candle] = []
    for row in items:
        try:
            if not isinstance(row, list) or len(row) < 6 or row[0] in (None, ""):
                raise BadValue("kline row", row, "is not [start, open, high, low, close, volume, ...]")
            out.append(_candle(*row[:6]))
        except BadValue as bad:
            if report is None:
                raise
            report(bad)
    out.sort(key=lambda c: c.start_ms)
    return out


# --- stream pushes -------------------------------------------------------------------------------
_PAIR = 2
"""A book level is ``[price, size]``."""
_INF = float("inf")


def _plain_number(raw: Any, field: str) -> float:
    """A book price or size as Bybit sends it: an ASCII decimal string (or a JSON number), finite.

    ``float`` alone would also read ``"1_000"``, other scripts' digits and booleans; a venue never
    sends those, so they are bad values, not numbers. Surrounding ASCII whitespace is accepted.
    """
    kind = type(raw)
    if kind is str:
        if not raw.isascii() or "_" in raw:
            raise BadValue(field, raw, "is not a plain number")
    elif kind is not int and kind is not float:
        raise BadValue(field, raw, "is not a number")
    try:
        value = float(raw)
    except (ValueError, OverflowError):
        raise BadValue(field, raw, "is not a number") from None
    if not -_INF < value < _INF:
        raise BadValue(field, raw, "is not finite")
    return value


def book_levels(raw: Any, side: str) -> tuple[tuple[float, float], ...]:
    """A book side: ``[[price, size], ...]`` as checked floats, each price finite and > 0, each
    size finite and >= 0 (0 removes). This is the one place a book level is checked: the book
    keeper and :class:`~core.market.orderbook.OrderBook` trust the port's levels.

    The hot path of every book frame: a level of two plain ASCII number strings (what Bybit
    sends) is checked inline (a NaN fails the range comparisons); anything else goes through
    :func:`_level`, which accepts JSON numbers too and names the bad field.
    """
    if type(raw) is not list:
        raise BadValue(f"{side} levels", raw, "is not an array")
    if not raw:  # a delta often changes one side only
        return ()
    out: list[tuple[float, float]] = []
    append = out.append
    for level in raw:
        try:  # a level that is not a pair, or a string that is no number, takes the slow path
            p, s = level
            if (
                type(level) is list
                and type(p) is str
                and type(s) is str
                and p.isascii()
                and s.isascii()
                and "_" not in p
                and "_" not in s
            ):
                px = float(p)
                sz = float(s)
                if 0.0 < px < _INF and 0.0 <= sz < _INF:
                    append((px, sz))
                    continue
        except (TypeError, ValueError):
            pass
        append(_level(level, side))
    return tuple(out)


def _level(level: Any, side: str) -> tuple[float, float]:
    """One level checked field by field; :class:`~core.venues.values.BadValue` names the bad one."""
    if type(level) is not list or len(level) != _PAIR:
        raise BadValue(f"{side} level", level, "is not a [price, size] pair")
    px = _plain_number(level[0], f"{side} price")
    sz = _plain_number(level[1], f"{side} size")
    if not px > 0:
        raise BadValue(f"{side} price", level[0], "is not > 0")
    if not sz >= 0:
        raise BadValue(f"{side} size", level[1], "is negative")
    return px, sz


def _whole(raw: Any, field: str, least: int) -> int:
    if type(raw) is not int or raw < least:
        raise BadValue(field, raw, f"is not a whole number >= {least}")
    return raw


def book_frame(symbol: str, msg: dict[str, Any]) -> BookSnapshot | BookDelta:
    """An ``orderbook.{depth}.{symbol}`` frame as a snapshot or a delta of ``symbol``, its levels
    checked floats (:data:`~core.venues.base.BookLevels`).

    Bybit's rules: ``u`` is the update id (each delta's is the previous one's + 1), ``seq`` the
    cross sequence; a delta with ``u == 1`` means the service restarted and is a whole book.
    Anything unusable raises :class:`~core.venues.values.BadValue` naming the field.
    """
    data = msg.get("data")
    kind = msg.get("type")
    if type(data) is not dict:
        raise BadValue("data", data, "is not an object")
    if data.get("s", symbol) != symbol:
        raise BadValue("s", data.get("s"), f"is not the topic's symbol {symbol}")
    if kind != "delta" and kind != "snapshot":
        raise BadValue("type", kind, "is not snapshot or delta")
    try:
        raw_bids, raw_asks, u = data["b"], data["a"], data["u"]
    except KeyError as missing:
        raise BadValue(str(missing.args[0]), None, "is missing") from None
    seq = data.get("seq", 0)
    ts = msg.get("ts") or 0
    if not (type(u) is int and u >= 1 and type(seq) is int and seq >= 0 and type(ts) is int and ts >= 0):
        u, seq, ts = _whole(u, "u", 1), _whole(seq, "seq", 0), _whole(ts, "ts", 0)
    bids = book_levels(raw_bids, "bid")
    asks = book_levels(raw_asks, "ask")
    if kind == "delta" and u != 1:
        return BookDelta(symbol, bids, asks, u, ts, seq)
    return BookSnapshot(symbol, bids, asks, u, ts, seq)


def trade(symbol: str, item: Any) -> Trade:
    """One ``publicTrade.{symbol}`` item; :class:`~core.venues.values.BadValue` naming the field otherwise."""
    item = record(item, "trade")
    if item.get("s") != symbol:
        raise BadValue("s", item.get("s"), f"is not the topic's symbol {symbol}")
    if item.get("T") in (None, ""):
        raise BadValue("T", item.get("T"), "is missing")
    trade_id = item.get("i", "")
    return Trade(
        symbol=symbol,
        side=side_of(item.get("S"), "S"),
        price=positive(item.get("p"), "p"),
        qty=positive(item.get("v"), "v"),
        ts_ms=integer(item.get("T"), "T"),
        trade_id=str(trade_id) if isinstance(trade_id, int) else text(trade_id, "i"),
    )


PRIVATE_TOPICS = ("order", "execution", "position", "wallet")
"""The account topics the private stream subscribes."""

Push = Order | Fill | Position | Balance


def push(topic: str, raw: Any, report: Report | None = None) -> Push | None:
    """One private push item as a domain object; None for another product's item or an empty wallet.

    :class:`~core.venues.values.BadValue` (naming the field) when the item cannot be trusted;
    fields whose loss need not hide the record are replaced and reported to ``report``.
    """
    item = record(raw, topic)
    if item.get("category", "linear") != "linear":
        return None
    if topic == "order":
        return order(item, report)
    if topic == "execution":
        return fill(item, report)
    if topic == "position":
        return position(item, report)
    if topic == "wallet":
        return balance(item)
    return None
