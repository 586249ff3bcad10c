"""Risk meters: daily loss, gross exposure and margin use against their limits, rate-limit
headroom per endpoint group, and every breaker's state with its reason."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from core.events import RiskStatus
from widgets.fmt import fmt_compact
from widgets.lines import Line, LineWidget

_OK_STATES = frozenset({"ok", "closed", "armed", "normal"})
RATE_QUIET_PCT = 90.0
"""Headroom above which the rate line just says all is well."""
RATE_GROUPS_SHOWN = 3
"""Only the endpoint groups closest to their limit are shown."""
WARN_PCT = 50.0
HOT_PCT = 80.0
COMPACT_BELOW = 44
"""Pane width below which the meters use short labels (the 80-column layout)."""
SHORT_LABELS = {"daily loss": "loss", "exposure": "expo", "rate left  ": "rate "}


def level_class(used_pct: float) -> str:
    """Component class for a usage percentage: ok, warn (>= 50%) or hot (>= 80%)."""
    if used_pct >= HOT_PCT:
        return "risk--hot"
    if used_pct >= WARN_PCT:
        return "risk--warn"
    return "risk--ok"


def bar(used_pct: float, width: int) -> str:
    """A filled/empty bar of ``width`` cells."""
    n = max(0, min(width, int(round(used_pct / 100 * width))))
    return "█" * n + "░" * (width - n)


def _pct(used: Decimal, limit: Decimal) -> float:
    return float(used / limit * 100) if limit > 0 else 0.0


class RiskMeters(LineWidget):
    """The risk pane."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "risk--title",
        "risk--label",
        "risk--ok",
        "risk--warn",
        "risk--hot",
        "risk--muted",
    }

    DEFAULT_CSS = """
    RiskMeters { height: 1fr; min-height: 4; }
    RiskMeters > .risk--title { color: $fg-muted; text-style: bold; }
    RiskMeters > .risk--label { color: $fg; }
    RiskMeters > .risk--ok { color: $risk-ok; }
    RiskMeters > .risk--warn { color: $risk-warn; text-style: bold; }
    RiskMeters > .risk--hot { color: $risk-hot; text-style: bold; }
    RiskMeters > .risk--muted { color: $fg-muted; }
    """

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._status: RiskStatus | None = None

    def set_status(self, status: RiskStatus | None) -> bool:
        """Show ``status``; returns True when the pane changed."""
        self._status = status
        return self.set_lines(self.build_lines(self.size.width or 40, self.size.height or 20))

    def on_resize(self) -> None:
        """Re-layout for the new size."""
        self.set_lines(self.build_lines(self.size.width, self.size.height))

    def _meter(self, label: str, pct: float, detail: str, width: int) -> Line:
        cls = level_class(pct)
        if width < COMPACT_BELOW:  # 80 columns: short labels, the bar takes what is left
            label = SHORT_LABELS.get(label, label)
            bar_w = max(3, min(16, width - 8 - 7 - 11))  # 11: the widest detail ("31.0k/1.00M")
            head = f"{label:<7}"
        else:
            bar_w = max(4, min(16, width - 34))
            head = f"{label:<11}"
        return (
            (head, "risk--label"),
            (bar(pct, bar_w), cls),
            (f" {pct:5.1f}% ", cls),
            (detail, "risk--muted"),
        )

    def build_lines(self, width: int, height: int = 20) -> list[Line]:
        """Meters, then rate headroom, then breakers; compact when ``height`` is short."""
        s = self._status
        if s is None:
            return [(("waiting for the engine…", "risk--title"),)]
        lines: list[Line] = []
        lines.append(
            self._meter(
                "daily loss",
                _pct(s.daily_loss, s.daily_loss_limit),
                f"{fmt_compact(s.daily_loss)}/{fmt_compact(s.daily_loss_limit)}",
                width,
            )
        )
        lines.append(
            self._meter(
                "exposure",
                _pct(s.gross_exposure, s.gross_exposure_cap),
                f"{fmt_compact(s.gross_exposure)}/{fmt_compact(s.gross_exposure_cap)}",
                width,
            )
        )
        lines.append(self._meter("margin", float(s.margin_use_pct), "of equity", width))
        if s.rate_headroom:
            label = "rate left  " if width >= COMPACT_BELOW else SHORT_LABELS["rate left  "]
            runs: list[tuple[str, str]] = [(label, "risk--label")]
            tightest = sorted(s.rate_headroom.items(), key=lambda kv: (kv[1], kv[0]))[:RATE_GROUPS_SHOWN]
            floor = min(h * 100 if h <= 1 else h for h in s.rate_headroom.values())
            if floor >= RATE_QUIET_PCT:
                # Nothing is under pressure: one calm line instead of a list of 100 %s.
                runs.append((f"all {len(s.rate_headroom)} groups ≥ {RATE_QUIET_PCT:.0f}%", "risk--ok"))
                tightest = []
            for group, head in tightest:
                pct = head * 100 if head <= 1 else head
                runs.append((f"{group} {pct:.0f}% ", level_class(100 - pct)))
            lines.append(tuple(runs))
        return lines + breaker_lines(s.breakers, width, height - len(lines))


REASON_LINES = 3
"""At most this many wrapped lines of a tripped breaker's reason."""


def _wrap(text: str, width: int, max_lines: int) -> list[str]:
    """``text`` in lines of at most ``width`` cells, cut with an ellipsis after ``max_lines``."""
    words, out, cur = text.split(), [], ""
    for word in words:
        while len(word) > width:  # a long token (a URL, a path) is split hard
            if cur:
                out.append(cur)
                cur = ""
            out.append(word[:width])
            word = word[width:]
        if not cur:
            cur = word
        elif len(cur) + 1 + len(word) <= width:
            cur += " " + word
        else:
            out.append(cur)
            cur = word
    if cur:
        out.append(cur)
    if len(out) > max_lines:
        out = out[:max_lines]
        out[-1] = out[-1][: max(0, width - 1)] + "…"
    return out


def breaker_lines(breakers: dict[str, tuple[str, str]], width: int, room: int) -> list[Line]:
    """Tripped breakers first, each with its reason (wrapped under it when the line is too
    narrow), then the closed ones; one summary line when ``room`` is short and none is tripped."""
    tripped = {n: v for n, v in breakers.items() if v[0].lower() not in _OK_STATES}
    if room < len(breakers) and not tripped:
        return [((f"● breakers: all {len(breakers)} ok", "risk--ok"),)]
    lines: list[Line] = []
    for name, (state, reason) in sorted(tripped.items()):
        shown = "TRIPPED" if state.lower() == "open" else state.upper()
        head = f"✖ {name} {shown}"
        if not reason:
            lines.append(((head, "risk--hot"),))
        elif len(head) + 2 + len(reason) <= width:
            lines.append(((head, "risk--hot"), (f"  {reason}", "risk--muted")))
        else:
            lines.append(((head, "risk--hot"),))
            lines.extend(
                ((f"  {part}", "risk--muted"),) for part in _wrap(reason, max(8, width - 2), REASON_LINES)
            )
    if room >= len(breakers):
        lines.extend(((f"● {name} ok", "risk--ok"),) for name in sorted(breakers) if name not in tripped)
    return lines
