"""Both sims on loopback side by side: the Bybit sim on a free port and the Hyperliquid sim on the
next one (``sim.port + 1``, where the composite venue's second leg looks for it)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from console.runner import Stoppable, start_embedded_sims
from core.clock import FrozenClock
from core.config import Settings, SimSettings, load_settings
from core.sim.exchange import SimExchange
from core.sim.hyperliquid.keys import default_agents
from core.sim.hyperliquid.runner import HlSimThread
from core.sim.runner import SimVenueThread
from tests.support.console_late_leg import pair_settings
from tests.support.hl_sim import HlSim
from tests.support.late_leg import DownLeg
from tests.venue_multi.relay import Relay

SYMBOLS = ["BTCUSDT", "ETHUSDT", "BTCUSDT.HL", "ETHUSDT.HL"]
ATTEMPTS = 5


class BothSims:
    """The Bybit sim (``bybit``) and the Hyperliquid sim (``hl``) on adjacent ports."""

    def __init__(self, bybit: SimVenueThread, hl: HlSim) -> None:
        self.bybit = bybit
        self.hl = hl

    @property
    def port(self) -> int:
        """The Bybit sim's port (the Hyperliquid sim listens on the next)."""
        return self.bybit.port

    def bybit_exchange(self) -> SimExchange:
        """The Bybit sim's exchange (read it through ``bybit.call``)."""
        ex = self.bybit.exchange
        assert isinstance(ex, SimExchange)
        return ex

    def bybit_position(self, symbol: str) -> int:
        """The Bybit account's signed position in lots, as the Bybit sim holds it."""
        key = self.bybit.settings.api_key

        def go() -> int:
            p = self.bybit_exchange().accounts[key].positions.get(symbol)
            return 0 if p is None else p.size

        return self.bybit.call(go)

    def bybit_open_links(self) -> list[str]:
        """Client ids of the Bybit account's working orders, as the Bybit sim holds them."""
        key = self.bybit.settings.api_key

        def go() -> list[str]:
            acct = self.bybit_exchange().accounts.get(key)
            if acct is None:
                return []
            return [
                o.link_id
                for o in acct.orders.values()
                if o.status in ("New", "PartiallyFilled", "Untriggered")
            ]

        return self.bybit.call(go)


def _hl_on(port: int) -> HlSim | None:
    clock = FrozenClock(int(time.time() * 1000))
    thread = HlSimThread(
        seed=7,
        agents=default_agents(),
        clock=clock,
        port=port,
        market_rate_hz=0,
        starting_balance=Decimal("100000"),
        book_interval_ms=0,
    )
    try:
        thread.start()
    except RuntimeError:
        return None
    return HlSim(thread, clock)


@pytest.fixture
def sims() -> Iterator[BothSims]:
    for _ in range(ATTEMPTS):
        bybit = SimVenueThread(SimSettings(port=0, seed=11)).start()
        hl = _hl_on(bybit.port + 1)
        if hl is not None:
            break
        bybit.stop()
    else:
        pytest.fail("no pair of adjacent free loopback ports")
    try:
        yield BothSims(bybit, hl)
    finally:
        hl.thread.stop()
        bybit.stop()


def multi_settings(sims: BothSims, tmp_path: Path, **overrides: Any) -> Settings:
    """Sim-mode settings for ``venue.name = "multi"`` on both running sims."""
    values: dict[str, Any] = {
        "venue": {"name": "multi"},
        "sim": {"port": sims.port, "seed": 11},
        "risk": {"symbols": SYMBOLS},
        "journal": {"path": str(tmp_path / "journal.db")},
        "metrics": {"enabled": False},
    }
    return load_settings(None, **{**values, **overrides})


@pytest.fixture
def down() -> Iterator[DownLeg]:
    """The Bybit sim, the Hyperliquid sim and an off relay on ``bybit.port + 1`` in front of it."""
    for _ in range(ATTEMPTS):
        bybit = SimVenueThread(SimSettings(port=0, seed=11)).start()
        hl = _hl_on(0)
        assert hl is not None
        relay = Relay(bybit.port + 1, int(hl.base_url.rsplit(":", 1)[1]))
        try:
            relay.on()  # the port is ours; off until the test brings the venue up
            relay.off()
        except OSError:
            relay.close()
            hl.thread.stop()
            bybit.stop()
            continue
        break
    else:
        pytest.fail("no free loopback port beside the Bybit sim")
    try:
        yield DownLeg(bybit, hl, relay)
    finally:
        relay.close()
        hl.thread.stop()
        bybit.stop()


@pytest.fixture
def hl_down(tmp_path: Path) -> Iterator[tuple[Settings, SimVenueThread]]:
    """Settings for ``venue.name = "multi"`` and the Bybit sim; the Hyperliquid sim is stopped before
    the console starts."""
    sims: list[Stoppable]
    sims, settings = start_embedded_sims(pair_settings(tmp_path))
    bybit, hl = sims
    hl.stop()  # the Hyperliquid sim is not running when the console starts
    assert isinstance(bybit, SimVenueThread)
    try:
        yield settings, bybit
    finally:
        bybit.stop()
