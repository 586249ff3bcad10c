"""Every REST endpoint the sim serves, through pybit over loopback, against Bybit's published V5 docs.

One scenario (leverage, a market fill, a partial reduce-only close, a stop, a resting limit that is
amended and cancelled, a conditional order, cancel-all) fills every list, then each endpoint's
reply is compared with its fixture in ``conformance/``: key set and JSON types, recursively.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import ROUND_DOWN, Decimal
from typing import Any

import pytest
from pybit.unified_trading import HTTP

from core.config import SIM_API_KEY as KEY
from core.config import SIM_API_SECRET as SECRET
from core.sim.rest import ROUTES
from tests.support.conformance import FIXTURES, assert_conforms
from tests.support.sim_venue import MakeVenue

pytestmark = pytest.mark.timeout(60)

SYM = "BTCUSDT"
LIN = {"category": "linear", "symbol": SYM}


def _tick(px: Decimal) -> str:
    return str(px.quantize(Decimal("0.1"), rounding=ROUND_DOWN))


def _scenario(s: HTTP) -> dict[str, Any]:
    r: dict[str, Any] = {}
    r["market_time"] = s.get_server_time()
    r["market_instruments_info"] = s.get_instruments_info(**LIN)
    r["market_tickers"] = s.get_tickers(**LIN)
    r["market_kline"] = s.get_kline(**LIN, interval="1", limit=3)
    r["market_orderbook"] = s.get_orderbook(**LIN, limit=5)
    r["position_set_leverage"] = s.set_leverage(**LIN, buyLeverage="5", sellLeverage="5")
    r["order_disconnected_cancel_all"] = s.set_dcp(product="DERIVATIVES", timeWindow=10)
    s.place_order(**LIN, side="Buy", orderType="Market", qty="0.010", orderLinkId="conf-mkt")
    s.place_order(**LIN, side="Sell", orderType="Market", qty="0.004", reduceOnly=True)
    r["market_recent_trade"] = s.get_public_trade_history(**LIN, limit=3)
    mark = Decimal(s.get_tickers(**LIN)["result"]["list"][0]["markPrice"])
    r["position_trading_stop"] = s.set_trading_stop(
        **LIN, stopLoss=_tick(mark * Decimal("0.9")), tpslMode="Full", positionIdx=0
    )
    limit_px = _tick(mark * Decimal("0.97"))
    r["order_create"] = s.place_order(
        **LIN,
        side="Buy",
        orderType="Limit",
        qty="0.001",
        price=limit_px,
        orderLinkId="conf-lim",
        takeProfit=_tick(mark * Decimal("1.05")),
    )
    r["order_realtime"] = s.get_open_orders(**LIN)
    r["order_amend"] = s.amend_order(**LIN, orderLinkId="conf-lim", price=_tick(mark * Decimal("0.96")))
    r["order_cancel"] = s.cancel_order(**LIN, orderLinkId="conf-lim")
    s.place_order(**LIN, side="Buy", orderType="Limit", qty="0.001", price=limit_px, orderLinkId="conf-lim2")
    s.place_order(
        **LIN,
        side="Buy",
        orderType="Market",
        qty="0.001",
        triggerPrice=_tick(mark * Decimal("1.03")),
        triggerDirection=1,
        orderLinkId="conf-stop",
    )
    r["order_cancel_all"] = s.cancel_all_orders(**LIN)
    r["order_history"] = s.get_order_history(**LIN)
    r["execution_list"] = s.get_executions(**LIN)
    r["position_list"] = s.get_positions(**LIN)
    r["position_closed_pnl"] = s.get_closed_pnl(**LIN)
    r["account_wallet_balance"] = s.get_wallet_balance(accountType="UNIFIED")
    r["account_fee_rate"] = s.get_fee_rates(**LIN)
    r["account_info"] = s.get_account_info()
    return r


@pytest.fixture(scope="module")
def replies(make_venue: MakeVenue) -> Iterator[dict[str, Any]]:
    v = make_venue(limits_scale=1000.0)
    try:
        s = HTTP(api_key=KEY, api_secret=SECRET, retry_codes={-1}, max_retries=1)
        s.endpoint = v.rest_url
        yield _scenario(s)
    finally:
        v.stop()


REST_FIXTURES = sorted(p.stem for p in FIXTURES.glob("*.json") if not p.stem.startswith("ws_"))


def test_every_route_has_a_fixture() -> None:
    served = {
        r.facade if r.signed or r.facade == "market_time" else f"market_{r.facade}" for r in ROUTES.values()
    }
    assert served == set(REST_FIXTURES), f"routes without a fixture: {served - set(REST_FIXTURES)}"


@pytest.mark.parametrize("name", REST_FIXTURES)
def test_rest_reply_matches_the_docs(replies: dict[str, Any], name: str) -> None:
    assert replies[name]["retCode"] == 0, replies[name]
    assert_conforms(name, replies[name])


def test_lists_are_not_trivially_empty(replies: dict[str, Any]) -> None:
    for name in (
        "order_realtime",
        "order_history",
        "execution_list",
        "position_closed_pnl",
        "order_cancel_all",
    ):
        assert replies[name]["result"]["list"], name


def test_flat_position_size_is_zero_as_bybit_sends_it(make_venue: MakeVenue) -> None:
    v = make_venue(limits_scale=1000.0)
    try:
        s = HTTP(api_key=KEY, api_secret=SECRET, retry_codes={-1}, max_retries=1)
        s.endpoint = v.rest_url
        row = s.get_positions(category="linear", symbol="SOLUSDT")["result"]["list"][0]
        assert row["size"] == "0" and row["side"] == "" and row["openTime"] == 0, row
    finally:
        v.stop()
