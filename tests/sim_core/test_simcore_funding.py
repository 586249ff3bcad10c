"""Funding in the sim's exchange core: at each funding time (00:00/08:00/16:00 UTC) every open
position pays (long, positive rate) or receives (short) size x mark x rate, the wallet moves by
it, and an execution of execType Funding carries the fee as execFee."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from core.clock import FrozenClock
from core.sim.exchange import SimExchange

KEY = "funding-key"
HOUR_MS = 3_600_000
START = 1_767_225_600_000  # 2026-01-01 00:00 UTC, a funding time
PRICE = 50_000.0
QTY = "0.500"


def _exchange(side: str, qty: str = QTY) -> tuple[SimExchange, FrozenClock, list[dict[str, Any]]]:
    clock = FrozenClock(START + 1_000)
    ex = SimExchange(seed=3, clock=clock, symbols=("BTCUSDT",))
    ex.ensure_account(KEY)
    pushed: list[dict[str, Any]] = []
    ex.add_private_listener(lambda k, t, items: pushed.extend(items) if t == "execution" else None)
    ex.drive("BTCUSDT", PRICE)
    ex.order_create(
        KEY, {"category": "linear", "symbol": "BTCUSDT", "side": side, "orderType": "Market", "qty": qty}
    )
    return ex, clock, pushed


def _move(ex: SimExchange, clock: FrozenClock, at_ms: int, price: float) -> None:
    clock.advance(at_ms - clock.now_ms())
    ex.drive("BTCUSDT", price)


def _funding(ex: SimExchange) -> list[dict[str, object]]:
    rows = ex.execution_list(KEY, {"category": "linear", "execType": "Funding"})["list"]
    assert isinstance(rows, list)
    return rows


def _wallet(ex: SimExchange) -> Decimal:
    return ex.accounts[KEY].wallet


def test_no_funding_before_the_boundary() -> None:
    ex, clock, _ = _exchange("Buy")
    before = _wallet(ex)
    _move(ex, clock, START + 8 * HOUR_MS - 1, PRICE)
    assert _funding(ex) == []
    assert _wallet(ex) == before


def test_a_long_pays_a_positive_rate_at_the_boundary_at_the_standing_mark() -> None:
    ex, clock, pushed = _exchange("Buy")
    _move(ex, clock, START + 8 * HOUR_MS - 1, PRICE)
    before = _wallet(ex)
    _move(ex, clock, START + 8 * HOUR_MS, 51_000.0)  # the mark standing at 08:00 is 50,000
    fee = Decimal(QTY) * Decimal("50000") * Decimal("0.0001")
    assert _wallet(ex) == before - fee
    (row,) = _funding(ex)
    assert Decimal(str(row["execFee"])) == fee
    assert row["execTime"] == str(START + 8 * HOUR_MS)
    assert row["side"] == "Buy" and row["feeRate"] == "0.0001"
    assert Decimal(str(row["execQty"])) == Decimal(QTY)
    assert any(p["execType"] == "Funding" and p["execFee"] == row["execFee"] for p in pushed)


def test_a_short_receives_a_positive_rate() -> None:
    ex, clock, _ = _exchange("Sell")
    _move(ex, clock, START + 8 * HOUR_MS - 1, PRICE)
    before = _wallet(ex)
    _move(ex, clock, START + 8 * HOUR_MS + 5, PRICE)
    fee = Decimal(QTY) * Decimal("50000") * Decimal("0.0001")
    assert _wallet(ex) == before + fee
    (row,) = _funding(ex)
    assert Decimal(str(row["execFee"])) == -fee and row["side"] == "Sell"


def test_a_negative_rate_is_paid_by_shorts_and_each_boundary_settles_once() -> None:
    ex, clock, _ = _exchange("Sell")
    ex.funding.set_rate(Decimal("-0.0003"))
    start = _wallet(ex)
    for hours in (8, 16, 24):
        _move(ex, clock, START + hours * HOUR_MS - 1, PRICE)
        _move(ex, clock, START + hours * HOUR_MS, PRICE)
        _move(ex, clock, START + hours * HOUR_MS + 60_000, PRICE)
    fee = Decimal(QTY) * Decimal("50000") * Decimal("0.0003")
    assert len(_funding(ex)) == 3
    assert _wallet(ex) == start - 3 * fee


def test_a_flat_account_pays_nothing() -> None:
    clock = FrozenClock(START + 1_000)
    ex = SimExchange(seed=3, clock=clock, symbols=("BTCUSDT",))
    ex.ensure_account(KEY)
    before = _wallet(ex)
    _move(ex, clock, START + 8 * HOUR_MS, PRICE)
    assert _funding(ex) == [] and _wallet(ex) == before


def test_the_client_parse_reads_a_funding_execution_as_one() -> None:
    from core.venues.bybit import parse

    ex, clock, pushed = _exchange("Buy")
    _move(ex, clock, START + 8 * HOUR_MS + 1, PRICE)
    (item,) = [p for p in pushed if p["execType"] == "Funding"]
    fill = parse.fill(item)
    assert fill.exec_type == "Funding" and fill.fee == Decimal(item["execFee"]) > 0
    trade = parse.fill(next(p for p in pushed if p["execType"] == "Trade"))
    assert trade.exec_type == "Trade"
