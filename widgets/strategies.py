"""Strategies pane: every strategy of the session as keyed, diffed DataTable rows — name, symbol,
state, its own position, realised PnL (net of its fees), unrealised PnL, closed trades, win rate,
allocation and why it stopped. The row key is the strategy's name.

It renders plain snapshot data it is given (:class:`StrategyRow`, the fields of
``core.strategy.slot.StrategySnapshot``); the console's keys on it (stop, kill) act on
:attr:`selected_key`."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import ClassVar, Protocol

from core.model import Instrument
from widgets.fmt import fmt_dec, short_symbol
from widgets.table_diff import Cell, Column, DiffTable

R = "right"
PNL_PLACES = 2
"""Decimals of the PnL columns (quote currency)."""
STATE_CLASSES: dict[str, str] = {
    "running": "strat--running",
    "stopped": "strat--stopped",
    "failed": "strat--failed",
}


class StrategyRow(Protocol):
    """What a row shows of one strategy (``StrategySnapshot`` has these fields; widgets do not
    import the engine side)."""

    @property
    def name(self) -> str: ...
    @property
    def symbol(self) -> str: ...
    @property
    def state(self) -> str: ...
    @property
    def reason(self) -> str: ...
    @property
    def position(self) -> Decimal: ...
    @property
    def realised(self) -> Decimal: ...
    @property
    def unrealised(self) -> Decimal: ...
    @property
    def trades(self) -> int: ...
    @property
    def win_rate(self) -> float: ...
    @property
    def allocation(self) -> Decimal | None: ...


def pnl_cell(value: Decimal) -> Cell:
    """A signed PnL, coloured by its sign."""
    cls = "strat--up" if value > 0 else "strat--down" if value < 0 else ""
    return (fmt_dec(value, PNL_PLACES, sign=True), cls)


def strategy_cells(row: StrategyRow, inst: Instrument | None) -> dict[str, Cell]:
    """The row for one strategy, by column key (every profile picks its columns from it)."""
    qp = inst.qty_decimals if inst else 3
    pos = row.position
    pos_cls = "strat--long" if pos > 0 else "strat--short" if pos < 0 else ""
    win = "—" if math.isnan(row.win_rate) else f"{row.win_rate * 100:.0f}%"
    alloc = fmt_dec(row.allocation, 0) if row.allocation is not None else "—"
    return {
        "name": (row.name, ""),
        "symbol": (row.symbol, ""),
        "sym": (short_symbol(row.symbol), ""),
        "state": (row.state, STATE_CLASSES.get(row.state, "")),
        "pos": (fmt_dec(pos, qp, sign=True, sep=False), pos_cls),
        "real": pnl_cell(row.realised),
        "unreal": pnl_cell(row.unrealised),
        "trades": (str(row.trades), ""),
        "win": (win, ""),
        "alloc": (alloc, ""),
        "note": (row.reason, "strat--note"),
    }


class StrategiesPane(DiffTable):
    """Running strategies; select a row (Tab to focus), then stop / kill with its keys."""

    PROFILES: ClassVar = (
        (
            Column("name", "Name", 12),
            Column("sym", "Sym", 5),
            Column("state", "State", 8),
            Column("pos", "Pos", 9, R),
            Column("real", "Realised", 11, R),
            Column("unreal", "Unreal.", 11, R),
            Column("trades", "Trades", 7, R),
            Column("win", "Win", 5, R),
            Column("alloc", "Alloc", 8, R),
            Column("note", " Note", 20),
        ),
        (
            Column("name", "Name", 10),
            Column("state", "State", 8),
            Column("pos", "Pos", 8, R),
            Column("real", "Real.", 9, R),
            Column("unreal", "Unreal.", 9, R),
            Column("trades", "Tr", 4, R),
            Column("note", " Note", 14),
        ),
    )
    COMPONENT_CLASSES: ClassVar[set[str]] = DiffTable.COMPONENT_CLASSES | {
        "strat--running",
        "strat--stopped",
        "strat--failed",
        "strat--long",
        "strat--short",
        "strat--up",
        "strat--down",
        "strat--note",
    }
    DEFAULT_CSS = """
    StrategiesPane > .strat--running { color: $success; }
    StrategiesPane > .strat--stopped { color: $fg-muted; }
    StrategiesPane > .strat--failed { color: $error; text-style: bold; }
    StrategiesPane > .strat--long { color: $bid; }
    StrategiesPane > .strat--short { color: $ask; }
    StrategiesPane > .strat--up { color: $bid; }
    StrategiesPane > .strat--down { color: $ask; }
    StrategiesPane > .strat--note { color: $fg-muted; }
    """

    def update_strategies(
        self, rows: Sequence[StrategyRow], instruments: Mapping[str, Instrument] | None = None
    ) -> int:
        """Show ``rows`` (running first); returns the table operations."""
        instruments = instruments or {}
        cells = {r.name: strategy_cells(r, instruments.get(r.symbol)) for r in rows}
        return self.apply_rows(cells)


__all__ = ["StrategiesPane", "StrategyRow", "pnl_cell", "strategy_cells"]
