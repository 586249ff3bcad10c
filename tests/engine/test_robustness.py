"""Regressions from a correctness review: each test fails on the behaviour it replaced."""

from __future__ import annotations

import sqlite3
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from core.engine import Engine
from core.model import Balance, OrderRequest, OrderType, Side
from core.resilience.errors import Transient
from core.sim.runner import SimVenueThread
from core.venues.bybit import parse
from tests.support.engine_types import SYM, Below, EngineSettingsFactory, Ready, VenueHttp, VenueRows, WaitFor
from tests.support.venue_under_test import OVER_HTTP, VenueUnderTest


def _balance(wallet: dict[str, Any]) -> Balance:
    """A wallet push as the adapter delivers it."""
    bal = parse.balance(wallet)
    assert bal is not None
    return bal


@OVER_HTTP
async def test_garbled_reply_is_unknown_not_rejected(
    engine: Engine, sim: SimVenueThread, venue: VenueUnderTest, below: Below, ready: Ready
) -> None:
    """A 200 whose body is not JSON may hide a live order: look it up, never report a reject."""
    mark = await ready(engine)
    sim.set_faults("garble_after_next=1")  # the create's reply only: the lookup gets a clean one
    try:
        res = await engine.place(OrderRequest(SYM, Side.BUY, Decimal("0.001"), OrderType.LIMIT, below(mark)))
    finally:
        sim.set_faults("")
    # The lookup found it on the venue: it counts as sent, exactly once.
    assert res.ok, res.message
    assert venue.order_counts().get(res.order_link_id) == 1
    assert "reject" not in [r.kind for r in engine.journal.query(order_link_id=res.order_link_id)]


async def test_panic_closes_positions_even_when_cancel_all_keeps_failing(
    engine: Engine, venue: VenueUnderTest, monkeypatch: pytest.MonkeyPatch, ready: Ready, wait_for: WaitFor
) -> None:
    await ready(engine)
    assert (await engine.place(OrderRequest(SYM, Side.BUY, Decimal("0.02"), OrderType.MARKET))).ok
    await wait_for(lambda: SYM in engine.state.positions)

    def broken_cancel_all(symbol: str | None) -> list[str]:
        raise Transient("cancel-all endpoint down", endpoint="/v5/order/cancel-all")

    monkeypatch.setattr(engine.venue, "cancel_all", broken_cancel_all)
    engine.panic_runner.timeout_s = 3.0
    report = await engine.panic()
    assert venue.positions() == []  # the close ran although every cancel-all failed
    assert report.closed >= 1
    assert any("cancel all failed" in s for s in report.steps)


async def test_panic_survives_an_unwritable_journal(
    engine: Engine, venue: VenueUnderTest, monkeypatch: pytest.MonkeyPatch, ready: Ready, wait_for: WaitFor
) -> None:
    await ready(engine)
    assert (await engine.place(OrderRequest(SYM, Side.BUY, Decimal("0.02"), OrderType.MARKET))).ok
    await wait_for(lambda: SYM in engine.state.positions)
    real = engine.journal.record_many

    def disk_full(entries: Any, **kw: Any) -> int:
        if any(e[0] == "panic_step" for e in entries):
            raise sqlite3.OperationalError("database or disk is full")
        return real(entries, **kw)

    monkeypatch.setattr(engine.journal, "record_many", disk_full)
    report = await engine.panic()
    assert report.flat, report.steps
    assert venue.positions() == []


async def test_commands_never_raise(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, below: Below, ready: Ready
) -> None:
    mark = await ready(engine)

    def boom(*_a: Any, **_k: Any) -> int:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(engine.journal, "record_many", boom)
    res = await engine.place(OrderRequest(SYM, Side.BUY, Decimal("0.001"), OrderType.LIMIT, below(mark)))
    assert not res.ok and "disk I/O error" in res.message


async def test_panic_flattens_a_symbol_outside_the_allow_list(
    sim: SimVenueThread,
    tmp_path: Path,
    engine_settings: EngineSettingsFactory,
    venue_http: VenueHttp,
    venue_positions: VenueRows,
) -> None:
    """A position opened elsewhere, in a symbol the console does not trade, is still closed."""
    venue_http(sim).place_order(category="linear", symbol="SOLUSDT", side="Buy", orderType="Market", qty="1")
    engine = Engine(engine_settings(sim, tmp_path, risk={"symbols": ["BTCUSDT"]}))
    await engine.start()
    try:
        assert "SOLUSDT" in engine.state.positions
        report = await engine.panic()
        assert report.flat, report.steps
        assert venue_positions(sim) == []
    finally:
        await engine.stop()


async def test_amend_does_not_count_the_amended_order_twice(
    venue: VenueUnderTest, tmp_path: Path, below: Below, ready: Ready, wait_for: WaitFor
) -> None:
    # 1 BTC long + a 2.5 BTC resting buy is 3.5 BTC (~330k) projected: under a 400k cap. Counting
    # the resting order twice (6 BTC) would wrongly refuse a mere price change.
    engine = venue.engine(venue.settings(tmp_path, risk={"max_position_notional": "400000"}))
    await engine.start()
    try:
        mark = await ready(engine)
        assert (await engine.place(OrderRequest(SYM, Side.BUY, Decimal("1"), OrderType.MARKET))).ok
        await wait_for(lambda: SYM in engine.state.positions)
        rest = await engine.place(
            OrderRequest(SYM, Side.BUY, Decimal("2.5"), OrderType.LIMIT, below(mark, "0.97"))
        )
        assert rest.ok, rest.message
        res = await engine.amend(rest.order_link_id, price=below(mark, "0.96"))
        assert res.ok, res.message
        await wait_for(lambda: engine.state.orders[rest.order_link_id].price == below(mark, "0.96"))
        on_venue = {o["orderLinkId"]: o for o in venue.open_orders()}
        assert Decimal(on_venue[rest.order_link_id]["qty"]) == Decimal("2.5")
    finally:
        await engine.panic()
        await engine.stop()


async def test_daily_loss_waits_for_the_wallet_after_a_position_change(engine: Engine, ready: Ready) -> None:
    """A profitable close pushes the flat position before the wallet with its realised PnL."""
    from core.risk.breakers import BreakerBoard

    await ready(engine)
    bal = engine.state.balance
    assert bal is not None
    now = engine.now_ms()
    long = {
        "category": "linear", "symbol": SYM, "side": "Buy", "size": "1", "avgPrice": "90000",
        "markPrice": "96000", "unrealisedPnl": "6000", "updatedTime": str(now),
    }  # fmt: skip
    wallet = {
        "accountType": "UNIFIED", "totalAvailableBalance": str(bal.available),
        "coin": [{"coin": "USDT", "walletBalance": str(bal.wallet_balance), "equity": str(bal.equity)}],
    }  # fmt: skip
    # The session starts with a +6000 position open: that is the day's baseline.
    engine.account_sync.apply_position(parse.position(long))
    engine.account_sync.apply_balance(_balance(wallet))
    engine.guards.board = BreakerBoard.from_settings(engine.settings)
    engine.guards.update()
    # The close: flat position first (uPnL gone), the wallet with +6000 realised a moment later.
    flat = dict(long, side="", size="0", unrealisedPnl="0", updatedTime=str(now + 1))
    engine.account_sync.apply_position(parse.position(flat))
    assert not engine.breaker_board.is_tripped("daily_loss"), engine.breaker_board.reason("daily_loss")
    paid = str(bal.wallet_balance + 6000)
    wallet_after = dict(wallet, coin=[{"coin": "USDT", "walletBalance": paid, "equity": paid}])
    engine.account_sync.apply_balance(_balance(wallet_after))
    assert not engine.breaker_board.is_tripped("daily_loss")
    assert abs(engine.breaker_board.daily_pnl) < 1
