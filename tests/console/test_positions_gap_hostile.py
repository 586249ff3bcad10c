"""The positions pane at 80 columns with six-figure prices: every cell leaves a gap before the next
column. A short's liquidation above 100,000 ran into the mark ("95,084.9104,104.9") at 80×24."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from core.model import Position, Side
from tests.support.console_fakes import instrument
from widgets.positions import PositionsTable, position_cells

D = Decimal
INST = replace(instrument("BTCUSDT"), max_order_qty=D("100"))
SHORT = Position(
    "BTCUSDT", Side.SELL, D("12.345"), D("95073.0"), D("95084.9"), D("-1234.56"), liq_price=D("104104.9")
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
