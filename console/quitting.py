"""What quitting does to the trader's orders and positions, said truthfully for each mode.

The embedded sim venue runs inside the console's process and stops with it: its orders and
positions vanish. A standalone sim, Bybit demo and Bybit mainnet keep running without the
console: working orders can still fill (unless the venue's dead-man's switch is armed: it cancels
them once the console's stream is gone for its window) and open positions stay at risk, with
nothing watching.

Execution algos do not die with the app: quitting (or a crash) stops working them without ending
them, and the next start resumes each one from the journal. A trader who wants one ended cancels
it in the algos pane before quitting; the confirmation says so whenever algos are running.
"""

from __future__ import annotations

from core.model import Mode


def _count(n: int, what: str) -> str:
    return f"{n} {what}" + ("" if n == 1 else "s")


def quit_notice(
    mode: Mode,
    *,
    embedded_sim: bool,
    venue: str,
    n_orders: int,
    n_positions: int,
    dead_mans_switch_s: int | None = None,
    n_algos: int = 0,
    n_strategies: int = 0,
    where: str | None = None,
) -> str | None:
    """The confirmation text for quitting, or None when nothing is open (quit at once).

    ``venue`` names where a non-embedded venue lives (the standalone sim's URL);
    ``dead_mans_switch_s`` is the window of the venue's armed dead-man's switch (None: not armed),
    which cancels the working orders that long after the console's stream goes away;
    ``n_algos`` counts the algos not yet ended (paused ones included); ``n_strategies`` the
    strategies running (quitting stops them; unlike algos, nothing restarts them); ``where``
    names the venues demo or live trades on (every leg's with two venues; default Bybit's).
    """
    if n_orders == 0 and n_positions == 0 and n_algos == 0 and n_strategies == 0:
        return None
    text = _holdings_text(mode, embedded_sim, venue, n_orders, n_positions, dead_mans_switch_s, where)
    if n_algos:
        text = f"{text} {_algos_text(n_algos, embedded=mode is Mode.SIM and embedded_sim)}".strip()
    if n_strategies:
        what = "1 running strategy" if n_strategies == 1 else f"{n_strategies} running strategies"
        stop = "STOPPED when you quit and not restarted at the next start (:strat start runs it again)."
        text = f"{text} {what}: {stop}".strip()
    return text


def _algos_text(n_algos: int, *, embedded: bool) -> str:
    """What quitting does to running algos: they stop being worked and resume at the next start."""
    where = " (on a fresh built-in sim)" if embedded else ""
    return (
        f"{_count(n_algos, 'algo')} not ended (running, waiting or paused): NOT cancelled — nothing "
        f"works them while the console is closed, and they resume from the journal at the next start{where}. "
        "To end one, cancel it in the algos pane (x) before quitting."
    )


def _holdings_text(
    mode: Mode,
    embedded_sim: bool,
    venue: str,
    n_orders: int,
    n_positions: int,
    dead_mans_switch_s: int | None,
    where_traded: str | None = None,
) -> str:
    if n_orders == 0 and n_positions == 0:
        return ""
    held = f"{_count(n_orders, 'working order')} and {_count(n_positions, 'open position')}"
    if mode is Mode.SIM and embedded_sim:
        return (
            f"You have {held} on the built-in sim venue. It stops with the console: "
            "they all disappear when you quit, and nothing on the venue is kept for the next start."
        )
    where = {
        Mode.SIM: f"the standalone sim venue ({venue})",
        Mode.DEMO: f"{where_traded or 'Bybit demo trading'} (paper money)",
        Mode.LIVE: where_traded or "Bybit MAINNET",
    }[mode]
    orders_fate = "orders keep working and can fill"
    if dead_mans_switch_s is not None and n_orders:
        orders_fate = (
            f"the venue's dead-man's switch cancels the working orders {dead_mans_switch_s}s after "
            "this console's stream goes away"
        )
    text = (
        f"You have {held}. They STAY ON {where} after you quit: {orders_fate}, "
        "positions stay open and at risk, and nothing here watches them."
    )
    if mode is Mode.LIVE:
        text += " REAL MONEY stays at risk."
    return text
