"""The positions pane at 80 columns with six-figure prices: every cell leaves a gap before the next
column. A short's liquidation above 100,000 ran into the mark ("95,084.9104,104.9") at 80×24."""

from __future__ import annotations

from decimal import Decimal

from core.model import Instrument, Position, Side
from widgets.positions import PositionsTable, position_cells

D = Decimal
INST = Instrument(
    symbol="BTCUSDT",
    base_coin="BTC",
    quote_coin="USDT",
    tick_size=D("0.1"),
    qty_step=D("0.001"),
    min_order_qty=D("0.001"),
    max_order_qty=D("100"),
    max_mkt_order_qty=D("100"),
    min_notional=D("5"),
    min_leverage=D("1"),
    max_leverage=D("100"),
    leverage_step=D("0.01"),
)
SHORT = Position(
    "BTCUSDT",
    Side.SELL,
    D("12.345"),
    D("95073.0"),
    D("95084.9"),
    D("-1234.56"),
    liq_price=D("104104.9"),
)
BIG = Position("BTCUSDT", Side.BUY, D("2"), D("101250.5"), D("112345.6"), D("22190.20"), liq_price=D("91000"))


def test_every_cell_leaves_a_gap_in_every_profile() -> None:
    for pos in (SHORT, BIG):
        cells = position_cells(pos, INST)
        for profile in PositionsTable.PROFILES:
            for col in profile:
                assert len(cells[col.key][0]) < col.width, (col, cells[col.key])


def test_a_price_that_fits_keeps_its_thousands_separators() -> None:
    cells = position_cells(SHORT, INST)
    assert cells["mark_c"][0] == "95,084.9"
    assert cells["liq_c"][0] == "104104.9"
    big = position_cells(BIG, INST)
    assert big["upnl"][0] == "▲+22,190.20" and big["upnl_c"][0] == "▲+22190"
