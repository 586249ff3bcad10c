"""ccxt's bybit client, URLs pointed at the sim, works unchanged: another Bybit client."""

from __future__ import annotations

import ccxt
import pytest

from core.config import SIM_API_KEY as KEY
from core.config import SIM_API_SECRET as SECRET
from core.sim.runner import SimVenueThread

pytestmark = pytest.mark.timeout(30)
SYM = "BTC/USDT:USDT"


def make_ccxt(v: SimVenueThread) -> ccxt.bybit:
    ex = ccxt.bybit(
        {
            "apiKey": KEY,
            "secret": SECRET,
            "enableRateLimit": False,
            "options": {
                "defaultType": "swap",
                "fetchMarkets": {"types": ["linear"]},  # the sim lists linear perps only
                "fetchCurrencies": False,  # no /v5/asset endpoints on the sim
                "enableUnifiedAccount": True,  # skip the account-type probe
                "enableUnifiedMargin": False,
            },
        }
    )
    ex.has["fetchCurrencies"] = False
    ex.urls["api"] = {k: v.rest_url for k in ("spot", "futures", "v2", "public", "private")}
    return ex


def test_ccxt_markets_ticker_book(venue: SimVenueThread) -> None:
    ex = make_ccxt(venue)
    markets = ex.load_markets()
    assert SYM in markets and markets[SYM]["linear"] and markets[SYM]["swap"]
    assert markets[SYM]["precision"]["price"] and markets[SYM]["limits"]["amount"]["min"]
    ticker = ex.fetch_ticker(SYM)
    assert ticker["symbol"] == SYM and ticker["last"] > 0
    book = ex.fetch_order_book(SYM, limit=25)
    assert book["bids"] and book["asks"] and book["bids"][0][0] < book["asks"][0][0]


def test_ccxt_create_edit_cancel_positions_balance(venue: SimVenueThread) -> None:
    ex = make_ccxt(venue)
    ex.load_markets()
    bid = ex.fetch_order_book(SYM)["bids"][0][0]
    price = float(ex.price_to_precision(SYM, bid * 0.8))
    order = ex.create_order(SYM, "limit", "buy", 0.01, price)
    assert order["id"]
    open_ids = {o["id"] for o in ex.fetch_open_orders(SYM)}
    assert order["id"] in open_ids
    lower = float(ex.price_to_precision(SYM, bid * 0.79))
    edited = ex.edit_order(order["id"], SYM, "limit", "buy", 0.01, lower)
    assert edited["id"] == order["id"]
    canceled = ex.cancel_order(order["id"], SYM)
    assert canceled["id"] == order["id"]
    assert order["id"] not in {o["id"] for o in ex.fetch_open_orders(SYM)}
    positions = ex.fetch_positions([SYM])
    assert isinstance(positions, list)
    balance = ex.fetch_balance()
    assert balance["USDT"]["total"] > 0
