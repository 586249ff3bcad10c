"""A misbehaving venue cannot hang the account sync or hide a position behind a bad page.

Old code followed ``nextPageCursor`` as long as the venue handed one out (a repeated cursor made
one ``refresh_account`` fetch 16,600 pages and grow 570 MiB in 30 s) and adopted any page as the
account's truth (one page of 200,000 fake orders). Listings are now bounded: a cursor may never
repeat, a page may hold no more items than were asked for (Bybit's documented per-endpoint
limit), and a listing follows at most ``max_pages`` pages; a reply breaking a bound is refused,
reported as bad venue data, and leaves the engine's picture as it was. A position size of
``"-5"`` is refused by the value readers (never taken for flat).

The sim breaks paging on the wire (``cursor_loop``, ``cursor_endless``, ``page_flood``); the
engine talks to it through the real pybit client.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest

from core.engine import Engine
from core.model import OrderRequest, OrderType, Side
from core.resilience.errors import VenueError
from core.resilience.retry import RetryPolicy
from core.sim.runner import SimVenueThread
from tests.support.engine_types import SYM, Below, EngineSettingsFactory, Ready, VenueHttp, VenueRows, WaitFor

OPEN_ORDERS = "/v5/order/realtime"
BOUND_S = 30.0
"""Deadline for a listing that must end (old code never ended it)."""
ATTEMPTS = 3
"""Attempts per listing: a refused reply is retried like any transient failure (the schedule is
unit-tested); three show each retry refused again, and a 5,000-order page costs a second each."""


@pytest.fixture
async def engine(
    sim: SimVenueThread,
    tmp_path: Path,
    engine_settings: EngineSettingsFactory,
    fast_retry_policy: RetryPolicy,
) -> AsyncIterator[Engine]:
    """An engine on the loopback sim (these scenarios break paging on the wire)."""
    policy = dataclasses.replace(fast_retry_policy, max_attempts=ATTEMPTS)
    eng = Engine(engine_settings(sim, tmp_path), retry_policy=policy)
    await eng.start()
    try:
        yield eng
    finally:
        sim.set_faults("")
        await eng.cancel_all()
        await eng.stop()


async def resting_order(engine: Engine, ready: Ready, wait_for: WaitFor, below: Below) -> str:
    mark = await ready(engine)
    res = await engine.place(OrderRequest(SYM, Side.BUY, Decimal("0.01"), OrderType.LIMIT, below(mark)))
    assert res.ok, res.message
    await wait_for(lambda: res.order_link_id in engine.state.orders)
    return res.order_link_id


def listing_requests(sim: SimVenueThread) -> int:
    return int(sim.stats()["rest_requests"].get(OPEN_ORDERS, 0))


async def refused_sync(engine: Engine) -> VenueError:
    """refresh_account must end, and with a VenueError (not adopt what it was given)."""
    with pytest.raises(VenueError) as err:
        await asyncio.wait_for(engine.account_sync.refresh_account(), BOUND_S)
    return err.value


async def test_a_repeated_cursor_is_refused_at_once(
    engine: Engine, sim: SimVenueThread, below: Below, ready: Ready, wait_for: WaitFor
) -> None:
    """Old code: followed the same cursor forever (the sync never returned)."""
    link = await resting_order(engine, ready, wait_for, below)
    before = listing_requests(sim)
    sim.set_faults(f"cursor_loop={OPEN_ORDERS}")
    await refused_sync(engine)
    assert "was not a new cursor" in engine.bad_data.recent()[f"rest {OPEN_ORDERS}"]
    # Two pages per attempt (the second repeats the cursor), and the retry policy's attempts.
    assert listing_requests(sim) - before <= 2 * engine.retry_policy.max_attempts
    assert set(engine.state.orders) == {link}
    assert f"rest {OPEN_ORDERS}" in engine.bad_data.recent()
    sim.set_faults("")
    await engine.account_sync.refresh_account()
    assert set(engine.state.orders) == {link}


async def test_cursors_that_never_end_stop_at_the_page_limit(
    engine: Engine, sim: SimVenueThread, below: Below, ready: Ready, wait_for: WaitFor
) -> None:
    """Old code: a fresh cursor on every page was followed without end."""
    link = await resting_order(engine, ready, wait_for, below)
    engine.venue.max_pages = 3  # type: ignore[attr-defined]
    before = listing_requests(sim)
    sim.set_faults(f"cursor_endless={OPEN_ORDERS}")
    await refused_sync(engine)
    assert "still set after 3 pages" in engine.bad_data.recent()[f"rest {OPEN_ORDERS}"]
    assert listing_requests(sim) - before <= 3 * engine.retry_policy.max_attempts
    assert set(engine.state.orders) == {link}


async def test_a_page_larger_than_asked_for_is_not_adopted(
    engine: Engine,
    sim: SimVenueThread,
    below: Below,
    ready: Ready,
    venue_http: VenueHttp,
    venue_open_orders: VenueRows,
    wait_for: WaitFor,
) -> None:
    """Old code: a page of 5,000 fake orders (50 asked for) became 5,000 working orders."""
    link = await resting_order(engine, ready, wait_for, below)
    sim.set_faults(f"page_flood=5000,flood_paths={OPEN_ORDERS}")
    await refused_sync(engine)
    assert "more than the 50 asked for" in engine.bad_data.recent()[f"rest {OPEN_ORDERS}"]
    assert set(engine.state.orders) == {link}
    # A legitimate listing of several pages is still followed to its end.
    sim.set_faults("")
    http = venue_http(sim)
    mark = await ready(engine)
    for i in range(3):
        http.place_order(
            category="linear",
            symbol=SYM,
            side="Buy",
            orderType="Limit",
            qty="0.01",
            price=str(below(mark) - i),
        )
    engine.venue.max_pages = 4  # type: ignore[attr-defined]
    orders = await asyncio.to_thread(engine.venue.open_orders)
    assert len(orders) == 4 == len(venue_open_orders(sim))


async def test_a_position_flood_is_refused_and_the_position_kept(
    engine: Engine, sim: SimVenueThread, ready: Ready, wait_for: WaitFor
) -> None:
    """The position list is bounded the same way (200 a page, Bybit's maximum)."""
    await ready(engine)
    assert (await engine.place(OrderRequest(SYM, Side.BUY, Decimal("0.02"), OrderType.MARKET))).ok
    await wait_for(lambda: SYM in engine.state.positions)
    sim.set_faults("page_flood=201,flood_paths=/v5/position/list")
    await refused_sync(engine)
    assert "more than the 200 asked for" in engine.bad_data.recent()["rest /v5/position/list"]
    assert engine.state.positions[SYM].size == Decimal("0.02")
    sim.set_faults("")
    assert (await engine.close_position(SYM)).ok


async def test_a_negative_position_size_is_never_taken_for_flat(
    engine: Engine, sim: SimVenueThread, ready: Ready, venue_positions: VenueRows, wait_for: WaitFor
) -> None:
    """A push and a REST row with size "-5" while the venue holds the position: the engine keeps it.

    (Refused by the value readers since the bad-values work: ``size`` must be >= 0. The code
    before it read "-5" as the size and believed the account flat.)
    """
    await ready(engine)
    assert (await engine.place(OrderRequest(SYM, Side.BUY, Decimal("0.02"), OrderType.MARKET))).ok
    await wait_for(lambda: SYM in engine.state.positions)
    sim.set_faults(f"bad_values=1,bad_value=-5,bad_fields=size,bad_symbols={SYM}")
    # A fill moves the position: the venue pushes the position row with the spoiled size.
    assert (await engine.place(OrderRequest(SYM, Side.BUY, Decimal("0.01"), OrderType.MARKET))).ok
    await wait_for(lambda: "position" in engine.bad_data.recent())
    assert engine.state.positions[SYM].size == Decimal("0.02")  # the last sound word, not "flat"
    with pytest.raises(VenueError):
        await engine.account_sync.refresh_account()  # the REST row is refused, not adopted
    assert engine.state.positions[SYM].size == Decimal("0.02")
    sim.set_faults("")
    await engine.account_sync.refresh_account()
    assert engine.state.positions[SYM].size == Decimal("0.03")
    assert Decimal(venue_positions(sim)[0]["size"]) == Decimal("0.03")
    assert (await engine.close_position(SYM)).ok
