"""Realised PnL for fills fetched over REST: Bybit's closed-PnL item read into the port's record,
each order's record shared among its fetched fills (never counting a held fill twice), and
today's realised PnL and fees counted by the UTC day of each fill."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from core.account import DAY_MS, AccountState
from core.engine.fill_pnl import attach_closed_pnl
from core.model import Fill, Side
from core.venues.base import ClosedPnl
from core.venues.bybit import parse
from core.venues.values import BadValue

D = Decimal
CONFORMANCE = Path(__file__).parents[1] / "sim" / "conformance" / "position_closed_pnl.json"
NOON = 1_764_504_000_000  # 2025-11-30 12:00 UTC


def _fill(exec_id: str, order_id: str, qty: str, pnl: str = "0", ts: int = NOON, fee: str = "0.1") -> Fill:
    return Fill("BTCUSDT", Side.SELL, D(qty), D("95000"), D(fee), exec_id, order_id, "", False, ts, D(pnl))


def _record(order_id: str, entry: str, exit_: str, side: Side = Side.SELL) -> ClosedPnl:
    return ClosedPnl("BTCUSDT", order_id, side, D("0.01"), D(entry), D(exit_), D(0), NOON)


def test_the_documented_closed_pnl_item_reads_into_the_ports_record() -> None:
    item = json.loads(CONFORMANCE.read_text())["example"]["result"]["list"][0]
    rec = parse.closed_pnl(item)
    assert (rec.symbol, rec.order_id, rec.side) == ("BTCUSDT", item["orderId"], Side.SELL)
    assert (rec.closed_qty, rec.net_pnl, rec.ts_ms) == (D("3"), D("-47.4065323"), 1672214887236)
    assert rec.gross_pnl == D("3541.795") - D("3584.9255")  # a sell closes a long: exit - entry
    assert _record("o", "100", "90", Side.BUY).gross_pnl == D("10")  # a buy closes a short
    with pytest.raises(BadValue):
        parse.closed_pnl({**item, "closedPnl": "NaN"})


def test_an_orders_record_is_shared_among_its_fills_and_sums_exactly() -> None:
    fills = [_fill("a", "o1", "1"), _fill("b", "o1", "2"), _fill("c", "o2", "1"), _fill("d", "o3", "1")]
    records = [_record("o1", "300", "310"), _record("o2", "100", "99")]
    out = attach_closed_pnl(fills, records)
    pnl = {f.exec_id: f.closed_pnl for f in out}
    assert pnl["a"] + pnl["b"] == D("10") and pnl["a"] == D("3.33333333")
    assert pnl["c"] == D("-1") and pnl["d"] == 0  # no record: an opening fill


def test_a_fill_already_held_is_neither_given_pnl_again_nor_counted_twice() -> None:
    held = [_fill("a", "o1", "1", pnl="4")]  # came on the stream with its own PnL
    fetched = [_fill("a", "o1", "1"), _fill("b", "o1", "1")]
    out = attach_closed_pnl(fetched, [_record("o1", "300", "310")], held)
    assert [f.closed_pnl for f in out] == [D(0), D("6")]  # "a" is dropped later by exec id
    state = AccountState()
    for f in [*held, *out]:
        state.apply_fill(f, NOON)
    assert state.realised_today == D("10") and len(state.fills) == 2


def test_todays_figures_count_only_the_current_utc_days_fills() -> None:
    state = AccountState()
    state.apply_fill(_fill("y", "o0", "1", pnl="5", ts=NOON - DAY_MS), NOON)  # yesterday's
    state.apply_fill(_fill("t", "o1", "1", pnl="2", ts=NOON), NOON)
    assert (state.realised_today, state.fees_today) == (D("2"), D("0.1"))
    state.apply_fill(_fill("n", "o2", "1", pnl="1", ts=NOON + DAY_MS), NOON + DAY_MS)  # next day
    assert (state.realised_today, state.fees_today) == (D("1"), D("0.1"))
