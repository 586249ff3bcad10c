"""The client side of the in-process venue: domain values to V5 parameters and V5 shapes back.

The sim's exchange core speaks Bybit V5 shapes (request parameters in, ``result`` objects and
topic messages out), so the in-process venue translates with the Bybit adapter's pure codec: its
encoding of orders (:mod:`core.venues.bybit.encode`, wrapped here), its parsers of results and
pushes (:mod:`core.venues.bybit.parse`) and its classifier of retCodes. Nothing here is the sim's
code and nothing imports pybit.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from core.market.timerange import TimeRange
from core.model import TriggerBy
from core.orders.built import BuiltOrder
from core.resilience.errors import Rejected, VenueError
from core.resilience.ratelimit import Limit, RateTable
from core.venues.bybit import encode
from core.venues.bybit.errors import classify_ret_code

CATEGORY = "linear"
SETTLE_COIN = "USDT"
ACCOUNT_TYPE = "UNIFIED"

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
    "dead_mans_switch": "/v5/order/disconnected-cancel-all",
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
    symbol: str,
    take_profit: Decimal | None,
    stop_loss: Decimal | None,
    trigger_by: TriggerBy,
    trailing: tuple[Decimal | None, Decimal | None] = (None, None),
) -> dict[str, Any]:
    """``POST /v5/position/trading-stop`` fields for the whole one-way position (tpslMode Full);
    ``trailing`` is (trailing stop distance, activation price)."""
    params = encode.trading_stop_params(
        symbol,
        take_profit=take_profit,
        stop_loss=stop_loss,
        trigger_by=trigger_by,
        trailing_distance=trailing[0],
        activation=trailing[1],
    )
    return _present(params)


def window_params(window: TimeRange) -> dict[str, int]:
    """``startTime``/``endTime`` of a history request (as the Bybit adapter sends them)."""
    return window.bybit_params()
