"""Positions pane: keyed, diffed DataTable rows (symbol, side, size, entry, mark, uPnL, uPnL %,
liq, leverage, TP/SL and where each protection lives: ``ex`` = on the exchange, ``loc`` = local)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import ClassVar

from core.model import Instrument, Position, Side
from widgets.fmt import fmt_dec, fmt_pct, trend_glyph
from widgets.table_diff import Cell, DiffTable

LocalProtection = Mapping[str, tuple[Decimal | None, Decimal | None]]
"""Protections the engine holds locally (algos), by symbol: (take profit, stop loss)."""


def _protection(exchange: Decimal | None, local: Decimal | None, places: int) -> str:
    if exchange is not None:
        return f"{fmt_dec(exchange, places)} ex"
    if local is not None:
        return f"{fmt_dec(local, places)} loc"
    return "—"


def position_cells(
    p: Position, inst: Instrument | None, local: tuple[Decimal | None, Decimal | None] = (None, None)
) -> tuple[Cell, ...]:
    """The row for one position."""
    pp = inst.price_decimals if inst else 2
    qp = inst.qty_decimals if inst else 3
    side_cls = "pos--long" if p.side is Side.BUY else "pos--short"
    side = "LONG" if p.side is Side.BUY else "SHORT"
    pnl_cls = "pos--up" if p.unrealised_pnl > 0 else ("pos--down" if p.unrealised_pnl < 0 else "")
    glyph = trend_glyph(p.unrealised_pnl)
    return (
        (p.symbol, ""),
        (side, side_cls),
        (fmt_dec(p.size, qp), ""),
        (f"{glyph}{fmt_dec(p.unrealised_pnl, 2, sign=True)}", pnl_cls),
        (fmt_pct(p.upnl_pct, 2, sign=True), pnl_cls),
        (fmt_dec(p.entry_price, pp), ""),
        (fmt_dec(p.mark_price, pp), ""),
        (fmt_dec(p.liq_price, pp), "pos--liq"),
        (f"{fmt_dec(p.leverage, 1, sep=False)}x", ""),
        (_protection(p.take_profit, local[0], pp), ""),
        (_protection(p.stop_loss, local[1], pp), ""),
    )


class PositionsTable(DiffTable):
    """Open positions, one row per symbol."""

    COLUMNS: ClassVar = (
        ("symbol", "Symbol", 8),
        ("side", "Side", 5),
        ("size", "Size", 8),
        ("upnl", "uPnL", 10),
        ("upnl_pct", "uPnL%", 7),
        ("entry", "Entry", 9),
        ("mark", "Mark", 9),
        ("liq", "Liq", 9),
        ("lev", "Lev", 5),
        ("tp", "TP", 11),
        ("sl", "SL", 11),
    )
    COMPONENT_CLASSES: ClassVar[set[str]] = DiffTable.COMPONENT_CLASSES | {
        "pos--long",
        "pos--short",
        "pos--up",
        "pos--down",
        "pos--liq",
    }
    DEFAULT_CSS = """
    PositionsTable > .pos--long { color: $bid; text-style: bold; }
    PositionsTable > .pos--short { color: $ask; text-style: bold; }
    PositionsTable > .pos--up { color: $pnl-up; }
    PositionsTable > .pos--down { color: $pnl-down; }
    PositionsTable > .pos--liq { color: $warning; }
    """

    def update_positions(
        self,
        positions: Mapping[str, Position],
        instruments: Mapping[str, Instrument] | None = None,
        local: LocalProtection | None = None,
    ) -> int:
        """Show the non-flat ``positions``; returns the number of table operations."""
        instruments = instruments or {}
        local = local or {}
        rows = {
            sym: position_cells(p, instruments.get(sym), local.get(sym, (None, None)))
            for sym, p in sorted(positions.items())
            if not p.is_flat
        }
        return self.apply_rows(rows)
