"""Engine scenario fixtures: a real engine on either venue, and waits that suit the venue.

* ``venue`` (parametrized ``inprocess`` / ``http``): the venue of an order-lifecycle scenario, a
  :class:`~tests.support.venue_under_test.VenueUnderTest` — the in-process venue on a virtual
  clock, or the sim over loopback HTTP/WS with pybit. Its ``wait_for`` advances the virtual clock
  (in process) or really waits for the event (over HTTP); it also shows the venue's own rows.
* ``engine``: a started engine on ``venue``.
* ``scenario_symbols``: the symbols the scenario's engines trade (``risk.symbols``) and, in
  process, the only ones the venue's market has: ``BTCUSDT`` alone (``ONE_SYMBOL``) unless the
  test asks for more with ``@pytest.mark.symbols("BTCUSDT", "ETHUSDT")`` (it trades another
  symbol, checks exposure across symbols, panics across several positions...). Every symbol is
  its own books, streams, instruments and chart history at each engine start; ``venue``,
  ``http_venue`` and ``engine_settings`` all use these symbols (a ``risk`` override keeps them
  unless it names ``symbols`` itself).
* ``http_venue``: the same view of the loopback sim (``sim``) for scenarios about the wire.
* ``wait_for`` / ``ready``: like the shared ones (``tests/fixtures/engine_support.py``), but in a
  scenario on ``venue`` they let that venue's time pass.
* ``engine_settings``: like the shared one, loading a short chart history (``SHORT_CHART_HISTORY``
  in ``tests/support/venue_under_test.py``: what the correlation check reads, no more); so do the
  engines of ``venue`` and ``http_venue``.
* ``tmp_path``: on tmpfs (``/dev/shm``) when the machine has one. Every journal fsyncs its
  intents (WAL, ``synchronous=FULL``); on a shared disk those waits were a large part of a
  scenario's wall time, and no scenario here is about the disk itself (a full database is made
  with ``PRAGMA max_page_count``).

The other shared fixtures (``sim``, ``sim_settings``, ``venue_http``,
``venue_open_orders``, ``venue_positions``, ``venue_position``, ``push_market``, ``below``,
``fast_retries``, ``fast_retry_policy``) come from ``tests/fixtures/engine_support.py``.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from core.config import Settings
from core.engine import Engine
from core.resilience.retry import RetryPolicy
from core.sim.runner import SimVenueThread
from tests.support.engine_types import SYM, EngineSettingsFactory, Ready, WaitFor
from tests.support.venue_under_test import (
    ONE_SYMBOL,
    SHORT_CHART_HISTORY,
    TMPFS,
    HttpVenue,
    InProcessVenue,
    VenueUnderTest,
    fresh,
    wait_real,
)

VENUES = ["inprocess", "http"]
SYMBOLS_MARK = "symbols"


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker a scenario names its symbols with."""
    config.addinivalue_line(
        "markers", f"{SYMBOLS_MARK}(*names): the symbols an engine scenario trades (default: BTCUSDT alone)"
    )


@pytest.fixture
def tmp_path(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh private directory for one test, on tmpfs when there is one (removed afterwards)."""
    if not TMPFS.is_dir():
        yield tmp_path_factory.mktemp("engine")
        return
    path = Path(tempfile.mkdtemp(prefix="engine-test-", dir=TMPFS))
    try:
        yield path
    finally:
        shutil.rmtree(path)


@pytest.fixture
def scenario_symbols(request: pytest.FixtureRequest) -> tuple[str, ...]:
    """The symbols the scenario trades: its ``symbols`` marker's, else ``BTCUSDT`` alone."""
    marker = request.node.get_closest_marker(SYMBOLS_MARK)
    if marker is None:
        return ONE_SYMBOL
    assert marker.args, "name the symbols: @pytest.mark.symbols('BTCUSDT', 'ETHUSDT')"
    return tuple(str(s) for s in marker.args)


@pytest.fixture(params=VENUES)
def venue(request: pytest.FixtureRequest, scenario_symbols: tuple[str, ...]) -> VenueUnderTest:
    """The venue of an order-lifecycle scenario: in process (virtual clock) or the sim over HTTP."""
    if request.param == "inprocess":
        return InProcessVenue(chart_history=SHORT_CHART_HISTORY, symbols=scenario_symbols)
    sim = request.getfixturevalue("sim")
    assert isinstance(sim, SimVenueThread)
    return HttpVenue(sim, chart_history=SHORT_CHART_HISTORY, symbols=scenario_symbols)


@pytest.fixture
def http_venue(sim: SimVenueThread, scenario_symbols: tuple[str, ...]) -> VenueUnderTest:
    """The loopback sim seen like ``venue`` (for scenarios about the wire: faults, reconnects)."""
    return HttpVenue(sim, chart_history=SHORT_CHART_HISTORY, symbols=scenario_symbols)


@pytest.fixture
def engine_settings(scenario_symbols: tuple[str, ...]) -> EngineSettingsFactory:
    """Settings for an engine on a loopback sim (private journal, metrics off), trading the
    scenario's symbols and loading the short chart history (``SHORT_CHART_HISTORY``) unless a
    scenario sets ``risk.symbols`` or ``ui`` itself."""

    def build(venue: SimVenueThread, tmp_path: Path, **overrides: Any) -> Settings:
        http = HttpVenue(venue, chart_history=SHORT_CHART_HISTORY, symbols=scenario_symbols)
        return http.settings(tmp_path, **overrides)

    return build


@pytest.fixture
async def engine(
    venue: VenueUnderTest, tmp_path: Path, fast_retry_policy: RetryPolicy
) -> AsyncIterator[Engine]:
    """A started engine on ``venue``, with the fast retry schedule (injected)."""
    eng = venue.engine(venue.settings(tmp_path), retry_policy=fast_retry_policy)
    await eng.start()
    try:
        yield eng
    finally:
        await eng.stop()


def _scenario_venue(request: pytest.FixtureRequest) -> VenueUnderTest | None:
    if "venue" in request.fixturenames:
        found = request.getfixturevalue("venue")
    elif "http_venue" in request.fixturenames:
        found = request.getfixturevalue("http_venue")
    else:
        return None
    assert isinstance(found, InProcessVenue | HttpVenue)
    return found


@pytest.fixture
def wait_for(request: pytest.FixtureRequest) -> WaitFor:
    """Wait until a condition on the engine holds: on the scenario's venue, its kind of time."""
    scenario = _scenario_venue(request)
    return scenario.wait_for if scenario is not None else wait_real


@pytest.fixture
def ready(wait_for: WaitFor) -> Ready:
    """Wait for an engine's fresh book and ticker on a symbol; returns the mark price."""

    async def wait(engine: Engine, symbol: str = SYM) -> Decimal:
        await wait_for(fresh(engine, symbol), what=f"a fresh {symbol} book and ticker")
        ticker = engine.store.ticker(symbol)
        assert ticker is not None
        return ticker.mark_price

    return wait
