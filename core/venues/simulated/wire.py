"""The client side of the in-process venue: domain values to V5 parameters and V5 shapes back.

The sim's exchange core speaks Bybit V5 shapes (request parameters in, ``result`` objects and
topic messages out), so this module translates with the Bybit adapter's pure codec: its encoding
of orders, its parsers of results and pushes, its classifier of retCodes. Nothing here is the
sim's code and nothing imports pybit. The few V5 shapes the adapter's codec does not cover yet (a
book frame, a public trade print) are read here with the same checked readers
(:mod:`core.venues.values`).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from core.market.timerange import TimeRange
from core.model import Trade, TriggerBy
from core.orders.built import BuiltOrder
from core.resilience.errors import Rejected, VenueError
from core.resilience.ratelimit import Limit, RateTable
from core.venues.base import BookDelta, BookSnapshot
from core.venues.bybit import encode, parse
from core.venues.bybit.errors import classify_ret_code
from core.venues.values import BadValue, integer, positive, size, text

CATEGORY = "linear"
SETTLE_COIN = "USDT"
ACCOUNT_TYPE = "UNIFIED"
LEVEL_FIELDS = 2
"""A book level is [price, size]."""

#: venue method -> the V5 REST path it stands for (keys limits, breakers and metrics, as on Bybit).
ENDPOINTS: dict[str, str] = {
    "server_time": "/v5/market/time",
    "instruments": "/v5/market/instruments-info",
    "tickers": "/v5/market/tickers",
    "orderbook": "/v5/market/orderbook",
    "kline": "/v5/market/kline",
    "place": "/v5/order/create",
    "amend": "/v5/order/amend",
    "cancel": "/v5/order/cancel",
    "cancel_all": "/v5/order/cancel-all",
    "open_orders": "/v5/order/realtime",
    "order_history": "/v5/order/history",
    "executions": "/v5/execution/list",
    "positions": "/v5/position/list",
    "set_leverage": "/v5/position/set-leverage",
    "trading_stop": "/v5/position/trading-stop",
    "closed_pnl": "/v5/position/closed-pnl",
    "balance": "/v5/account/wallet-balance",
    "fee_rates": "/v5/account/fee-rate",
    "account_info": "/v5/account/info",
}

MARGIN_MODES = {
    "REGULAR_MARGIN": "cross",
    "ISOLATED_MARGIN": "isolated",
    "PORTFOLIO_MARGIN": "portfolio",
}
"""Bybit's account margin modes in words (the port's :meth:`~core.venues.base.Venue.margin_mode`)."""


RATE_TABLE = RateTable(default=Limit(1_000_000))
"""No rate limits: nothing is shared in process, and nothing should wait on wall time."""


def plain(value: Decimal) -> str:
    """A Decimal as a plain V5 number string (never scientific)."""
    return format(value.normalize(), "f") if value else "0"


def _present(params: dict[str, Any]) -> dict[str, Any]:
    """The fields that are set (the Bybit client leaves None out of a request)."""
    return {k: v for k, v in params.items() if v is not None}


def order_params(order: BuiltOrder) -> dict[str, Any]:
    """``POST /v5/order/create`` fields of a built order."""
    return _present(dict(encode.order_params(order)))


def classify(method: str, ret_code: int, message: str, *, idempotent: bool) -> VenueError:
    """A V5 business error (retCode and retMsg) as the classified error every venue raises."""
    err = classify_ret_code(ret_code, message, endpoint=ENDPOINTS[method], idempotent=idempotent)
    return err if err is not None else Rejected(ret_code, message, endpoint=ENDPOINTS[method])


def amend_params(
    symbol: str,
    client_order_id: str,
    qty: Decimal | None,
    price: Decimal | None,
    trigger_price: Decimal | None,
) -> dict[str, Any]:
    """``POST /v5/order/amend`` fields (None leaves a field as it is)."""
    params = encode.amend_params(symbol, client_order_id, qty=qty, price=price, trigger_price=trigger_price)
    return _present(params)


def trading_stop_params(
    symbol: str, take_profit: Decimal | None, stop_loss: Decimal | None, trigger_by: TriggerBy
) -> dict[str, Any]:
    """``POST /v5/position/trading-stop`` fields for the whole one-way position (tpslMode Full)."""
    params = encode.trading_stop_params(
        symbol, take_profit=take_profit, stop_loss=stop_loss, trigger_by=trigger_by
    )
    return _present(params)


def window_params(window: TimeRange) -> dict[str, int]:
    """``startTime``/``endTime`` of a history request (as the Bybit adapter sends them)."""
    return window.bybit_params()


def _levels(raw: Any, field: str) -> tuple[tuple[Decimal, Decimal], ...]:
    if not isinstance(raw, list):
        raise BadValue(field, raw, "is not an array")
    out: list[tuple[Decimal, Decimal]] = []
    for level in raw:
        if not isinstance(level, list) or len(level) != LEVEL_FIELDS:
            raise BadValue(field, level, "is not a [price, size] pair")
        out.append((positive(level[0], f"{field} price"), size(level[1], f"{field} size")))
    return tuple(out)


def book(data: Any, ts_ms: int, *, snapshot: bool) -> BookSnapshot | BookDelta:
    """An orderbook ``data`` object (``s``, ``b``, ``a``, ``u``, ``seq``) as a domain book event."""
    item = parse.record(data, "orderbook data")
    kind = BookSnapshot if snapshot else BookDelta
    return kind(
        symbol=text(item.get("s"), "s"),
        bids=_levels(item.get("b"), "b"),
        asks=_levels(item.get("a"), "a"),
        seq=integer(item.get("u"), "u"),
        ts_ms=ts_ms,
        cross_seq=integer(item.get("seq"), "seq"),
    )


def trade(symbol: str, raw: Any) -> Trade:
    """One ``publicTrade`` item of ``symbol``'s topic."""
    item = parse.record(raw, "trade")
    if item.get("s") != symbol:
        raise BadValue("s", item.get("s"), f"is not the topic's symbol {symbol}")
    trade_id = item.get("i", "")
    return Trade(
        symbol=symbol,
        side=parse.side_of(item.get("S"), "S"),
        price=positive(item.get("p"), "p"),
        qty=positive(item.get("v"), "v"),
        ts_ms=integer(item.get("T"), "T"),
        trade_id=str(trade_id) if isinstance(trade_id, int) else text(trade_id, "i"),
    )
