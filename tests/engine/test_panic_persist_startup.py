"""The engine keeps trying where it used to give up: start-up, reconciliation; and stays bounded.

* Start-up fetched every instrument as one retried unit: under a venue failing half of all REST
  requests the unit rarely succeeded whole and start-up stopped. Each start-up request is now
  retried on its own, and tried again with backoff when its retries run out.
* Reconciliation by orderLinkId noted an order it "could not check" and never asked again: the
  intent stayed open for the life of the process. It now asks again, with backoff, until the
  venue has answered for every such order.
* ``_sent_at`` (send times for the place → fill latency) kept one entry per order forever.
"""

from __future__ import annotations

import threading
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.engine import Engine
from core.engine.resync import RecoveryTiming
from core.engine.sent_times import SentTimes
from core.market.timerange import TimeRange
from core.model import Order, OrderRequest, OrderType, Side
from core.orders.ids import new_order_link_id
from core.resilience.errors import Transient
from core.resilience.retry import RetryPolicy
from core.sim.runner import SimVenueThread
from core.venues.bybit.rest import BybitVenue
from tests.support.engine_types import SYM, Below, EngineSettingsFactory, Ready, VenueHttp, VenueRows, WaitFor

FAST = RecoveryTiming(reconcile_backoff_s=(0.05, 0.2), start_retry_s=(0.02, 0.1), start_patience_s=60.0)


def quick(attempts: int) -> RetryPolicy:
    """Fast, short retries (the schedule itself is unit-tested elsewhere)."""
    return RetryPolicy(base_s=0.01, cap_s=0.05, max_attempts=attempts)


@pytest.mark.symbols("BTCUSDT", "ETHUSDT", "SOLUSDT")
async def test_start_survives_a_venue_failing_half_of_all_requests(
    sim: SimVenueThread, tmp_path: Path, engine_settings: EngineSettingsFactory
) -> None:
    """Old code (these seeded faults): the three-symbol instrument unit (three requests) failed
    all of its attempts and start() raised. Now each request is retried on its own until it works."""
    engine = Engine(engine_settings(sim, tmp_path), retry_policy=quick(attempts=3))
    engine.recovery = FAST
    sim.set_faults("http5xx=0.5,seed=1")
    try:
        await engine.start(feeds=False)
        assert set(engine.instruments) == set(engine.settings.risk.symbols)
        assert engine.started
        assert sim.stats()["faults"]["injected"]["http5xx"] >= 3
    finally:
        sim.set_faults("")
        await engine.stop()


class FlakyLookups(BybitVenue):
    """The real adapter, except that looking an order up fails while ``failing`` is set."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.failing = threading.Event()
        self.lookups = 0

    def find_order(self, symbol: str, order_link_id: str, *, within: TimeRange | None = None) -> Order | None:
        self.lookups += 1
        if self.failing.is_set():
            raise Transient("order lookup unavailable", endpoint="/v5/order/realtime")
        return super().find_order(symbol, order_link_id, within=within)


async def test_reconciliation_asks_again_until_every_order_is_checked(
    sim: SimVenueThread,
    tmp_path: Path,
    below: Below,
    engine_settings: EngineSettingsFactory,
    venue_http: VenueHttp,
    venue_open_orders: VenueRows,
    wait_for: WaitFor,
) -> None:
    """A crash left an intent with no outcome; at the restart the venue cannot be asked about it.

    Old code: "could not check" once, then never again: the intent stayed open.
    """
    settings = engine_settings(sim, tmp_path)
    link = new_order_link_id("tc")
    first = Engine(settings)
    await first.start(feeds=False)
    mark = await ready_mark(sim, venue_http)
    price = str(below(mark))
    first.journal.record("intent", symbol=SYM, order_link_id=link, side="Buy", qty="0.01", price=price)
    first.journal.record("request", symbol=SYM, order_link_id=link, attempt=1, params={})
    await first.stop()  # as if it had died right after sending
    venue_http(sim).place_order(
        category="linear",
        symbol=SYM,
        side="Buy",
        orderType="Limit",
        qty="0.01",
        price=price,
        orderLinkId=link,
    )

    venue = FlakyLookups(settings)
    venue.failing.set()
    engine = Engine(settings, venue=venue, retry_policy=quick(attempts=2))
    engine.recovery = FAST
    try:
        await engine.start(feeds=False)
        assert engine.reconciler.unchecked_orders == 1
        assert [r.order_link_id for r in engine.journal.open_intents()] == [link]
        await wait_for(lambda: venue.lookups >= 6)  # asked at start and again in the background
        venue.failing.clear()
        await wait_for(lambda: engine.journal.open_intents() == [], timeout=10.0)
        assert engine.reconciler.unchecked_orders == 0
        assert link in engine.state.orders
        resolved = [r for r in engine.journal.query(order_link_id=link) if r.kind == "reconcile"]
        assert resolved and resolved[-1].data["found"] is True
    finally:
        await engine.cancel_all()
        await engine.stop()
    assert venue_open_orders(sim) == []


async def ready_mark(sim: SimVenueThread, venue_http: VenueHttp) -> Decimal:
    res = venue_http(sim).get_tickers(category="linear", symbol=SYM)
    return Decimal(res["result"]["list"][0]["markPrice"])


async def test_send_times_stay_bounded(engine: Engine, below: Below, ready: Ready) -> None:
    """Old code: a plain dict, one entry per order that never filled, forever."""
    mark = await ready(engine)
    engine.order_path.sent_at.max_entries = 3
    for i in range(6):
        price = below(mark) - i
        res = await engine.place(OrderRequest(SYM, Side.BUY, Decimal("0.01"), OrderType.LIMIT, price))
        assert res.ok, res.message
    assert len(engine.order_path.sent_at) == 3
    assert (await engine.cancel_all()).ok


@given(
    st.lists(
        st.tuples(st.sampled_from("abcdefgh"), st.floats(0, 50, allow_nan=False), st.booleans()),
        max_size=60,
    )
)
def test_send_times_bounds_hold_for_any_sequence(ops: list[tuple[str, float, bool]]) -> None:
    """Never more than ``max_entries``; nothing older than ``max_age_s`` before the newest insert."""
    times = SentTimes(max_entries=4, max_age_s=10.0)
    clock = 0.0
    for key, step, take in ops:
        clock += step
        if take:
            times.pop(key)
        else:
            times[key] = clock
            assert key in times
            assert len(times) <= 4
            assert all(t >= clock - 10.0 for t in times._times.values())
