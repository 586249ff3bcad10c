"""The console's themes.

Every theme defines the trading variables below; stylesheets reference them only as ``$name``
(``$pnl-up``, ``$bid``, ``$risk-hot``, ``$mode-live`` ...). Colour is never the only signal: the
widgets also print ``+``/``-``, ``▲``/``▼`` and words, so the ANSI and monochrome cases stay readable.

* ``trade-dark`` / ``trade-light``: everyday themes (green up / red down).
* ``trade-high-contrast``: pure black background, saturated colours, bold borders.
* ``trade-colorblind``: the Okabe-Ito palette (blue up / orange down), safe for red-green colour blindness.
* ``trade-ansi``: only the terminal's own 16 colours (works over any SSH/TERM, respects the user's palette).
"""

from __future__ import annotations

from textual.theme import Theme

#: The variables every theme defines (and the app falls back to when a theme lacks one).
THEME_VARIABLE_DEFAULTS: dict[str, str] = {
    "pnl-up": "#4EBF71",
    "pnl-down": "#F26B63",
    "bid": "#4EBF71",
    "ask": "#F26B63",
    "bid-bg": "#12351f",
    "ask-bg": "#2E1013",
    "own-order": "#F2C94C",
    "risk-ok": "#4EBF71",
    "risk-warn": "#F2C94C",
    "risk-hot": "#F26B63",
    "mode-sim": "#1F6FD6",
    "mode-demo": "#9B51E0",
    "mode-live": "#D0021B",
    "mode-fg": "#FFFFFF",
    "fg": "#D8DEE9",
    "fg-muted": "#8B949E",
    "pane-border": "#5B6675",
}


def _vars(**overrides: str) -> dict[str, str]:
    out = dict(THEME_VARIABLE_DEFAULTS)
    out.update({k.replace("_", "-"): v for k, v in overrides.items()})
    return out


TRADE_DARK = Theme(
    name="trade-dark",
    primary="#3B82F6",
    secondary="#1E40AF",
    accent="#F59E0B",
    warning="#F2C94C",
    error="#F26B63",
    success="#4EBF71",
    foreground="#D8DEE9",
    background="#0E1117",
    surface="#161B22",
    panel="#1F2630",
    dark=True,
    variables=_vars(),
)

TRADE_LIGHT = Theme(
    name="trade-light",
    primary="#1D4ED8",
    secondary="#3B82F6",
    accent="#9A4508",
    warning="#9A4508",
    error="#B91C1C",
    success="#116B33",
    foreground="#1F2328",
    background="#FAFAFA",
    surface="#F0F2F5",
    panel="#E3E7EC",
    dark=False,
    variables=_vars(
        pnl_up="#116B33",
        pnl_down="#B91C1C",
        bid="#116B33",
        ask="#B91C1C",
        bid_bg="#D7F2DF",
        ask_bg="#F9DADA",
        own_order="#92400E",
        risk_ok="#116B33",
        risk_warn="#9A4508",
        risk_hot="#B91C1C",
        mode_sim="#1D4ED8",
        mode_demo="#7E22CE",
        mode_live="#B91C1C",
        fg="#1F2328",
        fg_muted="#57606A",
        pane_border="#7D8590",
    ),
)

TRADE_HIGH_CONTRAST = Theme(
    name="trade-high-contrast",
    primary="#00BFFF",
    secondary="#FFFFFF",
    accent="#FFFF00",
    warning="#FFFF00",
    error="#FF3030",
    success="#00FF66",
    foreground="#FFFFFF",
    background="#000000",
    surface="#000000",
    panel="#1A1A1A",
    dark=True,
    variables=_vars(
        pnl_up="#00FF66",
        pnl_down="#FF3030",
        bid="#00FF66",
        ask="#FF3030",
        bid_bg="#003D1A",
        ask_bg="#330000",
        own_order="#FFFF00",
        risk_ok="#00FF66",
        risk_warn="#FFFF00",
        risk_hot="#FF3030",
        mode_sim="#0050FF",
        mode_demo="#A000FF",
        mode_live="#CC0000",
        fg="#FFFFFF",
        fg_muted="#C8C8C8",
        pane_border="#A0A0A0",
    ),
)

# Okabe & Ito (2008) colour-universal-design palette: blue / orange / vermillion / sky blue / yellow.
TRADE_COLORBLIND = Theme(
    name="trade-colorblind",
    primary="#56B4E9",
    secondary="#0072B2",
    accent="#E69F00",
    warning="#F0E442",
    error="#D55E00",
    success="#0072B2",
    foreground="#E6E6E6",
    background="#101418",
    surface="#171C22",
    panel="#222932",
    dark=True,
    variables=_vars(
        pnl_up="#56B4E9",
        pnl_down="#E69F00",
        bid="#56B4E9",
        ask="#E69F00",
        bid_bg="#0D2E45",
        ask_bg="#45300A",
        own_order="#F0E442",
        risk_ok="#56B4E9",
        risk_warn="#F0E442",
        risk_hot="#F07F32",
        mode_sim="#0072B2",
        mode_demo="#9C4A7A",
        mode_live="#B34F00",
        fg="#E6E6E6",
        fg_muted="#9AA5B1",
        pane_border="#5A636E",
    ),
)

TRADE_ANSI = Theme(
    name="trade-ansi",
    ansi=True,
    primary="ansi_bright_blue",
    secondary="ansi_cyan",
    warning="ansi_yellow",
    error="ansi_bright_red",
    success="ansi_green",
    accent="ansi_yellow",
    foreground="ansi_default",
    background="ansi_default",
    surface="ansi_default",
    panel="ansi_default",
    boost="ansi_default",
    dark=True,
    variables=_vars(
        pnl_up="ansi_green",
        pnl_down="ansi_bright_red",
        bid="ansi_green",
        ask="ansi_bright_red",
        bid_bg="ansi_default",
        ask_bg="ansi_default",
        own_order="ansi_yellow",
        risk_ok="ansi_green",
        risk_warn="ansi_yellow",
        risk_hot="ansi_bright_red",
        mode_sim="ansi_blue",
        mode_demo="ansi_magenta",
        mode_live="ansi_red",
        mode_fg="ansi_bright_white",
        fg="ansi_default",
        fg_muted="ansi_bright_black",
        pane_border="ansi_bright_black",
        **{
            "ansi-background": "ansi_black",
            "ansi-foreground": "ansi_white",
            "border-blurred": "ansi_black",
            "footer-key-foreground": "ansi_bright_magenta",
            "block-cursor-foreground": "ansi_black",
            "block-cursor-background": "ansi_white",
            "input-cursor-background": "ansi_black",
            "input-cursor-foreground": "ansi_bright_white",
            "input-cursor-text-style": "none",
            "input-selection-background": "ansi_bright_blue",
            "input-selection-foreground": "ansi_black",
            "screen-selection-background": "ansi_bright_blue",
            "screen-selection-foreground": "ansi_black",
        },
    ),
)

#: Every console theme by name, in the order the theme switcher cycles them.
THEMES: dict[str, Theme] = {
    t.name: t for t in (TRADE_DARK, TRADE_LIGHT, TRADE_HIGH_CONTRAST, TRADE_COLORBLIND, TRADE_ANSI)
}
DEFAULT_THEME = TRADE_DARK.name


def theme_names() -> list[str]:
    """The console theme names in cycling order."""
    return list(THEMES)
