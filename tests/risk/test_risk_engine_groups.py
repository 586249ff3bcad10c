"""A group cap through the real engine on the in-process venue (virtual clock): an order that would
take the group over its cap is refused by name with the numbers, journaled, never sent, and shown
in the preview; an order within it goes out. Correlated exposure reads the engine's candles."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest

from core.engine import Engine
from core.events import RiskRejected
from core.model import OrderRequest, OrderType, Side
from core.resilience.retry import RetryPolicy
from tests.support.venue_under_test import InProcessVenue, fresh

CAP = Decimal(50_000)
STEP = Decimal("0.001")


@pytest.fixture
def venue() -> InProcessVenue:
    return InProcessVenue()


@pytest.fixture
async def engine(
    venue: InProcessVenue, tmp_path: Path, fast_retry_policy: RetryPolicy
) -> AsyncIterator[Engine]:
    settings = venue.settings(
        tmp_path,
        risk={
            "groups": {"majors": ["BTCUSDT", "ETHUSDT"]},
            "group_caps": {"majors": str(CAP)},
            "max_correlated_exposure": "900000",
            "correlation_timeframe": "1m",
        },
    )
    eng = venue.engine(settings, retry_policy=fast_retry_policy)
    await eng.start()
    try:
        yield eng
    finally:
        await eng.stop()


async def mark(engine: Engine, venue: InProcessVenue, symbol: str) -> Decimal:
    await venue.wait_for(fresh(engine, symbol), what=f"a fresh {symbol} book and ticker")
    ticker = engine.store.ticker(symbol)
    assert ticker is not None
    return ticker.mark_price


def qty_worth(usdt: Decimal, price: Decimal) -> Decimal:
    return (usdt / price).quantize(STEP)


async def test_an_order_over_the_group_cap_is_rejected_by_name(engine: Engine, venue: InProcessVenue) -> None:
    eth = await mark(engine, venue, "ETHUSDT")
    btc = await mark(engine, venue, "BTCUSDT")
    first = await engine.place(
        OrderRequest("ETHUSDT", Side.BUY, qty_worth(Decimal(30_000), eth), OrderType.MARKET)
    )
    assert first.ok, first.message
    await venue.wait_for(lambda: "ETHUSDT" in engine.state.positions, what="the ETH position")

    request = OrderRequest("BTCUSDT", Side.BUY, qty_worth(Decimal(30_000), btc), OrderType.MARKET)
    preview = engine.preview(request)
    checks = {c.check: c for c in preview.checks}
    assert not checks["group_caps"].passed and "(risk.group_caps.majors)" in checks["group_caps"].reason
    corr = checks["correlated_exposure"]  # the engine's candles reached the check: a measured rho
    assert corr.passed and "ETHUSDT rho " in corr.reason and "returns <" not in corr.reason

    res = await engine.place(request)
    assert not res.ok and res.check == "group_caps"
    assert res.message.startswith("rejected by group_caps: group majors: BTCUSDT ")
    assert " + ETHUSDT " in res.message
    assert f"> cap {CAP:,.2f} (risk.group_caps.majors)" in res.message
    assert venue.open_orders() == [] and "BTCUSDT" not in {p["symbol"] for p in venue.positions()}
    rejects = [e for e in engine.store.drain_events(10_000) if isinstance(e, RiskRejected)]
    assert rejects and rejects[-1].check == "group_caps"
    journaled = engine.journal.query(order_link_id=res.order_link_id)
    assert [r.kind for r in journaled] == ["intent", "risk_decision"]
    assert journaled[1].data["check"] == "group_caps"

    within = await engine.place(
        OrderRequest("BTCUSDT", Side.BUY, qty_worth(Decimal(10_000), btc), OrderType.MARKET)
    )
    assert within.ok, within.message
    await venue.wait_for(lambda: "BTCUSDT" in engine.state.positions, what="the BTC position")
    close = await engine.place(
        OrderRequest(
            "ETHUSDT", Side.SELL, engine.state.positions["ETHUSDT"].size, OrderType.MARKET, reduce_only=True
        )
    )
    assert close.ok, close.message  # closing always passes (invariant 4)
