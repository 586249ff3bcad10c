"""The sim's position trailing stop over loopback, through pybit: ``trailingStop`` (a price distance)
and ``activePrice`` on /v5/position/trading-stop, following the last price, closing the whole
position reduce-only when the price comes back by the distance; validation and removal."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from pybit.exceptions import InvalidRequestError
from pybit.unified_trading import HTTP

from core.sim.exchange import SimExchange
from core.sim.runner import SimVenueThread
from tests.support.sim_venue import MakeVenue

SYM = "ETHUSDT"
BASE = {"category": "linear", "symbol": SYM, "tpslMode": "Full", "positionIdx": 0}


@pytest.fixture
def venue_ts(make_venue: MakeVenue) -> Iterator[SimVenueThread]:
    # The random walk barely steps: the test moves the market itself, on the sim's own clock.
    v = make_venue(limits_scale=100.0, api_key="trail-key", market_rate_hz=0.01)
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


def drive(v: SimVenueThread, price: float) -> None:
    exchange = v.exchange
    assert isinstance(exchange, SimExchange)
    v.call(lambda: exchange.drive(SYM, price))


def position(s: HTTP) -> dict[str, Any]:
    item: dict[str, Any] = s.get_positions(category="linear", symbol=SYM)["result"]["list"][0]
    return item


def code_of(fn: Any, **kwargs: Any) -> int:
    with pytest.raises(InvalidRequestError) as err:
        fn(**kwargs)
    return int(err.value.status_code)


def test_long_trails_the_last_price_and_closes_when_it_comes_back(venue_ts: SimVenueThread) -> None:
    s = session(venue_ts)
    drive(venue_ts, 3000.0)
    s.place_order(category="linear", symbol=SYM, side="Buy", orderType="Market", qty="0.5")
    assert s.set_trading_stop(**BASE, trailingStop="50", activePrice="3020")["retCode"] == 0
    assert Decimal(position(s)["trailingStop"]) == Decimal(50)
    drive(venue_ts, 2960.0)  # below the level it would have had, but not armed yet
    assert position(s)["side"] == "Buy"
    drive(venue_ts, 3030.0)  # armed: best 3030, stop 2980
    drive(venue_ts, 3100.0)  # best 3100, stop 3050
    drive(venue_ts, 3060.0)
    assert position(s)["side"] == "Buy"
    drive(venue_ts, 3050.0)  # back by the distance: the venue closes the position
    pos = position(s)
    assert pos["side"] == "" and pos["trailingStop"] == "0"
    orders = s.get_order_history(category="linear", symbol=SYM)["result"]["list"]
    closer = next(o for o in orders if o["stopOrderType"] == "TrailingStop")
    assert closer["createType"] == "CreateByTrailingStop" and closer["reduceOnly"] is True
    assert (
        closer["side"] == "Sell"
        and closer["orderStatus"] == "Filled"
        and Decimal(closer["qty"]) == Decimal("0.5")
    )


def test_short_without_activation_trails_at_once(venue_ts: SimVenueThread) -> None:
    s = session(venue_ts)
    drive(venue_ts, 3000.0)
    s.place_order(category="linear", symbol=SYM, side="Sell", orderType="Market", qty="0.2")
    assert s.set_trading_stop(**BASE, trailingStop="25")["retCode"] == 0
    drive(venue_ts, 2900.0)  # best 2900, stop 2925
    drive(venue_ts, 2920.0)
    assert position(s)["side"] == "Sell"
    drive(venue_ts, 2930.0)
    assert position(s)["side"] == ""


def test_validation_and_removal(venue_ts: SimVenueThread) -> None:
    s = session(venue_ts)
    drive(venue_ts, 3000.0)
    assert code_of(s.set_trading_stop, **BASE, trailingStop="10") == 10001  # no position
    s.place_order(category="linear", symbol=SYM, side="Buy", orderType="Market", qty="0.1")
    assert code_of(s.set_trading_stop, **BASE, trailingStop="-1") == 10001
    assert code_of(s.set_trading_stop, **BASE, trailingStop="10.001") == 10001  # off the tick grid
    assert code_of(s.set_trading_stop, **BASE, trailingStop="3000") == 10001  # at or below zero
    assert code_of(s.set_trading_stop, **BASE, stopLoss="2900", activePrice="3100") == 10001
    assert s.set_trading_stop(**BASE, trailingStop="40")["retCode"] == 0
    assert code_of(s.set_trading_stop, **BASE, trailingStop="40") == 34040
    assert s.set_trading_stop(**BASE, trailingStop="0")["retCode"] == 0
    assert position(s)["trailingStop"] == "0"
    drive(venue_ts, 2900.0)  # removed: nothing closes it
    assert position(s)["side"] == "Buy"
