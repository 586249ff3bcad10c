"""The venue an engine scenario runs against, seen from outside the engine.

Order-lifecycle scenarios run twice (``tests/engine/conftest.py``): on the in-process venue with a
virtual clock, and on the sim over loopback HTTP/WS with pybit. Each :class:`VenueUnderTest`
builds the engine's settings and the engine, lets time pass the way its venue needs (advancing
the virtual clock, or really waiting), and shows the venue's own view of the account as Bybit V5
rows (read from the exchange, not through the engine's client codec).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

import pytest
from pybit.unified_trading import HTTP

from core.clock import FrozenClock
from core.config import Settings, load_settings
from core.engine import Engine
from core.journal.journal import Journal
from core.resilience.retry import RetryPolicy
from core.sim.exchange import SimExchange
from core.sim.runner import SimVenueThread
from core.venues.simulated import SimulatedVenue
from core.venues.simulated.venue import API_KEY, DEFAULT_SYMBOLS

SYM = "BTCUSDT"
POLL_S = 0.005
"""How often a real wait looks at its condition (a check is a few attribute reads: cheap enough to
look often, and every look saved is time the test no longer waits after the event)."""
WALL_GUARD_S = 60.0
"""A virtual wait never takes longer than this in wall time (a stuck engine fails, not hangs)."""
Rows = list[dict[str, Any]]

OVER_HTTP = pytest.mark.parametrize("venue", ["http"], indirect=True)
"""A scenario about the wire (sockets, frames, injected faults, pybit): the sim over HTTP only."""
IN_PROCESS = pytest.mark.parametrize("venue", ["inprocess"], indirect=True)
"""A scenario whose outcome depends on the market standing still: the virtual clock only."""

TMPFS = Path("/dev/shm")
"""Memory-backed files (Linux) for scenario journals: every intent is fsynced, and no scenario
here is about the disk itself; where it is missing, the system's temporary directory is used."""

SHORT_CHART_HISTORY = 61
"""``ui.chart_history`` for scenarios that are not about charts: the default correlation window's
60 returns and one candle more, so the risk chain's correlation check reads the same candles as
with the product default (200), while the start-up's twelve history requests carry a third of
the rows (building and parsing them was the largest CPU cost of an engine start in a test)."""

ONE_SYMBOL: tuple[str, ...] = (SYM,)
"""``risk.symbols`` of a scenario that trades one symbol (the fixtures' default): each configured
symbol is its own books, streams, instruments and chart history at every engine start, about a
third of the start-up's and the feeds' work with the product's three. A scenario about several
symbols asks for them (``@pytest.mark.symbols(...)``, ``tests/engine/conftest.py``)."""

SETTLE_TURNS = 8
"""Loop turns given to the engine at each instant of market time (see ``_settle``)."""


class VenueUnderTest(Protocol):
    """The venue of one engine scenario."""

    kind: str
    """``inprocess`` or ``http``."""

    def settings(self, tmp_path: Path, **overrides: Any) -> Settings:
        """Engine settings for this venue, with a private journal and metrics off."""
        ...

    def engine(self, settings: Settings, retry_policy: RetryPolicy | None = None) -> Engine:
        """A (not started) engine on this venue."""
        ...

    async def wait_for(self, cond: Callable[[], bool], timeout: float = 5.0, what: str = "condition") -> None:
        """Let (virtual or real) time pass until ``cond`` holds; fail after ``timeout`` seconds."""
        ...

    async def pass_time(self, seconds: float) -> None:
        """Let ``seconds`` of market time pass."""
        ...

    def open_orders(self) -> Rows:
        """Working orders as the venue holds them."""
        ...

    def positions(self) -> Rows:
        """Non-flat positions as the venue holds them."""
        ...

    def position(self, symbol: str = SYM) -> dict[str, Any]:
        """The venue's position row for ``symbol`` (present even when flat)."""
        ...

    def order_counts(self) -> dict[str, int]:
        """How many orders the venue holds per client order id (open and closed)."""
        ...

    def order(self, link: str, symbol: str = SYM) -> dict[str, Any]:
        """The venue's own record of one order (open or closed); fails when it has none."""
        ...

    def cancel_elsewhere(self, link: str, symbol: str = SYM) -> None:
        """Someone else (another session on the account) cancels an order at the venue."""
        ...

    def best_ask(self, symbol: str = SYM) -> tuple[Decimal, Decimal]:
        """(price, size) of the venue's best ask."""
        ...

    def push_market(self, factor: float, symbol: str = SYM) -> None:
        """Move the market's fair price by ``factor`` (book and mark follow within a second)."""
        ...


def fresh(engine: Engine, symbol: str = SYM) -> Callable[[], bool]:
    """True once the engine has a ticker and a fresh (not stale) book for ``symbol``."""

    def check() -> bool:
        books = engine.books
        return engine.store.ticker(symbol) is not None and books is not None and not books.is_stale(symbol)

    return check


async def wait_real(cond: Callable[[], bool], timeout: float = 5.0, what: str = "condition") -> None:
    """Poll ``cond`` on the loop until it holds (state that arrives over sockets); fail after
    ``timeout`` seconds of wall time."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not cond():
        if loop.time() > end:
            raise AssertionError(f"{what}: not met within {timeout:.1f} s")
        await asyncio.sleep(POLL_S)


def _ui(chart_history: int | None) -> dict[str, Any]:
    """The ``ui`` settings section for ``chart_history`` (nothing: the product default)."""
    return {} if chart_history is None else {"ui": {"chart_history": chart_history}}


def _with_symbols(
    base: dict[str, Any], overrides: dict[str, Any], symbols: Sequence[str] | None
) -> dict[str, Any]:
    """``base`` updated with ``overrides``, trading ``symbols`` (None: the product default) unless
    the overrides name ``risk.symbols`` themselves (a ``risk`` override keeps the symbols)."""
    merged = {**base, **overrides}
    if symbols is None:
        return merged
    risk = merged.get("risk", {})
    if isinstance(risk, dict) and "symbols" not in risk:
        merged["risk"] = {**risk, "symbols": list(symbols)}
    return merged


def _sizeable(rows: Rows) -> Rows:
    return [p for p in rows if Decimal(p["size"]) > 0]


def _counts(batches: list[Rows]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for rows in batches:
        for o in rows:
            counts[o["orderLinkId"]] = counts.get(o["orderLinkId"], 0) + 1
    return counts


class InProcessVenue:
    """The in-process venue on a frozen clock: waiting means advancing the market tick by tick."""

    kind = "inprocess"

    def __init__(
        self,
        seed: int = 7,
        venue: SimulatedVenue | None = None,
        *,
        chart_history: int | None = None,
        symbols: Sequence[str] | None = None,
    ) -> None:
        if venue is None:  # a copy of a market built once, of the symbols traded
            market = DEFAULT_SYMBOLS if symbols is None else symbols
            venue = SimulatedVenue.prepared(seed=seed, symbols=market)
        self.venue = venue
        self.chart_history = chart_history
        """``ui.chart_history`` of the engines built here (None: the product default)."""
        self.symbols = symbols
        """``risk.symbols`` of the engines built here (None: the product default); without a venue
        given, the venue's market has these symbols only."""
        clock = self.venue.clock
        assert isinstance(clock, FrozenClock)
        self.clock = clock
        self.exchange: SimExchange = self.venue.exchange
        self.journals: list[Journal] = []
        """The journals of the engines built here (each instant waits for their writer thread)."""

    def settings(self, tmp_path: Path, **overrides: Any) -> Settings:
        base: dict[str, Any] = {
            "venue": {"name": "simulated"},
            "journal": {"path": str(tmp_path / "journal.db")},
            "metrics": {"enabled": False},
            **_ui(self.chart_history),
        }
        return load_settings(**_with_symbols(base, overrides, self.symbols))

    def engine(self, settings: Settings, retry_policy: RetryPolicy | None = None) -> Engine:
        engine = Engine(settings, clock=self.clock, venue=self.venue, retry_policy=retry_policy)
        self.journals.append(engine.journal)
        return engine

    async def _settle(self) -> None:
        """Let the loop apply what the venue handed over (account events go through the loop)
        and finish what the engine does at this instant (a command's journal write is committed
        by the journal's writer thread before its venue call: each turn waits for what the
        engines queued) before market time moves on."""
        for _ in range(SETTLE_TURNS):
            await asyncio.sleep(0)
            for journal in self.journals:
                await journal.settled()

    async def wait_for(self, cond: Callable[[], bool], timeout: float = 5.0, what: str = "condition") -> None:
        waited_ms = 0
        wall_end = time.monotonic() + WALL_GUARD_S
        await self._settle()
        while not cond():
            if waited_ms > timeout * 1000 or time.monotonic() > wall_end:
                raise AssertionError(f"{what}: not met within {timeout:.1f} s of market time")
            self.venue.advance(self.venue.tick_ms)
            waited_ms += self.venue.tick_ms
            await self._settle()
            await asyncio.sleep(0.001)  # work the engine hands to threads gets its turn

    async def pass_time(self, seconds: float) -> None:
        for _ in range(round(seconds * 1000 / self.venue.tick_ms)):
            self.venue.advance(self.venue.tick_ms)
            await self._settle()

    def _rows(self, method: Callable[[str, dict[str, object]], dict[str, object]], **params: object) -> Rows:
        rows = method(API_KEY, {"category": "linear", **params})["list"]
        assert isinstance(rows, list)
        return rows

    def open_orders(self) -> Rows:
        return self._rows(self.exchange.order_realtime, settleCoin="USDT", limit=50)

    def positions(self) -> Rows:
        return _sizeable(self._rows(self.exchange.position_list, settleCoin="USDT"))

    def position(self, symbol: str = SYM) -> dict[str, Any]:
        return self._rows(self.exchange.position_list, symbol=symbol)[0]

    def order_counts(self) -> dict[str, int]:
        return _counts(
            [
                self._rows(self.exchange.order_realtime, settleCoin="USDT", limit=50),
                self._rows(self.exchange.order_history, limit=50),
            ]
        )

    def order(self, link: str, symbol: str = SYM) -> dict[str, Any]:
        for method in (self.exchange.order_realtime, self.exchange.order_history):
            rows = self._rows(method, symbol=symbol, orderLinkId=link)
            if rows:
                return rows[0]
        raise AssertionError(f"{link} is not on the venue")

    def cancel_elsewhere(self, link: str, symbol: str = SYM) -> None:
        self.exchange.order_cancel(API_KEY, {"category": "linear", "symbol": symbol, "orderLinkId": link})

    def best_ask(self, symbol: str = SYM) -> tuple[Decimal, Decimal]:
        top = self.exchange.orderbook({"category": "linear", "symbol": symbol, "limit": 1})["a"]
        assert isinstance(top, list)
        return Decimal(top[0][0]), Decimal(top[0][1])

    def push_market(self, factor: float, symbol: str = SYM) -> None:
        self.exchange.gen.symbols[symbol].fair *= factor


class HttpVenue:
    """The sim over loopback HTTP/WS (pybit): waiting is real, on the event the test needs."""

    kind = "http"

    def __init__(
        self, sim: SimVenueThread, *, chart_history: int | None = None, symbols: Sequence[str] | None = None
    ) -> None:
        self.sim = sim
        self.chart_history = chart_history
        """``ui.chart_history`` of the engines built here (None: the product default)."""
        self.symbols = symbols
        """``risk.symbols`` of the engines built here (None: the product default)."""
        session = HTTP(
            testnet=False,
            api_key=sim.settings.api_key,
            api_secret=sim.settings.api_secret.get_secret_value(),
            retry_codes={-1},
            max_retries=1,
        )
        session.endpoint = sim.rest_url
        self.http = session

    def settings(self, tmp_path: Path, **overrides: Any) -> Settings:
        sim = self.sim.settings.model_copy(update={"port": self.sim.port})
        base: dict[str, Any] = {
            "sim": sim,
            "journal": {"path": str(tmp_path / "journal.db")},
            "metrics": {"enabled": False},
            **_ui(self.chart_history),
        }
        return load_settings(**_with_symbols(base, overrides, self.symbols))

    def engine(self, settings: Settings, retry_policy: RetryPolicy | None = None) -> Engine:
        return Engine(settings, retry_policy=retry_policy)

    async def wait_for(self, cond: Callable[[], bool], timeout: float = 5.0, what: str = "condition") -> None:
        await wait_real(cond, timeout, what)

    async def pass_time(self, seconds: float) -> None:
        await asyncio.sleep(seconds)

    def open_orders(self) -> Rows:
        return list(
            self.http.get_open_orders(category="linear", settleCoin="USDT", limit=50)["result"]["list"]
        )

    def positions(self) -> Rows:
        return _sizeable(
            list(self.http.get_positions(category="linear", settleCoin="USDT")["result"]["list"])
        )

    def position(self, symbol: str = SYM) -> dict[str, Any]:
        return dict(self.http.get_positions(category="linear", symbol=symbol)["result"]["list"][0])

    def order_counts(self) -> dict[str, int]:
        return _counts(
            [
                self.open_orders(),
                list(self.http.get_order_history(category="linear", limit=50)["result"]["list"]),
            ]
        )

    def order(self, link: str, symbol: str = SYM) -> dict[str, Any]:
        for res in (
            self.http.get_open_orders(category="linear", symbol=symbol, orderLinkId=link),
            self.http.get_order_history(category="linear", symbol=symbol, orderLinkId=link),
        ):
            if res["result"]["list"]:
                return dict(res["result"]["list"][0])
        raise AssertionError(f"{link} is not on the venue")

    def cancel_elsewhere(self, link: str, symbol: str = SYM) -> None:
        self.http.cancel_order(category="linear", symbol=symbol, orderLinkId=link)

    def best_ask(self, symbol: str = SYM) -> tuple[Decimal, Decimal]:
        top = self.http.get_orderbook(category="linear", symbol=symbol, limit=1)["result"]["a"][0]
        return Decimal(top[0]), Decimal(top[1])

    def push_market(self, factor: float, symbol: str = SYM) -> None:
        def move() -> None:
            ex = self.sim.exchange
            assert isinstance(ex, SimExchange)
            ex.gen.symbols[symbol].fair *= factor

        self.sim.call(move)
