"""The real engine with ``venue.name = "multi"`` on the Bybit sim and the Hyperliquid sim over
loopback: orders through the one path land on the venue their symbol names, the risk chain counts
both venues' positions, and panic leaves both venues flat (each checked on its own records)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest

from core.engine import Engine
from core.model import OrderRequest, OrderType, Side
from tests.support.venue_under_test import fresh, wait_real
from tests.venue_multi.conftest import BothSims, multi_settings

EXPOSURE_CAP = Decimal("2500")
HL_ETH = Decimal("0.5")
"""About 1,700 USDT of ETH on Hyperliquid (ETH near 3,400)."""
WAIT_S = 20.0


@pytest.fixture
async def engine(sims: BothSims, tmp_path: Path) -> AsyncIterator[Engine]:
    settings = multi_settings(
        sims,
        tmp_path,
        risk={
            "symbols": ["BTCUSDT", "ETHUSDT", "BTCUSDT.HL", "ETHUSDT.HL"],
            "max_gross_exposure": EXPOSURE_CAP,
        },
        ui={"default_symbol": "ETHUSDT"},
    )
    eng = Engine(settings)
    await eng.start()
    try:
        yield eng
    finally:
        await eng.stop()


async def test_orders_land_on_both_venues_and_panic_flattens_both(engine: Engine, sims: BothSims) -> None:
    assert engine.venue.name == "multi"
    for sym in ("ETHUSDT", "ETHUSDT.HL"):
        await wait_real(fresh(engine, sym), WAIT_S, f"a fresh book and ticker for {sym}")
    res = await engine.place(OrderRequest("ETHUSDT.HL", Side.BUY, HL_ETH, OrderType.MARKET))
    assert res.ok, res.message
    assert sims.hl.position("ETH") == HL_ETH
    assert sims.bybit_position("ETHUSDT") == 0
    res = await engine.place(OrderRequest("BTCUSDT", Side.SELL, Decimal("0.002"), OrderType.MARKET))
    assert res.ok, res.message
    assert sims.bybit_position("BTCUSDT") < 0
    await wait_real(
        lambda: {"ETHUSDT.HL", "BTCUSDT"} <= set(engine.state.positions),
        WAIT_S,
        "both positions in the engine",
    )

    # Alone it fits under the cap; with the position on Hyperliquid it does not.
    bybit_mark = engine.store.ticker("ETHUSDT")
    assert bybit_mark is not None
    qty = (Decimal(1000) / bybit_mark.mark_price).quantize(Decimal("0.01"))
    res = await engine.place(OrderRequest("ETHUSDT", Side.BUY, qty, OrderType.MARKET))
    assert not res.ok and res.check == "max_gross_exposure", res.message
    assert sims.bybit_position("ETHUSDT") == 0

    report = await engine.panic()
    assert report.flat, report.steps
    assert sims.hl.position("ETH") == 0 and sims.hl.open_orders() == []
    assert sims.bybit_position("BTCUSDT") == 0 and sims.bybit_open_links() == []


async def test_the_account_balance_is_both_venues(engine: Engine, sims: BothSims) -> None:
    await wait_real(lambda: engine.state.balance is not None, WAIT_S, "a balance")
    balance = engine.state.balance
    assert balance is not None
    hl_equity = Decimal(str(sims.hl.state()["marginSummary"]["accountValue"]))
    assert balance.wallet_balance > hl_equity * Decimal("1.5")  # both 100,000 accounts, not one


async def test_panic_flattens_both_venues_under_injected_faults(engine: Engine, sims: BothSims) -> None:
    """Panic while each venue misbehaves: the Bybit sim drops the reply of the next write after
    acting on it and refuses the two after with 10006; the Hyperliquid sim answers its next two
    requests with HTTP 500. Both end flat, with no working order and no position reversed (a close
    whose reply was lost is found, not sent twice)."""
    for sym in ("ETHUSDT", "ETHUSDT.HL"):
        await wait_real(fresh(engine, sym), WAIT_S, f"a fresh book and ticker for {sym}")
    assert (await engine.place(OrderRequest("ETHUSDT.HL", Side.BUY, HL_ETH, OrderType.MARKET))).ok
    assert (await engine.place(OrderRequest("BTCUSDT", Side.SELL, Decimal("0.002"), OrderType.MARKET))).ok
    book = engine.store.book("BTCUSDT")
    assert book is not None and book.best_bid is not None
    far = (book.best_bid * Decimal("0.9")).quantize(Decimal("0.1"))
    assert (await engine.place(OrderRequest("BTCUSDT", Side.BUY, Decimal("0.001"), OrderType.LIMIT, far))).ok
    await wait_real(
        lambda: {"ETHUSDT.HL", "BTCUSDT"} <= set(engine.state.positions),
        WAIT_S,
        "both positions in the engine",
    )
    sims.bybit.set_faults("drop_after_next=1,rate_limit_next=2")
    sims.hl.fail_next(2)

    report = await engine.panic()
    assert report.flat, report.steps
    assert sims.hl.position("ETH") == 0 and sims.hl.open_orders() == []
    assert sims.bybit_position("BTCUSDT") == 0 and sims.bybit_open_links() == []


async def test_the_venues_trailing_stop_is_asked_of_the_leg_trading_the_symbol(
    engine: Engine, sims: BothSims
) -> None:
    """Bybit keeps a trailing stop and Hyperliquid does not: on the composite, a trailing stop on
    a Bybit symbol is set there, one on a Hyperliquid symbol is refused naming that venue (the
    combined capabilities, every leg's, refused both)."""
    for sym in ("BTCUSDT", "ETHUSDT.HL"):
        await wait_real(fresh(engine, sym), WAIT_S, f"a fresh book and ticker for {sym}")
    assert (await engine.place(OrderRequest("BTCUSDT", Side.BUY, Decimal("0.002"), OrderType.MARKET))).ok
    assert (await engine.place(OrderRequest("ETHUSDT.HL", Side.BUY, HL_ETH, OrderType.MARKET))).ok
    await wait_real(
        lambda: {"ETHUSDT.HL", "BTCUSDT"} <= set(engine.state.positions), WAIT_S, "both positions"
    )
    res = await engine.set_trailing_stop("BTCUSDT", Decimal(500))
    assert res.ok, res.message
    key = sims.bybit.settings.api_key
    ticks = sims.bybit.call(lambda: sims.bybit_exchange().accounts[key].positions["BTCUSDT"].trailing_stop)
    assert ticks > 0
    res = await engine.set_trailing_stop("ETHUSDT.HL", Decimal(50))
    assert not res.ok and res.check == "native_trailing", res
    assert "hyperliquid keeps no trailing stops" in res.message
