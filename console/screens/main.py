"""The main dashboard: header, ladder, trades, chart, positions, orders, risk meters and log.

The screen only composes panes and forwards key actions to the app; all data flows in from the
app's refresh timer (see :mod:`console.bridge`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen

from console.keymap import ALGO_BINDINGS, MAIN_BINDINGS
from console.paired_actions import ConsoleCrossVenuePane
from console.screens.frame import FrameKeepingCompositor
from console.strategy_actions import ConsoleStrategiesPane
from core.market.candles import TIMEFRAMES
from core.model import Mode, Side
from widgets.algos import AlgosPane
from widgets.chart import PriceChart
from widgets.fills import FillsPane
from widgets.header import AccountHeader
from widgets.keybar import KeyBar
from widgets.ladder import OrderLadder
from widgets.log_pane import EventLog
from widgets.market_header import MarketStrip
from widgets.orders import OrdersTable
from widgets.positions import PositionsTable
from widgets.risk_meters import RiskMeters
from widgets.trades import TradeTape

if TYPE_CHECKING:
    from console.app import TradeConsoleApp

PANES: tuple[str, ...] = ("market", "tables", "risk", "log")
"""Pane groups the ``1``–``4`` keys show and hide: market = ladder, trades, market strip and
chart; tables = positions, orders and fills. Hiding sets a ``-hide-<group>`` class on the screen, so the
stylesheet decides what is visible at each size and a second press restores exactly that."""

TITLES: dict[str, str] = {
    "#ladder": "Book",
    "#tape": "Trades",
    "#chart": "Chart",
    "#positions": "Positions",
    "#orders": "Orders",
    "#fills": "Fills",
    "#algos": "Algos",
    "#strategies": "Strategies",
    "#crossvenue": "Cross-venue (A→B: buy A, sell B; bps after taker fees)",
    "#log": "Log",
    "#risk-col": "Risk",
}
"""Every pane's title, shown in its border (wide) or its top rule (compact), at every size."""


class ConsoleAlgosPane(AlgosPane):
    """The algos pane with the console's keys (pause, resume, cancel), remappable by id."""

    BINDINGS = ALGO_BINDINGS  # type: ignore[assignment]


class MainScreen(Screen[None]):
    """One screen with every pane; usable at 80×24, rich at 160×50."""

    BINDINGS = MAIN_BINDINGS  # type: ignore[assignment]

    def __init__(self, mode: Mode) -> None:
        super().__init__(id="main")
        # The frame it draws is kept, so a modal's dimmed backdrop reuses it (console/screens/frame.py).
        self._compositor = FrameKeepingCompositor()
        self.mode = mode
        self.hidden_panes: set[str] = set()
        # Panes are created here so the refresh loop holds stable references (no DOM queries per
        # tick, and no lookup failures while the app is shutting down).
        self.header = AccountHeader(mode, id="header")
        self.ladder = OrderLadder(id="ladder")
        self.tape = TradeTape(id="tape")
        self.chart = PriceChart(id="chart")
        self.market_strip = MarketStrip(id="market-strip")
        self.fills = FillsPane(id="fills")
        self.positions = PositionsTable(id="positions")
        self.orders = OrdersTable(id="orders")
        self.algos = ConsoleAlgosPane(id="algos")
        self.strategies = ConsoleStrategiesPane(id="strategies")
        self.crossvenue = ConsoleCrossVenuePane(id="crossvenue")
        self.log_pane = EventLog(id="log")
        self.risk = RiskMeters(id="risk")
        self.keybar = KeyBar(id="keybar")

    def compose(self) -> ComposeResult:
        """Header, two columns, log + risk row, key bar."""
        yield self.header
        with Horizontal(id="body"):
            with Vertical(id="market-col"):
                yield self.ladder
                yield self.tape
            with Vertical(id="center-col"):
                yield self.market_strip
                yield self.chart
                yield self.positions
                yield self.orders
                yield self.algos
                yield self.strategies
                yield self.crossvenue
                yield self.fills
        with Horizontal(id="bottom"):
            yield self.log_pane
            with Vertical(id="risk-col"):
                yield self.risk
        yield self.keybar

    def on_mount(self) -> None:
        """Pane titles."""
        for selector, title in TITLES.items():
            self.query_one(selector).border_title = title
        self.keybar.set_keys(self.console.key_hints(), self.console.palette_hint())

    @property
    def console(self) -> TradeConsoleApp:
        """The app, typed."""
        return cast("TradeConsoleApp", self.app)

    # --- actions (forwarded to the app) -----------------------------------------------------
    def action_ticket(self, side: str) -> None:
        """Open the order ticket."""
        self.console.open_ticket(Side(side))

    def action_amend(self) -> None:
        """Amend the selected order."""
        self.console.amend_selected()

    def action_cancel(self) -> None:
        """Cancel the selected order."""
        self.console.cancel_selected()

    def action_cancel_all(self) -> None:
        """Cancel every order (confirmed)."""
        self.console.confirm_cancel_all()

    def action_close_position(self) -> None:
        """Close the selected position (confirmed)."""
        self.console.confirm_close_position()

    def action_cycle_symbol(self, step: int) -> None:
        """Previous / next symbol."""
        self.console.cycle_symbol(step)

    def action_ladder_group(self, step: int) -> None:
        """Coarser (+1) or finer (-1) price grouping in the ladder."""
        self.ladder.cycle_group(step)

    def action_chart_timeframe(self) -> None:
        """Next chart timeframe (1m, 5m, 15m, 1h)."""
        bridge = self.console.bridge
        i = TIMEFRAMES.index(bridge.timeframe) if bridge.timeframe in TIMEFRAMES else -1
        bridge.timeframe = TIMEFRAMES[(i + 1) % len(TIMEFRAMES)]
        self.console.refresh_ui(force=True)
        if not self.chart.display:  # hidden at this size (or with 1): say what the key did
            self.notify(
                f"chart timeframe {bridge.timeframe}: the chart is hidden at this size "
                "(it shows at 36 rows and more, with the market panes on: 1)",
                severity="information",
            )

    def action_cycle_theme(self) -> None:
        """Next theme."""
        self.console.cycle_theme()

    def action_toggle_algos(self) -> None:
        """The algos pane: hidden/shown where it has its own place (wide and tall), shown in the
        orders pane's place / back to the orders at compact sizes (``-algos`` on the screen)."""
        self.toggle_class("-algos")

    def action_toggle_strategies(self) -> None:
        """The strategies pane: hidden/shown like the algos pane (``-strategies`` on the screen)."""
        self.toggle_class("-strategies")

    def action_toggle_crossvenue(self) -> None:
        """The cross-venue pane: shown and focused (its keys: P paired ticket, u unwind, m complete),
        or hidden again (``-crossvenue`` on the screen)."""
        self.toggle_class("-crossvenue")
        if self.has_class("-crossvenue"):
            self.set_focus(self.crossvenue)
            self.console.refresh_ui(force=True)
        elif self.crossvenue.has_focus:
            self.set_focus(None)

    def action_toggle_pane(self, pane: str) -> None:
        """Show or hide a pane group (the stylesheet's ``-hide-<group>`` rules do the layout)."""
        if pane not in PANES:
            return
        hide = pane not in self.hidden_panes
        if hide:
            self.hidden_panes.add(pane)
        else:
            self.hidden_panes.discard(pane)
        self.set_class(hide, f"-hide-{pane}")
