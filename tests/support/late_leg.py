"""What the tests of a Hyperliquid leg down at start-up share: the venue names, the waits, the
recovery timing, the two sims with a relay in front of the Hyperliquid one (``DownLeg``; the
``down`` fixture in ``tests/venue_multi/conftest.py`` builds it) and the wallet balance read."""

from __future__ import annotations

from decimal import Decimal

from core.engine import Engine
from core.engine.resync import RecoveryTiming
from core.sim.runner import SimVenueThread
from tests.support.hl_sim import HlSim
from tests.venue_multi.relay import Relay

HL = "hyperliquid"
ETH_HL = "ETHUSDT.HL"
START_S = 20.0
"""Start-up with one leg down must end (before the fix it retried the down leg for 10 minutes)."""
WAIT_S = 20.0
TIMING = RecoveryTiming(start_retry_s=(0.2, 0.5))


class DownLeg:
    """The Bybit sim, the Hyperliquid sim and a relay on ``bybit.port + 1`` in front of it (off:
    the Hyperliquid venue is down as the console sees it)."""

    def __init__(self, bybit: SimVenueThread, hl: HlSim, relay: Relay) -> None:
        self.bybit = bybit
        self.hl = hl
        self.relay = relay
        self.port = bybit.port

    def bybit_position(self, symbol: str) -> int:
        key = self.bybit.settings.api_key

        def go() -> int:
            p = self.bybit.exchange.accounts[key].positions.get(symbol)  # type: ignore[attr-defined]
            return 0 if p is None else int(p.size)

        return self.bybit.call(go)


def wallet_now(engine: Engine) -> Decimal:
    bal = engine.state.balance
    assert bal is not None
    return bal.wallet_balance
