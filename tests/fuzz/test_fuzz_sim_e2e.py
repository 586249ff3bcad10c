"""End to end: the real engine on the real sim over loopback while the sim spoils the wire.

Hypothesis draws a schedule: for each step a ``bad_values`` fault (which token — NaN, Infinity,
sNaN, -5, 0, abc, 1e999999 — on which fields, sizes and book sizes included, with what
probability) and sometimes ``garble_after`` (the venue acts, the HTTP 200 body is not JSON), and
a command (place, cancel all, close, account sync). The engine reads everything through pybit and
its real adapters and feeds. Afterwards: its background loops are alive, every number it holds is
sound, once the wire is clean again its orders and positions are the venue's, and panic ends flat.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Coroutine
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.engine import Engine
from core.model import OrderRequest, OrderType, Side
from core.sim.faults import BAD_TOKENS
from core.sim.runner import SimVenueThread
from tests.support.engine_types import (
    Below,
    EngineSettingsFactory,
    Ready,
    SimSettingsFactory,
    VenueRows,
    WaitFor,
)
from tests.support.fuzzing import assert_sound

SYM = "BTCUSDT"
FIELDS = [
    "markPrice", "lastPrice", "indexPrice", "bid1Price", "ask1Price", "book", "book_size", "p", "v",
    "equity", "walletBalance", "totalAvailableBalance", "avgPrice", "execPrice", "execQty", "price", "qty",
    "size",
]  # fmt: skip
EXAMPLES = int(os.environ.get("FUZZ_E2E_EXAMPLES", "3"))
"""Each example starts a sim and an engine (~2 s); raise it for a longer hunt."""
COMMANDS = ["limit", "market", "cancel_all", "close", "sync"]

step = st.fixed_dictionaries(
    {
        "token": st.sampled_from(["", *BAD_TOKENS]),
        "fields": st.lists(st.sampled_from(FIELDS), min_size=1, max_size=4, unique=True),
        "p": st.sampled_from(["0.3", "1"]),
        "garble": st.sampled_from(["0", "0", "0.3"]),
        "command": st.sampled_from(COMMANDS),
    }
)


def fault_spec(s: dict[str, Any]) -> str:
    spec = f"bad_values={s['p']},bad_fields={'|'.join(s['fields'])},garble_after={s['garble']}"
    return spec + (f",bad_value={s['token']}" if s["token"] else "")


async def command(engine: Engine, name: str, bid: Decimal) -> None:
    """Run one command (a limit buy rests at ``bid``); it must report an outcome, never raise."""
    if name == "limit":
        await engine.place(OrderRequest(SYM, Side.BUY, Decimal("0.01"), OrderType.LIMIT, bid))
    elif name == "market":
        await engine.place(OrderRequest(SYM, Side.BUY, Decimal("0.01"), OrderType.MARKET))
    elif name == "cancel_all":
        await engine.cancel_all()
    elif name == "close":
        if SYM in engine.state.positions:
            await engine.close_position(SYM)
    else:
        await engine.loops.periodic_sync()  # the housekeeping loop's account sync


def alive(engine: Engine) -> None:
    names = {t.get_name(): t for t in engine.tasks}
    for name in ("engine-housekeeping", "engine-watchdog"):
        assert not names[name].done(), f"{name} died"


def sound(engine: Engine) -> None:
    state = engine.state
    assert_sound(state.balance, "balance")
    for sym, pos in state.positions.items():
        assert_sound(pos, sym)
        assert pos.size > 0 and pos.side is not None
    for key, order in state.orders.items():
        assert_sound(order, key)
    for sym in engine.symbols:
        assert_sound(engine.store.ticker(sym), f"ticker {sym}")
        book = engine.store.book(sym)
        if book is not None:
            assert_sound(book, f"book {sym}")


def held(engine: Engine) -> dict[str, tuple[str, Decimal]]:
    return {s: (p.side.value, p.size) for s, p in engine.state.positions.items() if p.side is not None}


Scenario = Callable[[Path, list[dict[str, Any]]], Coroutine[Any, Any, None]]


@pytest.fixture
def scenario(
    sim_settings: SimSettingsFactory,
    engine_settings: EngineSettingsFactory,
    ready: Ready,
    below: Below,
    wait_for: WaitFor,
    venue_positions: VenueRows,
    venue_open_orders: VenueRows,
) -> Scenario:
    """One fuzz example: an engine on a fresh venue runs the schedule's commands under its faults, then
    must agree with the venue and flatten it."""

    async def run(tmp: Path, schedule: list[dict[str, Any]]) -> None:
        venue = SimVenueThread(sim_settings()).start()
        engine = Engine(engine_settings(venue, tmp))
        try:
            await engine.start()
            bid = below(await ready(engine), "0.95")
            for s in schedule:
                venue.set_faults(fault_spec(s))
                await command(engine, s["command"], bid)
                await asyncio.sleep(0.3)  # pushes and ticks arrive with the fault on
                alive(engine)
                sound(engine)
            injected = venue.stats()["faults"]["injected"]
            assert injected["bad_values"] > 0
            assert engine.bad_data.total > 0  # the engine saw them: counted, not silently taken
            venue.set_faults("")
            await engine.reconciler.reconcile_journal()
            await engine.account_sync.refresh_account()
            venue_pos = {p["symbol"]: (p["side"], Decimal(p["size"])) for p in venue_positions(venue)}
            await wait_for(lambda: held(engine) == venue_pos, timeout=10.0)
            venue_links = {o["orderLinkId"] for o in venue_open_orders(venue)}
            assert set(engine.state.orders) == venue_links
            engine.panic_runner.timeout_s = 15.0
            report = await engine.panic()
            assert report.flat, report.steps
            assert venue_positions(venue) == [] and venue_open_orders(venue) == []
        finally:
            await engine.stop()
            venue.stop()

    return run


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(st.lists(step, min_size=3, max_size=5))
def test_the_engine_survives_a_spoiled_wire_and_agrees_with_the_venue(
    tmp_path_factory: pytest.TempPathFactory, scenario: Scenario, schedule: list[dict[str, Any]]
) -> None:
    asyncio.run(scenario(tmp_path_factory.mktemp("e2e"), schedule))
