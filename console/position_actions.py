"""The keys that act on the selected order or position: amend, close by %, breakeven, TP/SL,
leverage. Each opens its box, and on an answer runs the engine command through the app's
``_run_command`` (log line, toast on rejection, refresh)."""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR
from typing import TYPE_CHECKING

from console.screens.amend import AmendRequest, AmendScreen
from console.screens.modals import ConfirmScreen
from console.screens.position_tools import CloseScreen, LeverageScreen, TpSlRequest, TpSlScreen, side_word
from core.api import RiskPreview
from core.engine.order_path import changed_orders_words, open_order_ids
from core.model import OrderRequest, Position, Side
from core.orders.builder import snap
from core.orders.closing import fmt_pct
from core.resilience.errors import VenueError
from core.risk.preview import held_loss_at
from widgets.fmt import fmt_dec

if TYPE_CHECKING:
    from decimal import Decimal

    from console.app import TradeConsoleApp


class PositionActions:
    """Order and position key actions for one app."""

    def __init__(self, app: TradeConsoleApp) -> None:
        self.app = app

    def _run(self, what: str, coro: object) -> None:
        app = self.app
        app.run_worker(app._run_command(what, coro), group="orders")  # type: ignore[arg-type]

    def selected_position(self) -> Position | None:
        """The position selected in the positions table, else the current symbol's; None if flat
        (with a warning toast)."""
        app = self.app
        sym = app.main.positions.selected_key or app.symbol
        pos = app.bridge.account.positions.get(sym)
        if pos is None or pos.is_flat or pos.side is None:
            app.notify(f"no open position in {sym}", severity="warning")
            return None
        return pos

    # --- orders ----------------------------------------------------------------------------
    def amend_selected(self) -> None:
        """Amend the order selected in the orders table (the fields its type has)."""
        app = self.app
        key = app.main.orders.selected_key
        order = app.bridge.account.orders.get(key) if key else None
        if order is None:
            app.notify("select an order in the orders table first", severity="warning")
            return

        def done(req: AmendRequest | None) -> None:
            if req is None:
                return
            coro = app.engine.amend(
                order.order_link_id,
                qty=req.qty,
                price=req.price,
                trigger_price=req.trigger_price,
                expect=order,  # as the box showed it: changed meanwhile, nothing is sent
            )
            self._run(f"amend {order.order_link_id}", coro)

        link = order.order_link_id

        def preview(request: OrderRequest) -> RiskPreview:
            return app.engine.preview(request, amending=link)

        screen = AmendScreen(order, app.engine.instruments.get(order.symbol), preview)
        app.push_screen(screen, done)

    def cancel_all_confirmed(self) -> None:
        """Cancel every working order after a confirmation that counts them; only those: an order
        placed or gone meanwhile refuses it unsent (here at ``y``, and in the engine at send)."""
        app = self.app
        shown = open_order_ids(app.engine.account().orders.values())

        def done(ok: bool | None) -> None:
            if not ok:
                return
            now = open_order_ids(app.engine.account().orders.values())
            if now != shown:
                why = changed_orders_words(shown, now)
                app.log_line(f"cancel all not sent: {why}")
                app.notify(f"cancel all not sent — {why} (press C again)", severity="warning")
                return
            self._run("cancel all", app.engine.cancel_all(expect=shown))

        body = (
            f"{len(shown)} working order(s) will be cancelled "
            "(only these: if another appears first, nothing is)."
        )
        app.push_screen(ConfirmScreen("Cancel all orders?", body), done)

    # --- positions -------------------------------------------------------------------------
    def close_selected(self) -> None:
        """Close 25/50/100 % of the selected position reduce-only, after choosing and confirming."""
        pos = self.selected_position()
        if pos is None:
            return
        app = self.app

        def done(fraction: Decimal | None) -> None:
            if fraction is not None:
                # Only the position the box showed: one that changed meanwhile is refused unsent.
                assert pos.side is not None
                coro = app.engine.close_position(pos.symbol, fraction, expect=(pos.side, pos.size))
                self._run(f"close {fmt_pct(fraction)} {pos.symbol}", coro)

        app.push_screen(CloseScreen(pos, app.engine.instruments.get(pos.symbol)), done)

    def breakeven_selected(self) -> None:
        """Stop loss to the entry price of the selected position, after a confirmation."""
        pos = self.selected_position()
        if pos is None:
            return
        app = self.app
        inst = app.engine.instruments.get(pos.symbol)
        long = pos.side is Side.BUY
        entry = (
            snap(pos.entry_price, inst.tick_size, ROUND_CEILING if long else ROUND_FLOOR) if inst else None
        )
        shown = entry if entry is not None else pos.entry_price
        body = (
            f"Set the stop loss of {pos.symbol} {side_word(pos)} {pos.size} to its entry {shown} "
            f"(rounded {'up' if long else 'down'} to the tick), triggered on the mark price?\n"
            "It replaces the position's current stop loss and covers the whole position."
        )
        assert pos.side is not None
        loss = held_loss_at(pos.side, pos.size, pos.entry_price, shown, app.engine.fee_rates(pos.symbol)[0])
        body += f"\nloss@stop  {fmt_dec(loss, 2)} USDT on {pos.size}, the whole position (the fee to exit)"

        def done(ok: bool | None) -> None:
            if ok:
                # Only the stop the box showed: an entry changed meanwhile is refused unsent.
                self._run(f"breakeven {pos.symbol}", app.engine.breakeven(pos.symbol, expect=entry))

        app.push_screen(ConfirmScreen("Stop to breakeven?", body), done)

    def edit_tpsl_selected(self) -> None:
        """Edit the selected position's TP/SL."""
        pos = self.selected_position()
        if pos is None:
            return
        app = self.app
        ticker = app.engine.store.ticker(pos.symbol)

        def done(req: TpSlRequest | None) -> None:
            if req is not None:
                coro = app.engine.set_trading_stop(
                    pos.symbol,
                    take_profit=req.take_profit,
                    stop_loss=req.stop_loss,
                    trigger_by=req.trigger_by,
                    expect=None if pos.side is None else (pos.side, pos.size),
                )
                self._run(f"TP/SL {pos.symbol}", coro)

        screen = TpSlScreen(
            pos,
            app.engine.instruments.get(pos.symbol),
            ticker.mark_price if ticker else None,
            app.engine.fee_rates(pos.symbol)[0],
        )
        app.push_screen(screen, done)

    def leverage_for_symbol(self) -> None:
        """Set leverage for the selected position's symbol (or the current symbol)."""
        app = self.app
        sym = app.main.positions.selected_key or app.symbol
        pos = app.bridge.account.positions.get(sym)
        current = pos.leverage if pos is not None and not pos.is_flat else None

        def done(lev: Decimal | None) -> None:
            if lev is not None:
                self._run(f"leverage {sym}", app.engine.set_leverage(sym, lev))

        cap = app.settings.risk.max_leverage
        screen = LeverageScreen(sym, current, app.engine.instruments.get(sym), cap, "… (asking the venue)")
        app.push_screen(screen, done)
        app.run_worker(self._margin_mode(screen), group="margin-mode", exclusive=True)

    async def _margin_mode(self, screen: LeverageScreen) -> None:
        """Fill in the account's margin mode (the box is already open, so typed keys land in it)."""
        try:
            mode = await self.app.engine.margin_mode()
        except VenueError as err:
            mode = f"unknown (venue: {err})"
        screen.set_margin_mode(mode)
