"""The top bar: a mode badge (SIM / DEMO / LIVE — LIVE unmistakable in colour *and* text) and a
status line with venue connectivity, feed age, equity, available balance, margin use and PnL."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import ClassVar

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

from core.model import Balance, Mode
from widgets.fmt import fmt_dec, fmt_pct, trend_glyph
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


STREAM_SEVERITY = {"down": 4, "resyncing": 3, "resync": 2, "stale": 1}
"""Which troubled stream the header names when several are (the first of the worst)."""


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


class StatusLine(LineWidget):
    """Connectivity, feed age and account figures on one line."""

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

    def set_data(self, data: HeaderData) -> bool:
        """Show ``data``; returns True when the line changed."""
        return self.set_lines([self.build_line(data)])

    @staticmethod
    def build_line(d: HeaderData) -> Line:
        """The status line runs."""
        runs: list[tuple[str, str]] = [(" ", "")]
        if d.symbol:
            runs += [(d.symbol, "status--value"), ("  ", "")]
        states = dict(d.connectivity)
        if not states:
            runs += [("venue ", "status--label"), ("○ connecting", "status--warn")]
        else:
            bad = [k for k, v in states.items() if v not in ("up", "ok")]
            if not bad:
                runs += [("venue ", "status--label"), ("● up", "status--ok")]
            else:
                # A dead socket matters more than a resync in progress, and both more than a stale book.
                worst = max(bad, key=lambda k: STREAM_SEVERITY.get(states[k], 0))
                runs += [("venue ", "status--label"), (f"✖ {worst} {states[worst]}", "status--bad")]
        if d.feed_age_s is not None:
            cls = "status--ok" if d.feed_age_s < d.stale_after_s else "status--bad"
            runs += [("  feed ", "status--label"), (f"{d.feed_age_s:.1f}s", cls)]
        b = d.balance
        if b is not None:
            runs += [
                ("  equity ", "status--label"),
                (fmt_dec(b.equity, 2), "status--value"),
                ("  avail ", "status--label"),
                (fmt_dec(b.available, 2), "status--value"),
                ("  margin ", "status--label"),
                (fmt_pct(b.margin_use_pct, 1), "status--value"),
            ]
        for label, pnl in (("uPnL", d.upnl), ("today", d.today_pnl)):
            if pnl is None:
                continue
            cls = "status--up" if pnl > 0 else ("status--down" if pnl < 0 else "status--value")
            runs += [
                (f"  {label} ", "status--label"),
                (f"{trend_glyph(pnl)}{fmt_dec(pnl, 2, sign=True)}", cls),
            ]
        return tuple(runs)


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
