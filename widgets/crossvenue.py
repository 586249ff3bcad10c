"""Cross-venue pane: each asset traded on two venues as one keyed, diffed row — both venues' best
bid/ask, the executable spread after both taker fees each way (highlighted at the alert
threshold), the basis, both funding rates and the countdowns to the next funding, and the state of
the asset's paired order (LEG RISK loudly). The row key is the asset.

A venue whose book is down or stale (the engine's book staleness: no update for the configured
seconds, or never connected) keeps its last quote on screen, dimmed, and the spreads and basis
against it read ``stale``: nothing computed from an old price looks live.

It renders plain data it is given (:class:`CrossRow`, the fields of
``core.market.crossvenue.CrossView``); the console's ``P`` on a row opens the paired ticket for
:attr:`selected_key`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from decimal import Decimal
from typing import ClassVar, Protocol

from widgets.fmt import fmt_dec, short_symbol
from widgets.table_diff import Cell, Column, DiffTable

R = "right"
BPS_PLACES = 1
FUNDING_PLACES = 4
"""Funding rates are shown in percent with this many decimals (``0.0100%``)."""
PERCENT = Decimal(100)
DEFAULT_PRICE_PLACES = 2
MS_PER_S = 1000
S_PER_MIN = 60
S_PER_HOUR = 3600
STALE = "stale"
"""What a spread or basis against a stale venue reads."""
STALE_CELL: Cell = (STALE, "xv--stale")


class QuoteRow(Protocol):
    """One venue's side of a row (``VenueQuote`` has these fields)."""

    @property
    def symbol(self) -> str: ...
    @property
    def bid(self) -> Decimal | None: ...
    @property
    def ask(self) -> Decimal | None: ...
    @property
    def funding_rate(self) -> Decimal | None: ...
    @property
    def next_funding_ms(self) -> int: ...


class CrossRow(Protocol):
    """What a row shows of one asset (``CrossView`` has these fields)."""

    @property
    def asset(self) -> str: ...
    @property
    def a(self) -> QuoteRow: ...
    @property
    def b(self) -> QuoteRow: ...
    @property
    def a_to_b_bps(self) -> Decimal | None: ...
    @property
    def b_to_a_bps(self) -> Decimal | None: ...
    @property
    def basis_bps(self) -> Decimal | None: ...


def countdown(next_ms: int, now_ms: int) -> str:
    """Time to the next funding: ``7h59m``, ``12m05s``, ``0s``; ``—`` when unknown."""
    if next_ms <= 0:
        return "—"
    s = max(0, (next_ms - now_ms) // MS_PER_S)
    if s >= S_PER_HOUR:
        return f"{s // S_PER_HOUR}h{(s % S_PER_HOUR) // S_PER_MIN:02d}m"
    if s >= S_PER_MIN:
        return f"{s // S_PER_MIN}m{s % S_PER_MIN:02d}s"
    return f"{s}s"


def spread_cell(bps: Decimal | None, threshold: Decimal) -> Cell:
    """A spread after fees: highlighted at or above the alert threshold, muted when negative."""
    if bps is None:
        return ("—", "")
    cls = "xv--alert" if bps >= threshold else "xv--neg" if bps < 0 else ""
    text = fmt_dec(bps, BPS_PLACES, sign=True, sep=False)
    return (f"!{text}" if bps >= threshold else text, cls)


def funding_cell(rate: Decimal | None) -> Cell:
    """A funding rate in percent per period."""
    if rate is None:
        return ("—", "")
    cls = "xv--pos" if rate > 0 else "xv--neg" if rate < 0 else ""
    return (fmt_dec(rate * PERCENT, FUNDING_PLACES, sign=True, sep=False) + "%", cls)


def quote_cells(quote: QuoteRow, places: int, stale: bool) -> tuple[Cell, Cell]:
    """A venue's bid and ask: dimmed when its book is stale (the last prices it sent)."""
    if stale:
        return (fmt_dec(quote.bid, places), "xv--stale"), (fmt_dec(quote.ask, places), "xv--stale")
    return (fmt_dec(quote.bid, places), "xv--bid"), (fmt_dec(quote.ask, places), "xv--ask")


def cross_cells(
    row: CrossRow,
    places: tuple[int, int],
    threshold: Decimal,
    now_ms: int,
    pair: str,
    stale: tuple[bool, bool] = (False, False),
) -> dict[str, Cell]:
    """The row for one asset, by column key (every profile picks its columns from it);
    ``stale`` says which venue's book (A, B) is down or stale."""
    pa, pb = places
    pair_cls = "xv--legrisk" if pair.startswith("LEG RISK") else "xv--pair"
    bid_a, ask_a = quote_cells(row.a, pa, stale[0])
    bid_b, ask_b = quote_cells(row.b, pb, stale[1])
    basis = ("—", "") if row.basis_bps is None else (fmt_dec(row.basis_bps, BPS_PLACES, sign=True), "")
    live = not any(stale)
    return {
        "asset": (row.asset, ""),
        "sym": (short_symbol(row.asset), ""),
        "bid_a": bid_a,
        "ask_a": ask_a,
        "bid_b": bid_b,
        "ask_b": ask_b,
        "ab": spread_cell(row.a_to_b_bps, threshold) if live else STALE_CELL,
        "ba": spread_cell(row.b_to_a_bps, threshold) if live else STALE_CELL,
        "basis": basis if live else STALE_CELL,
        "fund_a": funding_cell(row.a.funding_rate),
        "fund_b": funding_cell(row.b.funding_rate),
        "next": (
            f"{countdown(row.a.next_funding_ms, now_ms)}/{countdown(row.b.next_funding_ms, now_ms)}",
            "xv--muted",
        ),
        "pair": (pair, pair_cls),
    }


class CrossVenuePane(DiffTable):
    """Assets on both venues; select a row (Tab to focus), then ``P`` opens the paired ticket."""

    PROFILES: ClassVar = (
        (
            Column("asset", "Asset", 8),
            Column("bid_a", "Bid A", 10, R),
            Column("ask_a", "Ask A", 10, R),
            Column("bid_b", "Bid B", 10, R),
            Column("ask_b", "Ask B", 10, R),
            Column("ab", "A→B", 8, R),
            Column("ba", "B→A", 8, R),
            Column("basis", "Basis", 7, R),
            Column("fund_a", "Fund A", 9, R),
            Column("fund_b", "Fund B", 9, R),
            Column("next", "Next A/B", 13, R),  # "7h59m/59m59s" and a gap before it
            Column("pair", " Paired", 13),
        ),
        (
            Column("sym", "Sym", 5),
            Column("bid_a", "Bid A", 10, R),
            Column("ask_a", "Ask A", 10, R),
            Column("bid_b", "Bid B", 10, R),
            Column("ask_b", "Ask B", 10, R),
            Column("ab", "A→B", 7, R),
            Column("ba", "B→A", 7, R),
            Column("pair", " Paired", 16),
        ),
        (
            Column("sym", "Sym", 5),
            Column("ask_a", "Ask A", 10, R),
            Column("bid_b", "Bid B", 10, R),
            Column("ab", "A→B", 7, R),
            Column("ba", "B→A", 7, R),
            Column("pair", " Paired", 13),
        ),
    )
    COMPONENT_CLASSES: ClassVar[set[str]] = DiffTable.COMPONENT_CLASSES | {
        "xv--bid",
        "xv--ask",
        "xv--alert",
        "xv--neg",
        "xv--pos",
        "xv--muted",
        "xv--pair",
        "xv--legrisk",
        "xv--stale",
    }
    DEFAULT_CSS = """
    CrossVenuePane > .xv--bid { color: $bid; }
    CrossVenuePane > .xv--ask { color: $ask; }
    CrossVenuePane > .xv--alert { color: $warning; text-style: bold reverse; }
    CrossVenuePane > .xv--neg { color: $fg-muted; }
    CrossVenuePane > .xv--pos { color: $bid; }
    CrossVenuePane > .xv--muted { color: $fg-muted; }
    CrossVenuePane > .xv--pair { color: $fg-muted; }
    CrossVenuePane > .xv--legrisk { color: $error; text-style: bold reverse; }
    CrossVenuePane > .xv--stale { color: $fg-muted; text-style: italic; }
    """

    def update_cross(
        self,
        rows: Sequence[CrossRow],
        *,
        now_ms: int,
        threshold_bps: Decimal,
        price_places: Mapping[str, int] | None = None,
        pairs: Mapping[str, str] | None = None,
        stale: Collection[str] = (),
    ) -> int:
        """Show ``rows``; ``price_places`` by symbol, ``pairs`` the paired-order state by asset,
        ``stale`` the symbols whose venue's book is down or stale. Returns the table operations."""
        places = price_places or {}
        notes = pairs or {}
        cells = {
            r.asset: cross_cells(
                r,
                (
                    places.get(r.a.symbol, DEFAULT_PRICE_PLACES),
                    places.get(r.b.symbol, DEFAULT_PRICE_PLACES),
                ),
                threshold_bps,
                now_ms,
                notes.get(r.asset, ""),
                (r.a.symbol in stale, r.b.symbol in stale),
            )
            for r in rows
        }
        return self.apply_rows(cells)


__all__ = [
    "CrossRow",
    "CrossVenuePane",
    "QuoteRow",
    "countdown",
    "cross_cells",
    "funding_cell",
    "quote_cells",
    "spread_cell",
]
