"""Key bindings with ids. Users remap them in ``config.toml`` (``[keys] panic = "f12"``), applied
with ``App.set_keymap``; the footer and the help screen show the effective keys."""

from __future__ import annotations

from collections.abc import Mapping

from textual.binding import Binding

#: App-wide bindings. Panic is ``priority`` so it works inside inputs and from every screen.
APP_BINDINGS: list[Binding] = [
    Binding("ctrl+k", "panic", "PANIC", priority=True, id="panic"),
    Binding("question_mark", "help", "Help", id="help"),
    Binding("q", "request_quit", "Quit", id="quit"),
]

#: Main-screen bindings (trading); they do not fire while a modal is open.
MAIN_BINDINGS: list[Binding] = [
    Binding("b", "ticket('Buy')", "Buy", id="buy"),
    Binding("s", "ticket('Sell')", "Sell", id="sell"),
    Binding("a", "amend", "Amend", id="amend"),
    Binding("c", "cancel", "Cancel", id="cancel"),
    Binding("C", "cancel_all", "Cxl all", id="cancel_all"),
    Binding("x", "close_position", "Close", id="close_position"),
    Binding("e", "app.breakeven", "B/even", id="breakeven"),
    Binding("p", "app.position_tpsl", "TP/SL", id="position_tpsl"),
    Binding("l", "app.leverage", "Lev", id="leverage", show=False),
    Binding("R", "app.reset_breaker", "Reset brk", id="reset_breaker", show=False),
    Binding("colon", "app.command_line", "Cmd", id="command_line"),
    Binding("left_square_bracket", "cycle_symbol(-1)", "Prev sym", id="prev_symbol", show=False),
    Binding("right_square_bracket", "cycle_symbol(1)", "Next sym", id="next_symbol", show=False),
    Binding("t", "cycle_theme", "Theme", id="theme", show=False),
    Binding("g", "ladder_group(1)", "Group+", id="ladder_group_up", show=False),
    Binding("G", "ladder_group(-1)", "Group-", id="ladder_group_down", show=False),
    Binding("f", "chart_timeframe", "Timeframe", id="chart_timeframe", show=False),
    Binding("1", "toggle_pane('market')", "Market", id="toggle_market", show=False),
    Binding("2", "toggle_pane('tables')", "Tables", id="toggle_tables", show=False),
    Binding("3", "toggle_pane('risk')", "Risk", id="toggle_risk", show=False),
    Binding("4", "toggle_pane('log')", "Log", id="toggle_log", show=False),
    Binding("5", "toggle_algos", "Algos", id="toggle_algos", show=False),
    Binding("A", "app.algo_ticket", "Algo", id="algo_ticket", show=False),
    Binding("6", "toggle_strategies", "Strategies", id="toggle_strategies", show=False),
    Binding("7", "toggle_crossvenue", "X-venue", id="toggle_crossvenue", show=False),
]

#: Algos-pane bindings: they fire while the algos pane has the focus (Tab to it).
ALGO_BINDINGS: list[Binding] = [
    Binding("p", "app.algo('pause')", "Pause", id="algo_pause"),
    Binding("r", "app.algo('resume')", "Resume", id="algo_resume"),
    Binding("x", "app.algo('cancel')", "Cancel algo", id="algo_cancel"),
]

#: Strategies-pane bindings: they fire while the strategies pane has the focus (Tab to it).
STRATEGY_BINDINGS: list[Binding] = [
    Binding("s", "app.strategy('stop')", "Stop strat", id="strategy_stop"),
    Binding("k", "app.strategy('kill')", "Kill strat", id="strategy_kill"),
]

#: Cross-venue-pane bindings: they fire while the cross-venue pane has the focus (7 shows and focuses it).
CROSSVENUE_BINDINGS: list[Binding] = [
    Binding("P", "app.paired_ticket", "Paired", id="paired_ticket"),
    Binding("u", "app.paired('unwind')", "Unwind", id="paired_unwind"),
    Binding("m", "app.paired('complete')", "Complete", id="paired_complete"),
]

#: Human descriptions for the help screen, by binding id.
DESCRIPTIONS: dict[str, str] = {
    "panic": "PANIC: cancel all, stop algos, close all (asks)",
    "help": "This help",
    "quit": "Quit (asks first when orders/positions are open)",
    "buy": "Order ticket: buy the selected symbol",
    "sell": "Order ticket: sell the selected symbol",
    "amend": "Amend the selected order (price / qty)",
    "cancel": "Cancel the selected order",
    "cancel_all": "Cancel all orders (asks first)",
    "close_position": "Close 25/50/100% of the selected position at market (asks)",
    "breakeven": "Stop loss to the entry price for the selected position (asks)",
    "position_tpsl": "Edit the selected position's TP/SL (0 removes)",
    "leverage": "Set leverage for the selected position's symbol",
    "reset_breaker": "Reset a tripped circuit breaker (pick it, give a reason, y confirms)",
    "command_line": "Command line: buy 0.01, close 50%, lev 5 ... (up/down: history)",
    "prev_symbol": "Previous symbol",
    "next_symbol": "Next symbol",
    "theme": "Next theme",
    "ladder_group_up": "Ladder: coarser price grouping (1, 5, 10, 50, 100 ticks)",
    "ladder_group_down": "Ladder: finer price grouping",
    "chart_timeframe": "Chart: next timeframe (1m, 5m, 15m, 1h)",
    "toggle_market": "Show/hide ladder, trades, chart",
    "toggle_tables": "Show/hide positions and orders",
    "toggle_risk": "Show/hide risk meters",
    "toggle_log": "Show/hide the log",
    "toggle_algos": "Show/hide the algos pane (compact sizes: in place of the orders)",
    "algo_ticket": "Algo ticket: TWAP, chase, scale, iceberg, bracket, trail (preview first)",
    "algo_pause": "Algos pane: pause the selected algo",
    "algo_resume": "Algos pane: resume the selected algo",
    "algo_cancel": "Algos pane: cancel the selected algo (asks)",
    "toggle_strategies": "Show/hide the strategies pane (start one with :strat start sma_cross)",
    "strategy_stop": "Strategies pane: stop the selected strategy (asks; orders and position stay)",
    "strategy_kill": "Strategies pane: kill the selected strategy: cancel its orders, close its part (asks)",
    "toggle_crossvenue": "Show/hide the cross-venue pane (P, u, m on a row)",
    "paired_ticket": "Cross-venue pane: paired ticket for the selected asset (buy one venue, sell the other)",
    "paired_unwind": "Cross-venue pane: LEG RISK: close the filled leg(s) reduce-only at market",
    "paired_complete": "Cross-venue pane: LEG RISK: send the missing leg's quantity at market",
}

BINDING_IDS: frozenset[str] = frozenset(
    b.id
    for b in APP_BINDINGS + MAIN_BINDINGS + ALGO_BINDINGS + STRATEGY_BINDINGS + CROSSVENUE_BINDINGS
    if b.id
)


_KEY_GLYPHS = {
    "question_mark": "?",
    "colon": ":",
    "left_square_bracket": "[",
    "right_square_bracket": "]",
    "escape": "esc",
}


def key_display(key: str) -> str:
    """A key as the user types it (``question_mark`` → ``?``), comma lists kept."""
    return ",".join(_KEY_GLYPHS.get(k.strip(), k.strip()) for k in key.split(","))


def effective_key(binding_id: str, keymap: Mapping[str, str]) -> str:
    """The key bound to ``binding_id`` after the user's keymap."""
    if binding_id in keymap:
        return keymap[binding_id]
    for b in APP_BINDINGS + MAIN_BINDINGS + ALGO_BINDINGS + STRATEGY_BINDINGS + CROSSVENUE_BINDINGS:
        if b.id == binding_id:
            return b.key
    raise KeyError(binding_id)
