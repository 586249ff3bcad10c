"""Invariant 1 at the second and third checks: the engine refuses a venue whose endpoint is not the
mode's, and the executor refuses to send when the venue's endpoint no longer matches the mode."""

from __future__ import annotations

import os
from decimal import Decimal

import pytest

from core.config import ConfigError, load_settings
from core.engine import Engine
from core.model import Mode, OrderType, Side, TimeInForce
from core.orders.built import BuiltOrder
from core.orders.executor import OrderExecutor
from core.resilience.breaker import EndpointBreaker
from core.resilience.ratelimit import Limit, RateLimiter, RateTable
from core.resilience.retry import RetryPolicy
from core.venues.base import Capabilities, PlaceAck
from tests.support.recording_journal import RecordingJournal

TABLE = RateTable(limits={"writes": Limit(2)}, group_of=lambda _ep: "writes")
ORDER = BuiltOrder(
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
    order_link_id="tc-mode-1",
    ref_price=Decimal("100.0"),
    price_decimals=1,
    qty_decimals=3,
)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("TRADE_"):
            monkeypatch.delenv(name)


class CountingVenue:
    """A venue that counts what reaches it (it accepts every order)."""

    rate_table = TABLE

    def __init__(self, name: str, rest_url: str) -> None:
        self.name = name
        self.rest_url = rest_url
        self.capabilities = Capabilities(name, client_id_max_len=36, inline_calls=True)
        self.placed: list[BuiltOrder] = []

    def endpoint_of(self, method: str) -> str:
        return f"/{method}"

    def place(self, order: BuiltOrder) -> PlaceAck:
        self.placed.append(order)
        return PlaceAck(order.order_link_id, "1")


Journal = RecordingJournal


async def no_sleep(_s: float) -> None:
    return None


def _executor(venue: CountingVenue, mode: Mode, journal: Journal) -> OrderExecutor:
    return OrderExecutor(
        venue,  # type: ignore[arg-type]
        mode,
        RateLimiter(TABLE, enabled=False),
        EndpointBreaker(open_after=1),
        journal,
        policy=RetryPolicy(base_s=0.0, cap_s=0.0, max_attempts=1, sleep=no_sleep),
    )


@pytest.mark.parametrize(
    ("mode", "url"),
    [
        (Mode.SIM, "https://api.bybit.com"),
        (Mode.DEMO, "https://api.bybit.com"),
        (Mode.LIVE, "https://api-demo.bybit.com"),
        (Mode.DEMO, "http://127.0.0.1:8765"),
    ],
)
async def test_nothing_is_sent_or_journaled_to_another_modes_endpoint(mode: Mode, url: str) -> None:
    venue, journal = CountingVenue("bybit", url), Journal()
    with pytest.raises(ConfigError) as info:
        await _executor(venue, mode, journal).create(ORDER)
    assert f"does not belong to mode {mode.value}" in dict(info.value.problems)["mode"]
    assert venue.placed == [] and journal.records == []


async def test_a_venue_repointed_after_start_is_refused_before_the_next_send() -> None:
    venue, journal = CountingVenue("bybit", "https://api-demo.bybit.com"), Journal()
    ex = _executor(venue, Mode.DEMO, journal)
    assert (await ex.create(ORDER)).ok
    venue.rest_url = "https://api.bybit.com"  # someone points the session at mainnet
    with pytest.raises(ConfigError):
        await ex.create(ORDER)
    assert len(venue.placed) == 1


def test_the_engine_refuses_a_venue_whose_endpoint_is_not_the_modes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRADE_MODE", "demo")
    monkeypatch.setenv("TRADE_DEMO_API_KEY", "KeY-ab12cd34ef56")
    monkeypatch.setenv("TRADE_DEMO_API_SECRET", "sEcReT-9f8e7d6c5b4a39281706")
    settings = load_settings()
    with pytest.raises(ConfigError) as info:
        Engine(settings, venue=CountingVenue("bybit", "https://api.bybit.com"))  # type: ignore[arg-type]
    assert "does not belong to mode demo" in str(info.value)
