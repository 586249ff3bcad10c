"""Bad values from the venue ("NaN", "Infinity" ...): refused at the adapter, never fatal.

The sim's ``bad_values`` fault puts the bad value on the wire (REST replies and WebSocket
messages; its own state stays sound), so the real pybit client and the real engine see exactly
what a broken venue would send. Each test fails on the code before the fix (noted per test).
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path

import pytest

from core.engine import Engine
from core.model import OrderRequest, OrderType, Side
from core.observability.health import evaluate_health
from core.sim.runner import SimVenueThread
from core.venues.bybit.feeds import BybitFeeds
from tests.support.engine_types import SYM, Below, EngineSettingsFactory, Ready, VenueRows, WaitFor
from tests.support.venue_under_test import OVER_HTTP

ETH = "ETHUSDT"


def housekeeping(engine: Engine) -> asyncio.Task[None]:
    [task] = [t for t in engine.tasks if t.get_name() == "engine-housekeeping"]
    return task


async def loop_ran_since(engine: Engine, wait_for: WaitFor, timeout: float = 4.0) -> None:
    """Wait until the housekeeping loop has evaluated the alerts again (it sets the health gauge)."""
    gauge = engine.metrics.health_ok
    gauge.set(-1)
    await wait_for(lambda: gauge._value.get() != -1, timeout)


async def injected(sim: SimVenueThread, wait_for: WaitFor, n: int = 3) -> None:
    """Wait until the sim has put ``n`` bad values on the wire (then give the pushes a moment)."""
    await wait_for(lambda: sim.stats()["faults"]["injected"]["bad_values"] >= n, timeout=10.0)
    await asyncio.sleep(0.2)


def unhealthy_because(engine: Engine, words: str) -> bool:
    result = evaluate_health(engine.health_snapshot(), max_feed_age_s=engine.settings.risk.book_stale_s)
    return not result.ok and any(words in r for r in result.reasons)


@OVER_HTTP
@pytest.mark.symbols(SYM, ETH)
async def test_nan_mark_on_another_symbol_leaves_trading_working(
    engine: Engine,
    sim: SimVenueThread,
    below: Below,
    ready: Ready,
    venue_open_orders: VenueRows,
    wait_for: WaitFor,
) -> None:
    """Old code: the NaN mark entered the store and every place() failed with InvalidOperation."""
    mark = await ready(engine)
    sim.set_faults(f"bad_values=1,bad_value=NaN,bad_fields=markPrice,bad_symbols={ETH}")
    await injected(sim, wait_for)
    res = await engine.place(OrderRequest(SYM, Side.BUY, Decimal("0.01"), OrderType.LIMIT, below(mark)))
    assert res.ok, res.message
    assert res.order_link_id in {o["orderLinkId"] for o in venue_open_orders(sim)}
    eth = engine.store.ticker(ETH)
    assert eth is not None and eth.mark_price.is_finite() and eth.mark_price > 0
    assert f"tickers.{ETH}" in engine.bad_data.recent()
    assert unhealthy_because(engine, f"bad data on tickers.{ETH}: markPrice 'NaN' is not a finite number")
    assert engine.metrics.bad_values.labels(f"tickers.{ETH}", "markPrice")._value.get() >= 1
    sim.set_faults("")
    await engine.cancel_all()


@OVER_HTTP
async def test_nan_mark_on_the_positions_symbol_keeps_loops_alive_and_panic_flattens(
    engine: Engine, sim: SimVenueThread, ready: Ready, venue_positions: VenueRows, wait_for: WaitFor
) -> None:
    """Old code: the housekeeping loop died on the NaN mark and panic ended NOT FLAT."""
    await ready(engine)
    assert (await engine.place(OrderRequest(SYM, Side.BUY, Decimal("0.02"), OrderType.MARKET))).ok
    await wait_for(lambda: SYM in engine.state.positions)
    sim.set_faults(f"bad_values=1,bad_value=NaN,bad_fields=markPrice,bad_symbols={SYM}")
    await engine.account_sync.refresh_account()  # the REST position list carries the NaN mark too
    await injected(sim, wait_for)
    await loop_ran_since(engine, wait_for)
    assert not housekeeping(engine).done()
    pos = engine.state.positions[SYM]
    assert pos.mark_price.is_finite() and pos.size == Decimal("0.02")
    assert {f"tickers.{SYM}", "rest /v5/position/list"} <= set(engine.bad_data.recent())
    engine.panic_runner.timeout_s = 10.0
    report = await engine.panic()
    assert report.flat, report.steps
    assert venue_positions(sim) == []
    sim.set_faults("")


@OVER_HTTP
async def test_nan_wallet_equity_is_refused_and_breakers_keep_running(
    engine: Engine, sim: SimVenueThread, ready: Ready, wait_for: WaitFor
) -> None:
    """Old code: the NaN equity was adopted and the breaker update killed the housekeeping loop."""
    await ready(engine)
    before = engine.state.balance
    assert before is not None
    sim.set_faults("bad_values=1,bad_value=NaN,bad_fields=equity")
    assert (await engine.place(OrderRequest(SYM, Side.BUY, Decimal("0.01"), OrderType.MARKET))).ok
    await engine.account_sync.refresh_account()
    await injected(sim, wait_for, 2)
    await loop_ran_since(engine, wait_for)
    assert not housekeeping(engine).done()
    bal = engine.state.balance
    assert bal is not None and bal.equity.is_finite()
    assert "rest /v5/account/wallet-balance" in engine.bad_data.recent()
    await wait_for(lambda: "wallet" in engine.bad_data.recent())  # the push after the fill
    assert unhealthy_because(engine, "bad data on wallet: equity 'NaN'")
    sim.set_faults("")
    assert (await engine.close_position(SYM)).ok


async def test_infinite_equity_cannot_switch_the_leverage_check_off(
    sim: SimVenueThread,
    tmp_path: Path,
    below: Below,
    engine_settings: EngineSettingsFactory,
    ready: Ready,
    venue_open_orders: VenueRows,
) -> None:
    """Old code: equity Infinity was adopted, every projected leverage became 0x, and the order went out."""
    engine = Engine(engine_settings(sim, tmp_path, risk={"max_leverage": "1"}))
    await engine.start()
    try:
        mark = await ready(engine)
        sim.set_faults("bad_values=1,bad_value=Infinity,bad_fields=equity")
        await engine.account_sync.refresh_account()
        res = await engine.place(OrderRequest(SYM, Side.BUY, Decimal("1.5"), OrderType.LIMIT, below(mark)))
        assert not res.ok and res.check == "max_leverage", res.message
        assert venue_open_orders(sim) == []
        assert "rest /v5/account/wallet-balance" in engine.bad_data.recent()
    finally:
        sim.set_faults("")
        await engine.stop()


@OVER_HTTP
async def test_nan_book_level_marks_the_book_stale(
    engine: Engine, sim: SimVenueThread, below: Below, ready: Ready, wait_for: WaitFor
) -> None:
    """Old code: the NaN level went into the book, which stayed "fresh"."""
    mark = await ready(engine)
    sim.set_faults(f"bad_values=1,bad_value=NaN,bad_fields=book,bad_symbols={SYM}")
    assert engine.books is not None
    book = engine.books.books[SYM]
    await wait_for(lambda: book.stale and "bad value" in book.stale_reason)
    bids, asks = book.levels()
    assert all(p == p and s == s for p, s in [*bids.items(), *asks.items()])  # no NaN inside
    assert unhealthy_because(engine, f"feed orderbook.{SYM} stale: bad value")
    res = await engine.place(OrderRequest(SYM, Side.BUY, Decimal("0.01"), OrderType.LIMIT, below(mark)))
    assert not res.ok and res.check == "book_stale", res.message
    sim.set_faults("")
    feeds = engine.feeds
    assert isinstance(feeds, BybitFeeds)
    rebuilt = feeds.reconnects["public"]
    await wait_for(lambda: not book.stale, timeout=15.0)  # resubscribed: a clean snapshot
    # The socket that brought it has every subscription acknowledged (the snapshot comes after the
    # first of them), so nothing is left half-built when the engine stops.
    await wait_for(lambda: feeds.reconnects["public"] > rebuilt, what="the public socket resubscribed")


async def test_stop_closes_feeds_and_journal_when_a_task_died(
    sim: SimVenueThread, tmp_path: Path, engine_settings: EngineSettingsFactory
) -> None:
    """Old code: stop() re-raised the dead task's exception and left feeds and journal open."""
    engine = Engine(engine_settings(sim, tmp_path))
    await engine.start()

    async def died() -> None:
        raise ArithmeticError("a task that died of a bad value")

    task = asyncio.create_task(died())
    await asyncio.sleep(0)
    engine.tasks.track(task)
    feeds = engine.feeds
    assert isinstance(feeds, BybitFeeds)
    await engine.stop()
    assert feeds._stopped and not feeds.is_connected("public")
    assert engine.journal.unwritable_reason == "journal is closed"
