"""A venue outage and its recovery, against a real standalone sim process stopped and restarted.

The console runs with ``[sim] embedded = false`` against ``trade-console sim``; the sim process
dies, the engine's sockets and REST calls fail, and the sim comes back on the same port. The
engine must bring every stream back to ``up`` by itself, also when the REST resync that follows
the reconnect fails at first (regression: one failed resync left ``public``/``private`` in
``resync`` until restart), and the API-failure breaker the outage tripped must be resettable with
a reason that lands in the journal.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from core.config import load_settings
from core.engine import Engine
from core.engine.resync import RecoveryTiming
from core.events import Connectivity
from core.resilience.retry import RetryPolicy
from tests.support.standalone_sim import StandaloneSim
from tests.support.venue_under_test import ONE_SYMBOL, POLL_S

STREAMS = ("public", "private")
FAST = RecoveryTiming(
    watchdog_s=0.1, reconnect_backoff_s=(0.1, 0.5), resync_backoff_s=(0.05, 0.4), ack_timeout_s=3.0
)


class Streams:
    """The latest Connectivity state per stream, as the console's header would show it."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.state: dict[str, str] = {}
        self.detail: dict[str, str] = {}
        self.seen: list[tuple[str, str, str]] = []

    def poll(self) -> None:
        for ev in self.engine.store.drain_events():
            if isinstance(ev, Connectivity):
                self.state[ev.stream] = ev.state
                self.detail[ev.stream] = ev.detail
                self.seen.append((ev.stream, ev.state, ev.detail))

    async def wait(self, cond: Callable[[Streams], bool], what: str, timeout: float = 20.0) -> None:
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while True:
            self.poll()
            if cond(self):
                return
            if loop.time() > end:
                raise AssertionError(f"timed out waiting for {what}; streams: {self.state} {self.detail}")
            await asyncio.sleep(POLL_S)

    def all_up(self) -> bool:
        return all(self.state.get(s) == "up" for s in STREAMS)


@pytest.fixture
async def outage_engine(standalone_sim: StandaloneSim, tmp_path: Path) -> AsyncIterator[Engine]:
    settings = load_settings(
        sim={"port": standalone_sim.port, "embedded": False},
        journal={"path": str(tmp_path / "journal.db")},
        metrics={"enabled": False},
        breakers={"api_failures": 3, "endpoint_half_open_s": 1.0},
        risk={"symbols": list(ONE_SYMBOL)},
    )
    engine = Engine(settings, retry_policy=RetryPolicy(base_s=0.01, cap_s=0.05, max_attempts=3))
    engine.recovery = FAST
    await engine.start()
    try:
        yield engine
    finally:
        await engine.stop()


@pytest.mark.timeout(90)
async def test_streams_return_to_up_after_the_sim_process_dies_and_restarts(
    outage_engine: Engine, standalone_sim: StandaloneSim
) -> None:
    engine = outage_engine
    streams = Streams(engine)
    await streams.wait(Streams.all_up, "both streams up at start")

    standalone_sim.kill()
    await streams.wait(
        lambda s: all(s.state.get(x) in ("down", "resyncing") for x in STREAMS), "both streams down"
    )
    # While the venue is gone every REST call fails too: the account sync counts API failures.
    for _ in range(3):
        with pytest.raises(Exception, match="Transient"):
            await engine.account_sync.refresh_account()
    assert engine.breaker_board.is_tripped("api_failures")

    # The venue comes back, but its REST side still fails: the resync that follows the
    # reconnect fails (the state the console used to stay stuck in) and must be retried.
    standalone_sim.start(faults="http5xx=1")
    await streams.wait(
        lambda s: any(
            st == "private" and state == "resync" and "REST resync failed" in detail
            for st, state, detail in s.seen
        ),
        "a failed REST resync after the reconnect",
    )
    assert not streams.all_up()

    standalone_sim.set_faults("clear")
    await streams.wait(Streams.all_up, "both streams back up without a restart")
    books = engine.books
    assert books is not None
    await streams.wait(lambda _s: not books.is_stale("BTCUSDT"), "a fresh book")

    # The breaker stays tripped (sticky) until someone resets it, with a reason, journaled.
    assert engine.breaker_board.is_tripped("api_failures")
    res = await engine.reset_breaker("api_failures", who="console", reason="venue recovered after outage")
    assert res.ok, res.message
    assert not engine.breaker_board.is_tripped("api_failures")
    resets = engine.journal.query(kinds=["breaker_reset"])
    assert resets and resets[-1].data["who"] == "console"
    assert resets[-1].data["note"] == "venue recovered after outage"
    assert "API failures" in resets[-1].data["was"]


@pytest.mark.timeout(60)
async def test_plain_restart_on_the_same_port_resyncs_the_account(
    outage_engine: Engine, standalone_sim: StandaloneSim
) -> None:
    engine = outage_engine
    streams = Streams(engine)
    await streams.wait(Streams.all_up, "both streams up at start")
    standalone_sim.kill()
    await streams.wait(lambda s: s.state.get("private") in ("down", "resyncing"), "private down")
    standalone_sim.start()
    await streams.wait(Streams.all_up, "both streams back up")
    assert ("private", "up", "resynced over REST") in streams.seen
    assert ("public", "up", "resynced over REST") in streams.seen
    # The REST snapshot after the reconnect is the new venue's truth (a fresh sim: flat, no orders).
    assert engine.state.balance is not None
    assert not engine.state.orders
