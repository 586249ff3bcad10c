"""Rate limiter: sliding windows per group of a venue's rate table (Bybit V5's here, and a made-up
one), correction from the venue's reports, async waiting."""

from __future__ import annotations

import asyncio
import threading

from hypothesis import given, settings
from hypothesis import strategies as st

from core.resilience.ratelimit import Limit, RateLimiter, RateTable
from core.venues.base import RateFeedback
from core.venues.bybit.limits import IP_GROUP, PUBLIC_GROUP, RATE_TABLE, feedback, group_for


class FakeClock:
    def __init__(self, t: float = 1000.0) -> None:
        self.t = t
        self.wall_base_ms = 1_700_000_000_000

    def __call__(self) -> float:
        return self.t

    def wall_ms(self) -> int:
        return self.wall_base_ms + int(round((self.t - 1000.0) * 1000))

    async def sleep(self, s: float) -> None:
        assert s > 0
        self.t += s


class _WouldWait(Exception):
    """The limiter wanted to sleep: the slot is not free now."""


async def _refuse(_seconds: float) -> None:
    raise _WouldWait


def limiter(clock: FakeClock, table: RateTable = RATE_TABLE, **kw: object) -> RateLimiter:
    """A limiter on ``table`` whose ``acquire`` refuses to wait (see :func:`admit`)."""
    return RateLimiter(table, clock, sleep=_refuse, **kw)  # type: ignore[arg-type]


def admit(rl: RateLimiter, endpoint: str, cost: int = 1) -> bool:
    """Take ``cost`` slots of ``endpoint`` if they are free now, through the real ``acquire``."""
    coro = rl.acquire(endpoint, cost)
    try:
        coro.send(None)
    except StopIteration:
        return True
    except _WouldWait:
        return False
    finally:
        coro.close()
    raise AssertionError("acquire suspended on something other than its sleep")


def headers_feedback(endpoint: str, headers: dict[str, str]) -> RateFeedback:
    report = feedback(endpoint, headers)
    assert report is not None
    return report


def test_group_for_paths() -> None:
    assert group_for("/v5/order/create") == "order.create"
    assert group_for("https://api.bybit.com/v5/order/cancel-all") == "order.cancel-all"
    assert group_for("/v5/order/realtime?category=linear") == "order.realtime"
    assert group_for("/v5/market/orderbook") == PUBLIC_GROUP
    assert group_for("/v5/account/fee-rate") == "account.fee-rate"
    assert group_for("/v5/something/new") == "private.other"


def test_order_create_allows_ten_per_second() -> None:
    clk = FakeClock()
    rl = limiter(clk, wall_ms=clk.wall_ms)
    assert all(admit(rl, "/v5/order/create") for _ in range(10))
    assert not admit(rl, "/v5/order/create")
    # other groups are independent
    assert admit(rl, "/v5/order/cancel")
    clk.t += 0.999
    assert not admit(rl, "/v5/order/create")
    clk.t += 0.002
    assert admit(rl, "/v5/order/create")


def test_fee_rate_is_five_per_second() -> None:
    clk = FakeClock()
    rl = limiter(clk)
    assert sum(admit(rl, "/v5/account/fee-rate") for _ in range(20)) == 5


def test_ip_window_is_shared_by_everything() -> None:
    clk = FakeClock()
    rl = limiter(clk, limits={IP_GROUP: Limit(12, 5.0)})
    admitted = sum(admit(rl, "/v5/market/tickers") for _ in range(10))
    admitted += sum(admit(rl, "/v5/order/create") for _ in range(10))
    assert admitted == 12


@settings(max_examples=60, deadline=None)
@given(
    gaps=st.lists(st.floats(min_value=0.0, max_value=0.3), min_size=1, max_size=120),
    path=st.sampled_from(["/v5/order/create", "/v5/account/fee-rate", "/v5/position/list"]),
)
def test_never_more_than_limit_in_any_window(gaps: list[float], path: str) -> None:
    clk = FakeClock()
    rl = limiter(clk)
    limit = rl.limit_of(group_for(path))
    admitted: list[float] = []
    for g in gaps:
        clk.t += g
        if admit(rl, path):
            admitted.append(clk.t)
    # every window [a, a + 1s) starting at an admitted request holds at most `limit` requests
    for i, start in enumerate(admitted):
        inside = [t for t in admitted[i:] if t < start + 1.0]
        assert len(inside) <= limit


@settings(max_examples=40, deadline=None)
@given(n=st.integers(min_value=1, max_value=60), cost=st.integers(min_value=1, max_value=3))
def test_async_acquire_waits_exactly_and_respects_limit(n: int, cost: int) -> None:
    clk = FakeClock()
    rl = RateLimiter(RATE_TABLE, clk, sleep=clk.sleep)
    stamps: list[float] = []

    async def run() -> None:
        for _ in range(n):
            await rl.acquire("/v5/order/create-batch", cost)
            stamps.extend([clk.t] * cost)

    asyncio.run(run())
    for i, start in enumerate(stamps):
        assert len([t for t in stamps[i:] if t < start + 1.0]) <= 10
    # it never waited longer than needed: total elapsed is about the theoretical minimum
    per_window = 10 // cost
    full_windows = (n - 1) // per_window
    assert clk.t - 1000.0 <= full_windows * 1.0 + 1e-6


def test_header_correction_remaining_and_limit() -> None:
    clk = FakeClock()
    rl = limiter(clk, wall_ms=clk.wall_ms)
    assert admit(rl, "/v5/order/create")
    # the server says only 3 remain (someone else uses the key)
    rl.observe(
        headers_feedback(
            "/v5/order/create",
            {
                "X-Bapi-Limit": "10",
                "X-Bapi-Limit-Status": "3",
                "X-Bapi-Limit-Reset-Timestamp": str(clk.wall_ms()),
            },
        )
    )
    assert sum(admit(rl, "/v5/order/create") for _ in range(10)) == 3
    # a VIP limit raises the group
    clk.t += 2
    rl.observe(headers_feedback("/v5/order/amend", {"x-bapi-limit": "20", "x-bapi-limit-status": "19"}))
    assert rl.limit_of("order.amend") == 20
    assert sum(admit(rl, "/v5/order/amend") for _ in range(30)) == 19


def test_header_zero_remaining_ends_at_a_reset_sooner_than_the_window() -> None:
    """The venue says its window restarts in 100 ms: the group is free then, not a whole window
    later (before: the unseen use was logged at now and kept the group shut for 1 s)."""
    clk = FakeClock()
    rl = limiter(clk, wall_ms=clk.wall_ms)
    assert admit(rl, "/v5/order/create")
    rl.observe(
        headers_feedback(
            "/v5/order/create",
            {
                "X-Bapi-Limit": "10",
                "X-Bapi-Limit-Status": "0",
                "X-Bapi-Limit-Reset-Timestamp": str(clk.wall_ms() + 100),
            },
        )
    )
    assert not admit(rl, "/v5/order/create")
    assert abs(rl.wait_time("/v5/order/create") - 0.1) < 1e-6
    clk.t += 0.1
    assert sum(admit(rl, "/v5/order/create") for _ in range(10)) == 9  # our own request is still in


def test_header_zero_remaining_blocks_until_reset() -> None:
    clk = FakeClock()
    rl = limiter(clk, wall_ms=clk.wall_ms)
    rl.observe(
        headers_feedback(
            "/v5/position/list",
            {
                "X-Bapi-Limit": "50",
                "X-Bapi-Limit-Status": "0",
                "X-Bapi-Limit-Reset-Timestamp": str(clk.wall_ms() + 2500),
            },
        )
    )
    assert not admit(rl, "/v5/position/list")
    assert abs(rl.wait_time("/v5/position/list") - 2.5) < 1e-6
    assert rl.headroom()["position.list"] == 0.0
    clk.t += 2.5
    assert admit(rl, "/v5/position/list")


def test_note_rate_limited_and_past_reset() -> None:
    clk = FakeClock()
    rl = limiter(clk, wall_ms=clk.wall_ms)
    rl.note_rate_limited("/v5/order/create", clk.wall_ms() - 5000)  # already past: no block
    assert admit(rl, "/v5/order/create")
    rl.note_rate_limited("/v5/order/cancel", None)
    assert not admit(rl, "/v5/order/cancel")
    clk.t += 1.0
    assert admit(rl, "/v5/order/cancel")


def test_headroom_fractions() -> None:
    clk = FakeClock()
    rl = limiter(clk)
    for _ in range(4):
        admit(rl, "/v5/order/create")
    h = rl.headroom()
    assert h["order.create"] == 0.6
    assert h["order.amend"] == 1.0
    assert all(0.0 <= v <= 1.0 for v in h.values())


def test_disabled_limiter_admits_everything() -> None:
    rl = limiter(FakeClock(), enabled=False)
    assert all(admit(rl, "/v5/account/fee-rate") for _ in range(100))


def test_thread_safety_under_contention() -> None:
    clk = FakeClock()
    rl = limiter(clk)
    results: list[bool] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(50):
            ok = admit(rl, "/v5/position/list")
            with lock:
                results.append(ok)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(results) == 50


def test_headers_read_as_feedback() -> None:
    report = feedback("/v5/order/create", {"X-BAPI-LIMIT": "10", "x-bapi-limit-status": " 7 "})
    assert report == RateFeedback("/v5/order/create", 10, 7, None)
    assert feedback("/v5/market/tickers", {"Content-Type": "application/json"}) is None
    assert feedback("/v5/order/create", {"X-Bapi-Limit": "x", "X-Bapi-Limit-Status": "y"}) is None


def test_a_venue_table_without_an_ip_window() -> None:
    """Any venue's table: its own groups, a default for the rest, no shared IP window."""
    table = RateTable(
        limits={"orders": Limit(2)},
        group_of=lambda ep: "orders" if ep == "place" else "info",
        default=Limit(3),
    )
    clk = FakeClock()
    rl = limiter(clk, table)
    assert [admit(rl, "place") for _ in range(3)] == [True, True, False]
    assert [admit(rl, "ticker") for _ in range(4)] == [True, True, True, False]
    assert rl.limit_of("info") == 3
    clk.t += 1.0
    rl.observe(RateFeedback("place", limit=5, remaining=1))  # the venue saw others use the key
    assert [admit(rl, "place") for _ in range(3)] == [True, False, False]
