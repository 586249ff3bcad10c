"""Positions pane: keyed, diffed DataTable rows (symbol, side, size, entry, mark, liq, uPnL, uPnL %,
leverage, TP/SL and where each protection lives: ``ex`` = on the exchange (the position's TP/SL, a
reduce-only stop order the venue holds), ``algo`` = in this process (a bracket, OCO or trailing
stop the engine runs: it stops with the engine).

At 80 columns the compact profile still shows side and size, entry, mark, liquidation and uPnL
(a figure too wide for its column there drops its thousands separators, keeping the gap).
With several venues at once (a symbol with a venue suffix, ``BTCUSDT.HL``) every profile gains a
venue column (``BYB``, ``HL``) and the symbol column shows the venue's own symbol."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import ClassVar

from core.model import Instrument, Position, Side
from core.venue_symbols import bare_symbol, on_second_venue, venue_label
from widgets.fmt import fmt_dec, fmt_pct, fmt_signed, short_symbol
from widgets.table_diff import Cell, Column, DiffTable

EX = "ex"
"""Held by the venue: it works whether or not this engine runs."""
ALGO = "algo"
"""Held by an algo in this engine: it works only while the engine runs."""
TAKE_PROFIT = "tp"
STOP_LOSS = "sl"


@dataclass(frozen=True, slots=True)
class Guard:
    """One protection of a position: which side of it (``tp`` or ``sl``), where it lives (``ex``
    or ``algo``), its trigger price when it has one, and a short name (``stop``, ``trail``)."""

    role: str
    where: str
    price: Decimal | None = None
    name: str = ""


Guards = Mapping[str, Sequence[Guard]]
"""The protections of each position, by symbol (the console collects them)."""

R = "right"


VENUE_COLUMN = Column("venue", "Ven", 4)
"""The venue of a row (``BYB``, ``HL``), shown when several venues trade at once."""


def _with_venue(profiles: Sequence[Sequence[Column]]) -> tuple[tuple[Column, ...], ...]:
    """``profiles`` with the venue column after the symbol (which then shows the venue's own)."""
    out = []
    for profile in profiles:
        cols: list[Column] = []
        for col in profile:
            cols.append(col._replace(key="asset") if col.key == "symbol" else col)
            if col.key in ("symbol", "sym"):
                cols.append(VENUE_COLUMN)
        out.append(tuple(cols))
    return tuple(out)


def _protection(p: Position, guards: Sequence[Guard], role: str, places: int) -> str:
    """``96,000.0 ex``, ``trail algo``; ``+N`` when more protect the same side; ``—`` for none."""
    native = p.take_profit if role == TAKE_PROFIT else p.stop_loss
    mine = [g for g in guards if g.role == role]
    if native is not None:
        mine.insert(0, Guard(role, EX, native))
    if not mine:
        return "—"
    first = mine[0]
    what = fmt_dec(first.price, places) if first.price is not None else first.name
    more = f"+{len(mine) - 1}" if len(mine) > 1 else ""
    return f"{what} {first.where}{more}"


PRICE_W = 9
"""A price column of the 80-column profile (one cell of it is the gap before the next column)."""
PNL_W = 10
"""The uPnL column of the 80-column profile."""
PNL_MID_W = 11
"""The uPnL column of the middle profile."""


def _fit(value: Decimal | None, places: int, width: int) -> str:
    """``value`` with thousands separators when it leaves a gap in ``width``, else without."""
    text = fmt_dec(value, places)
    return text if len(text) < width else fmt_dec(value, places, sep=False)


def _fit_pnl(value: Decimal, text: str, width: int) -> str:
    """``text`` (``▲+22,190.20``) when it leaves a gap in ``width``; else without separators, then
    without cents (``▲+22190``)."""
    for tight in (text, text[0] + fmt_dec(value, 2, sign=True, sep=False)):
        if len(tight) < width:
            return tight
    return text[0] + fmt_dec(value, 0, sign=True, sep=False)


def position_cells(p: Position, inst: Instrument | None, guards: Sequence[Guard] = ()) -> dict[str, Cell]:
    """The row for one position, by column key (every profile picks its columns from it)."""
    pp = inst.price_decimals if inst else 2
    qp = inst.qty_decimals if inst else 3
    long = p.side is Side.BUY
    side_cls = "pos--long" if long else "pos--short"
    pnl_text, pnl_sign = fmt_signed(p.unrealised_pnl, 2)
    pnl_cls = "pos--up" if pnl_sign > 0 else ("pos--down" if pnl_sign < 0 else "")
    size = fmt_dec(p.size, qp)
    return {
        "symbol": (p.symbol, ""),
        "sym": (short_symbol(bare_symbol(p.symbol)), ""),
        "asset": (bare_symbol(p.symbol), ""),
        "venue": (venue_label(p.symbol), "pos--venue"),
        "side": ("LONG" if long else "SHORT", side_cls),
        "pos": (f"{'L' if long else 'S'} {size}", side_cls),
        "size": (size, ""),
        "upnl": (pnl_text, pnl_cls),
        "upnl_pct": (fmt_pct(p.upnl_pct, 2, sign=True), pnl_cls),
        "entry": (fmt_dec(p.entry_price, pp), ""),
        "mark": (fmt_dec(p.mark_price, pp), ""),
        "liq": (fmt_dec(p.liq_price, pp), "pos--liq"),
        # The 80-column profile: a figure too wide for its column loses its thousands separators
        # (104104.9, not 104,104.9 run into the next column).
        "entry_c": (_fit(p.entry_price, pp, PRICE_W), ""),
        "mark_c": (_fit(p.mark_price, pp, PRICE_W), ""),
        "liq_c": (_fit(p.liq_price, pp, PRICE_W), "pos--liq"),
        "upnl_m": (_fit_pnl(p.unrealised_pnl, pnl_text, PNL_MID_W), pnl_cls),
        "upnl_c": (_fit_pnl(p.unrealised_pnl, pnl_text, PNL_W), pnl_cls),
        "lev": (f"{fmt_dec(p.leverage, 1, sep=False)}x", ""),
        "tp": (_protection(p, guards, TAKE_PROFIT, pp), ""),
        "sl": (_protection(p, guards, STOP_LOSS, pp), ""),
    }


class PositionsTable(DiffTable):
    """Open positions, one row per symbol."""

    PROFILES: ClassVar = (
        (
            Column("symbol", "Symbol", 9),
            Column("side", "Side", 6),
            Column("size", "Size", 9, R),
            Column("entry", "Entry", 11, R),
            Column("mark", "Mark", 11, R),
            Column("liq", "Liq", 11, R),
            Column("upnl", "uPnL", 12, R),
            Column("upnl_pct", "uPnL%", 9, R),
            Column("lev", "Lev", 7, R),
            Column("tp", "TP", 15),
            Column("sl", "SL", 13),
        ),
        (
            Column("symbol", "Symbol", 8),
            Column("side", "Side", 6),
            Column("size", "Size", 8, R),
            Column("entry", "Entry", 10, R),
            Column("mark", "Mark", 10, R),
            Column("liq", "Liq", 10, R),
            Column("upnl_m", "uPnL", PNL_MID_W, R),
            Column("upnl_pct", "uPnL%", 8, R),
        ),
        (
            Column("sym", "Sym", 5),
            Column("pos", "Pos", 9),
            Column("entry_c", "Entry", PRICE_W, R),
            Column("mark_c", "Mark", PRICE_W, R),
            Column("liq_c", "Liq", PRICE_W, R),
            Column("upnl_c", "uPnL", PNL_W, R),
        ),
    )
    COMPONENT_CLASSES: ClassVar[set[str]] = DiffTable.COMPONENT_CLASSES | {
        "pos--long",
        "pos--short",
        "pos--up",
        "pos--down",
        "pos--liq",
        "pos--venue",
    }
    DEFAULT_CSS = """
    PositionsTable > .pos--long { color: $bid; text-style: bold; }
    PositionsTable > .pos--short { color: $ask; text-style: bold; }
    PositionsTable > .pos--up { color: $pnl-up; }
    PositionsTable > .pos--down { color: $pnl-down; }
    PositionsTable > .pos--liq { color: $warning; }
    PositionsTable > .pos--venue { color: $fg-muted; }
    """
    MULTI_PROFILES: ClassVar = _with_venue(PROFILES)
    """The profiles with a venue column, used once a row lives on a second venue."""
    venues_shown: bool = False
    """True once a row from a second venue was shown: the venue column stays from then on."""

    def pick_profile(self, width: int) -> Sequence[Column]:
        """The profile for ``width`` (its venue-column twin once several venues are shown)."""
        base = super().pick_profile(width)
        return self.MULTI_PROFILES[self.PROFILES.index(base)] if self.venues_shown else base

    def update_positions(
        self,
        positions: Mapping[str, Position],
        instruments: Mapping[str, Instrument] | None = None,
        guards: Guards | None = None,
    ) -> int:
        """Show the non-flat ``positions`` with their ``guards``; returns the number of table operations."""
        instruments = instruments or {}
        guards = guards or {}
        rows = {
            sym: position_cells(p, instruments.get(sym), guards.get(sym, ()))
            for sym, p in sorted(positions.items())
            if not p.is_flat
        }
        if any(on_second_venue(sym) for sym in rows) and not self.venues_shown:
            self.venues_shown = True
            self._use_profile(self.pick_profile(self.size.width))
        return self.apply_rows(rows)
