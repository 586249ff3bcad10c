"""WCAG 2.x contrast check for the console's themes.

A theme is offered (palette, ``t``, ``[ui] theme``) only when every colour the panes draw reads
against what it is drawn on: text at least 4.5:1 (WCAG AA for normal text), pane borders and the
focus border at least 3:1 (WCAG 1.4.11, non-text contrast).

ANSI themes name the terminal's own palette (``ansi_green``), whose real colours the console cannot
know; they are checked against xterm's default palette (:data:`ANSI_REFERENCE`, the one most
terminals ship with), with ``ansi_default`` meaning that palette's foreground or background.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from rich.terminal_theme import TerminalTheme
from textual.color import Color
from textual.theme import Theme

TEXT_MIN = 4.5
"""WCAG AA contrast for normal text."""
BORDER_MIN = 3.0
"""WCAG non-text contrast for borders and other graphical objects."""
ANSI_REFERENCE = TerminalTheme(
    (0, 0, 0),
    (229, 229, 229),
    [
        (0, 0, 0),
        (205, 0, 0),
        (0, 205, 0),
        (205, 205, 0),
        (0, 0, 238),
        (205, 0, 205),
        (0, 205, 205),
        (229, 229, 229),
    ],
    [
        (127, 127, 127),
        (255, 0, 0),
        (0, 255, 0),
        (255, 255, 0),
        (92, 92, 255),
        (255, 0, 255),
        (0, 255, 255),
        (255, 255, 255),
    ],
)
"""xterm's default 16 colours (black background): the palette ANSI themes are judged against."""

TEXT_ON_BACKGROUND = (
    "fg",
    "fg-muted",
    "foreground",
    "bid",
    "ask",
    "pnl-up",
    "pnl-down",
    "risk-ok",
    "risk-warn",
    "risk-hot",
    "own-order",
    "warning",
    "error",
)
"""Colours drawn as text on the screen background (ladder, tables, log, risk meters)."""
TEXT_ON_PANEL = ("fg", "fg-muted", "pnl-up", "pnl-down", "risk-ok", "risk-warn", "risk-hot")
"""Colours drawn as text on ``$panel`` (the header's status line)."""
TEXT_PAIRS = (
    ("bid", "bid-bg"),
    ("ask", "ask-bg"),
    ("mode-fg", "mode-sim"),
    ("mode-fg", "mode-demo"),
    ("mode-fg", "mode-live"),
    ("background", "bid"),
    ("background", "ask"),
    ("foreground", "surface"),
    ("footer-key-foreground", "footer-background"),
)
"""(text, background) pairs drawn together: best bid/ask, mode badges, ticket titles, modals, key bar."""
BORDERS = ("pane-border", "primary")
"""Pane borders and the focus border, against the screen background."""


@dataclass(frozen=True, slots=True)
class ContrastFailure:
    """One pair of colours that does not reach its minimum ratio."""

    theme: str
    foreground: str
    background: str
    ratio: float
    minimum: float

    def __str__(self) -> str:
        return (
            f"{self.theme}: ${self.foreground} on ${self.background} is {self.ratio:.2f}:1, "
            f"needs {self.minimum:g}:1"
        )


def relative_luminance(rgb: tuple[int, int, int]) -> float:
    """WCAG relative luminance of an sRGB colour (0 = black, 1 = white)."""

    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    """WCAG contrast ratio between two colours, from 1.0 (same) to 21.0 (black on white)."""
    la, lb = relative_luminance(a), relative_luminance(b)
    hi, lo = max(la, lb), min(la, lb)
    return (hi + 0.05) / (lo + 0.05)


def _is_background(variable: str) -> bool:
    """Whether a variable paints a background (``ansi_default`` then means the terminal's background)."""
    return variable in ("surface", "panel", "boost") or "background" in variable or variable.endswith("-bg")


def _ansi_rgb(color: Color, *, background: bool, palette: TerminalTheme) -> tuple[int, int, int]:
    if color.ansi is None:
        return color.rgb
    if color.ansi < 0:  # ansi_default: the terminal's own foreground / background
        triplet = palette.background_color if background else palette.foreground_color
    else:
        triplet = palette.ansi_colors[color.ansi]
    return (triplet.red, triplet.green, triplet.blue)


class ThemeColours:
    """A theme's variables resolved to opaque RGB (translucent colours blended over the background)."""

    def __init__(
        self,
        theme: Theme,
        *,
        palette: TerminalTheme = ANSI_REFERENCE,
        defaults: Mapping[str, str] | None = None,
    ) -> None:
        self.name = theme.name
        self.palette = palette
        # The same merge as ``App.get_css_variables``: app defaults < colour system < theme variables.
        self.values: Mapping[str, str] = {
            **(defaults or {}),
            **theme.to_color_system().generate(),
            **theme.variables,
        }
        self.base = self.rgb("background")

    def rgb(self, variable: str) -> tuple[int, int, int]:
        """The colour a variable paints, as an (r, g, b) triple."""
        raw = self.values[variable].split()[0]
        color = Color(0, 0, 0, 0) if raw == "transparent" else Color.parse(raw)
        rgb = _ansi_rgb(color, background=_is_background(variable), palette=self.palette)
        if color.a < 1 and variable != "background":
            base = Color(*self.base)
            return base.blend(Color(*rgb), color.a).rgb
        return rgb


def _check(colours: ThemeColours, pairs: Iterable[tuple[str, str]], minimum: float) -> list[ContrastFailure]:
    out = []
    for fg, bg in pairs:
        if fg not in colours.values or bg not in colours.values:
            out.append(ContrastFailure(colours.name, fg, bg, 0.0, minimum))
            continue
        ratio = contrast_ratio(colours.rgb(fg), colours.rgb(bg))
        if ratio < minimum:
            out.append(ContrastFailure(colours.name, fg, bg, ratio, minimum))
    return out


def contrast_failures(
    theme: Theme, *, defaults: Mapping[str, str] | None = None, palette: TerminalTheme = ANSI_REFERENCE
) -> list[ContrastFailure]:
    """Every pair in ``theme`` below its minimum ratio (empty when the theme is readable).

    ``defaults`` are the app's fallback variables (``App.get_theme_variable_defaults``).
    """
    c = ThemeColours(theme, palette=palette, defaults=defaults)
    text = [(v, "background") for v in TEXT_ON_BACKGROUND]
    text += [(v, "panel") for v in TEXT_ON_PANEL]
    text += list(TEXT_PAIRS)
    borders = [(v, "background") for v in BORDERS]
    return _check(c, text, TEXT_MIN) + _check(c, borders, BORDER_MIN)


def readable(themes: Iterable[Theme], *, defaults: Mapping[str, str] | None = None) -> dict[str, Theme]:
    """The themes that pass :func:`contrast_failures`, by name, in the given order."""
    return {t.name: t for t in themes if not contrast_failures(t, defaults=defaults)}


__all__ = [
    "BORDER_MIN",
    "TEXT_MIN",
    "ContrastFailure",
    "contrast_failures",
    "contrast_ratio",
    "readable",
    "relative_luminance",
]
