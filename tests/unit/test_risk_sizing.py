"""Sizing helpers and the ticket's RiskPreview."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.api import CheckResult
from core.model import Instrument, OrderRequest, Side, TimeInForce
from core.orders.builder import BuildError, OrderBuilder
from core.risk.sizing import (
    DEFAULT_MAKER_FEE,
    DEFAULT_TAKER_FEE,
    build_preview,
    error_preview,
    estimated_fee,
    fee_rate_for,
    initial_margin,
    liquidation_price,
    loss_at_stop,
    qty_for_risk,
)

BTC = Instrument(
    "BTCUSDT", "BTC", "USDT", D("0.1"), D("0.001"), D("0.001"), D("100"), D("100"), D("5"),
    D("1"), D("100"), D("0.01"),
)  # fmt: skip


def test_margin_and_fee() -> None:
    assert initial_margin(D("50000"), D("10")) == D("5000")
    assert estimated_fee(D("50000"), DEFAULT_TAKER_FEE) == D("27.5")
    with pytest.raises(ValueError):
        initial_margin(D("1"), D("0"))


def test_liquidation_price_formula() -> None:
    # long 10x, mmr 0.5%: 50000 x (1 - 0.1 + 0.005)
    assert liquidation_price(Side.BUY, D("50000"), D("10"), D("0.005")) == D("45250")
    assert liquidation_price(Side.SELL, D("50000"), D("10"), D("0.005")) == D("54750")
    assert liquidation_price(Side.BUY, D("50000"), D("1"), D("0")) is None  # 1x long, no mm: never


@settings(max_examples=60, deadline=None)
@given(
    entry=st.decimals(D("0.01"), D("1000000"), places=2),
    lev=st.decimals(D("1"), D("100"), places=2),
    mmr=st.decimals(D("0.001"), D("0.05"), places=4),
)
def test_liquidation_is_where_margin_meets_maintenance(entry: D, lev: D, mmr: D) -> None:
    for side in Side:
        liq = liquidation_price(side, entry, lev, mmr)
        if liq is None:
            continue
        loss = (entry - liq) if side is Side.BUY else (liq - entry)
        im, mm = entry / lev, entry * mmr
        assert abs((im - loss) - mm) <= entry * D("1e-20")


def test_loss_at_stop_and_qty_for_risk() -> None:
    assert loss_at_stop(Side.BUY, D("2"), D("100"), D("95")) == D("10")
    assert loss_at_stop(Side.SELL, D("2"), D("100"), D("105")) == D("10")
    assert loss_at_stop(Side.BUY, D("1"), D("100"), D("90"), D("0.001")) == D("10.19")
    assert qty_for_risk(D("100"), D("50000"), D("49000"), D("0"), D("0.001")) == D("0.1")
    # fees on entry and exit: 1000 move + 0.001 x 99000 = 1099 per contract -> 0.090 (rounded down)
    assert qty_for_risk(D("100"), D("50000"), D("49000"), D("0.001"), D("0.001")) == D("0.090")
    assert qty_for_risk(D("100"), D("50000"), D("51000"), D("0"), D("0.001")) == D("0.1")  # a short's stop
    assert qty_for_risk(D("1"), D("50000"), D("49000"), D("0"), D("0.01")) == D("0")  # one step risks 10
    with pytest.raises(ValueError):
        qty_for_risk(D("100"), D("50000"), D("50000"), D("0"), D("0.001"))
    with pytest.raises(ValueError):
        qty_for_risk(D("0"), D("50000"), D("49000"), D("0"), D("0.001"))


@settings(max_examples=200, deadline=None)
@given(
    risk=st.decimals(D("0.01"), D("100000"), places=2),
    entry=st.decimals(D("0.001"), D("1000000"), places=3),
    move_pct=st.decimals(D("0.01"), D("99"), places=2),
    fee=st.sampled_from([D("0"), D("0.0002"), D("0.00055"), D("0.001")]),
    step=st.sampled_from([D("0.001"), D("0.01"), D("0.1"), D("1")]),
    long=st.booleans(),
)
def test_qty_for_risk_never_risks_more_than_the_amount(
    risk: D, entry: D, move_pct: D, fee: D, step: D, long: bool
) -> None:
    move = entry * move_pct / 100
    stop = entry - move if long else entry + move
    side = Side.BUY if long else Side.SELL
    qty = qty_for_risk(risk, entry, stop, fee, step)
    assert qty >= 0 and qty % step == 0
    assert loss_at_stop(side, qty, entry, stop, fee) <= risk
    # and it is the largest such quantity: one more step would risk more than the amount
    assert loss_at_stop(side, qty + step, entry, stop, fee) > risk


def test_fee_rate_for_post_only() -> None:
    b = OrderBuilder()
    po = b.build(
        OrderRequest("BTCUSDT", Side.BUY, D("1"), price=D("50000"), time_in_force=TimeInForce.POST_ONLY), BTC
    )
    gtc = b.build(OrderRequest("BTCUSDT", Side.BUY, D("1"), price=D("50000")), BTC)
    assert fee_rate_for(po) == DEFAULT_MAKER_FEE and fee_rate_for(gtc) == DEFAULT_TAKER_FEE


def test_build_preview_and_error_preview() -> None:
    o = OrderBuilder().build(
        OrderRequest("BTCUSDT", Side.BUY, D("0.5"), price=D("50000"), stop_loss=D("49000")), BTC
    )
    checks = (CheckResult("mode", True), CheckResult("breakers", False, "daily_loss: x"))
    p = build_preview(o, checks, leverage=D("10"))
    assert p.notional == D("25000") and p.initial_margin == D("2500")
    assert p.est_fee == D("13.75") and p.liq_price == D("45250")
    assert p.loss_at_stop == D("500") + (D("25000") + D("24500")) * DEFAULT_TAKER_FEE
    assert not p.allowed and p.blocking == checks[1]
    e = error_preview("BTCUSDT", D("0"), None, BuildError("min_qty", "qty 0.000 < min 0.001"))
    assert not e.allowed and e.build_error == "min_qty: qty 0.000 < min 0.001" and e.blocking is not None
