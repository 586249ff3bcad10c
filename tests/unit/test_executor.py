"""The executor's outcome rules, with a scripted in-process venue (no sockets, no sleeping).

* A call reports its outcome once, after its retries: an absorbed failure is no failure.
* An amend/cancel whose reply was lost is settled by asking the venue for the order.
* An exception the venue adapter did not classify on a write is an unknown outcome, not a crash.
* Every attempt takes one pipeline: rate limiter -> endpoint breaker -> call (inline for an
  in-process venue, else in a worker thread) -> classify -> record.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.model import Mode, Order, OrderStatus, OrderType, Side, TimeInForce
from core.orders.built import BuiltOrder
from core.orders.executor import OrderExecutor
from core.resilience.breaker import CircuitOpen, EndpointBreaker
from core.resilience.errors import (
    DuplicateClientId,
    OrderGone,
    RateLimited,
    Rejected,
    TimestampError,
    Transient,
    Unknown,
    VenueError,
    is_api_failure,
    maybe_processed,
)
from core.resilience.ratelimit import Limit, RateLimiter, RateTable
from core.resilience.retry import RetryPolicy
from core.venues.base import Capabilities, PlaceAck
from tests.support.recording_journal import RecordingJournal

LINK = "tc-test-1"
ACK = PlaceAck(client_order_id=LINK, order_id="1")
Script = list[VenueError | Exception | None]
TABLE = RateTable(limits={"writes": Limit(2)}, group_of=lambda _ep: "writes")
BUILT = BuiltOrder(
    symbol="BTCUSDT",
    side=Side.BUY,
    order_type=OrderType.LIMIT,
    qty=Decimal("0.010"),
    price=Decimal("100.0"),
    tif=TimeInForce.GTC,
    reduce_only=False,
    tp=None,
    sl=None,
    trigger_price=None,
    trigger_direction=None,
    order_link_id=LINK,
    ref_price=Decimal("100.0"),
    price_decimals=1,
    qty_decimals=3,
)


def order(status: OrderStatus, qty: str = "0.01", price: str = "100") -> Order:
    return Order("BTCUSDT", Side.BUY, OrderType.LIMIT, Decimal(qty), Decimal(price), LINK, "1", status)


class ScriptedVenue:
    """Each call to a write method takes the next outcome of its script (None = success)."""

    name = "scripted"
    rest_url = "http://127.0.0.1:1"
    rate_table = TABLE

    def __init__(
        self, writes: Script, found: list[Order | None | VenueError] | None = None, *, inline: bool = False
    ) -> None:
        self.writes = list(writes)
        self.found = list(found or [])
        self.sent = 0
        self.asked = 0
        self.capabilities = Capabilities("scripted", client_id_max_len=36, inline_calls=inline)
        self.threads: list[int] = []
        self.placed: list[BuiltOrder] = []

    def endpoint_of(self, method: str) -> str:
        return f"/{method}"

    def _next(self) -> None:
        self.sent += 1
        self.threads.append(threading.get_ident())
        outcome = self.writes.pop(0)
        if outcome is not None:
            raise outcome

    def place(self, built: BuiltOrder) -> PlaceAck:
        self.placed.append(built)
        self._next()
        return ACK

    def cancel(self) -> None:
        self._next()

    def order_lookups(self, symbol: str, link: str) -> list[tuple[str, Callable[[], Order | None]]]:
        def ask() -> Order | None:
            self.asked += 1
            answer = self.found.pop(0)
            if isinstance(answer, VenueError):
                raise answer
            return answer

        return [("open_orders", ask)]


Journal = RecordingJournal


async def no_sleep(_s: float) -> None:
    return None


def executor(
    venue: ScriptedVenue, attempts: int = 5, limiter: RateLimiter | None = None
) -> tuple[OrderExecutor, list[VenueError | None]]:
    outcomes: list[VenueError | None] = []
    ex = OrderExecutor(
        venue,  # type: ignore[arg-type]
        Mode.SIM,
        limiter or RateLimiter(TABLE, enabled=False),
        EndpointBreaker(open_after=1),
        Journal(),
        policy=RetryPolicy(base_s=0.0, cap_s=0.0, max_attempts=attempts, sleep=no_sleep),
        on_call_result=lambda _path, err: outcomes.append(err),
    )
    return ex, outcomes


def lost() -> Transient:
    return Transient("connection reset after send", sent=True)


# --- what counts as a failure ------------------------------------------------------------------
def test_api_failure_classification() -> None:
    assert is_api_failure(Transient("x")) and is_api_failure(Unknown("x"))
    assert not is_api_failure(RateLimited(reset_ms=1))  # back-pressure with a reset time
    assert is_api_failure(RateLimited(reset_ms=None))
    assert not is_api_failure(Rejected(110007, "no balance"))
    assert not is_api_failure(TimestampError("clock"))
    assert not is_api_failure(None)
    assert maybe_processed(lost()) and maybe_processed(Unknown("x"))
    assert not maybe_processed(Transient("refused", sent=False))


transient_attempt = st.sampled_from(
    [lost(), Transient("refused", sent=False), RateLimited(reset_ms=1), TimestampError("clock")]
)


@settings(max_examples=60, deadline=None)
@given(failures=st.lists(transient_attempt, max_size=4))
async def test_failures_the_retries_absorb_are_no_failure(failures: Script) -> None:
    venue = ScriptedVenue([*failures, None])
    ex, outcomes = executor(venue)
    await ex.call("cancel", venue.cancel)
    assert venue.sent == len(failures) + 1
    assert outcomes == [None]  # one outcome per call, a success
    assert ex.breakers.state("/cancel").value == "closed"  # open_after=1, yet never opened


async def test_a_failure_that_reaches_the_caller_counts_once() -> None:
    venue = ScriptedVenue([lost()] * 3)
    ex, outcomes = executor(venue, attempts=3)
    with pytest.raises(Transient):
        await ex.call("cancel", venue.cancel)
    assert venue.sent == 3 and len(outcomes) == 1 and isinstance(outcomes[0], Transient)
    assert ex.breakers.state("/cancel").value == "open"


async def test_a_create_resolved_by_lookup_is_no_failure() -> None:
    venue = ScriptedVenue([lost()], found=[order(OrderStatus.NEW)])
    ex, outcomes = executor(venue)
    res = await ex.create(BUILT)
    assert res.ok and res.resolved_by_lookup and venue.sent == 1
    assert outcomes == [None, None]  # the lookup's call, then the create's


# --- amend / cancel whose reply was lost ------------------------------------------------------
def cancelled(o: Order | None) -> bool:
    return o is not None and o.status is OrderStatus.CANCELLED


async def test_a_lost_cancel_then_110001_is_settled_as_cancelled() -> None:
    venue = ScriptedVenue(
        [lost(), OrderGone(110001, "order not exists")], found=[order(OrderStatus.CANCELLED)]
    )
    ex, _ = executor(venue)
    res = await ex.write("cancel", "BTCUSDT", LINK, venue.cancel, applied=cancelled)
    assert res.ok and res.resolved_by_lookup and res.order is not None
    assert res.message == "order not exists"  # what the retry heard, kept for the journal


async def test_a_lost_cancel_the_venue_did_not_apply_stays_failed_with_its_state() -> None:
    venue = ScriptedVenue([lost(), OrderGone(110001, "order not exists")], found=[order(OrderStatus.FILLED)])
    ex, _ = executor(venue)
    res = await ex.write("cancel", "BTCUSDT", LINK, venue.cancel, applied=cancelled)
    assert not res.ok and res.code == 110001 and res.resolved_by_lookup
    assert isinstance(res.error, OrderGone)
    assert res.order is not None and res.order.status is OrderStatus.FILLED


async def test_a_lost_cancel_the_venue_cannot_be_asked_about_is_unknown() -> None:
    venue = ScriptedVenue([lost(), OrderGone(110001, "gone")], found=[Transient("down")] * 5)
    ex, _ = executor(venue)
    res = await ex.write("cancel", "BTCUSDT", LINK, venue.cancel, applied=cancelled)
    assert not res.ok and res.unknown and "outcome unknown" in res.message
    kind, data = ex.journal.records[-1]
    assert kind == "reconcile" and data["found"] is False and data["action"] == "cancel"


async def test_a_plain_refusal_is_not_asked_about_unless_it_says_the_order_is_gone() -> None:
    venue = ScriptedVenue([Rejected(10001, "qty invalid")])
    ex, _ = executor(venue)
    res = await ex.write("cancel", "BTCUSDT", LINK, venue.cancel, applied=cancelled)
    assert not res.ok and not res.resolved_by_lookup and venue.asked == 0
    gone = ScriptedVenue([OrderGone(110001, "gone")], found=[order(OrderStatus.CANCELLED)])
    ex, _ = executor(gone)
    res = await ex.write("cancel", "BTCUSDT", LINK, gone.cancel, applied=cancelled)
    # Nothing was lost: our cancel did not do it (someone else did); the venue's state comes back.
    assert not res.ok and res.resolved_by_lookup and res.order is not None and gone.asked == 1


async def test_an_unclassified_adapter_failure_on_create_is_an_unknown_outcome() -> None:
    venue = ScriptedVenue(
        [AttributeError("'list' object has no attribute 'get'")], found=[order(OrderStatus.NEW)]
    )
    ex, _ = executor(venue)
    res = await ex.create(BUILT)
    assert res.ok and res.resolved_by_lookup and venue.sent == 1


# --- the create path ----------------------------------------------------------------------------
async def test_an_accepted_create_carries_the_venues_ack() -> None:
    venue = ScriptedVenue([None])
    ex, outcomes = executor(venue)
    res = await ex.create(BUILT)
    assert res.ok and res.ack == ACK and res.order is None and venue.placed == [BUILT]
    kind, data = ex.journal.records[-1]
    assert kind == "request" and data["attempt"] == 1
    assert data["order"] == {
        "side": "Buy",
        "order_type": "Limit",
        "qty": "0.010",
        "tif": "GTC",
        "reduce_only": False,
        "price": "100.0",
    }
    assert outcomes == [None]


async def test_a_duplicate_client_id_is_looked_up_never_sent_again() -> None:
    venue = ScriptedVenue(
        [lost(), DuplicateClientId(110072, "OrderLinkedID is duplicate")],
        found=[None, order(OrderStatus.NEW)],
    )
    ex, _ = executor(venue)
    res = await ex.create(BUILT)
    # the lost first attempt was looked up (not found), resent once, then the duplicate found it
    assert res.ok and res.resolved_by_lookup and venue.sent == 2 and venue.asked == 2
    assert res.order is not None and res.order.order_link_id == LINK


async def test_a_plain_rejection_keeps_the_venues_code_and_reason() -> None:
    venue = ScriptedVenue([Rejected(110007, "ab not enough for new order")])
    ex, outcomes = executor(venue)
    res = await ex.create(BUILT)
    assert not res.ok and res.code == 110007 and res.message == "ab not enough for new order"
    assert isinstance(res.error, Rejected) and venue.asked == 0 and venue.sent == 1
    assert outcomes == [res.error]


async def test_an_open_breaker_stops_a_risk_increasing_create_unsent_not_a_reduce_only_one() -> None:
    venue = ScriptedVenue([None])
    ex, _ = executor(venue)
    ex.breakers.record_failure("/place", Transient("down"))  # open_after=1
    res = await ex.create(BUILT)
    assert not res.ok and isinstance(res.error, CircuitOpen) and venue.sent == 0
    res = await ex.create(BUILT, reduce_only=True)
    assert res.ok and venue.sent == 1


# --- the attempt pipeline -----------------------------------------------------------------------
async def test_calls_run_in_a_worker_thread_unless_the_venue_is_in_process() -> None:
    loop_thread = threading.get_ident()
    threaded = ScriptedVenue([None])
    await executor(threaded)[0].call("cancel", threaded.cancel)
    inline = ScriptedVenue([None], inline=True)
    await executor(inline)[0].call("cancel", inline.cancel)
    assert threaded.threads[0] != loop_thread
    assert inline.threads == [loop_thread]


class LimiterClock:
    """Monotonic seconds the limiter's sleep advances (no real waiting)."""

    def __init__(self) -> None:
        self.t = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.t += seconds


async def test_every_attempt_waits_in_the_rate_limiter() -> None:
    clock = LimiterClock()
    limiter = RateLimiter(TABLE, clock, sleep=clock.sleep, wall_ms=lambda: 1_000_000)
    venue = ScriptedVenue([None, None, None], inline=True)
    ex, _ = executor(venue, limiter=limiter)
    for _ in range(3):  # the table allows 2 a second: the third waits out the window
        await ex.call("cancel", venue.cancel)
    assert clock.slept == [1.0] and venue.sent == 3
    # a rate-limit refusal blocks the group until its reset: the retry waits that long first
    venue = ScriptedVenue([RateLimited(1_000_000 + 400), None], inline=True)
    ex, _ = executor(venue, limiter=RateLimiter(TABLE, clock, sleep=clock.sleep, wall_ms=lambda: 1_000_000))
    clock.slept.clear()
    await ex.call("cancel", venue.cancel)
    assert venue.sent == 2 and clock.slept == [pytest.approx(0.4)]
