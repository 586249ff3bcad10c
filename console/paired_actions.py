"""The cross-venue pane and the paired order ticket, for one app.

At the table rate the console reads each paired asset's books and tickers from the store and the
engine's taker fees into :class:`~core.market.crossvenue.CrossView` rows, checks the spread alerts
(each fires once into the log and a toast, and re-arms below the threshold) and redraws the pane.
``P`` on a row opens the paired ticket; its legs go through the engine's one order path by the
:class:`~core.orders.paired_desk.PairedDesk`, which the console feeds the engine's order events.
A pair in leg risk is shown loudly (the row, a toast, the log); ``u`` unwinds it (every filled
quantity closed reduce-only), ``m`` completes it (the missing quantity at market).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Sequence
from typing import TYPE_CHECKING

from console.keymap import CROSSVENUE_BINDINGS
from console.screens.paired import PairedTicket
from core.events import Event
from core.market.crossvenue import CrossView, SpreadAlerts, pair_symbols, views_of
from core.orders.paired import PairedOrder, PairState
from core.orders.paired_desk import PairedDesk, PairTicket
from widgets.crossvenue import CrossVenuePane

if TYPE_CHECKING:
    from console.app import TradeConsoleApp
    from console.screens.main import MainScreen

log = logging.getLogger(__name__)

LEG_RISK_TOAST_S = 30
ALERT_TOAST_S = 10
LEG_RISK_CELL = "LEG RISK u/m"
"""The Paired cell of a pair in leg risk: what it is and the keys that resolve it."""


class ConsoleCrossVenuePane(CrossVenuePane):
    """The cross-venue pane with the console's keys (paired ticket, unwind, complete), remappable by id."""

    BINDINGS = CROSSVENUE_BINDINGS  # type: ignore[assignment]
    SCOPED_CSS = False
    # Hidden until 7 shows it: in its own place when wide and tall, in the orders' place when compact.
    DEFAULT_CSS = """
    #crossvenue {
        display: none;
        height: 1fr;
        min-height: 5;
        overflow-x: hidden;
        border: round $pane-border;
        border-title-color: $fg-muted;
        border-title-style: bold;
    }
    #crossvenue:focus { border: round $primary; border-title-color: $primary; }
    .-crossvenue #crossvenue { display: block; }
    .-crossvenue #chart { display: none; }
    .-narrow #crossvenue, .-short #crossvenue {
        border: none;
        border-top: solid $pane-border;
        scrollbar-size-vertical: 1;
    }
    .-narrow.-crossvenue #orders, .-short.-crossvenue #orders { display: none; }
    .-narrow #crossvenue:focus, .-short #crossvenue:focus { border: none; border-top: heavy $primary; }
    """


class CrossVenueActions:
    """The cross-venue pane's data, its alerts, the paired ticket and its keys."""

    def __init__(self, app: TradeConsoleApp) -> None:
        self.app = app
        cfg = app.settings.crossvenue
        self.desk = PairedDesk(app.engine, timeout_s=cfg.leg_timeout_s)
        self.alerts = SpreadAlerts(cfg.alert_bps)
        self.pairs = pair_symbols(app.symbols)
        """``(asset, symbol on A, symbol on B)`` of every asset listed on two venues."""
        self.views: list[CrossView] = []
        """The rows as last drawn."""

    # --- data ---------------------------------------------------------------------------------
    def compute(self) -> list[CrossView]:
        """Every paired asset from the store's latest books and tickers and the engine's fees."""
        store = self.app.engine.store
        symbols = [s for _, a, b in self.pairs for s in (a, b)]
        books = {s: store.book(s) for s in symbols}
        tickers = {s: t for s in symbols if (t := store.ticker(s)) is not None}
        fees = {s: self.app.engine.fee_rates(s)[0] for s in symbols}
        return views_of(self.pairs, books, tickers, fees)

    def view(self, asset: str) -> CrossView | None:
        """The asset's row now (the ticket prices its limit legs from it)."""
        return next((v for v in self.compute() if v.asset == asset), None)

    def refresh(self, main: MainScreen) -> None:
        """Recompute the rows, fire the alerts that crossed, tick the pairs, redraw the pane."""
        if not self.pairs:
            return
        now = self.app.clock.now_ms()
        self.views = self.compute()
        for alert in self.alerts.check(self._fresh(self.views)):
            self.app.log_line(f"ALERT {alert.message}")
            self.app.notify(f"alert crossvenue: {alert.message}", severity="warning", timeout=ALERT_TOAST_S)
        self._tell(self.desk.tick(now))
        self.redraw(main, now)

    def _fresh(self, views: Sequence[CrossView]) -> list[CrossView]:
        """The rows whose books are both live: a venue that is down or stale leaves its last
        quote in the pane, and a spread against it is not one to alert on."""
        return [v for v in views if self._live(v.a.symbol) and self._live(v.b.symbol)]

    def _live(self, symbol: str) -> bool:
        """True while ``symbol``'s book is connected and fresh (the engine's book staleness)."""
        book = self.app.engine.store.book(symbol)
        return book is not None and not book.stale

    def redraw(self, main: MainScreen, now_ms: int) -> None:
        """Feed the pane the rows last computed and each asset's paired-order state."""
        insts = self.app.engine.instruments
        places = {s: i.price_decimals for s, i in insts.items()}
        notes = {}
        for asset, _, _ in self.pairs:
            pair = self.desk.latest(asset)
            if pair is not None:
                # the column is narrow: the keys here, the reason in the toast and the log
                notes[asset] = LEG_RISK_CELL if pair.state == PairState.LEG_RISK else str(pair.state)
        main.crossvenue.update_cross(
            self.views,
            now_ms=now_ms,
            threshold_bps=self.alerts.threshold_bps,
            price_places=places,
            pairs=notes,
            stale={s for _, a, b in self.pairs for s in (a, b) if not self._live(s)},
        )

    def on_events(self, events: Sequence[Event]) -> None:
        """Feed the pairs the engine's order events (every frame: fills are told at once)."""
        if self.desk.pairs and events:
            changed = self.desk.on_events(events, self.app.clock.now_ms())
            self._tell(changed)
            if changed:
                self.redraw(self.app.main, self.app.clock.now_ms())

    def _tell(self, changed: Sequence[PairedOrder]) -> None:
        for pair in changed:
            line = f"paired {pair.pair_id} {pair.asset}: {pair.describe()}"
            self.app.log_line(line)
            log.log(logging.WARNING if pair.state == PairState.LEG_RISK else logging.INFO, "%s", line)
            if pair.state == PairState.LEG_RISK:
                self.app.notify(
                    f"{pair.note} — u unwinds, m completes (cross-venue pane)",
                    title="LEG RISK",
                    severity="error",
                    timeout=LEG_RISK_TOAST_S,
                )

    def restore(self) -> None:
        """After the engine started: the pairs the journal says are still in leg risk, told again."""
        if not self.pairs:
            return
        back = self.desk.restore()
        for pair in back:
            self.app.log_line(f"paired {pair.pair_id} {pair.asset} still in leg risk from before the restart")
        self._tell(back)

    # --- keys ---------------------------------------------------------------------------------
    def _selected_asset(self) -> tuple[str, str, str] | None:
        key = self.app.main.crossvenue.selected_key
        found = next((p for p in self.pairs if p[0] == key), None)
        if found is None:
            self.app.notify("select an asset in the cross-venue pane first", severity="warning")
        return found

    def open_ticket(self) -> None:
        """``P``: the paired ticket for the selected asset."""
        found = self._selected_asset()
        if found is None:
            return
        asset, sym_a, sym_b = found

        def done(ticket: PairTicket | None) -> None:
            if ticket is not None:
                self.app.run_worker(self.send(ticket), group="paired")

        screen = PairedTicket(asset, sym_a, sym_b, self.desk.preview, self.view)
        self.app.push_screen(screen, done)

    async def send(self, ticket: PairTicket) -> PairedOrder:
        """Send both legs; the state is told and drawn at once."""
        pair = await self.desk.send(ticket, self.app.clock.now_ms())
        self.app.log_line(
            f"paired {pair.pair_id} sent: BUY {ticket.qty} {ticket.buy_symbol} / SELL {ticket.qty} "
            f"{ticket.sell_symbol} {ticket.order_type.value.lower()}"
        )
        self._tell([pair])
        self.app.refresh_ui(force=True)
        return pair

    def recover(self, verb: str) -> None:
        """``u`` (unwind) or ``m`` (complete) on the selected asset's pair in leg risk."""
        found = self._selected_asset()
        if found is None:
            return
        pair = self.desk.latest(found[0])
        if pair is None or pair.state != PairState.LEG_RISK:
            state = "no paired order" if pair is None else f"{pair.pair_id} is {pair.state}"
            self.app.notify(f"{found[0]}: {state}; nothing to {verb}", severity="warning")
            return
        now = self.app.clock.now_ms()
        call: Awaitable[PairedOrder] = (
            self.desk.unwind(pair, now) if verb == "unwind" else self.desk.complete(pair, now)
        )
        self.app.run_worker(self._recovered(verb, call), group="paired")

    async def _recovered(self, verb: str, call: Awaitable[PairedOrder]) -> None:
        pair = await call
        self.app.log_line(f"paired {pair.pair_id} {verb}: {pair.describe()}")
        self.app.refresh_ui(force=True)


__all__ = ["ConsoleCrossVenuePane", "CrossVenueActions"]
