"""The Hyperliquid sim for tests: a server in a thread on port 0, a fixed agent key registered to the
sim account, and a handle to drive the market, inject faults and read the venue's own view.

    with hl_sim() as sim:
        ex = Exchange(sim.agent, sim.base_url, account_address=sim.user, meta=sim.meta, spot_meta=SPOT_META)
        ex.order("BTC", True, 0.01, px, {"limit": {"tif": "Gtc"}})
        sim.step(5)                          # five market steps, 100 ms apart on the sim's clock
        sim.open_orders()                    # what the venue holds, not what a client thinks

By default the clock is a settable one starting at wall time (nonces are wall time) and the market
only moves when the test steps it; ``live=True`` runs a system clock and a 20 Hz market.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any, TypeVar
from urllib.parse import urlparse

from eth_account import Account
from eth_account.signers.local import LocalAccount

from core.clock import Clock, FrozenClock, SystemClock
from core.config import Settings, load_settings
from core.sim.hyperliquid.info import clearinghouse_state, meta
from core.sim.hyperliquid.keys import SIM_AGENT_KEY, SIM_USER_KEY, default_agents
from core.sim.hyperliquid.records import HlOrder
from core.sim.hyperliquid.rules import BY_COIN
from core.sim.hyperliquid.runner import HlSimThread
from core.sim.hyperliquid.venue import HlVenue

T = TypeVar("T")

USER_KEY = SIM_USER_KEY
"""The sim account's own (master) key; it may sign too."""
AGENT_KEY = SIM_AGENT_KEY
"""The test agent wallet, registered to the sim account."""
STRANGER_KEY = "0x0123456789012345678901234567890123456789012345678901234567890123"
"""A key the sim does not know (the SDK's own test key)."""
SPOT_META: dict[str, list[Any]] = {"universe": [], "tokens": []}


class HlSim:
    """A running Hyperliquid sim and what a test needs to drive it."""

    def __init__(self, thread: HlSimThread, clock: Clock) -> None:
        self.thread = thread
        self.clock = clock
        self.agent: LocalAccount = Account.from_key(AGENT_KEY)
        self.master: LocalAccount = Account.from_key(USER_KEY)
        self.stranger: LocalAccount = Account.from_key(STRANGER_KEY)
        self.user: str = self.master.address
        """The sim account's address (checksummed); pass it as ``account_address``."""

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``, the SDK's ``base_url``."""
        return self.thread.base_url

    @property
    def meta(self) -> dict[str, Any]:
        """The venue's ``meta`` (pass as ``meta=`` so a client makes no call at construction)."""
        return self.call(lambda: dict(meta(self.venue, {})))  # type: ignore[call-overload]

    @property
    def venue(self) -> HlVenue:
        """The venue (lives on the sim loop: read it through :meth:`call`)."""
        return self.thread.server.venue

    def call(self, fn: Callable[[], T]) -> T:
        """Run ``fn()`` on the sim loop."""
        return self.thread.call(fn)

    # --- the market ---------------------------------------------------------------------------
    def step(self, n: int = 1, ms: int = 100) -> None:
        """``n`` market steps, moving a settable clock ``ms`` before each (feeds and scheduled
        cancels run as they would live)."""

        def go() -> None:
            for _ in range(n):
                if isinstance(self.clock, FrozenClock):
                    self.clock.advance(ms)
                self.thread.server.step()

        self.call(go)

    def advance(self, ms: int) -> None:
        """Move a settable clock by ``ms`` and run one market step at the new time."""
        self.step(1, ms)

    def drive(self, coin: str, price: float) -> None:
        """Move ``coin``'s market to ``price`` at once (resting and trigger orders match there)."""

        def go() -> None:
            self.venue.core.drive(BY_COIN[coin].symbol, price)
            self.thread.server.feeds.publish()

        self.call(go)

    def mid(self, coin: str) -> Decimal:
        """The book's mid price."""

        def go() -> Decimal:
            sm = self.venue.core.gen.symbols[BY_COIN[coin].symbol]
            bid, ask = sm.book.bids.best(), sm.book.asks.best()
            assert bid is not None and ask is not None
            return (sm.spec.px(bid) + sm.spec.px(ask)) / 2

        return self.call(go)

    def bbo(self, coin: str) -> tuple[Decimal, Decimal]:
        """Best bid and ask."""

        def go() -> tuple[Decimal, Decimal]:
            sm = self.venue.core.gen.symbols[BY_COIN[coin].symbol]
            bid, ask = sm.book.bids.best(), sm.book.asks.best()
            assert bid is not None and ask is not None
            return sm.spec.px(bid), sm.spec.px(ask)

        return self.call(go)

    # --- faults -------------------------------------------------------------------------------
    def set_latency(self, ms: int) -> None:
        """Delay every REST reply and WS message by ``ms``."""
        self.call(lambda: setattr(self.thread.server.faults, "latency_ms", ms))

    def fail_next(self, n: int) -> None:
        """Answer the next ``n`` REST requests with HTTP 500."""
        self.call(lambda: setattr(self.thread.server.faults, "fail_next", n))

    def stall_feeds(self, on: bool = True) -> None:
        """Stop (or resume) the market feeds; user pushes still flow."""
        self.call(lambda: setattr(self.thread.server.faults, "stall_feeds", on))

    def drop_connections(self) -> int:
        """Close every WebSocket now; returns how many."""
        return self.thread.drop_connections()

    # --- the venue's own view -----------------------------------------------------------------
    def orders(self) -> list[HlOrder]:
        """Every order the venue has recorded for the account (copies of the records' fields)."""
        return self.call(lambda: [o for o in self.venue.orders.values() if o.user == self.user.lower()])

    def open_orders(self) -> list[HlOrder]:
        """The account's open orders as the venue holds them."""
        return [o for o in self.orders() if o.is_open]

    def order(self, oid: int) -> HlOrder:
        """One order record by oid."""
        return self.call(lambda: self.venue.orders[oid])

    def position(self, coin: str) -> Decimal:
        """The account's signed position in ``coin`` on the venue's core."""

        def go() -> Decimal:
            acct = self.venue.core.accounts[self.user.lower()]
            p = acct.positions.get(BY_COIN[coin].symbol)
            return (
                p.spec.qty(p.size)
                if p is not None and p.size >= 0
                else (-p.spec.qty(-p.size) if p else Decimal(0))
            )

        return self.call(go)

    def state(self) -> dict[str, Any]:
        """The account's ``clearinghouseState`` as the venue computes it."""
        state = self.call(lambda: clearinghouse_state(self.venue, {"user": self.user}))
        assert isinstance(state, dict)
        return state

    def scheduled_cancel(self) -> int | None:
        """The account's scheduled cancel time (ms), or None."""
        return self.call(lambda: self.venue.user(self.user).schedule_cancel_ms)


@contextmanager
def hl_sim(
    *,
    seed: int = 7,
    live: bool = False,
    book_interval_ms: int = 0,
    starting_balance: Decimal = Decimal("100000"),
) -> Iterator[HlSim]:
    """Start the Hyperliquid sim on 127.0.0.1:0 in a thread; the agent and master keys are registered."""
    clock: Clock = SystemClock() if live else FrozenClock(int(time.time() * 1000))
    thread = HlSimThread(
        seed=seed,
        agents=default_agents(),
        clock=clock,
        port=0,
        market_rate_hz=20.0 if live else 0,
        starting_balance=starting_balance,
        book_interval_ms=book_interval_ms,
    )
    with thread:
        yield HlSim(thread, clock)


def sim_settings(sim: HlSim, **overrides: Any) -> Settings:
    """Sim-mode settings for ``venue.name = "hyperliquid"`` on the running sim, with its keys."""
    port = urlparse(sim.base_url).port
    values: dict[str, Any] = {
        "venue": {"name": "hyperliquid"},
        "sim": {"host": "127.0.0.1", "port": port, "api_key": sim.user, "api_secret": AGENT_KEY},
        "risk": {"symbols": ["BTCUSDT", "ETHUSDT", "SOLUSDT"]},
    }
    return load_settings(None, **{**values, **overrides})


def statuses(reply: dict[str, Any]) -> list[Any]:
    """The per-item statuses of an ok reply (fails the test on an err envelope)."""
    assert reply["status"] == "ok", reply
    resp = reply["response"]
    assert isinstance(resp, dict)
    data = resp["data"]
    assert isinstance(data, dict)
    out = data["statuses"]
    assert isinstance(out, list)
    return out
