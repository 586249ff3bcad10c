"""Strategies from the console: the ``strat`` command line verb, the strategies pane and its keys.

``strat start NAME [SYMBOL] [k=v ...] [alloc=N] [as=LABEL] [tf=1m]`` starts a strategy (a shipped
example's name such as ``sma_cross``, a module path ``pkg.mod:Class`` or a ``.py`` file) on the
engine's :class:`~core.strategy.portfolio.Portfolio`; ``strat stop NAME`` stops it (its orders and
position stay), ``strat kill NAME`` stops it, cancels its orders and closes its own position
part. The pane's keys stop or kill the selected row after a confirmation. The pane is fed from
the portfolio's snapshots at the table rate; the widget never calls the engine.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from console.cmdplan import Plan, refused
from console.keymap import STRATEGY_BINDINGS
from console.screens.modals import ConfirmScreen
from core.api import CommandResult
from core.engine import Engine
from core.orders.grammar import resolve_symbol
from core.orders.numparse import NumberError, parse_positive
from core.strategy.resume import unfinished
from widgets.strategies import StrategiesPane

if TYPE_CHECKING:
    from console.app import TradeConsoleApp
    from console.screens.main import MainScreen
    from core.strategy.portfolio import Portfolio, StrategySnapshot
    from core.strategy.slot import StrategySlot

log = logging.getLogger(__name__)

VERB = "strat"
USAGE = "strat start NAME [SYMBOL] [k=v ...] [alloc=N] [as=LABEL] · strat stop NAME · strat kill NAME"
OPTIONS = ("alloc", "as", "tf")
"""``k=v`` words the console reads itself; every other pair is a strategy parameter."""


class StratSyntaxError(ValueError):
    """A ``strat`` line that is not a command; the message says what is wrong."""


@dataclass(frozen=True, slots=True)
class StratCommand:
    """One parsed ``strat`` line."""

    verb: str
    name: str
    symbol: str | None = None
    params: tuple[str, ...] = ()
    allocation: Decimal | None = None
    label: str | None = None
    timeframe: str = "1m"
    options: dict[str, str] = field(default_factory=dict)


def is_strat(line: str) -> bool:
    """True when ``line`` is a ``strat`` command (its first word)."""
    words = line.split()
    return bool(words) and words[0].lower() == VERB


def parse_strat(line: str, symbols: list[str]) -> StratCommand:
    """``strat start|stop|kill ...`` as a :class:`StratCommand`; :class:`StratSyntaxError` if not."""
    words = line.split()[1:]
    if len(words) < 2 or words[0].lower() not in ("start", "stop", "kill"):
        raise StratSyntaxError(f"usage: {USAGE}")
    verb, name, rest = words[0].lower(), words[1], words[2:]
    if verb != "start":
        if rest:
            raise StratSyntaxError(f"strat {verb} takes one name, got {' '.join(rest)!r}")
        return StratCommand(verb, name)
    symbol: str | None = None
    params: list[str] = []
    options: dict[str, str] = {}
    for word in rest:
        key, sep, value = word.partition("=")
        if not sep:
            if symbol is not None:
                raise StratSyntaxError(f"one symbol only (got {symbol} and {word}); parameters are k=v")
            symbol = resolve_symbol(word, symbols)
            if symbol is None:
                raise StratSyntaxError(f"{word!r} is not a configured symbol ({', '.join(symbols)})")
        elif key.lower() in OPTIONS:
            options[key.lower()] = value
        else:
            params.append(word)
    allocation = None
    if "alloc" in options:
        try:
            allocation = parse_positive(options["alloc"], "alloc")
        except NumberError as exc:
            raise StratSyntaxError(str(exc)) from None
    return StratCommand(
        verb,
        name,
        symbol,
        tuple(params),
        allocation,
        options.get("as") or None,
        options.get("tf", "1m"),
        options,
    )


class ConsoleStrategiesPane(StrategiesPane):
    """The strategies pane with the console's keys (stop, kill), remappable by id."""

    BINDINGS = STRATEGY_BINDINGS  # type: ignore[assignment]
    SCOPED_CSS = False
    # Placed like the algos pane: its own place when wide and tall once the session has a strategy
    # (6 hides it); at compact sizes hidden, and 6 shows it in the orders pane's place.
    DEFAULT_CSS = """
    #strategies {
        display: none;
        height: 8;
        overflow-x: hidden;
        border: round $pane-border;
        border-title-color: $fg-muted;
        border-title-style: bold;
    }
    #strategies:focus { border: round $primary; border-title-color: $primary; }
    .-has-strategies #strategies { display: block; height: 1fr; min-height: 5; }
    .-has-strategies.-strategies #strategies { display: none; }
    .-narrow #strategies, .-short #strategies {
        display: none;
        border: none;
        border-top: solid $pane-border;
        scrollbar-size-vertical: 1;
    }
    .-narrow.-strategies #strategies, .-short.-strategies #strategies { display: block; height: 1fr; }
    .-narrow.-strategies #orders, .-short.-strategies #orders { display: none; }
    .-narrow #strategies:focus, .-short #strategies:focus { border: none; border-top: heavy $primary; }
    .-hide-tables #strategies { display: none; }
    """


class StrategyActions:
    """The ``strat`` verb, the strategies pane's refresh and its keys, for one app."""

    def __init__(self, app: TradeConsoleApp) -> None:
        self.app = app
        self._portfolio: Portfolio | None = None
        self.rows: list[StrategySnapshot] = []
        """The strategies as last drawn (the pane's keys act on these)."""
        self._told_failed: set[str] = set()
        self._resume_checked = False

    @property
    def portfolio(self) -> Portfolio | None:
        """The engine's portfolio, made on first use (None when the engine is not the real one).

        Its modules (strategies, indicators, the loader) are imported here, on first use: they
        are not needed for the console's first frame.
        """
        if self._portfolio is None and isinstance(self.app.engine, Engine):
            from core.strategy.portfolio import Portfolio

            self._portfolio = Portfolio(self.app.engine)
        return self._portfolio

    def running(self) -> int:
        """Strategies running now (what a panic stops first); 0 before any was started."""
        portfolio = self._portfolio
        if portfolio is None:
            return 0
        return sum(1 for s in portfolio.snapshots() if s.state == "running")

    # --- the command line -------------------------------------------------------------------
    def plan(self, line: str) -> Plan:
        """What Enter on a ``strat`` line would do."""
        try:
            cmd = parse_strat(line, self.app.symbols)
        except StratSyntaxError as exc:
            return refused(line, str(exc))
        if self.portfolio is None:
            return refused(line, "strategies need the trading engine (not available here)")
        if cmd.verb == "start":
            return self._start_plan(line, cmd)
        known = self.portfolio.get(cmd.name)
        if known is None:
            return refused(line, f"no strategy named {cmd.name} this session")
        does = "Enter stops it; its orders and position stay"
        if cmd.verb == "kill":
            does = f"Enter stops it, cancels its orders and {kill_close_text(known)}"
        return Plan(
            line, f"{cmd.verb.upper()} strategy {cmd.name}", True, detail=does, local=self._run_later(cmd)
        )

    def _start_plan(self, line: str, cmd: StratCommand) -> Plan:
        symbol = cmd.symbol or self.app.symbol
        assert self.portfolio is not None
        problem = self.portfolio.refusal(
            cmd.name, symbol, cmd.params, cmd.allocation, cmd.label, cmd.timeframe
        )
        if problem:  # refused in place, before Enter (the same check start makes)
            return refused(line, problem)
        alloc = f" allocation {cmd.allocation}" if cmd.allocation is not None else " no allocation cap"
        params = " ".join(cmd.params) or "default params"
        summary = f"START strategy {cmd.label or cmd.name} on {symbol} ({params};{alloc})"
        return Plan(
            line,
            summary,
            True,
            detail=f"orders go through the risk chain as strategy:{cmd.label or cmd.name}",
            local=self._run_later(cmd),
        )

    def _run_later(self, cmd: StratCommand) -> Callable[[], None]:
        def run() -> None:
            self.app.run_worker(self.run(cmd), group="strategies")

        return run

    async def run(self, cmd: StratCommand) -> CommandResult:
        """Carry out one command; a refusal is logged and toasted (the portfolio says successes)."""
        portfolio = self.portfolio
        if portfolio is None:
            return CommandResult(False, "no portfolio")
        if cmd.verb == "start":
            call: Awaitable[CommandResult] = portfolio.start(
                cmd.name,
                cmd.symbol or self.app.symbol,
                params=cmd.params,
                allocation=cmd.allocation,
                name=cmd.label,
                timeframe=cmd.timeframe,
            )
        elif cmd.verb == "stop":
            call = portfolio.stop(cmd.name)
        else:
            call = portfolio.kill(cmd.name)
        return await self._said(f"strat {cmd.verb} {cmd.name}", call)

    async def _said(self, what: str, call: Awaitable[CommandResult]) -> CommandResult:
        try:
            res = await call
        except Exception as exc:
            log.exception("%s failed", what)
            res = CommandResult(False, f"{type(exc).__name__}: {exc}")
        if not res.ok:
            self.app.log_line(f"{what} FAILED: {res.message}")
            self.app.notify(f"{what} failed: {res.message}", severity="error", timeout=10)
        self.app.refresh_ui(force=True)
        return res

    # --- the pane ---------------------------------------------------------------------------
    def resume(self) -> None:
        """Once the engine has started: bring back the strategies the journal shows running when
        the last console died (a quit stops them, journaled; see :meth:`Portfolio.resume`)."""
        if self._resume_checked or not self.app.engine_started:
            return
        self._resume_checked = True
        engine = self.app.engine
        if not isinstance(engine, Engine) or not unfinished(engine.journal):
            return  # no portfolio is made (nor shown in a panic's plan) for nothing
        portfolio = self.portfolio
        assert portfolio is not None
        self.app.run_worker(self._resumed(portfolio), group="strategies")

    async def _resumed(self, portfolio: Portfolio) -> None:
        try:
            await portfolio.resume()
        except Exception as exc:
            log.exception("strategies not resumed")
            self.app.log_line(f"strategies not resumed: {type(exc).__name__}: {exc}")
            self.app.notify(f"strategies not resumed: {exc}", severity="error", timeout=15)
        self.app.refresh_ui(force=True)

    def refresh(self, main: MainScreen) -> None:
        """Feed the pane the portfolio's snapshots (at the table rate); the first refresh after the
        engine started resumes the last session's strategies."""
        self.resume()
        portfolio = self._portfolio
        if portfolio is None:
            return
        self.rows = portfolio.snapshots()
        main.strategies.update_strategies(self.rows, self.app.engine.instruments)
        main.set_class(bool(self.rows), "-has-strategies")
        self._tell_failures()

    def _tell_failures(self) -> None:
        """A toast once per failure (the log pane has the engine's line; the row keeps the error)."""
        for row in self.rows:
            if row.state == "running":
                self._told_failed.discard(row.name)
            elif row.state == "failed" and row.name not in self._told_failed:
                self._told_failed.add(row.name)
                self.app.notify(f"strategy {row.name} FAILED: {row.reason}", severity="error", timeout=15)

    def _selected(self) -> StrategySnapshot | None:
        key = self.app.main.strategies.selected_key
        row = next((r for r in self.rows if r.name == key), None)
        if row is None:
            self.app.notify("select a strategy in the strategies pane first", severity="warning")
        return row

    def confirm(self, verb: str) -> None:
        """Stop or kill the selected strategy, after a confirmation naming it."""
        row = self._selected()
        if row is None:
            return
        if verb == "stop" and row.terminal:
            self.app.notify(f"strategy {row.name} is already {row.state}", severity="warning")
            return
        slot = self.portfolio.get(row.name) if self.portfolio is not None else None
        body = f"{row.name} on {row.symbol}: {row.state}, position {row.position}\n" + (
            f"Its working orders are cancelled and it {kill_close_text(slot)}."
            if verb == "kill" and slot is not None
            else "It stops trading; its orders and position stay."
        )
        cmd = StratCommand(verb, row.name)

        def done(ok: bool | None) -> None:
            if ok:
                self.app.run_worker(self.run(cmd), group="strategies")

        self.app.push_screen(ConfirmScreen(f"{verb.capitalize()} strategy {row.name}?", body), done)

    async def close(self) -> None:
        """Stop every strategy before the engine stops (their orders and positions stay)."""
        if self._portfolio is not None:
            await self._portfolio.close()


def kill_close_text(slot: StrategySlot | None) -> str:
    """What a kill of ``slot`` would send now to close its own part (reduce-only or not, and why)."""
    plan = slot.close_plan() if slot is not None else None
    if plan is None:
        return "closes nothing: it holds no position of its own"
    return f"closes its own part: {plan.describe()}"


__all__ = ["ConsoleStrategiesPane", "StratCommand", "StrategyActions", "is_strat", "parse_strat"]
