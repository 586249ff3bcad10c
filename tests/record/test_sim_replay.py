"""``trade-console sim --replay DIR``: the wire sim serves the recorded market; orders match against it."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
from pybit.unified_trading import HTTP

from console.cli import main
from core.clock import SystemClock
from core.config import SIM_API_KEY, SIM_API_SECRET, SimSettings
from core.record.recorder import RecordResult
from core.sim.instruments import SPECS
from core.sim.replay import ReplayMarket, replay_exchange
from core.sim.runner import SimVenueThread
from tests.record.conftest import SYMBOLS
from tests.support.record_tops import reference_tops

WAIT_S = 30.0
POLL_S = 0.01


def test_wire_sim_serves_the_replayed_book_and_fills_against_it(recording: RecordResult) -> None:
    final = reference_tops(recording.out, SYMBOLS)[-1][1]["BTCUSDT"]
    clock = SystemClock()
    ex = replay_exchange(recording.out, clock=clock, speed=20.0, seed=1)
    market = ex.gen
    assert isinstance(market, ReplayMarket)
    venue = SimVenueThread(SimSettings(port=0, market_rate_hz=50.0), clock, exchange=ex).start()
    try:
        deadline = time.monotonic() + WAIT_S
        while not venue.call(lambda: market.finished):  # wait for the event: the replay's end
            assert time.monotonic() < deadline, "replay did not finish"
            time.sleep(POLL_S)
        http = HTTP(api_key=SIM_API_KEY, api_secret=SIM_API_SECRET)
        http.endpoint = venue.rest_url
        book = http.get_orderbook(category="linear", symbol="BTCUSDT", limit=1)["result"]
        tick = SPECS["BTCUSDT"].tick
        assert (int(Decimal(book["b"][0][0]) / tick), int(Decimal(book["a"][0][0]) / tick)) == final
        ask_px, ask_qty = book["a"][0]
        qty = min(Decimal(ask_qty), Decimal("0.001") * 10)
        http.place_order(category="linear", symbol="BTCUSDT", side="Buy", orderType="Market", qty=str(qty))
        fills = http.get_executions(category="linear", symbol="BTCUSDT")["result"]["list"]
        assert fills and Decimal(fills[0]["execPrice"]) == Decimal(ask_px)
    finally:
        venue.stop()


def test_sim_replay_flags_are_checked(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sim", "--speed", "5"]) == 2
    assert "give --replay DIR with it" in capsys.readouterr().err
    assert main(["sim", "--replay", "/nonexistent/rec"]) == 2
    assert "--replay: /nonexistent/rec: no such recording directory" in capsys.readouterr().out
    assert main(["sim", "--replay", "/tmp", "--venue", "hyperliquid"]) == 2
    assert "--replay needs the Bybit sim" in capsys.readouterr().err


def test_the_banner_of_a_replaying_sim_names_the_recording_not_a_seed() -> None:
    """The first line said ``seed 42, market 20 Hz`` while the market was a recording's replay."""
    from types import SimpleNamespace

    from core.config import SimSettings
    from core.sim.cli import _banner

    url = "http://127.0.0.1:1"
    server = SimpleNamespace(
        rest_url=url,
        ws_public_url=url,
        ws_private_url=url,
        settings=SimpleNamespace(host="127.0.0.1"),
        port=1,
    )
    first = _banner(server, SimSettings(), "market: replay of rec at 2x").splitlines()[0]  # type: ignore[arg-type]
    assert "market: replay of rec at 2x" in first and "seed" not in first
    assert "seed 42, market 20 Hz" in _banner(server, SimSettings(seed=42, market_rate_hz=20)).splitlines()[0]  # type: ignore[arg-type]
