"""The command line (``:``): one typed line, parsed as you type, with the same risk preview as the
order ticket for order commands. Enter runs the plan on screen, and only a ready one; Escape
closes; up/down recall the session's history. The screen never talks to the engine itself: a
``planner`` turns the text into a :class:`~console.cmdplan.Plan` and the app runs what it answers.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.timer import Timer
from textual.widgets import Input, Static

from console.cmdplan import CommandPlanner, Plan, check_aliases
from console.keymap import APP_BINDINGS, MAIN_BINDINGS, effective_key
from console.screens.backdrop import DimmedModal
from console.screens.text_update import SteadyInput, set_text

if TYPE_CHECKING:
    from console.app import TradeConsoleApp


Planner = Callable[[str], Plan]

HISTORY_LIMIT = 200
REPLAN_S = 0.5
"""While open, the plan (offsets, $ sizes, risk sizing, preview) follows the market this often."""
HELP = (
    "buy|sell 0.01 | $500 | risk 1% stop 94000  [SYM] [@ 95100 | @ -0.1%] [post] [ro] [sl P] [tp P]"
    " · close 50% [SYM] · cancel all [SYM] · be · lev 5 · sym ETH"
)


class CommandLine(DimmedModal[Plan | None]):
    """A one-line command prompt docked at the bottom, with live parse feedback and preview."""

    DEFAULT_CSS = """
    CommandLine {
        align: center bottom;
        background: $background 30%;
    }
    CommandLine > #cmd-box {
        width: 100%;
        height: auto;
        max-height: 100%;
        border-top: thick $primary;
        background: $surface;
        padding: 0 1;
    }
    CommandLine #cmd-summary { text-style: bold; }
    CommandLine #cmd-detail { color: $text-muted; }
    CommandLine.-tall #cmd-detail { min-height: 10; }
    CommandLine #cmd-summary.-ready { color: $success; }
    CommandLine #cmd-summary.-refused { color: $error; }
    CommandLine #cmd-help { color: $text-muted; }
    """

    BINDINGS: ClassVar = [
        Binding("escape", "close", "Close"),
        Binding("up", "history(-1)", "Previous", show=False),
        Binding("down", "history(1)", "Next", show=False),
    ]

    def __init__(self, planner: Planner) -> None:
        super().__init__()
        self.planner = planner
        self.plan: Plan | None = None
        self.history: list[str] = []
        self._cursor = 0
        self._draft = ""
        self._timer: Timer | None = None
        self._not_sent: str | None = None
        """The line Enter was refused on (the refusal stays on screen until the text changes)."""
        self.initial = ""

    def compose(self) -> ComposeResult:
        """Summary, detail (notes and the preview), the prompt and a grammar hint."""
        with Vertical(id="cmd-box"):
            yield Static("", id="cmd-summary", markup=False)
            yield Static("", id="cmd-detail", markup=False)
            yield SteadyInput(
                self.initial, placeholder="command (Escape closes)", id="cmd-input", compact=True
            )
            yield Static(HELP, id="cmd-help", markup=False)

    @property
    def input(self) -> Input:
        """The prompt."""
        return self.query_one("#cmd-input", Input)

    def on_mount(self) -> None:
        """Follow the market while open."""
        self._timer = self.set_interval(REPLAN_S, self._tick, name="cmdline-replan")

    def configure(self, text: str = "") -> None:
        """Reuse the (pre-built) screen: prompt set to ``text``, history cursor at the end."""
        self.initial = text
        self._cursor = len(self.history)
        self._draft = ""
        if self.is_mounted:
            self._set_text(text)

    def _set_text(self, text: str) -> None:
        prompt = self.input
        prompt.value = text
        prompt.cursor_position = len(text)
        self.replan()

    def _tick(self) -> None:
        if self.is_current:
            self.replan()

    # --- plan and feedback ------------------------------------------------------------------
    def replan(self) -> None:
        """Re-plan the current text and show what Enter would do."""
        plan = self.planner(self.input.value)
        self.plan = plan
        summary = self.query_one("#cmd-summary", Static)
        detail = self.query_one("#cmd-detail", Static)
        if not plan.ready and self._not_sent == plan.line:
            set_text(summary, f"✖ not sent — {plan.error or 'type a command'}")
            set_text(detail, plan.detail)
        elif plan.ready:
            set_text(summary, f"Enter: {plan.summary}")
            set_text(detail, plan.detail)
        elif plan.summary:
            set_text(summary, f"✖ {plan.summary}")
            set_text(detail, "\n".join(x for x in (plan.detail, f"✖ will not send: {plan.error}") if x))
        else:
            set_text(summary, f"✖ {plan.error}" if plan.error else "")
            set_text(detail, "")
        # On the summary line only: a class on the screen would restyle its whole subtree per key.
        summary.set_class(plan.ready, "-ready")
        summary.set_class(not plan.ready and bool(plan.error), "-refused")

    def on_input_changed(self, event: Input.Changed) -> None:
        """Every keystroke re-plans."""
        event.stop()
        self.replan()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter: run the plan on screen when it is ready; otherwise say why, in place."""
        event.stop()
        if self.plan is None or self.plan.line != self.input.value:
            self.replan()
        plan = self.plan
        assert plan is not None
        text = self.input.value.strip()
        if text and (not self.history or self.history[-1] != text):
            self.history.append(text)
            del self.history[:-HISTORY_LIMIT]
        self._cursor = len(self.history)
        if not plan.ready:
            self._not_sent = plan.line
            self.replan()
            return
        changed = plan.stale() if plan.stale is not None else ""
        if changed:  # what Enter would do is no longer what the screen showed: show it again
            self.replan()
            set_text(self.query_one("#cmd-summary", Static), f"✖ not sent — {changed}")
            return
        self.dismiss(plan)

    # --- history ----------------------------------------------------------------------------
    def action_history(self, step: int) -> None:
        """Up: the previous line of this session; down: the next (then back to the draft)."""
        if not self.history:
            return
        if self._cursor == len(self.history):
            self._draft = self.input.value
        self._cursor = max(0, min(len(self.history), self._cursor + step))
        text = self.history[self._cursor] if self._cursor < len(self.history) else self._draft
        self._set_text(text)

    def action_close(self) -> None:
        """Close without running anything."""
        self.dismiss(None)


SCREEN_NAME = "command-line"


class CommandLineHost:
    """The app's side of the command line: the pre-built screen, aliases, running plans."""

    def __init__(self, app: TradeConsoleApp) -> None:
        self.app = app
        self.planner = CommandPlanner(app)
        self.screen: CommandLine | None = None
        self.aliases: dict[str, str] = {}
        """The usable ``[aliases]`` (key -> command line), bound at start."""
        self.last_plan: Plan | None = None
        """The last plan Enter ran (the one on screen when Enter was pressed)."""

    def prebuild(self) -> Awaitable[None] | None:
        """Compose the screen off-stack now (like the ticket), so keys typed right after ``:`` land in
        it; returns what to await for it to be mounted (``None`` when it already exists)."""
        if self.screen is not None:
            return None
        screen = CommandLine(self.planner.plan)
        self.screen = screen
        self.app.install_screen(screen, SCREEN_NAME)
        return self.app._get_screen(SCREEN_NAME)[1]

    def install_aliases(self) -> None:
        """Bind each valid ``[aliases]`` key; log a line naming every bad alias."""
        app = self.app
        taken = [effective_key(b.id, app._keymap) for b in MAIN_BINDINGS + APP_BINDINGS if b.id]
        self.aliases, problems = check_aliases(app.settings.aliases, app.symbols, taken)
        for problem in problems:
            app.log_line(problem)
        for key in self.aliases:
            app.bind(key, f"alias({key!r})", show=False)

    def open(self, text: str = "") -> None:
        """Show the command line with ``text`` in the prompt (nothing runs before Enter)."""
        app = self.app
        if self.screen is None:
            self.prebuild()
        assert self.screen is not None
        if self.screen in app.screen_stack:
            return
        self.screen.configure(text)
        app.push_screen(SCREEN_NAME, self.done)

    def done(self, plan: Plan | None) -> None:
        """Run the plan the trader pressed Enter on."""
        if plan is None or not plan.ready:
            return
        app = self.app
        self.last_plan = plan
        if plan.local is not None:
            plan.local()
            app.log_line(f"cmd: {plan.line.strip()} -> {plan.summary}")
        if plan.call is not None:
            app.log_line(f"cmd: {plan.line.strip()} -> {plan.summary}")
            app.run_worker(app._run_command(plan.what, plan.call()), group="orders")


__all__ = ["HELP", "SCREEN_NAME", "CommandLine", "CommandLineHost", "Planner"]
