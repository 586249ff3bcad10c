"""The sim's own Bybit rules for what the position tools and stop-order amends send, through pybit:
account margin mode, trading-stop (set, keep, "0" removes, wrong side refused), and amending a
conditional order's triggerPrice (wrong side: 110092/110093; price on a stop-market: 10001)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from pybit.exceptions import InvalidRequestError
from pybit.unified_trading import HTTP

from core.sim.runner import SimVenueThread
from tests.support.sim_venue import MakeVenue

SYM = "ETHUSDT"


@pytest.fixture(scope="module")
def venue_ps(make_venue: MakeVenue) -> Iterator[SimVenueThread]:
    v = make_venue(limits_scale=100.0, api_key="tools-key")
    yield v
    v.stop()


def session(v: SimVenueThread) -> HTTP:
    s = HTTP(
        api_key=v.settings.api_key,
        api_secret=v.settings.api_secret.get_secret_value(),
        retry_codes={-1},
        max_retries=1,
    )
    s.endpoint = v.rest_url
    return s


def code_of(fn, **kwargs) -> int:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidRequestError) as err:
        fn(**kwargs)
    return int(err.value.status_code)


def mark(s: HTTP) -> Decimal:
    return Decimal(s.get_tickers(category="linear", symbol=SYM)["result"]["list"][0]["markPrice"])


def test_account_info_reports_regular_margin(venue_ps: SimVenueThread) -> None:
    info = session(venue_ps).get_account_info()
    assert info["retCode"] == 0 and info["result"]["marginMode"] == "REGULAR_MARGIN"


def test_trading_stop_set_keep_remove_and_wrong_side(venue_ps: SimVenueThread) -> None:
    s = session(venue_ps)
    s.place_order(category="linear", symbol=SYM, side="Buy", orderType="Market", qty="0.5")
    m = mark(s)
    tp, sl = f"{m * Decimal('1.1'):.2f}", f"{m * Decimal('0.9'):.2f}"
    base = {"category": "linear", "symbol": SYM, "tpslMode": "Full", "positionIdx": 0}
    assert s.set_trading_stop(**base, takeProfit=tp, stopLoss=sl)["retCode"] == 0
    s.set_trading_stop(**base, takeProfit="0")  # SL omitted: kept
    pos = s.get_positions(category="linear", symbol=SYM)["result"]["list"][0]
    assert (pos["takeProfit"], pos["stopLoss"]) == ("", sl)
    assert code_of(s.set_trading_stop, **base, stopLoss=f"{m * Decimal('1.05'):.2f}") == 10001
    s.place_order(category="linear", symbol=SYM, side="Sell", orderType="Market", qty="0.5", reduceOnly=True)


def test_amend_trigger_rules(venue_ps: SimVenueThread) -> None:
    s = session(venue_ps)
    m = mark(s)
    below = f"{m * Decimal('0.9'):.2f}"
    r = s.place_order(
        category="linear",
        symbol=SYM,
        side="Sell",
        orderType="Market",
        qty="0.1",
        triggerPrice=below,
        triggerDirection=2,
        orderLinkId="stop-amend-1",
    )
    assert r["retCode"] == 0
    ids = {"category": "linear", "symbol": SYM, "orderLinkId": "stop-amend-1"}
    lower = f"{m * Decimal('0.85'):.2f}"
    assert s.amend_order(**ids, triggerPrice=lower)["retCode"] == 0
    order = s.get_open_orders(**ids)["result"]["list"][0]
    assert order["triggerPrice"] == lower and order["orderStatus"] == "Untriggered"
    assert code_of(s.amend_order, **ids, triggerPrice=f"{m * Decimal('1.1'):.2f}") == 110093
    assert code_of(s.amend_order, **ids, price=lower) == 10001  # a stop-market has no limit price
    s.cancel_order(**ids)
