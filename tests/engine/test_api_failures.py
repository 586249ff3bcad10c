"""The api_failures breaker counts failures that reached the caller, after retries (issue 10, 5).

A storm the retry policy absorbs (5xx, 10006 with a reset time, dropped connections) must not
block trading; a venue that is really down must. Both through the real engine, pybit and the sim.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from core.engine import Engine
from core.model import OrderRequest, OrderType, Side
from core.resilience.retry import RetryPolicy
from core.sim.runner import SimVenueThread
from tests.support.engine_types import SYM, EngineSettingsFactory, Ready, VenueRows, WaitFor

STORM = "http5xx=0.2,rate_limit=0.2,rate_hold_ms=100,drop_rest=0.05,seed=21"
"""Injected 10006s announce a reset 100 ms ahead (the engine waits for it; honouring the reset is
tested on its own)."""
"""Every kind of transient failure, each attempt failing with probability ~0.4."""


def retries(attempts: int) -> RetryPolicy:
    """Fast backoff (the schedule itself is unit-tested) with ``attempts`` tries per call."""
    return RetryPolicy(base_s=0.01, cap_s=0.2, max_attempts=attempts)


def limit_buy(mark: Decimal, i: int) -> OrderRequest:
    price = (mark * Decimal("0.97")).quantize(Decimal("0.1")) - Decimal(i)
    return OrderRequest(SYM, Side.BUY, Decimal("0.001"), OrderType.LIMIT, price)


async def test_a_storm_the_retries_absorb_does_not_block_trading(
    sim: SimVenueThread,
    tmp_path: Path,
    engine_settings: EngineSettingsFactory,
    ready: Ready,
    venue_open_orders: VenueRows,
) -> None:
    # Default breakers: 5 failures within 60 s.
    engine = Engine(engine_settings(sim, tmp_path), retry_policy=retries(10))
    await engine.start()
    try:
        mark = await ready(engine)
        sim.set_faults(STORM)
        results = [await engine.place(limit_buy(mark, i)) for i in range(20)]
        injected = sim.stats()["faults"]["injected"]
        sim.set_faults("")
        # The storm was real: many more failed attempts than the breaker's limit of 5.
        assert injected["http5xx"] + injected["rate_limit"] + injected["drop_rest"] >= 10, injected
        assert all(r.ok for r in results), [r.message for r in results if not r.ok]
        board = engine.breaker_board
        assert not board.is_tripped("api_failures"), board.reason("api_failures")
        assert board.api_failures_in_window(engine.now_ms()) == 0
        assert not engine.endpoint_breakers.any_open(), engine.endpoint_breakers.states()
        after = await engine.place(limit_buy(mark, 30))
        assert after.ok, after.message
        assert len(venue_open_orders(sim)) == 21
    finally:
        await engine.cancel_all()
        await engine.stop()


async def test_a_venue_that_is_really_down_blocks_risk_increasing_orders(
    sim: SimVenueThread,
    tmp_path: Path,
    engine_settings: EngineSettingsFactory,
    ready: Ready,
    venue_positions: VenueRows,
    wait_for: WaitFor,
) -> None:
    engine = Engine(engine_settings(sim, tmp_path), retry_policy=retries(3))
    await engine.start()
    try:
        mark = await ready(engine)
        opened = await engine.place(OrderRequest(SYM, Side.BUY, Decimal("0.01"), OrderType.MARKET))
        assert opened.ok, opened.message
        await wait_for(lambda: SYM in engine.state.positions)

        sim.set_faults("http5xx=1")  # every REST call fails, whatever the retries do
        tries = 0
        while not engine.breaker_board.is_tripped("api_failures"):
            tries += 1
            assert tries <= 5, "the breaker never tripped while the venue was down"
            res = await engine.place(limit_buy(mark, tries))
            assert not res.ok, res.message
        reason = engine.breaker_board.reason("api_failures")
        assert "API failures" in reason and "HTTP 5" in reason, reason

        blocked = await engine.place(limit_buy(mark, 10))
        assert not blocked.ok and blocked.check == "breakers", blocked
        assert "api_failures" in blocked.message
        # Closing is never refused by a breaker (it reaches the venue, which is still down).
        closing = await engine.close_position(SYM)
        assert closing.check != "breakers", closing

        sim.set_faults("")
        await engine.reconciler.reconcile_journal()
        closed = await engine.close_position(SYM)
        assert closed.ok, closed.message
        await wait_for(lambda: not venue_positions(sim))
        still = await engine.place(limit_buy(mark, 11))  # sticky until a person resets it
        assert not still.ok and still.check == "breakers", still
    finally:
        await engine.stop()
