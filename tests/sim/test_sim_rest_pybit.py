"""pybit's HTTP client against a running sim venue: every endpoint and the error retCodes."""

from __future__ import annotations

import time
from collections.abc import Callable

import pybit._helpers
import pytest
from pybit.exceptions import FailedRequestError, InvalidRequestError
from pybit.unified_trading import HTTP
from sim_helpers import KEY, SECRET, make_venue

from core.sim.runner import SimVenueThread


def session(v: SimVenueThread, key: str = KEY, secret: str = SECRET) -> HTTP:
    s = HTTP(api_key=key, api_secret=secret, retry_codes={-1}, max_retries=1)
    s.endpoint = v.rest_url
    return s


def code_of(fn: Callable[..., object], *args: object, **kwargs: object) -> int:
    with pytest.raises(InvalidRequestError) as err:
        fn(*args, **kwargs)
    return int(err.value.status_code)


def test_public_market_endpoints(venue: SimVenueThread) -> None:
    s = session(venue)
    t = s.get_server_time()
    assert t["retCode"] == 0 and abs(int(t["result"]["timeSecond"]) - time.time()) < 5
    inst = s.get_instruments_info(category="linear")["result"]["list"]
    assert {"BTCUSDT", "ETHUSDT"} <= {i["symbol"] for i in inst}
    btc = s.get_instruments_info(category="linear", symbol="BTCUSDT")["result"]["list"][0]
    assert btc["priceFilter"]["tickSize"] and btc["lotSizeFilter"]["qtyStep"]
    tick = s.get_tickers(category="linear", symbol="BTCUSDT")["result"]["list"][0]
    assert tick["symbol"] == "BTCUSDT" and tick["lastPrice"]
    kl = s.get_kline(category="linear", symbol="BTCUSDT", interval="1", limit=5)["result"]
    assert kl["symbol"] == "BTCUSDT" and isinstance(kl["list"], list)
    ob = s.get_orderbook(category="linear", symbol="BTCUSDT", limit=50)["result"]
    assert ob["s"] == "BTCUSDT" and ob["b"] and ob["a"]
    assert float(ob["b"][0][0]) < float(ob["a"][0][0])
    assert s.get_public_trade_history(category="linear", symbol="BTCUSDT")["retCode"] == 0


def test_category_must_be_linear(venue: SimVenueThread) -> None:
    s = session(venue)
    assert code_of(s.get_tickers, category="spot", symbol="BTCUSDT") == 10001
    assert code_of(s.get_open_orders, category="inverse", symbol="BTCUSDT") == 10001


def test_unknown_route_is_404_10017(venue: SimVenueThread) -> None:
    import requests

    r = requests.get(f"{venue.rest_url}/v5/market/nope", timeout=5)
    assert r.status_code == 404 and r.json()["retCode"] == 10017


def _mid(s: HTTP) -> float:
    ob = s.get_orderbook(category="linear", symbol="BTCUSDT")["result"]
    return (float(ob["b"][0][0]) + float(ob["a"][0][0])) / 2


def test_order_lifecycle_and_queries(venue: SimVenueThread) -> None:
    s = session(venue)
    far = f"{round(_mid(s) * 0.8, 1):.1f}"
    r = s.place_order(
        category="linear",
        symbol="BTCUSDT",
        side="Buy",
        orderType="Limit",
        qty="0.010",
        price=far,
        orderLinkId="t-life-1",
    )
    assert r["retCode"] == 0
    oid = r["result"]["orderId"]
    assert r["result"]["orderLinkId"] == "t-life-1"
    open_ = s.get_open_orders(category="linear", symbol="BTCUSDT")["result"]["list"]
    assert oid in {o["orderId"] for o in open_}
    lower = f"{round(_mid(s) * 0.79, 1):.1f}"
    assert s.amend_order(category="linear", symbol="BTCUSDT", orderId=oid, price=lower)["retCode"] == 0
    assert s.cancel_order(category="linear", symbol="BTCUSDT", orderLinkId="t-life-1")["retCode"] == 0
    assert code_of(s.cancel_order, category="linear", symbol="BTCUSDT", orderId=oid) == 110001
    s.place_order(category="linear", symbol="BTCUSDT", side="Buy", orderType="Limit", qty="0.010", price=far)
    res = s.cancel_all_orders(category="linear", symbol="BTCUSDT")["result"]
    assert len(res["list"]) >= 1
    assert s.get_order_history(category="linear", symbol="BTCUSDT")["retCode"] == 0
    assert s.get_executions(category="linear", symbol="BTCUSDT")["retCode"] == 0


def test_positions_account_and_leverage(venue: SimVenueThread) -> None:
    s = session(venue)
    assert (
        s.place_order(category="linear", symbol="ETHUSDT", side="Buy", orderType="Market", qty="0.10")[
            "retCode"
        ]
        == 0
    )
    pos = s.get_positions(category="linear", symbol="ETHUSDT")["result"]["list"]
    assert pos and pos[0]["symbol"] == "ETHUSDT"
    assert s.get_positions(category="linear", settleCoin="USDT")["retCode"] == 0
    assert (
        s.set_leverage(category="linear", symbol="BTCUSDT", buyLeverage="7", sellLeverage="7")["retCode"] == 0
    )
    assert (
        code_of(s.set_leverage, category="linear", symbol="BTCUSDT", buyLeverage="7", sellLeverage="7")
        == 110043
    )
    assert (
        s.set_trading_stop(
            category="linear",
            symbol="ETHUSDT",
            tpslMode="Full",
            positionIdx=0,
            stopLoss=f"{float(pos[0]['avgPrice'] or _mid(s)) * 0.5:.2f}",
        )["retCode"]
        == 0
    )
    assert s.get_closed_pnl(category="linear", symbol="ETHUSDT")["retCode"] == 0
    wb = s.get_wallet_balance(accountType="UNIFIED")["result"]["list"][0]
    assert wb["coin"][0]["coin"] == "USDT"
    assert s.get_fee_rates(category="linear", symbol="BTCUSDT")["retCode"] == 0


def test_business_errors(venue: SimVenueThread) -> None:
    s = session(venue)
    mid = _mid(s)
    order = {"category": "linear", "symbol": "BTCUSDT", "side": "Buy", "orderType": "Limit"}
    # qty below min / off step, price off tick
    assert code_of(s.place_order, **order, qty="0.0001", price=f"{mid * 0.8:.1f}") == 10001
    assert code_of(s.place_order, **order, qty="0.010", price=f"{round(mid * 0.8, 1) + 0.05:.2f}") == 10001
    # insufficient balance
    assert code_of(s.place_order, **order, qty="99.000", price=f"{round(mid * 0.99, 1):.1f}") in (
        110004,
        110007,
        110012,
        110044,
    )
    # reduce-only that would open a position
    assert (
        code_of(
            s.place_order,
            category="linear",
            symbol="SOLUSDT" if _has(s, "SOLUSDT") else "BTCUSDT",
            side="Sell",
            orderType="Market",
            qty="1",
            reduceOnly=True,
        )
        == 110017
    )
    assert code_of(s.amend_order, category="linear", symbol="BTCUSDT", orderId="nope", price="1") == 110001


def _has(s: HTTP, sym: str) -> bool:
    return bool(s.get_instruments_info(category="linear", symbol=sym)["result"]["list"])


def test_auth_errors(venue: SimVenueThread, monkeypatch: pytest.MonkeyPatch) -> None:
    assert (
        code_of(session(venue, key="WRONGKEY").get_open_orders, category="linear", symbol="BTCUSDT") == 10003
    )
    assert (
        code_of(session(venue, secret="wrong").get_open_orders, category="linear", symbol="BTCUSDT") == 10004
    )
    real = pybit._helpers.generate_timestamp
    monkeypatch.setattr(pybit._helpers, "generate_timestamp", lambda: real() - 60_000)
    assert code_of(session(venue).get_open_orders, category="linear", symbol="BTCUSDT") == 10002
    monkeypatch.setattr(pybit._helpers, "generate_timestamp", lambda: real() + 5_000)
    assert code_of(session(venue).get_open_orders, category="linear", symbol="BTCUSDT") == 10002


def test_missing_auth_headers_is_401(venue: SimVenueThread) -> None:
    import requests

    r = requests.get(f"{venue.rest_url}/v5/order/realtime?category=linear&symbol=BTCUSDT", timeout=5)
    assert r.status_code == 401 and r.json()["retCode"] == 10003


def test_signed_responses_carry_limit_headers(venue: SimVenueThread) -> None:
    s = HTTP(api_key=KEY, api_secret=SECRET, retry_codes={-1}, max_retries=1, return_response_headers=True)
    s.endpoint = venue.rest_url
    _body, _elapsed, headers = s.get_open_orders(category="linear", symbol="BTCUSDT")
    assert int(headers["X-Bapi-Limit"]) > 0
    assert int(headers["X-Bapi-Limit-Status"]) >= 0
    assert int(headers["X-Bapi-Limit-Reset-Timestamp"]) > 0


@pytest.mark.timeout(20)
def test_rate_limit_10006_with_future_reset() -> None:
    v = make_venue()  # Bybit default limits: order/create 10/s, fee-rate 5/s
    try:
        s = HTTP(
            api_key=KEY, api_secret=SECRET, retry_codes={-1}, max_retries=1, return_response_headers=True
        )
        s.endpoint = v.rest_url
        statuses = []
        for _ in range(5):
            _b, _e, h = s.get_fee_rates(category="linear", symbol="BTCUSDT")
            statuses.append(int(h["X-Bapi-Limit-Status"]))
        assert statuses == [4, 3, 2, 1, 0]
        with pytest.raises(InvalidRequestError) as err:
            s.get_fee_rates(category="linear", symbol="BTCUSDT")
        assert err.value.status_code == 10006
        reset = int(err.value.resp_headers["X-Bapi-Limit-Reset-Timestamp"])
        assert reset > int(time.time() * 1000) - 50  # in the future when sent (allow for the round trip)
        # pybit with its default retry set sleeps until the reset and then succeeds.
        plain = HTTP(api_key=KEY, api_secret=SECRET)
        plain.endpoint = v.rest_url
        assert plain.get_fee_rates(category="linear", symbol="BTCUSDT")["retCode"] == 0
    finally:
        v.stop()


def test_rate_limits_off_never_refuses() -> None:
    v = make_venue(rate_limits=False)
    try:
        s = session(v)
        for _ in range(12):
            assert s.get_fee_rates(category="linear", symbol="BTCUSDT")["retCode"] == 0
    finally:
        v.stop()


def test_http_errors_are_failed_request(venue: SimVenueThread) -> None:
    venue.set_faults("http5xx_next=1,http_status=503")
    try:
        with pytest.raises(FailedRequestError) as err:
            session(venue).get_tickers(category="linear", symbol="BTCUSDT")
        assert err.value.status_code == 503
    finally:
        venue.set_faults("")
