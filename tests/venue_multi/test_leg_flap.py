"""The Hyperliquid venue goes down and comes back while the engine trades both venues: the
engine's own ``public``/``private`` streams (what the header shows) come back ``up`` after the
REST resync. The Hyperliquid feed reports its resync when it rebuilds the socket, before the socket
is open, so the engine's resync then finds the stream down and leaves it to the reconnect; before
the fix nothing asked again once the leg was up, and the header read ``public resync`` for good."""

from __future__ import annotations

import asyncio
from pathlib import Path

from core.engine import Engine
from core.engine.resync import RecoveryTiming
from core.events import Connectivity
from tests.support.late_leg import ETH_HL, START_S, WAIT_S, DownLeg
from tests.support.venue_under_test import fresh, wait_real
from tests.venue_multi.conftest import multi_settings

FAST = RecoveryTiming(watchdog_s=0.1, reconnect_backoff_s=(0.1, 0.3), start_retry_s=(0.2, 0.5))


class Streams:
    """The states published per stream so far (the events are kept as the console drains them)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.seen: dict[str, list[str]] = {}

    def __call__(self, stream: str) -> list[str]:
        for ev in self.engine.store.drain_events(10_000):
            if isinstance(ev, Connectivity):
                self.seen.setdefault(ev.stream, []).append(ev.state)
        return self.seen.get(stream, [])


async def test_the_engine_streams_are_up_again_after_the_second_venue_comes_back(
    down: DownLeg, tmp_path: Path
) -> None:
    settings = multi_settings(down, tmp_path, ui={"default_symbol": "ETHUSDT"})  # type: ignore[arg-type]
    down.relay.on()
    engine = Engine(settings, recovery=FAST)
    try:
        await asyncio.wait_for(engine.start(), START_S)
        await wait_real(fresh(engine, ETH_HL), WAIT_S, "the Hyperliquid book streaming")
        seen = Streams(engine)
        seen("public")
        down.relay.off()
        await wait_real(
            lambda: "resync" in seen("public") and "resync" in seen("private"), WAIT_S, "a resync"
        )
        down.relay.on()
        await wait_real(lambda: seen("public:hl")[-1:] == ["up"], WAIT_S, "the Hyperliquid socket up again")
        await wait_real(
            lambda: seen("public")[-1:] == ["up"] and seen("private")[-1:] == ["up"], WAIT_S, "both up again"
        )
        await wait_real(fresh(engine, ETH_HL), WAIT_S, "the Hyperliquid book streaming again")
    finally:
        await engine.stop()
