"""The top bar: a mode badge (SIM / DEMO / LIVE — LIVE unmistakable in colour *and* text) and a
status line with venue connectivity, feed age, equity, available balance, margin use and PnL, the
venue's dead-man's switch (``DMS 10s`` armed, ``DMS off``, ``DMS failed``) and a warning while
protections live only in this process (algos: they stop with the engine)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import ClassVar

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

from core.model import Balance, Mode
from widgets.fmt import fmt_age, fmt_compact, fmt_dec, fmt_pct, fmt_signed, short_symbol
from widgets.lines import Line, LineWidget

BADGE_TEXT: dict[Mode, str] = {
    Mode.SIM: " SIM ",
    Mode.DEMO: " DEMO · paper ",
    Mode.LIVE: " ▲ LIVE · REAL MONEY ▲ ",
}


class ModeBadge(Static):
    """SIM / DEMO / LIVE badge; the LIVE one is red, bold, blinking-free and spelled out."""

    DEFAULT_CSS = """
    ModeBadge { width: auto; height: 1; text-style: bold; color: $mode-fg; }
    ModeBadge.-sim { background: $mode-sim; }
    ModeBadge.-demo { background: $mode-demo; }
    ModeBadge.-live { background: $mode-live; text-style: bold reverse; }
    ModeBadge.-live { color: $mode-live; background: $mode-fg; }
    """

    def __init__(self, mode: Mode, *, id: str | None = None) -> None:
        super().__init__(BADGE_TEXT[mode], id=id, classes=f"-{mode.value}")
        self.mode = mode


@dataclass(frozen=True, slots=True)
class HeaderData:
    """Everything the status line shows, as plain data."""

    symbol: str = ""
    balance: Balance | None = None
    upnl: Decimal | None = None
    today_pnl: Decimal | None = None
    connectivity: Mapping[str, str] = field(default_factory=dict)
    feed_age_s: float | None = None
    stale_after_s: float = 5.0
    dms_state: str = ""
    """The dead-man's switch: ``armed``, ``off``, ``failed``; ``""`` until the engine says."""
    dms_window_s: int | None = None
    in_process_protections: int = 0
    """Protections (brackets, OCOs, trailing stops) that only this engine's algos keep."""


Runs = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class HeaderItem:
    """One figure of the status line in its forms, widest first; ``()`` as the last form = may drop."""

    forms: tuple[Runs, ...]
    priority: int
    """0 = shortened last and never dropped; higher numbers give way first on a narrow terminal."""


def _len(runs: Runs) -> int:
    return sum(len(t) for t, _ in runs)


def fit_items(items: list[HeaderItem], width: int) -> Line:
    """The widest forms of ``items`` that fit ``width`` cells, two spaces apart.

    While the line is too long, the least important item that can still give way takes its next
    narrower form (or drops out, when its last form is empty); at equal importance the rightmost
    goes first.
    """
    chosen = [0] * len(items)

    def total() -> int:
        shown = [items[i].forms[chosen[i]] for i in range(len(items))]
        return sum(_len(r) + 2 for r in shown if r) - 1

    while total() > width:
        candidates = [i for i, it in enumerate(items) if chosen[i] + 1 < len(it.forms)]
        if not candidates:
            break
        worst = max(candidates, key=lambda i: (items[i].priority, i))
        chosen[worst] += 1
    runs: list[tuple[str, str]] = [(" ", "")]
    for i, item in enumerate(items):
        form = item.forms[chosen[i]]
        if not form:
            continue
        if len(runs) > 1:
            runs.append(("  ", ""))
        runs.extend(form)
    return tuple(runs)


DMS_PRIORITY = 2
"""An armed (or switched-off) dead-man's switch gives way after the account figures."""

STREAM_SEVERITY = {"down": 4, "resyncing": 3, "resync": 2, "stale": 1}
"""Which troubled stream the header names when several are (the first of the worst)."""


def _venue_item(d: HeaderData) -> HeaderItem:
    states = dict(d.connectivity)
    if not states:
        return HeaderItem(
            (
                (("venue ", "status--label"), ("○ connecting", "status--warn")),
                (("○ connecting", "status--warn"),),
            ),
            0,
        )
    bad = [k for k, v in states.items() if v not in ("up", "ok")]
    if not bad:
        ok = ("● up", "status--ok")
        return HeaderItem(((("venue ", "status--label"), ok), (ok,), (("●", "status--ok"),)), 2)
    # A dead socket matters more than a resync in progress, and both more than one stale book.
    worst = max(bad, key=lambda k: STREAM_SEVERITY.get(states[k], 0))
    text = f"✖ {worst} {states[worst]}"
    return HeaderItem(
        (
            (("venue ", "status--label"), (text, "status--bad")),
            ((text, "status--bad"),),
            ((f"✖ {worst}", "status--bad"),),
        ),
        0,
    )


def _pnl_item(label: str, short: str, pnl: Decimal, priority: int) -> HeaderItem:
    text, sign = fmt_signed(pnl, 2)
    cls = "status--up" if sign > 0 else ("status--down" if sign < 0 else "status--value")
    compact = f"{text[0]}{'+' if sign > 0 else ''}{fmt_compact(pnl)}" if sign else text
    return HeaderItem(
        (
            ((f"{label} ", "status--label"), (text, cls)),
            ((f"{short} ", "status--label"), (text, cls)),
            ((f"{short} ", "status--label"), (compact, cls)),
        ),
        priority,
    )


def _dms_item(d: HeaderData) -> HeaderItem | None:
    """``DMS 10s`` armed, ``DMS off``, ``DMS failed`` (never dropped: no protection is news)."""
    if not d.dms_state:
        return None
    label = ("DMS ", "status--label")
    if d.dms_state == "armed":
        value = (f"{d.dms_window_s}s", "status--ok")
        return HeaderItem(((label, value), ()), DMS_PRIORITY)
    if d.dms_state == "failed":
        return HeaderItem(((label, ("failed", "status--bad")),), 0)
    return HeaderItem(((label, (d.dms_state, "status--label")), ()), DMS_PRIORITY)


def _in_process_item(d: HeaderData) -> HeaderItem | None:
    """The warning that some protections die with this engine (shortened, never dropped)."""
    n = d.in_process_protections
    if n <= 0:
        return None
    return HeaderItem(
        (
            ((f"protections in-process: {n} — only while this engine runs", "status--warn"),),
            ((f"in-process: {n}", "status--warn"),),
            ((f"⚠{n} algo", "status--warn"),),
        ),
        1,
    )


def header_items(d: HeaderData) -> list[HeaderItem]:
    """The status line's figures in display order, each with its compact forms."""
    items: list[HeaderItem] = []
    if d.symbol:
        items.append(
            HeaderItem((((d.symbol, "status--value"),), ((short_symbol(d.symbol), "status--value"),)), 0)
        )
    items.append(_venue_item(d))
    if d.feed_age_s is not None:
        stale = d.feed_age_s >= d.stale_after_s
        age = (fmt_age(d.feed_age_s * 1000), "status--bad" if stale else "status--ok")
        forms: tuple[Runs, ...] = ((("feed ", "status--label"), age), (age,))
        items.append(HeaderItem(forms if stale else (*forms, ()), 4))
    b = d.balance
    if b is not None:
        eq = fmt_dec(b.equity, 2)
        items.append(
            HeaderItem(
                (
                    (("equity ", "status--label"), (eq, "status--value")),
                    (("eq ", "status--label"), (eq, "status--value")),
                    (("eq ", "status--label"), (fmt_compact(b.equity), "status--value")),
                ),
                0,
            )
        )
        av = fmt_dec(b.available, 2)
        items.append(
            HeaderItem(
                (
                    (("avail ", "status--label"), (av, "status--value")),
                    (("av ", "status--label"), (fmt_compact(b.available), "status--value")),
                    (),
                ),
                5,
            )
        )
        mg = (fmt_pct(b.margin_use_pct, 1), "status--value")
        items.append(HeaderItem(((("margin ", "status--label"), mg), (("mgn ", "status--label"), mg), ()), 3))
    if d.upnl is not None:
        items.append(_pnl_item("uPnL", "u", d.upnl, 0))
    if d.today_pnl is not None:
        items.append(_pnl_item("today", "day", d.today_pnl, 1))
    items.extend(i for i in (_dms_item(d), _in_process_item(d)) if i is not None)
    return items


class StatusLine(LineWidget):
    """Connectivity, feed age and account figures on one line, compacted to fit its width."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "status--label",
        "status--value",
        "status--ok",
        "status--warn",
        "status--bad",
        "status--up",
        "status--down",
    }
    DEFAULT_CSS = """
    StatusLine { height: 1; width: 1fr; background: $panel; }
    StatusLine > .status--label { color: $fg-muted; }
    StatusLine > .status--value { color: $fg; text-style: bold; }
    StatusLine > .status--ok { color: $risk-ok; }
    StatusLine > .status--warn { color: $risk-warn; text-style: bold; }
    StatusLine > .status--bad { color: $risk-hot; text-style: bold; }
    StatusLine > .status--up { color: $pnl-up; text-style: bold; }
    StatusLine > .status--down { color: $pnl-down; text-style: bold; }
    """

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._data = HeaderData()

    def set_data(self, data: HeaderData) -> bool:
        """Show ``data``; returns True when the line changed."""
        self._data = data
        return self.set_lines([self.build_line(data, self.size.width or 200)])

    def on_resize(self) -> None:
        """Re-fit the line to the new width."""
        self.set_lines([self.build_line(self._data, self.size.width or 200)])

    @staticmethod
    def build_line(d: HeaderData, width: int = 200) -> Line:
        """The status line runs, fitted to ``width`` cells."""
        return fit_items(header_items(d), width)


class AccountHeader(Horizontal):
    """Mode badge + status line."""

    DEFAULT_CSS = """
    AccountHeader { height: 1; dock: top; background: $panel; }
    """

    def __init__(self, mode: Mode, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.mode = mode
        self.badge = ModeBadge(mode, id="mode-badge")
        self.status = StatusLine(id="status-line")

    def compose(self) -> ComposeResult:
        """Badge then status."""
        yield self.badge
        yield self.status

    def set_data(self, data: HeaderData) -> bool:
        """Update the status line."""
        return self.status.set_data(data)
