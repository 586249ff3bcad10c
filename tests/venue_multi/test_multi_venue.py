"""The composite venue over loopback: the Bybit sim and the Hyperliquid sim behind one port, every
call routed by venue-qualified symbol, each venue's own records checked."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from core.config import load_settings
from core.config_files import ConfigError
from core.endpoint_policy import check_venue_endpoint
from core.model import Mode, OrderRequest, OrderType, Side
from core.orders.builder import OrderBuilder
from core.orders.built import BuiltOrder
from core.orders.ids import ClientIdRule, new_client_order_id
from core.resilience.errors import Rejected
from core.venues.multi.venue import MultiVenue
from core.venues.registry import build_venue
from tests.venue_multi.conftest import BothSims, multi_settings


@pytest.fixture
def venue(sims: BothSims, tmp_path: Path) -> MultiVenue:
    built = build_venue(multi_settings(sims, tmp_path))
    assert isinstance(built, MultiVenue)
    return built


def built(v: MultiVenue, symbol: str, side: Side, qty: str, *, away: str | None = None) -> BuiltOrder:
    """An order for ``symbol`` by the real builder: a limit ``away`` (fraction) from the book, or
    a market order."""
    [inst] = v.instruments((symbol,))
    book = v.orderbook(symbol, 1)
    mid = (Decimal(repr(book.bids[0][0])) + Decimal(repr(book.asks[0][0]))) / 2
    if away is None:
        req = OrderRequest(symbol, side, Decimal(qty), OrderType.MARKET)
        price = mid
    else:
        price = mid * (1 - Decimal(away)) if side is Side.BUY else mid * (1 + Decimal(away))
        req = OrderRequest(symbol, side, Decimal(qty), OrderType.LIMIT, price)
    link = new_client_order_id("tc", rule=ClientIdRule.of(v.capabilities))
    return OrderBuilder().build(req, inst, ref_price=price, order_link_id=link)


def test_legs_are_built_by_the_registry_and_combined_conservatively(venue: MultiVenue) -> None:
    assert [leg.name for leg in venue.legs] == ["bybit", "hyperliquid"]
    caps = venue.capabilities
    assert caps.name == "multi"
    assert caps.client_id_max_len == min(leg.capabilities.client_id_max_len for leg in venue.legs)
    assert caps.native_tpsl  # both legs keep a position's TP/SL (Hyperliquid as position stops)
    assert not caps.native_trailing  # Hyperliquid has no trailing stop
    assert caps.dead_mans_switch and not caps.inline_calls
    instruments = {i.symbol for i in venue.instruments(("BTCUSDT", "BTCUSDT.HL"))}
    assert instruments == {"BTCUSDT", "BTCUSDT.HL"}
    fees = set(venue.fee_rates())
    assert "BTCUSDT" in fees and {f"{sym}.HL" for sym in venue.legs[1].fee_rates()} <= fees


def test_orders_are_routed_by_symbol_and_cancel_all_cancels_on_both(
    venue: MultiVenue, sims: BothSims
) -> None:
    on_bybit = built(venue, "BTCUSDT", Side.BUY, "0.001", away="0.05")
    on_hl = built(venue, "ETHUSDT.HL", Side.BUY, "0.5", away="0.05")
    venue.place(on_bybit)
    venue.place(on_hl)
    assert sims.bybit_open_links() == [on_bybit.order_link_id]
    [hl_order] = sims.hl.open_orders()
    assert hl_order.coin == "ETH" and hl_order.orig_sz == Decimal("0.5")
    merged = {o.order_link_id: o.symbol for o in venue.open_orders()}
    assert merged == {on_bybit.order_link_id: "BTCUSDT", on_hl.order_link_id: "ETHUSDT.HL"}
    found = venue.find_order("ETHUSDT.HL", on_hl.order_link_id)
    assert found is not None and found.symbol == "ETHUSDT.HL"

    cancelled = venue.cancel_all(None)
    assert sorted(cancelled) == sorted([on_bybit.order_link_id, on_hl.order_link_id])
    assert sims.bybit_open_links() == [] and sims.hl.open_orders() == []


def test_positions_are_merged_and_the_balance_is_the_sum(venue: MultiVenue, sims: BothSims) -> None:
    venue.place(built(venue, "BTCUSDT", Side.BUY, "0.002"))
    venue.place(built(venue, "ETHUSDT.HL", Side.SELL, "0.5"))
    assert sims.bybit_position("BTCUSDT") > 0
    assert sims.hl.position("ETH") == Decimal("-0.5")
    sizes = {p.symbol: (p.side, p.size) for p in venue.positions()}
    assert sizes == {"BTCUSDT": (Side.BUY, Decimal("0.002")), "ETHUSDT.HL": (Side.SELL, Decimal("0.5"))}
    legs = [leg.balance() for leg in venue.legs]
    total = venue.balance()
    assert total is not None and all(b is not None for b in legs)
    # The wallet moves only with fills and fees; equity also with the Bybit sim's live marks.
    assert total.wallet_balance == sum(b.wallet_balance for b in legs if b is not None)
    assert abs(total.equity - sum(b.equity for b in legs if b is not None)) < 1
    assert total.equity > max(b.equity for b in legs if b is not None) * Decimal("1.5")


def test_a_symbol_on_no_leg_is_refused_before_anything_is_sent(venue: MultiVenue, sims: BothSims) -> None:
    order = built(venue, "BTCUSDT", Side.BUY, "0.001", away="0.05")
    for symbol in ("BTCUSDT.XX", "BTCUSDT.BY.HL"):
        with pytest.raises(Rejected, match="venue suffix|not a leg"):
            venue.place(BuiltOrder(**{**{f: getattr(order, f) for f in order.__slots__}, "symbol": symbol}))
    assert sims.bybit_open_links() == [] and sims.hl.open_orders() == []


class _Leg:
    def __init__(self, name: str, rest_url: str) -> None:
        self.name, self.rest_url = name, rest_url


def test_every_leg_is_checked_against_the_mode() -> None:
    sim_ok = _Leg("bybit", "http://127.0.0.1:8765")
    testnet = _Leg("hyperliquid", "https://api.hyperliquid-testnet.xyz")
    composite = type(
        "Composite", (), {"name": "multi", "rest_url": sim_ok.rest_url, "legs": (sim_ok, testnet)}
    )
    with pytest.raises(ConfigError, match="does not belong to mode sim"):
        check_venue_endpoint(Mode.SIM, composite())
    check_venue_endpoint(Mode.SIM, type("C", (), {"name": "multi", "rest_url": "x", "legs": (sim_ok,)})())


def test_settings_name_a_bad_leg_list_and_each_legs_missing_keys_off_sim() -> None:
    with pytest.raises(ConfigError, match="venue.legs.*at least 2"):
        load_settings(None, venue={"name": "multi", "legs": ["bybit"]})
    with pytest.raises(ConfigError, match="cannot be a leg"):
        load_settings(None, venue={"name": "multi", "legs": ["bybit", "simulated"]})
    with pytest.raises(ConfigError) as info:  # demo and live: each leg needs its own keys
        load_settings(None, venue={"name": "multi"}, mode="demo")
    assert {"demo_api_key", "hyperliquid_demo_api_key"} <= set(dict(info.value.problems))
    with pytest.raises(ConfigError, match="a suffix is for venue.name"):
        load_settings(None, risk={"symbols": ["BTCUSDT", "BTCUSDT.HL"]}, ui={"default_symbol": "BTCUSDT"})


def test_the_dead_mans_switch_arms_every_leg(venue: MultiVenue, sims: BothSims) -> None:
    assert sims.hl.scheduled_cancel() is None
    venue.set_dead_mans_switch(10)
    assert sims.hl.scheduled_cancel() is not None


def test_margin_mode_names_each_leg_when_they_differ(venue: MultiVenue) -> None:
    modes = [leg.margin_mode() for leg in venue.legs]
    shown = venue.margin_mode()
    if len(set(modes)) == 1:
        assert shown == modes[0]
    else:
        assert shown == f"bybit {modes[0]} / hyperliquid {modes[1]}"
