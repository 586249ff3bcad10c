"""``userFees`` on the Hyperliquid sim, through the real SDK (``Info.user_fees``): Hyperliquid's
field names and shapes, the rates the sim charges on its fills, and the account's daily volume
(taker notional in ``userCross``); the adapter reads its fee rates from it."""

from __future__ import annotations

from decimal import Decimal

from hyperliquid.exchange import Exchange
from hyperliquid.info import Info

from core.sim.instruments import MAKER_FEE, TAKER_FEE
from core.venues.hyperliquid.rest import HyperliquidVenue
from core.venues.registry import build_venue
from tests.support.hl_sim import HlSim, sim_settings, statuses

FIELDS = {
    "dailyUserVlm",
    "feeSchedule",
    "userCrossRate",
    "userAddRate",
    "userSpotCrossRate",
    "userSpotAddRate",
    "activeReferralDiscount",
}


def test_user_fees_shape_rates_and_volume(sim: HlSim, ex: Exchange, info: Info) -> None:
    before = info.user_fees(sim.user)
    assert set(before) >= FIELDS
    assert Decimal(before["userCrossRate"]) == TAKER_FEE and Decimal(before["userAddRate"]) == MAKER_FEE
    schedule = before["feeSchedule"]
    assert Decimal(schedule["cross"]) == TAKER_FEE and Decimal(schedule["add"]) == MAKER_FEE
    assert set(schedule["tiers"]) == {"vip", "mm"}
    assert before["dailyUserVlm"] == []

    filled = statuses(ex.market_open("ETH", True, 0.1))[0]["filled"]
    notional = Decimal(filled["totalSz"]) * Decimal(filled["avgPx"])
    after = info.user_fees(sim.user)
    [day] = after["dailyUserVlm"]
    assert set(day) == {"date", "userCross", "userAdd", "exchange"}
    assert Decimal(day["userCross"]) == notional and Decimal(day["userAdd"]) == 0
    assert Decimal(day["exchange"]) >= notional
    fill = info.user_fills(sim.user)[0]
    assert Decimal(fill["fee"]) == (notional * TAKER_FEE).quantize(Decimal(fill["fee"]))


def test_the_adapter_reads_its_fee_rates_from_user_fees(sim: HlSim) -> None:
    venue = build_venue(sim_settings(sim))
    assert isinstance(venue, HyperliquidVenue)
    venue.instruments(("BTCUSDT", "ETHUSDT"))
    rates = venue.fee_rates()
    assert {"BTCUSDT", "ETHUSDT"} <= set(rates)
    assert all(r == (TAKER_FEE, MAKER_FEE) for r in rates.values())
