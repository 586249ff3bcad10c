"""Algos pane: every execution algo of the session as keyed, diffed DataTable rows — type, side,
a progress bar, filled/remaining, average price vs arrival price (slippage in bp, signed so that
positive is worse for the trader), state and the algo's one-line note. The row key is the algo id.

It renders plain snapshot data it is given (:class:`AlgoSnapshot`, the fields of
``core.api.AlgoSnapshot``); the console's keys on it
(pause, resume, cancel) act on :attr:`selected_key`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import ClassVar, Protocol

from core.model import Instrument
from widgets.fmt import fmt_dec, short_symbol
from widgets.table_diff import Cell, Column, DiffTable

R = "right"
BAR_WIDTH = 10
"""Cells of the progress bar (the compact profile uses half)."""
_BP = Decimal(10000)
SHORT_ID = 5
"""Characters of an id in the compact profile (its tail, after an ellipsis)."""
STATE_CLASSES: dict[str, str] = {
    "running": "algo--running",
    "waiting": "algo--waiting",
    "paused": "algo--paused",
    "done": "algo--done",
    "cancelled": "algo--ended",
    "failed": "algo--failed",
}


class AlgoSnapshot(Protocol):
    """What a row shows of one algo (``core.api.AlgoSnapshot`` has these fields; widgets do not
    import the engine's API)."""

    @property
    def id(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def symbol(self) -> str: ...
    @property
    def side(self) -> str: ...
    @property
    def state(self) -> str: ...
    @property
    def filled(self) -> Decimal: ...
    @property
    def total(self) -> Decimal: ...
    @property
    def avg_price(self) -> Decimal | None: ...
    @property
    def arrival_price(self) -> Decimal | None: ...
    @property
    def note(self) -> str: ...


def progress_bar(filled: Decimal, total: Decimal, width: int = BAR_WIDTH) -> str:
    """``█████░░░░░ 50%``: filled cells rounded down, never full before the total is filled."""
    if total <= 0:
        return "░" * width + "   0%"
    frac = max(Decimal(0), min(Decimal(1), filled / total))
    cells = int(frac * width)
    pct = int(frac * 100)
    return "█" * cells + "░" * (width - cells) + f" {pct:>3}%"


def slippage_bp(algo: AlgoSnapshot) -> Decimal | None:
    """Average price vs arrival price in basis points, positive = worse (paid more on a buy)."""
    if algo.avg_price is None or algo.arrival_price is None or algo.arrival_price <= 0:
        return None
    diff = (algo.avg_price - algo.arrival_price) / algo.arrival_price * _BP
    return diff if algo.side == "Buy" else -diff


def short_id(algo_id: str) -> str:
    """The id's last characters (``…3mn1``): an id begins with its start time, so algos started
    in one burst share their first characters and differ only at the end, as the log names them."""
    if len(algo_id) <= SHORT_ID:
        return algo_id
    return "…" + algo_id[-(SHORT_ID - 1) :]


def algo_cells(algo: AlgoSnapshot, inst: Instrument | None) -> dict[str, Cell]:
    """The row for one algo, by column key (every profile picks its columns from it)."""
    pp = inst.price_decimals if inst else 2
    qp = inst.qty_decimals if inst else 3
    side_cls = "algo--buy" if algo.side == "Buy" else "algo--sell" if algo.side == "Sell" else ""
    remaining = max(Decimal(0), algo.total - algo.filled)
    slip = slippage_bp(algo)
    state_cls = STATE_CLASSES.get(algo.state, "")
    return {
        "id": (algo.id, ""),
        "sid": (short_id(algo.id), ""),
        "kind": (algo.kind, ""),
        "symbol": (algo.symbol, ""),
        "sym": (short_symbol(algo.symbol), ""),
        "side": (algo.side or "-", side_cls),
        "bar": (progress_bar(algo.filled, algo.total), ""),
        "sbar": (progress_bar(algo.filled, algo.total, BAR_WIDTH // 2), ""),
        "filled": (f"{fmt_dec(algo.filled, qp, sep=False)}/{fmt_dec(remaining, qp, sep=False)}", ""),
        "avg": (fmt_dec(algo.avg_price, pp) if algo.avg_price is not None else "—", ""),
        "arrival": (fmt_dec(algo.arrival_price, pp) if algo.arrival_price is not None else "—", ""),
        "slip": (f"{slip:+.1f}" if slip is not None else "—", ""),
        "state": (algo.state, state_cls),
        "note": (algo.note, "algo--note"),
    }


class AlgosPane(DiffTable):
    """Execution algos; select a row (Tab to focus), then pause / resume / cancel with its keys."""

    KEEP_ORDER: ClassVar[bool] = True
    """Live algos above ended ones, as the engine orders them: an algo that ends moves down."""

    PROFILES: ClassVar = (
        (
            Column("id", "Id", 12),
            Column("kind", "Type", 8),
            Column("sym", "Sym", 5),
            Column("side", "Side", 5),
            Column("state", "State", 10),
            Column("bar", "Progress", 16),
            Column("filled", "Filled/Left", 16),
            Column("avg", "Avg", 11, R),
            Column("arrival", "Arrival", 11, R),
            Column("slip", "Slip bp", 8, R),
            Column("note", " Note", 12),
        ),
        (
            Column("sid", "Id", 6),
            Column("kind", "Type", 8),  # "iceberg", "bracket" and their one-cell gap
            Column("side", "Side", 5),
            Column("state", "State", 10),
            Column("sbar", "Progress", 11),
            Column("filled", "Fill/Left", 12),
            Column("avg", "Avg", 10, R),
            Column("note", " Note", 19),
        ),
    )
    COMPONENT_CLASSES: ClassVar[set[str]] = DiffTable.COMPONENT_CLASSES | {
        "algo--buy",
        "algo--sell",
        "algo--running",
        "algo--waiting",
        "algo--paused",
        "algo--done",
        "algo--ended",
        "algo--failed",
        "algo--note",
    }
    DEFAULT_CSS = """
    AlgosPane > .algo--buy { color: $bid; text-style: bold; }
    AlgosPane > .algo--sell { color: $ask; text-style: bold; }
    AlgosPane > .algo--running { color: $success; }
    AlgosPane > .algo--waiting { color: $fg-muted; }
    AlgosPane > .algo--paused { color: $warning; }
    AlgosPane > .algo--done { color: $fg-muted; }
    AlgosPane > .algo--ended { color: $fg-muted; }
    AlgosPane > .algo--failed { color: $error; text-style: bold; }
    AlgosPane > .algo--note { color: $fg-muted; }
    """

    def update_algos(
        self, algos: Sequence[AlgoSnapshot], instruments: Mapping[str, Instrument] | None = None
    ) -> int:
        """Show ``algos`` (running first, as the engine orders them); returns the table operations."""
        instruments = instruments or {}
        rows = {a.id: algo_cells(a, instruments.get(a.symbol)) for a in algos}
        return self.apply_rows(rows)


__all__ = ["BAR_WIDTH", "AlgosPane", "algo_cells", "progress_bar", "slippage_bp"]
