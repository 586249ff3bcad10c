"""The composite venue with a leg held (the staged part of the port) over loopback, both sims up:
the held leg's symbols are refused naming the venue and nothing reaches it; listings, the summed
balance and the feeds leave it out; once admitted, everything includes it again."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hyperliquid.exchange import Exchange

from core.model import OrderRequest, OrderType, Side
from core.orders.builder import OrderBuilder
from core.orders.ids import ClientIdRule, new_client_order_id
from core.resilience.errors import Rejected
from core.venues.base import FeedTiming
from core.venues.multi.venue import MultiVenue
from core.venues.registry import build_venue
from core.venues.staged import staged_feeds_of, staged_of
from tests.support.hl_sim import SPOT_META
from tests.venue_multi.conftest import BothSims, multi_settings

HL = "hyperliquid"


@pytest.fixture
def venue(sims: BothSims, tmp_path: Path) -> MultiVenue:
    built = build_venue(multi_settings(sims, tmp_path))
    assert isinstance(built, MultiVenue)
    return built


class Sink:
    """A feed sink that only remembers the symbols it heard of and the balances."""

    def __init__(self) -> None:
        self.symbols: set[str] = set()
        self.balances: list[Any] = []

    def __getattr__(self, name: str) -> Any:
        def heard(*args: Any) -> None:
            item = args[0]
            if name == "balance":
                self.balances.append(item)
            elif hasattr(item, "symbol"):
                self.symbols.add(item.symbol)

        return heard


def test_a_held_leg_is_refused_by_name_and_left_out_until_admitted(venue: MultiVenue, sims: BothSims) -> None:
    staged = staged_of(venue)
    assert staged is venue and staged.parts() == ("bybit", HL)
    [inst] = venue.instruments(("ETHUSDT.HL",))
    both = venue.balance()
    assert both is not None
    hl = sims.hl
    Exchange(hl.agent, hl.base_url, account_address=hl.user, meta=hl.meta, spot_meta=SPOT_META).market_open(
        "ETH", True, 0.1
    )

    venue.hold_part(HL)
    assert venue.held_parts() == (HL,)
    reason = venue.held_reason("ETHUSDT.HL")
    assert reason is not None and f"venue {HL} is down" in reason
    assert venue.held_reason("ETHUSDT") is None
    req = OrderRequest("ETHUSDT.HL", Side.BUY, Decimal("0.1"), OrderType.MARKET)
    link = new_client_order_id("tc", rule=ClientIdRule.of(venue.capabilities))
    order = OrderBuilder().build(req, inst, ref_price=Decimal(3400), order_link_id=link)
    with pytest.raises(Rejected, match=f"venue {HL} is down"):
        venue.place(order)
    assert hl.position("ETH") == Decimal("0.1")  # nothing more reached it
    assert all(p.symbol != "ETHUSDT.HL" for p in venue.positions())
    alone = venue.balance()
    assert alone is not None and alone.wallet_balance < both.wallet_balance
    assert venue.ticker("ETHUSDT.HL") is None and venue.klines("ETHUSDT.HL", "1m") == []
    assert venue.part_symbols(HL, ["ETHUSDT", "ETHUSDT.HL"]) == ("ETHUSDT.HL",)

    sink = Sink()
    feeds = venue.feeds(("ETHUSDT", "ETHUSDT.HL"), sink, FeedTiming())
    try:
        feeds.start()
        assert not feeds.is_connected("public:hl")  # never started while held
        venue.admit_part(HL)
        staged_feeds = staged_feeds_of(feeds)
        assert staged_feeds is not None
        staged_feeds.start_part(HL)
        staged_feeds.start_part(HL)  # twice is once
        assert any(p.symbol == "ETHUSDT.HL" for p in venue.positions())
        total = venue.balance()
        assert total is not None and total.wallet_balance > alone.wallet_balance
    finally:
        feeds.stop()
