"""Kill -9 mid-algo and start again on the same journal and venue: the algo resumes, no duplicate
child (a child journaled but never sent is decided again, never sent); panic stops every algo
before it flattens; ticks follow the virtual clock (only zero-length sleeps in between)."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path

from core.engine import Engine
from core.resilience.retry import RetryPolicy
from tests.support.algo_engine import started
from tests.support.engine_types import SYM, Ready
from tests.support.venue_under_test import IN_PROCESS, InProcessVenue

D = Decimal
TWAP = {"symbol": SYM, "side": "Buy", "qty": "0.04", "duration_ms": 8000, "slices": 4}


def crash(engine: Engine) -> None:
    """What a kill -9 leaves: no stop(), no algo_end; background tasks just stop running."""
    for task in [*engine.tasks.take(), *(s.task for s in engine.algo_runner.slots.values())]:
        if task is not None:
            task.cancel()
    engine.journal.close()


def algo_links(venue: InProcessVenue, algo_id: str) -> list[str]:
    rows = venue._rows(venue.exchange.order_history, limit=50) + venue.open_orders()
    return sorted({r["orderLinkId"] for r in rows if r["orderLinkId"].startswith(algo_id)})


@IN_PROCESS
async def test_kill_mid_twap_and_restart_resumes_without_duplicates(
    venue: InProcessVenue, tmp_path: Path, fast_retry_policy: RetryPolicy, ready: Ready
) -> None:
    first = await started(venue, tmp_path, fast_retry_policy)
    await ready(first)
    res = await first.start_algo("twap", TWAP)
    assert res.ok, res.message
    algo_id = res.order_link_id
    await venue.wait_for(lambda: len(algo_links(venue, algo_id)) >= 2, timeout=30, what="two slices sent")
    sent_before = algo_links(venue, algo_id)
    crash(first)
    await asyncio.sleep(0)

    second = await started(venue, tmp_path, fast_retry_policy)
    assert [s.id for s in second.algos()] == [algo_id]
    await venue.wait_for(lambda: second.algos()[0].terminal, timeout=60, what="twap done after restart")
    snap = second.algos()[0]
    assert snap.state == "done", snap.note
    assert D(venue.position(SYM)["size"]) == D("0.04")
    links = algo_links(venue, algo_id)
    assert links[: len(sent_before)] == sent_before  # the first session's children kept their ids
    assert len(links) > len(sent_before)  # and the resumed algo sent the rest
    journaled = [r.order_link_id for r in second.journal.query(kinds=["algo_child"])]
    assert len(journaled) == len(set(journaled))  # no child id used twice
    assert set(links) <= set(journaled)
    await second.stop()


@IN_PROCESS
async def test_panic_stops_every_algo_before_flattening(
    venue: InProcessVenue, tmp_path: Path, fast_retry_policy: RetryPolicy, ready: Ready
) -> None:
    engine = await started(venue, tmp_path, fast_retry_policy)
    await ready(engine)
    ids: list[str] = []
    for offset in (100, 200):
        chase = {"symbol": SYM, "side": "Buy", "qty": "0.01", "offset_ticks": offset}
        res = await engine.start_algo("chase", chase)
        assert res.ok, res.message
        ids.append(res.order_link_id)
    twap = await engine.start_algo("twap", TWAP)
    ids.append(twap.order_link_id)
    await venue.wait_for(lambda: all(s.children for s in engine.algos()), timeout=30, what="children out")
    report = await engine.panic()
    assert report.flat
    assert report.algos_stopped == len(ids)
    assert all(s.state == "cancelled" for s in engine.algos())
    rows = engine.journal.query(kinds=["algo_end", "panic_step", "intent"])
    ends = [r.seq for r in rows if r.kind == "algo_end"]
    closes = [r.seq for r in rows if r.kind == "intent" and r.data["source"] == "panic"]
    algos_step = next(r.seq for r in rows if r.kind == "panic_step" and r.data["step"] == "algos")
    assert len(ends) == len(ids) and closes
    assert max(ends) < algos_step < min(closes)  # every algo ended before the first close was sent
    assert f"{len(ids)} algos stopped" in " ".join(report.steps)
    await engine.stop()


@IN_PROCESS
async def test_a_journaled_child_never_sent_is_decided_again_and_never_sent(
    venue: InProcessVenue, tmp_path: Path, fast_retry_policy: RetryPolicy, ready: Ready
) -> None:
    first = await started(venue, tmp_path, fast_retry_policy)
    await ready(first)
    stuck = asyncio.Event()
    place = first.algo_runner.ports.place

    async def cut_off(request: object, cid: str) -> object:
        if cid.endswith("-2"):  # the engine dies after journaling the second child, before its intent
            stuck.set()
            await asyncio.Event().wait()
        return await place(request, cid)  # type: ignore[arg-type]

    first.algo_runner.ports.place = cut_off  # type: ignore[assignment]
    res = await first.start_algo("twap", TWAP)
    assert res.ok, res.message
    algo_id = res.order_link_id
    await venue.wait_for(stuck.is_set, timeout=30, what="the second child journaled, not sent")
    crash(first)
    await asyncio.sleep(0)
    never_sent = f"{algo_id}-2"
    second = await started(venue, tmp_path, fast_retry_policy)
    assert not second.journal.query(kinds=["intent"], order_link_id=never_sent)
    await venue.wait_for(lambda: second.algos()[0].terminal, timeout=60, what="twap done after restart")
    assert second.algos()[0].state == "done"
    assert D(venue.position(SYM)["size"]) == D("0.04")  # the unsent slice was decided again, once
    assert never_sent not in algo_links(venue, algo_id)
    assert not second.journal.query(kinds=["intent"], order_link_id=never_sent)
    await second.stop()


@IN_PROCESS
async def test_ticks_follow_virtual_time_without_real_sleeps(
    venue: InProcessVenue, tmp_path: Path, fast_retry_policy: RetryPolicy
) -> None:
    engine = venue.engine(venue.settings(tmp_path), retry_policy=fast_retry_policy)
    await engine.start()  # the runner's own tick interval: nothing here waits for it
    res = await engine.start_algo("twap", TWAP)
    assert res.ok, res.message
    for _ in range(round(10_000 / venue.venue.tick_ms)):  # 10 s of market time, slices every 2 s
        venue.venue.advance(venue.venue.tick_ms)
        for _ in range(5):
            await asyncio.sleep(0)
            await engine.journal.settled()  # a command's journal write is committed by its thread
    snap = engine.algos()[0]
    assert snap.state == "done", snap.note
    assert D(venue.position(SYM)["size"]) == D("0.04")
    await engine.stop()


@IN_PROCESS
async def test_fills_while_down_reach_the_algo_as_fills_once(
    venue: InProcessVenue, tmp_path: Path, fast_retry_policy: RetryPolicy, ready: Ready
) -> None:
    first = await started(venue, tmp_path, fast_retry_policy)
    await ready(first)
    maker = TWAP | {"mode": "maker", "duration_ms": 20_000, "slices": 2, "on_timeout": "market"}
    res = await first.start_algo("twap", maker)
    assert res.ok, res.message
    algo_id, child = res.order_link_id, f"{res.order_link_id}-1"
    # working on the venue (the engine lists a child as soon as its intent is being journaled)
    await venue.wait_for(lambda: on_venue(venue, child), timeout=30, what="the first slice working")
    crash(first)
    await asyncio.sleep(0)
    while venue.order(child)["orderStatus"] != "Filled":  # the market comes down through the bid
        venue.push_market(0.999)
        venue.venue.advance(venue.venue.tick_ms)
    sliced = D(venue.order(child)["cumExecQty"])
    assert sliced == D("0.02")

    second = await started(venue, tmp_path, fast_retry_policy)
    algo = second.algo_runner.slots[algo_id].algo
    await venue.wait_for(lambda: algo.progress.filled == sliced, timeout=10, what="the fill reported")
    ledger = algo.ledger  # type: ignore[attr-defined]
    first_child = next(c for c in ledger.children if c.cid == child)
    assert first_child.fill_qty == sliced  # from the executions (ChildFill), not only the order's qty
    backfilled = second.journal.query(kinds=["fill"], order_link_id=child)
    assert backfilled and all(r.data.get("backfilled") for r in backfilled)
    await venue.wait_for(lambda: second.algos()[0].terminal, timeout=120, what="twap done")
    assert second.algos()[0].state == "done"
    assert algo.progress.filled == D("0.04")  # never counted twice
    assert D(venue.position(SYM)["size"]) == D("0.04")
    await second.stop()


def on_venue(venue: InProcessVenue, link: str) -> bool:
    """The venue has the order ``link`` (working or done)."""
    try:
        venue.order(link)
    except AssertionError:
        return False
    return True
