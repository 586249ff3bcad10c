"""Outcomes reported truly (invariant 8): a lost or malformed reply never turns into a wrong word.

A cancel or amend whose reply was lost is retried; the retry hears "order not exists" or
"unchanged" because the first attempt did the job. The engine asks the venue by orderLinkId and
reports (and journals) what the venue did. A create whose HTTP 200 reply is not Bybit's envelope
is an unknown outcome resolved by the same lookup, never ``place failed: AttributeError``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from core.clock import SystemClock
from core.config import Settings
from core.engine import Engine
from core.journal.journal import Journal, JournalRecord
from core.model import OrderRequest, OrderStatus, OrderType, Side
from core.resilience.retry import RetryPolicy
from core.sim.runner import SimVenueThread
from core.venues.base import Feeds, FeedSink, FeedTiming
from core.venues.bybit.rest import BybitVenue
from tests.support.engine_types import SYM, Below, EngineSettingsFactory, Ready, WaitFor
from tests.support.replyproxy import ReplyProxy
from tests.support.venue_under_test import IN_PROCESS, OVER_HTTP, VenueUnderTest

CREATE, AMEND, CANCEL, REALTIME = (
    "/v5/order/create",
    "/v5/order/amend",
    "/v5/order/cancel",
    "/v5/order/realtime",
)


class RestViaProxy(BybitVenue):
    """The Bybit adapter with its REST calls through the reply proxy and its streams straight to
    the sim (the proxy speaks HTTP only)."""

    def __init__(self, rest: Settings, streams: Settings) -> None:
        super().__init__(rest)
        self.streams = BybitVenue(streams, bad_data=self.bad_data)

    def feeds(self, symbols: tuple[str, ...], sink: FeedSink, timing: FeedTiming) -> Feeds:
        return self.streams.feeds(symbols, sink, timing)


@pytest.fixture
def proxy(sim: SimVenueThread) -> Iterator[ReplyProxy]:
    p = ReplyProxy(sim.rest_url).start()
    try:
        yield p
    finally:
        p.stop()


@pytest.fixture
async def proxied(
    sim: SimVenueThread,
    proxy: ReplyProxy,
    tmp_path: Path,
    engine_settings: EngineSettingsFactory,
    fast_retry_policy: RetryPolicy,
) -> AsyncIterator[Engine]:
    """The real engine whose REST calls pass the reply proxy (its feeds go to the sim directly)."""
    settings = engine_settings(sim, tmp_path)
    via_proxy = settings.model_copy(update={"sim": settings.sim.model_copy(update={"port": proxy.port})})
    eng = Engine(settings, venue=RestViaProxy(via_proxy, settings), retry_policy=fast_retry_policy)
    await eng.start()
    try:
        yield eng
    finally:
        await eng.stop()


def records(engine: Engine, link: str) -> list[JournalRecord]:
    return engine.journal.query(order_link_id=link)


def action_records(engine: Engine, link: str, action: str) -> list[tuple[str, dict[str, Any]]]:
    return [(r.kind, r.data) for r in records(engine, link) if r.data.get("action") == action]


async def resting(engine: Engine, wait_for: WaitFor, mark: Decimal, offset: int = 0) -> str:
    """A limit buy far below the market, acknowledged; returns its orderLinkId."""
    price = (mark * Decimal("0.97")).quantize(Decimal("0.1")) - Decimal(offset)
    res = await engine.place(OrderRequest(SYM, Side.BUY, Decimal("0.01"), OrderType.LIMIT, price))
    assert res.ok, res.message
    link = res.order_link_id
    await wait_for(lambda: link in engine.state.orders and engine.state.orders[link].order_id != "")
    return link


# --- cancel and amend whose reply was lost ------------------------------------------------------
@OVER_HTTP
async def test_cancel_whose_reply_was_lost_is_reported_cancelled(
    engine: Engine, sim: SimVenueThread, venue: VenueUnderTest, ready: Ready, wait_for: WaitFor
) -> None:
    link = await resting(engine, wait_for, await ready(engine))
    sim.set_faults("drop_after_next=1")  # the venue cancels it, the reply never arrives
    res = await engine.cancel(link)
    sim.set_faults("")
    assert res.ok, res.message
    assert res.message.startswith("cancelled"), res.message
    assert venue.order(link)["orderStatus"] == "Cancelled"
    # Journaled as done, with the venue's word; never as a rejection.
    acts = action_records(engine, link, "cancel")
    assert ("reject", acts[-1][1]) not in acts and [k for k, _ in acts] == ["request", "ack"], acts
    ack = acts[-1][1]
    assert ack["resolved_by_lookup"] is True and ack["status"] == "Cancelled"
    assert "110001" in ack["after"] or "not exists" in ack["after"], ack
    await wait_for(lambda: link not in engine.state.orders)


@OVER_HTTP
async def test_amend_whose_reply_was_lost_is_reported_amended(
    engine: Engine, sim: SimVenueThread, venue: VenueUnderTest, ready: Ready, wait_for: WaitFor
) -> None:
    mark = await ready(engine)
    link = await resting(engine, wait_for, mark)
    new_price = engine.state.orders[link].price - Decimal(7)  # type: ignore[operator]
    sim.set_faults("drop_after_next=1")  # applied; the retry hears "remains unchanged"
    res = await engine.amend(link, price=new_price)
    sim.set_faults("")
    assert res.ok, res.message
    assert res.message.startswith("amended"), res.message
    assert Decimal(venue.order(link)["price"]) == new_price
    acts = action_records(engine, link, "amend")
    assert [k for k, _ in acts] == ["request", "ack"], acts
    assert acts[-1][1]["resolved_by_lookup"] is True
    await wait_for(lambda: engine.state.orders[link].price == new_price)
    await engine.cancel(link)


@pytest.mark.parametrize("path", [CANCEL, AMEND])
async def test_a_5xx_after_the_venue_acted_is_settled_by_asking(
    proxied: Engine, proxy: ReplyProxy, http_venue: VenueUnderTest, path: str, ready: Ready, wait_for: WaitFor
) -> None:
    engine = proxied
    mark = await ready(engine)
    link = await resting(engine, wait_for, mark)
    proxy.spoil_next(path, "http502")
    if path == CANCEL:
        res = await engine.cancel(link)
        assert res.ok and res.message.startswith("cancelled"), res.message
        assert http_venue.order(link)["orderStatus"] == "Cancelled"
    else:
        res = await engine.amend(link, qty=Decimal("0.02"))
        assert res.ok and res.message.startswith("amended"), res.message
        assert Decimal(http_venue.order(link)["qty"]) == Decimal("0.02")
        await engine.cancel(link)
    assert proxy.spoiled == [(path, "http502")]


async def test_every_cancel_reply_lost_still_reports_what_the_venue_did(
    proxied: Engine, proxy: ReplyProxy, http_venue: VenueUnderTest, ready: Ready, wait_for: WaitFor
) -> None:
    """All attempts lose their reply (the first cancelled it); the final lookup settles it."""
    engine = proxied
    link = await resting(engine, wait_for, await ready(engine))
    for _ in range(engine.executor.policy.max_attempts):
        proxy.spoil_next(CANCEL, "drop")
    res = await engine.cancel(link)
    assert res.ok and res.message.startswith("cancelled"), res.message
    assert proxy.pending() == 0
    assert http_venue.order(link)["orderStatus"] == "Cancelled"


@IN_PROCESS
async def test_a_cancel_the_venue_refuses_stays_a_rejection_with_the_venue_state(
    engine: Engine, venue: VenueUnderTest, ready: Ready, wait_for: WaitFor
) -> None:
    """No reply was lost: the order was cancelled on the venue by someone else, our cancel
    really was refused. It says so, and the engine adopts the venue's state. (On the virtual
    clock the other session's cancel is at the venue, its push not yet applied, when ours goes.)"""
    link = await resting(engine, wait_for, await ready(engine))
    venue.cancel_elsewhere(link)
    res = await engine.cancel(link)
    assert not res.ok, res.message
    assert "rejected" in res.message and "the venue shows the order Cancelled" in res.message, res.message
    assert [k for k, _ in action_records(engine, link, "cancel")] == ["request", "reject"]
    assert link not in engine.state.orders or not engine.state.orders[link].is_open


# --- malformed replies to create --------------------------------------------------------------
@pytest.mark.parametrize("spoil", ["list", "retcode_text", "no_retmsg", "result_list", "http502", "drop"])
async def test_a_malformed_create_reply_is_an_unknown_outcome_resolved_by_id(
    proxied: Engine, proxy: ReplyProxy, http_venue: VenueUnderTest, spoil: str, below: Below, ready: Ready
) -> None:
    engine = proxied
    mark = await ready(engine)
    proxy.spoil_next(CREATE, spoil)
    res = await engine.place(
        OrderRequest(SYM, Side.BUY, Decimal("0.01"), OrderType.LIMIT, below(mark, "0.97"))
    )
    assert proxy.spoiled == [(CREATE, spoil)]
    assert res.ok, res.message  # the venue has it: reported sent, never "place failed: ..."
    link = res.order_link_id
    assert http_venue.order_counts() == {link: 1}
    assert http_venue.order(link)["orderStatus"] == "New"
    kinds = [r.kind for r in records(engine, link)]
    assert kinds[:3] == ["intent", "risk_decision", "request"]
    [found] = [r.data for r in records(engine, link) if r.kind == "reconcile"]
    assert found["found"] is True and found["status"] == "New"
    assert "ack" in kinds and kinds.count("request") == 1  # asked, never sent twice
    assert engine.journal.open_intents() == []
    assert engine.state.orders[link].status is OrderStatus.NEW
    await engine.cancel(link)


async def test_a_malformed_reply_is_counted_as_bad_venue_data(
    proxied: Engine, proxy: ReplyProxy, http_venue: VenueUnderTest, below: Below, ready: Ready
) -> None:
    engine = proxied
    mark = await ready(engine)
    before = engine.bad_data.total
    proxy.spoil_next(CREATE, "retcode_text")
    res = await engine.place(
        OrderRequest(SYM, Side.BUY, Decimal("0.01"), OrderType.LIMIT, below(mark, "0.97"))
    )
    assert res.ok, res.message
    assert engine.bad_data.total == before + 1
    recent = engine.bad_data.recent()
    assert any("malformed reply: retCode 'OK' is not an integer" in v for v in recent.values()), recent
    await engine.cancel(res.order_link_id)


# --- journal and venue agree: an amend's refusal is not the order's rejection -------------------
async def test_a_refused_amend_is_journaled_as_the_amends_refusal(
    engine: Engine, venue: VenueUnderTest, ready: Ready, wait_for: WaitFor
) -> None:
    link = await resting(engine, wait_for, await ready(engine))
    refused = await engine.amend(link, qty=Decimal("NaN"))
    assert not refused.ok and refused.check == "qty", refused
    [decision] = [
        r.data for r in records(engine, link) if r.kind == "risk_decision" and r.data["approved"] is False
    ]
    assert decision["action"] == "amend"  # not the order's own refusal: the order is live
    assert venue.order(link)["orderStatus"] == "New"
    await engine.cancel(link)


def test_an_amend_or_cancel_refusal_never_settles_an_open_intent(tmp_path: Path) -> None:
    """An order whose create outcome is unknown (reply and lookups lost, no push yet) keeps its
    intent open until the venue is asked; a refused amend or cancel journaled under its id does
    not settle it (it did on the old code: the journal then read "rejected by risk, nothing
    sent" while the venue held the order, the oracle's 2 of 300)."""
    journal = Journal(str(tmp_path / "j.db"), SystemClock())
    try:
        link = "tc-unknown-1"
        journal.record_many(
            [
                ("intent", SYM, link, {"side": "Buy", "qty": "0.01"}),
                ("risk_decision", SYM, link, {"approved": True}),
                ("request", SYM, link, {"attempt": 1, "params": {}}),
            ]
        )
        journal.record("reconcile", symbol=SYM, order_link_id=link, found=False, detail="lookup failed")
        journal.record(
            "risk_decision", symbol=SYM, order_link_id=link, approved=False, check="qty", action="amend"
        )
        journal.record("reject", symbol=SYM, order_link_id=link, action="amend", ret_code=10001, message="x")
        assert [r.order_link_id for r in journal.open_intents()] == [link]
        journal.record("reconcile", symbol=SYM, order_link_id=link, found=True, resolved=True)
        assert journal.open_intents() == []
    finally:
        journal.close()
