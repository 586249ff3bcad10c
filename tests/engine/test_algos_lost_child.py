"""An algo's working child that the venue no longer knows when the engine starts again (the
venue lost it, or its history no longer reaches back that far) is over: the algo carries on
with a new child. Before, a child the algo had seen acknowledged stayed "working" in its books
for ever: a resumed iceberg said ``running, clip 1`` with nothing on the venue, and never
placed another clip."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from core.orders.algos._children import OPEN
from core.resilience.retry import RetryPolicy
from core.venues.simulated.venue import API_KEY
from tests.support.algo_engine import started
from tests.support.engine_types import SYM, Ready
from tests.support.venue_under_test import IN_PROCESS, InProcessVenue

D = Decimal


def forget(venue: InProcessVenue, link: str) -> None:
    """The venue cancels the order and then keeps no record of it at all."""
    venue.cancel_elsewhere(link)
    acct = venue.exchange.accounts[API_KEY]
    order = acct.by_link.pop(link)
    acct.orders.pop(order.order_id, None)
    acct.order_log[:] = [o for o in acct.order_log if o.link_id != link]


def working_links(venue: InProcessVenue, algo_id: str) -> list[str]:
    return [o["orderLinkId"] for o in venue.open_orders() if o["orderLinkId"].startswith(algo_id)]


@IN_PROCESS
async def test_a_resumed_iceberg_replaces_a_clip_the_venue_no_longer_knows(
    venue: InProcessVenue, tmp_path: Path, fast_retry_policy: RetryPolicy, ready: Ready
) -> None:
    first = await started(venue, tmp_path, fast_retry_policy)
    mark = await ready(first)
    far = str((mark * D("1.03")).quantize(D(1)))  # a sell well above the market: it rests
    params = {"symbol": SYM, "side": "Sell", "qty": "0.05", "price": far, "display": "0.01"}
    res = await first.start_algo("iceberg", params)
    assert res.ok, res.message
    algo_id = res.order_link_id
    await venue.wait_for(lambda: bool(working_links(venue, algo_id)), timeout=30, what="clip 1 resting")
    ledger = first.algo_runner.slots[algo_id].algo.ledger  # type: ignore[attr-defined]
    await venue.wait_for(lambda: ledger.children[0].status == OPEN, timeout=30, what="clip 1 open")
    await first.stop()  # a quit: the algo stays journaled as it is (clip 1 working) and resumes
    forget(venue, f"{algo_id}-1")

    second = await started(venue, tmp_path, fast_retry_policy)
    await venue.wait_for(
        lambda: working_links(venue, algo_id) == [f"{algo_id}-2"], timeout=30, what="a new clip resting"
    )
    snap = next(s for s in second.algos() if s.id == algo_id)
    assert snap.state == "running" and "clip 2" in snap.note, snap
    await second.stop()
