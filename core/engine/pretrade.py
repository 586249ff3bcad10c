"""Before an order is sent: build the request into venue-ready numbers, gather what the risk
checks need, and preview it for the ticket (rounding, fees, margin, liquidation, every check)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from decimal import Decimal

from core.account import AccountState
from core.api import RiskPreview
from core.clock import Clock
from core.engine.guards import Guards
from core.engine.link import VenueLink
from core.events import Event, OrderUpdated
from core.journal.journal import Journal
from core.model import Instrument, Mode, OrderRequest
from core.orders.builder import OrderBuilder
from core.orders.built import BuildError, BuiltOrder
from core.orders.ids import ClientIdRule
from core.orders.values import request_problem
from core.risk.chain import RiskChain
from core.risk.context import OpenOrdersCache, RiskContext
from core.risk.correlation import CloseCache
from core.risk.preview import PreviewContext, preview_order
from core.risk.sizing import DEFAULT_MAKER_FEE, DEFAULT_TAKER_FEE, error_preview
from core.store import MarketStore

DEFAULT_LEVERAGE = Decimal(10)
"""The leverage assumed for a symbol without a position (the venue's default)."""


def _not_held(_symbol: str) -> str | None:
    """A venue without parts: every symbol can take orders."""
    return None


class PreTrade:
    """Builds orders and checks them against the risk chain; previews them for the ticket."""

    def __init__(
        self,
        *,
        mode: Mode,
        rest_url: str,
        clock: Clock,
        store: MarketStore,
        state: AccountState,
        instruments: dict[str, Instrument],
        risk_chain: RiskChain,
        guards: Guards,
        journal: Journal,
        link: VenueLink,
        client_ids: ClientIdRule,
    ) -> None:
        self.mode = mode
        self.rest_url = rest_url
        self.clock = clock
        self.store = store
        self.state = state
        self.instruments = instruments
        self.builder = OrderBuilder(client_ids=client_ids)
        self.risk_chain = risk_chain
        self.guards = guards
        self.journal = journal
        self.link = link
        self.closes = CloseCache(store)
        """Recent closes per symbol for the checks that need history (correlated exposure)."""
        self.open_orders = OpenOrdersCache()
        """The working orders' summary, summed once while no order changes."""
        self.fees: dict[str, tuple[Decimal, Decimal]] = {}
        """The account's ``(taker, maker)`` rates per symbol, once the venue has told them."""
        self._prepare_due = False
        self.held_reason: Callable[[str], str | None] = _not_held
        """Why a symbol's part of the venue cannot take orders now (:mod:`core.engine.admission`)."""

    def on_event(self, event: Event) -> None:
        """An order changed (an ack, a fill, a cancel): the open-order sums are summed again at
        the loop's next turn, off the path of the next command's checks (an algo's amend on the
        next market move would otherwise sum them first, with every reaction of its pass waiting)."""
        if not isinstance(event, OrderUpdated) or self._prepare_due:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # not on the loop: the next command sums them, as it always could
            return
        self._prepare_due = True
        loop.call_soon(self._prepare_open_orders)

    def _prepare_open_orders(self) -> None:
        self._prepare_due = False
        self.open_orders.prepare(self.state.orders, self._marks())

    def _marks(self) -> dict[str, Decimal]:
        return {s: m for s in self.link.symbols if (m := self.ref_price(s)) is not None}

    def ref_price(self, symbol: str) -> Decimal | None:
        """The mark price, else the book's mid (None before either is known)."""
        ticker = self.store.ticker(symbol)
        if ticker is not None and ticker.mark_price > 0:
            return ticker.mark_price
        book = self.store.book(symbol)
        return book.mid if book is not None else None

    def risk_context(self, symbol: str, *, exclude: str | None = None) -> RiskContext:
        """A frozen snapshot of everything the risk checks need for ``symbol``.

        ``exclude`` leaves one working order out (the one being amended, which the amended
        request replaces rather than adds to).
        """
        inst = self.instruments[symbol]
        book = self.store.book(symbol)
        now = self.clock.now_ms()
        marks = self._marks()
        books = self.link.books
        # The keeper's own flag is live; the store's BookView lags it by up to one publish interval.
        stale = books.is_stale(symbol) if books is not None else bool(book and book.stale)
        offset = self.link.time_offset_ms or 0
        return RiskContext(
            mode=self.mode,
            rest_url=self.rest_url,
            instrument=inst,
            mark_price=marks.get(symbol, Decimal(0)),
            best_bid=book.best_bid if book else None,
            best_ask=book.best_ask if book else None,
            book_stale=stale,
            # Book timestamps are the venue's clock: compare them on the venue's clock.
            book_age_s=(now + offset - book.ts_ms) / 1000 if book and book.ts_ms else 0.0,
            positions=dict(self.state.positions),
            open_orders=self.open_orders.summary(self.state.orders, marks, exclude),
            balance=self.state.balance,
            breakers=self.guards.board.snapshot(),
            journal_error=self.journal.unwritable_reason,
            closes=self.closes.closes(self.link.symbols, need)
            if (need := self.risk_chain.history_need)
            else {},
        )

    def build(self, request: OrderRequest, link_id: str | None = None) -> BuiltOrder | BuildError:
        """The order exactly as it would be sent (rounded to tick/step), or why it cannot be."""
        bad = request_problem(request)  # NaN/Infinity/<= 0 never reach the builder's arithmetic
        if bad is not None:
            return bad
        held = self.held_reason(request.symbol)
        if held is not None:
            return BuildError("venue_down", held)
        inst = self.instruments.get(request.symbol)
        if inst is None:
            return BuildError("symbol_allowlist", self._unlisted(request.symbol))
        ref = self.ref_price(request.symbol)
        if ref is None and request.reduce_only:
            pos = self.state.positions.get(request.symbol)
            ref = pos.mark_price if pos is not None and pos.mark_price > 0 else None
        return self.builder.try_build(request, inst, ref_price=ref, order_link_id=link_id)

    def _unlisted(self, symbol: str) -> str:
        """Why there is no instrument for ``symbol``: not loaded yet (the venue has not answered
        since start-up), or not configured or not listed."""
        if symbol in self.link.symbols and not self.link.started:
            return f"{symbol}: its instrument is not loaded yet (the venue has not answered since start-up)"
        return f"{symbol} is not a configured, listed symbol"

    def leverage(self, symbol: str) -> Decimal:
        """The leverage the position in ``symbol`` runs at (the default without one)."""
        pos = self.state.positions.get(symbol)
        return pos.leverage if pos is not None else DEFAULT_LEVERAGE

    def fee_rates(self, symbol: str) -> tuple[Decimal, Decimal]:
        """The account's ``(taker, maker)`` fee rates for ``symbol`` (the venue's base tier until
        its own rates are loaded)."""
        return self.fees.get(symbol, (DEFAULT_TAKER_FEE, DEFAULT_MAKER_FEE))

    def preview(self, request: OrderRequest, *, amending: str | None = None) -> RiskPreview:
        """Build and risk-check ``request`` without sending anything. ``amending``: the working
        order ``request`` would replace, left out of the open-order totals as the amend's own
        check leaves it out."""
        built = self.build(request, link_id="preview")
        if isinstance(built, BuildError):
            return error_preview(request.symbol, request.qty, request.price, built)
        checks = self.risk_chain.evaluate(built, self.risk_context(request.symbol, exclude=amending))
        taker, maker = self.fee_rates(request.symbol)
        book = self.store.book(request.symbol)
        ctx = PreviewContext(
            instrument=self.instruments[request.symbol],
            leverage=self.leverage(request.symbol),
            position=self.state.positions.get(request.symbol),
            best_bid=book.best_bid if book is not None else None,
            best_ask=book.best_ask if book is not None else None,
            taker_fee=taker,
            maker_fee=maker,
        )
        return preview_order(request, built, checks, ctx)
