"""Funding over the wire: the sim on 127.0.0.1 settles an open position at a funding time and
pybit reads the settlement from GET /v5/execution/list?execType=Funding, the wallet moved by it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from decimal import Decimal

import pytest
from pybit.unified_trading import HTTP

from core.clock import SystemClock
from core.config import SimSettings
from core.sim.exchange import SimExchange
from core.sim.runner import SimVenueThread

SYM = "ETHUSDT"
WAIT_S = 10.0
POLL_S = 0.02


@pytest.fixture(scope="module")
def wire() -> Iterator[tuple[SimVenueThread, SimExchange]]:
    settings = SimSettings(port=0, market_rate_hz=50.0, api_key="funding-wire")
    clock = SystemClock()
    exchange = SimExchange(seed=settings.seed, clock=clock, starting_balance=settings.starting_balance)
    venue = SimVenueThread(settings, clock, exchange=exchange, limits_scale=100.0).start()
    yield venue, exchange
    venue.stop()


def _session(v: SimVenueThread) -> HTTP:
    s = HTTP(api_key=v.settings.api_key, api_secret=v.settings.api_secret.get_secret_value(), max_retries=1)
    s.endpoint = v.rest_url
    return s


def test_a_funding_settlement_reaches_pybit(wire: tuple[SimVenueThread, SimExchange]) -> None:
    venue, exchange = wire
    s = _session(venue)
    s.place_order(category="linear", symbol=SYM, side="Buy", orderType="Market", qty="1")

    def due_now() -> None:  # the next funding time is now: the next market step settles it
        exchange.funding.next_ms = exchange.now_ms()

    venue.call(due_now)
    deadline = time.monotonic() + WAIT_S
    rows: list[dict[str, str]] = []
    while not rows and time.monotonic() < deadline:  # wait for the settlement, not a fixed time
        rows = s.get_executions(category="linear", symbol=SYM, execType="Funding")["result"]["list"]
        if not rows:
            time.sleep(POLL_S)
    assert len(rows) == 1
    row = rows[0]
    assert row["side"] == "Buy" and Decimal(row["execQty"]) == 1
    assert Decimal(row["execFee"]) == (Decimal(row["markPrice"]) * Decimal("0.0001")).quantize(
        Decimal("1E-8")
    )
    trades = s.get_executions(category="linear", symbol=SYM, execType="Trade")["result"]["list"]
    fees = sum(Decimal(t["execFee"]) for t in trades)
    wallet = s.get_wallet_balance(accountType="UNIFIED")["result"]["list"][0]["totalWalletBalance"]
    assert Decimal(wallet) == exchange.starting_balance - fees - Decimal(row["execFee"])
