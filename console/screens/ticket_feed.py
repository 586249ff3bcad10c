"""What the app hands the order ticket while it is open, and the words for a venue's late refusal.

The ticket follows the market: on each refresh tick the app passes it :func:`ticket_market`
(reference price, best bid/ask, equity) and the ticket recomputes its preview when one of them
moved. A venue can also refuse an order *after* accepting it (a post-only that would take
liquidity is cancelled with ``EC_PostOnlyWillTakeLiquidity`` in the order stream, not in the
REST reply): :func:`venue_cancel_message` turns that order update into a toast.
"""

from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple

from core.model import Balance, Order, OrderStatus
from core.store import MarketStore

REASONS: dict[str, str] = {
    "EC_PostOnlyWillTakeLiquidity": "post-only would have taken liquidity",
    "EC_NoImmediateQtyToFill": "nothing to fill at once (IOC/FOK)",
    "EC_ReachMaxPriceTolerance": "price moved past the protection limit",
    "EC_ReachRiskPriceLimit": "price outside the venue's risk limit",
}
"""Plain words for Bybit's ``rejectReason`` codes the console meets most."""


class TicketMarket(NamedTuple):
    """The market facts the open ticket follows."""

    ref_price: Decimal | None
    best_bid: Decimal | None
    best_ask: Decimal | None
    equity: Decimal | None


def ticket_market(store: MarketStore, symbol: str, balance: Balance | None) -> TicketMarket:
    """Mark price (else mid) and best bid/ask from the store's latest state, and ``balance``'s equity."""
    book, ticker = store.book(symbol), store.ticker(symbol)
    ref = ticker.mark_price if ticker is not None and ticker.mark_price > 0 else None
    if ref is None and book is not None:
        ref = book.mid
    return TicketMarket(
        ref,
        book.best_bid if book is not None else None,
        book.best_ask if book is not None else None,
        balance.equity if balance is not None else None,
    )


def venue_cancel_message(order: Order) -> str | None:
    """A toast for an order the venue cancelled or rejected on its own (None for anything else).

    Orders the engine marked rejected itself (``order_id`` empty: the REST reply refused it, and
    a :class:`~core.events.VenueRejected` already says so) are left out, as are user cancels.
    """
    reason = order.reject_reason
    if not reason or reason == "EC_NoError" or not order.order_id:
        return None
    if order.status not in (OrderStatus.CANCELLED, OrderStatus.REJECTED, OrderStatus.DEACTIVATED):
        return None
    words = REASONS.get(reason, reason)
    what = f"{order.side.value.lower()} {order.qty} {order.symbol}"
    px = f" @ {order.price}" if order.price is not None else ""
    return f"venue {order.status.value.lower()} {what}{px}: {words} ({reason}) [{order.order_link_id}]"


__all__ = ["REASONS", "TicketMarket", "ticket_market", "venue_cancel_message"]
