"""The Trade Console app: one main screen, modals for tickets and confirmations, and the refresh
loop that drains the engine's store into the panes.

``TradeConsoleApp(engine, settings, clock=...)`` takes anything implementing
:class:`core.api.EngineAPI` (the real engine, or a deterministic fake in tests);
:func:`run_console` wires the real engine and, in sim mode, the embedded sim venue.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable

from textual import events
from textual.app import App
from textual.binding import Binding
from textual.notifications import SeverityLevel

from console.algo_actions import AlgoActions
from console.breaker_actions import BreakerActions
from console.bridge import Frame, UIBridge, Waker, marked_upnl
from console.command_outcome import said_of
from console.commands import BreakerCommands, SymbolCommands, ThemeCommands
from console.keygate import KeyGate, KeySettled, read_escape_then_character
from console.keymap import APP_BINDINGS, BINDING_IDS, MAIN_BINDINGS, effective_key, key_display
from console.market_view import apply_fills, apply_market
from console.paired_actions import CrossVenueActions
from console.panic_actions import PanicFlow
from console.position_actions import PositionActions
from console.protections import SwitchView, guards, protective_algos
from console.quitting import quit_notice
from console.screens.cmdline import CommandLineHost
from console.screens.main import MainScreen
from console.screens.modals import ConfirmScreen, HelpScreen, LiveConfirmScreen
from console.screens.panic import PanicScreen
from console.screens.ticket_feed import venue_cancel_message
from console.startup_flow import StartupFlow
from console.strategy_actions import StrategyActions
from console.ticket_actions import TicketFlow
from core.api import CommandResult, EngineAPI
from core.clock import Clock, SystemClock
from core.config import Settings
from core.config_legs import venues_reached
from core.events import (
    AlertRaised,
    AlgoUpdated,
    BreakerChanged,
    OrderUpdated,
    PanicProgress,
    RiskRejected,
    VenueRejected,
)
from core.model import Mode, OrderRequest, Side
from themes import DEFAULT_THEME, THEME_VARIABLE_DEFAULTS, offered_themes
from widgets.fmt import fmt_time
from widgets.header import HeaderData

log = logging.getLogger(__name__)

EXIT_LIVE_REFUSED = 3


class TradeConsoleApp(App[int]):
    """The trading console."""

    TITLE = "Trade Console"
    CSS_PATH = "console.tcss"
    BINDINGS = APP_BINDINGS  # type: ignore[assignment]
    COMMANDS = App.COMMANDS | {SymbolCommands, ThemeCommands, BreakerCommands}
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (36, "-tall")]

    def __init__(
        self,
        engine: EngineAPI,
        settings: Settings,
        *,
        clock: Clock | None = None,
        start_engine: bool = True,
        refresh: bool = True,
        freeze_heap: bool = False,
    ) -> None:
        super().__init__()
        offered = offered_themes()
        for theme in offered.values():
            self.register_theme(theme)
        self.console_themes: list[str] = list(offered)
        self.theme = settings.ui.theme if settings.ui.theme in offered else DEFAULT_THEME
        for name in [n for n in self.available_themes if n not in offered]:
            # Textual's own themes are not trading themes (and some are unreadable here): not offered.
            self.unregister_theme(name)
        self.bad_key_ids = sorted(k for k in settings.keys if k not in BINDING_IDS)
        self.set_keymap({k: v for k, v in settings.keys.items() if k in BINDING_IDS})
        self.engine = engine
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        self.mode = settings.mode
        self.symbols: list[str] = list(settings.risk.symbols)
        self.symbol = (
            settings.ui.default_symbol if settings.ui.default_symbol in self.symbols else self.symbols[0]
        )
        self.bridge = UIBridge(
            engine, self.clock, refresh_hz=settings.ui.refresh_hz, table_hz=settings.ui.table_hz
        )
        self.bridge.symbol = self.symbol
        self.switch = SwitchView()
        """The venue's dead-man's switch as the engine last reported it (for the header)."""
        self.in_process_protections = 0
        """Protective algos working now (counted at the table rate, shown in the header)."""
        self.start_engine = start_engine
        self.auto_refresh_ui = refresh
        self.freeze_heap = freeze_heap
        self.engine_started = False
        self.startup = StartupFlow(self)
        """Starts the engine, composes the reused modals after the first frame, stops the engine."""
        self.last_result: CommandResult | None = None
        self.main: MainScreen = MainScreen(self.mode)
        self.tickets = TicketFlow(self)
        """The reused order ticket: pre-built, opened per side and symbol, fed the market."""
        self.command_line = CommandLineHost(self)
        self.key_gate = KeyGate(self, super().on_event)
        """Delivers keys one at a time, so a burst lands in the fields it was typed for."""
        self.key_gate.urgent_keys = frozenset(
            k.strip() for k in effective_key("panic", self._keymap).split(",") if k.strip()
        )
        bound = ",".join([*settings.keys.values(), *settings.aliases])
        self.key_gate.kept_keys = frozenset(
            k.strip() for k in bound.split(",") if k.strip().startswith("alt+")
        )
        if not self.key_gate.kept_keys:
            read_escape_then_character()  # ESC b in a burst is Escape then b, not a word move
        self.position_actions = PositionActions(self)
        self.breaker_actions = BreakerActions(self)
        self.panic_flow = PanicFlow(self)
        """The panic key's modal and run (confirm, progress, stop, report)."""
        self.algo_actions = AlgoActions(self)
        """The algo ticket and the algos pane's keys."""
        self.strategy_actions = StrategyActions(self)
        """The ``strat`` command line verb, the strategies pane and its keys."""
        self.crossvenue = CrossVenueActions(self)
        """The cross-venue pane, its spread alerts, the paired ticket and its keys."""

    async def on_event(self, event: events.Event) -> None:
        """Keys and pastes from the terminal go through the key gate (in order, one at a time)."""
        if isinstance(event, events.Key | events.Paste) and not event.is_forwarded:
            await self.key_gate.submit(event)
            return
        await super().on_event(event)

    async def on_key_settled(self, message: KeySettled) -> None:
        """A key's marker came back: the gate may deliver the next key."""
        message.stop()
        await self.key_gate.settled(message)

    def get_theme_variable_defaults(self) -> dict[str, str]:
        """Trading colour variables for any theme that lacks them."""
        return dict(THEME_VARIABLE_DEFAULTS)

    def key_hints(self) -> list[tuple[str, str]]:
        """The key bar's ``(key, description)`` pairs: shown bindings, after the user's keymap.

        Panic comes first: a narrow terminal cuts the bar at its right edge, and the panic key
        must be on screen at every size.
        """
        hints = []
        for b in sorted(MAIN_BINDINGS + APP_BINDINGS, key=lambda b: b.id != "panic"):
            if b.show and b.id:
                key = effective_key(b.id, self._keymap).split(",")[0].strip()
                hints.append((self.get_key_display(Binding(key, b.action, b.description)), b.description))
        return hints

    def palette_hint(self) -> tuple[str, str]:
        """The command palette's key, for the right end of the key bar."""
        return (self.get_key_display(Binding(self.COMMAND_PALETTE_BINDING, "command_palette")), "palette")

    # --- lifecycle --------------------------------------------------------------------------
    def on_load(self) -> None:
        """Start the engine (sim and demo) before the stylesheet and the main screen are built.

        Start-up is mostly waiting on the venue (time, instruments, tickers, the account, the
        feeds' first snapshots) and building the screen is mostly the loop's own work, so the two
        overlap; what the engine says is shown once the main screen is up (:mod:`console.startup_flow`).
        Live mode starts only after the typed confirmation (:meth:`on_mount`).
        """
        if self.mode is not Mode.LIVE and self.start_engine:
            self.startup.start()

    async def on_mount(self) -> None:
        """Main screen, the live gate, the reused modals and the refresh timer."""
        await self.push_screen(self.main)
        self.startup.mounted()
        self.command_line.install_aliases()
        self.engine.store.set_waker(Waker(asyncio.get_running_loop(), self._woken))
        if self.bad_key_ids:
            self.log_line(f"config [keys]: unknown binding ids ignored: {', '.join(self.bad_key_ids)}")
        if self.settings.ui.theme != self.theme:
            self.log_line(
                f"config [ui] theme {self.settings.ui.theme!r} is not offered (themes: "
                f"{', '.join(self.console_themes)}); using {self.theme}"
            )
        if self.mode is Mode.LIVE:
            phrase = f"{self.settings.ui.live_phrase_prefix} {self.symbol}"
            self.push_screen(LiveConfirmScreen(phrase, venues_reached(self.settings)), self._live_answer)
        if not self.start_engine:
            self.prebuild_modals()
        if self.auto_refresh_ui:
            self.set_interval(1 / self.settings.ui.refresh_hz, self.refresh_ui, name="ui-refresh")
        self.refresh_ui(force=True)

    def _live_answer(self, ok: bool | None) -> None:
        if not ok:
            msg = "Live confirmation phrase not entered; nothing was traded."
            self.exit(EXIT_LIVE_REFUSED, return_code=EXIT_LIVE_REFUSED, message=msg)
            return
        self.log_line("live mode confirmed by typed phrase")
        if self.start_engine:
            self.startup.start()

    def prebuild_modals(self, *, settle: bool = False, metrics: bool = False) -> None:
        """Start composing the reused modals (see :meth:`StartupFlow.prebuild_modals`)."""

        async def build() -> None:  # started by the worker: nothing left unawaited if it never starts
            await self.startup.prebuild_modals(settle=settle, metrics=metrics)

        self.run_worker(build, group="prebuild")  # type: ignore[arg-type]  # Textual infers Never for it

    async def on_unmount(self) -> None:
        """Stop the engine (orders on a standalone venue stay there; the embedded sim stops after)."""
        self.engine.store.set_waker(None)
        await self.startup.stop_engine()

    # --- refresh ----------------------------------------------------------------------------
    def _woken(self) -> None:
        self.refresh_ui()

    def log_line(self, text: str) -> None:
        """Append a console-side line to the log pane."""
        ts = self.clock.now_ms()
        self.main.log_pane.add_lines([f"{fmt_time(ts)} {text}"])

    def refresh_ui(self, force: bool = False) -> None:
        """Drain the store and update the panes that changed (one batched frame)."""
        if not self.main.is_mounted or self._closing or self.main._closing:
            return
        self.bridge.covered = self.screen is not self.main
        frame = self.bridge.tick(force=force)
        self.tickets.feed()
        if frame is None:
            return
        with self.batch_update():
            self.apply_frame(frame)

    def apply_frame(self, frame: Frame) -> None:
        """Push one frame's data into the widgets."""
        main = self.main
        insts = self.engine.instruments
        if frame.events:
            # An algo's changes are told once per state (state_lines below); its progress is the pane's.
            main.log_pane.add_events([e for e in frame.events if not isinstance(e, AlgoUpdated)], insts)
            self.switch.absorb(frame.events)
            self._route_events(frame)
            self.crossvenue.on_events(frame.events)
        mf = frame.market
        if mf is not None:
            apply_market(main, mf, insts.get(mf.symbol), self.clock.now_ms())
        acct = frame.account
        if acct is not None:
            algos = self.engine.algos()
            self.in_process_protections = len(protective_algos(algos))
            main.positions.update_positions(acct.positions, insts, guards(acct.positions, acct.orders, algos))
            main.orders.update_orders(acct.orders, self.clock.now_ms(), insts)
            apply_fills(main, frame.fills, insts, self.clock.now_ms())
            self.strategy_actions.refresh(main)
            self.crossvenue.refresh(main)
        if frame.risk is not None:
            main.risk.set_status(frame.risk)
        if frame.algos is not None:
            main.algos.update_algos(frame.algos, insts)
            main.set_class(bool(frame.algos), "-has-algos")
            for line in self.algo_actions.state_lines(frame.algos):
                self.log_line(line)
        if acct is not None or mf is not None:
            book = mf.book if mf is not None else self.engine.store.book(self.symbol)
            bal = self.bridge.account.balance
            main.header.set_data(
                HeaderData(
                    symbol=self.symbol,
                    balance=bal,
                    upnl=marked_upnl(self.bridge.account),
                    today_pnl=self.bridge.today_pnl(),
                    connectivity=dict(self.bridge.connectivity),
                    feed_age_s=self.bridge.feed_age_s(book),
                    stale_after_s=self.settings.risk.book_stale_s,
                    dms_state=self.switch.state,
                    dms_window_s=self.switch.window_s,
                    in_process_protections=self.in_process_protections,
                )
            )

    def _route_events(self, frame: Frame) -> None:
        panic = self._panic_screen()
        for ev in frame.events:
            if isinstance(ev, PanicProgress) and panic is not None:
                panic.add_progress(ev)
            elif isinstance(ev, RiskRejected):
                self.notify(f"{ev.symbol} rejected by {ev.check}: {ev.reason}", severity="error", timeout=8)
            elif isinstance(ev, VenueRejected):
                self.notify(f"venue rejected ({ev.ret_code}): {ev.message}", severity="error", timeout=8)
            elif isinstance(ev, BreakerChanged) and ev.state != "closed":
                key = key_display(effective_key("reset_breaker", self._keymap))
                msg = f"breaker {ev.name} {ev.state}: {ev.reason} ({key} resets it)"
                self.notify(msg, severity="warning", timeout=10)
            elif isinstance(ev, AlertRaised) and ev.active:
                self.notify(f"alert {ev.rule}: {ev.message}", severity="warning", timeout=10)
            elif isinstance(ev, OrderUpdated) and (late := venue_cancel_message(ev.order)):
                self.notify(late, severity="error", timeout=8)

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """Toasts carry engine text (reasons, ids with brackets): plain text unless asked otherwise."""
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    # --- symbol / theme ---------------------------------------------------------------------
    def select_symbol(self, symbol: str) -> None:
        """Show ``symbol`` in the market panes."""
        if symbol not in self.symbols:
            return
        self.symbol = symbol
        self.bridge.symbol = symbol
        self.refresh_ui(force=True)

    def cycle_symbol(self, step: int) -> None:
        """Previous / next configured symbol."""
        i = self.symbols.index(self.symbol) if self.symbol in self.symbols else 0
        self.select_symbol(self.symbols[(i + step) % len(self.symbols)])

    def set_theme(self, name: str) -> None:
        """Switch the colour theme."""
        if name in self.available_themes:
            self.theme = name

    def cycle_theme(self) -> None:
        """Next console theme."""
        names = self.console_themes
        i = names.index(self.theme) if self.theme in names else -1
        self.set_theme(names[(i + 1) % len(names)])
        self.notify(f"theme: {self.theme}", timeout=2)

    # --- commands ---------------------------------------------------------------------------
    async def _run_command(self, what: str, coro: Awaitable[CommandResult]) -> None:
        try:
            res: CommandResult = await coro
        except Exception as exc:
            log.exception("%s failed", what)
            self.log_line(f"{what} FAILED: {exc}")
            self.notify(f"{what} failed: {exc}", severity="error", timeout=10)
            return
        self.last_result = res
        said = said_of(what, res)
        if said.line:
            self.log_line(said.line)
        if said.toast:
            self.notify(said.toast, severity="error", timeout=8)
        self.refresh_ui(force=True)

    def action_command_line(self, text: str = "") -> None:
        """``:``: the command line (from the main screen only)."""
        if self.screen is self.main:
            self.command_line.open(text)

    def action_alias(self, key: str) -> None:
        """An ``[aliases]`` key: the command line prefilled with its text (Enter still sends)."""
        text = self.command_line.aliases.get(key)
        if text is not None:
            self.action_command_line(text)

    def open_ticket(self, side: Side) -> None:
        """Order ticket for the selected symbol."""
        self.tickets.open(side)

    def _ticket_done(self, request: OrderRequest | None) -> None:
        if request is None:
            return
        what = f"place {request.side.value} {request.qty} {request.symbol}"
        self.run_worker(self._run_command(what, self.engine.place(request)), group="orders")

    def amend_selected(self) -> None:
        """Amend the order selected in the orders table (the fields its type has)."""
        self.position_actions.amend_selected()

    def cancel_selected(self) -> None:
        """Cancel the order selected in the orders table."""
        key = self.main.orders.selected_key
        if key is None:
            self.notify("select an order in the orders table first", severity="warning")
            return
        self.run_worker(self._run_command(f"cancel {key}", self.engine.cancel(key)), group="orders")

    def confirm_cancel_all(self) -> None:
        """Cancel exactly the working orders the confirmation counted, after it."""
        self.position_actions.cancel_all_confirmed()

    def confirm_close_position(self) -> None:
        """Close 25/50/100 % of the selected position (or the current symbol's), confirmed."""
        self.position_actions.close_selected()

    def action_breakeven(self) -> None:
        """Stop loss to breakeven for the selected position (confirmed)."""
        if self.screen is self.main:
            self.position_actions.breakeven_selected()

    def action_position_tpsl(self) -> None:
        """Edit the selected position's TP/SL."""
        if self.screen is self.main:
            self.position_actions.edit_tpsl_selected()

    def action_reset_breaker(self) -> None:
        """Reset a tripped circuit breaker: pick it, give the reason, confirm (journaled)."""
        if self.screen is self.main:
            self.breaker_actions.open_reset()

    def action_leverage(self) -> None:
        """Set leverage for the selected position's symbol (or the current symbol)."""
        if self.screen is self.main:
            self.position_actions.leverage_for_symbol()

    def action_algo_ticket(self) -> None:
        """``A``: the algo ticket for the selected symbol (from the main screen only)."""
        if self.screen is self.main:
            self.algo_actions.open_ticket()

    def action_algo(self, verb: str) -> None:
        """The algos pane's keys: ``pause``, ``resume``, ``cancel`` (asks) the selected algo."""
        if self.screen is not self.main:
            return
        acts = self.algo_actions
        {"pause": acts.pause_selected, "resume": acts.resume_selected, "cancel": acts.cancel_selected}[verb]()

    def action_strategy(self, verb: str) -> None:
        """The strategies pane's keys: ``stop`` or ``kill`` the selected strategy (asks first)."""
        if self.screen is self.main:
            self.strategy_actions.confirm(verb)

    def action_paired_ticket(self) -> None:
        """The cross-venue pane's ``P``: the paired ticket for the selected asset."""
        if self.screen is self.main:
            self.crossvenue.open_ticket()

    def action_paired(self, verb: str) -> None:
        """The cross-venue pane's keys on a pair in leg risk: ``unwind`` or ``complete``."""
        if self.screen is self.main:
            self.crossvenue.recover(verb)

    # --- panic ------------------------------------------------------------------------------
    @property
    def panic_running(self) -> bool:
        """True while a panic run is in progress."""
        return self.panic_flow.running

    def _panic_screen(self) -> PanicScreen | None:
        return self.panic_flow.screen()

    def action_panic(self) -> None:
        """Open the panic modal (never twice)."""
        self.panic_flow.open()

    # --- help / quit ------------------------------------------------------------------------
    def action_help(self) -> None:
        """Key help."""
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self._keymap, aliases=self.command_line.aliases))

    def action_request_quit(self) -> None:
        """Quit, confirming first when orders, positions or algos are open (saying what happens to
        them: running algos are not cancelled, they resume at the next start)."""
        if self.screen is not self.main:
            return
        self._confirm_quit()

    async def action_quit(self) -> None:
        """``ctrl+q`` from any screen: the same confirmation as ``q`` (never during a panic run)."""
        if self.panic_running:
            self.notify("panic is running; stop it first (s on the panic screen)", severity="warning")
            return
        self._confirm_quit()

    def _confirm_quit(self) -> None:
        if any(getattr(s, "purpose", "") == "quit" for s in self.screen_stack):
            return
        acct = self.engine.account()
        body = quit_notice(
            self.mode,
            embedded_sim=self.settings.sim.embedded,
            venue=self.settings.rest_url,
            where=venues_reached(self.settings),
            n_orders=sum(1 for o in acct.orders.values() if o.is_open),
            n_positions=sum(1 for p in acct.positions.values() if not p.is_flat),
            dead_mans_switch_s=self.switch.window_s if self.switch.state == "armed" else None,
            n_algos=sum(1 for a in self.engine.algos() if not a.terminal),
            n_strategies=self.strategy_actions.running(),
        )
        if body is None:
            self.exit(0)
            return

        def done(ok: bool | None) -> None:
            if ok:
                self.exit(0)

        confirm = ConfirmScreen("Quit?", body, yes="Quit (y)", no="Stay (n)")
        confirm.purpose = "quit"
        self.push_screen(confirm, done)


__all__ = ["EXIT_LIVE_REFUSED", "TradeConsoleApp"]
