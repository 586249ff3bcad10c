"""The real SDK against the Hyperliquid sim over loopback."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import hyperliquid.exchange as sdk_exchange
import pytest
from hyperliquid.exchange import Exchange
from hyperliquid.info import Info

from tests.support.hl_sim import SPOT_META, HlSim, hl_sim


@pytest.fixture
def nonces(monkeypatch: pytest.MonkeyPatch) -> Callable[[], int]:
    """The SDK's nonce source made strictly increasing (it is wall-time ms: two actions in one
    millisecond would share a nonce, which Hyperliquid refuses)."""
    last = [0]

    def next_nonce() -> int:
        last[0] = max(int(time.time() * 1000), last[0] + 1)
        return last[0]

    monkeypatch.setattr(sdk_exchange, "get_timestamp_ms", next_nonce)
    return next_nonce


@pytest.fixture
def sim() -> Iterator[HlSim]:
    """A deterministic sim (seed 7, the market moves when the test steps it)."""
    with hl_sim() as s:
        yield s


@pytest.fixture
def info(sim: HlSim) -> Info:
    """The SDK's read side, no WebSocket."""
    return Info(sim.base_url, skip_ws=True, meta=sim.meta, spot_meta=SPOT_META)


@pytest.fixture
def ex(sim: HlSim, nonces: Callable[[], int]) -> Exchange:
    """The SDK's signed side, signing with the registered agent wallet."""
    return Exchange(sim.agent, sim.base_url, account_address=sim.user, meta=sim.meta, spot_meta=SPOT_META)
