"""The order ticket's flow: one ticket screen, composed off-stack at start-up and reused for every
open (reopening costs a configure, not a compose), targeted at the side and symbol, and fed the
latest market while it is open. The answer goes back to the app's ``_ticket_done``."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TYPE_CHECKING

from console.screens.ticket import OrderTicket
from console.screens.ticket_feed import ticket_market
from core.model import Side

if TYPE_CHECKING:
    from console.app import TradeConsoleApp

TICKET_SCREEN = "order-ticket"


class TicketFlow:
    """Pre-builds, opens and feeds the app's one order ticket."""

    def __init__(self, app: TradeConsoleApp) -> None:
        self.app = app
        self.ticket: OrderTicket | None = None

    def prebuild(self) -> Awaitable[None] | None:
        """Compose the (reused) order ticket off-stack now, so even the first ``b`` opens it at once;
        returns what to await for it to be mounted (``None`` when it already exists).

        ``_get_screen`` registers and mounts an installed screen without showing it; Textual
        otherwise composes a screen on its first push (~160 ms for the ticket).
        """
        app = self.app
        if self.ticket is not None:
            return None
        sym = app.symbol
        ticket = OrderTicket(sym, Side.BUY, app.engine.preview, instrument=app.engine.instruments.get(sym))
        self.ticket = ticket
        app.install_screen(ticket, TICKET_SCREEN)
        return app._get_screen(TICKET_SCREEN)[1]

    def open(self, side: Side) -> None:
        """The ticket for the app's symbol and ``side``, prefilled at the touch (never twice)."""
        app = self.app
        sym = app.symbol
        mkt = ticket_market(app.engine.store, sym, app.bridge.account.balance)
        price = mkt.best_bid if side is Side.BUY else mkt.best_ask
        inst = app.engine.instruments.get(sym)
        ticket = self.ticket
        if ticket is None:
            ticket = OrderTicket(sym, side, app.engine.preview, instrument=inst, ref_price=mkt.ref_price)
            self.ticket = ticket
            app.install_screen(ticket, TICKET_SCREEN)
        elif ticket in app.screen_stack:
            return
        ticket.taker_fee = app.engine.fee_rates(sym)[0]
        ticket.configure(
            sym,
            side,
            instrument=inst,
            ref_price=mkt.ref_price,
            price=price or mkt.ref_price,
            equity=mkt.equity,
            best_bid=mkt.best_bid,
            best_ask=mkt.best_ask,
        )
        app.push_screen(TICKET_SCREEN, app._ticket_done)

    def feed(self) -> None:
        """The open ticket follows the market (once per refresh tick at most; fields untouched)."""
        app = self.app
        ticket = self.ticket
        if ticket is not None and app.screen is ticket:
            mkt = ticket_market(app.engine.store, ticket.symbol, app.bridge.account.balance)
            ticket.market_update(*mkt)


__all__ = ["TICKET_SCREEN", "TicketFlow"]
