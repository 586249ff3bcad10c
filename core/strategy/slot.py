"""One strategy running in a portfolio: its runner, its own fills and PnL, its allocation.

The account may be shared with the trader and other strategies, so a slot counts only the fills
of the client order ids it sent (each id is registered before its order is sent, so a fill that
races the send's answer is still its own). Its position, realised and unrealised PnL and trade
statistics come from a :class:`~core.analytics.Ledger` fed with those fills; the strategy's
context reports that own position, not the account's, for the strategy's symbol.

An order that would take the strategy's own exposure (position plus its working orders) beyond its
capital allocation is refused by the named check :data:`ALLOCATION_CHECK`, journaled and published
like any risk refusal. Orders that reduce its exposure always pass.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from core.analytics import Ledger, win_rate
from core.engine.outcomes import guarded
from core.events import FillReceived, OrderUpdated, PositionUpdated, Severity
from core.model import ZERO, OrderRequest, OrderStatus, OrderType, Position, Side
from core.resilience.errors import VenueError
from core.strategy.context import Command, StrategyContext
from core.strategy.kill import ClosePlan, close_plan
from core.strategy.live import LiveRunner

if TYPE_CHECKING:
    from core.api import CommandResult
    from core.engine import Engine
    from core.events import Event
    from core.model import Fill, Order
    from core.strategy.base import Strategy

ALLOCATION_CHECK = "strategy_allocation"
"""The check that names an order refused for going beyond the strategy's allocation."""
SETTLE_S = 2.0
"""How long a kill waits for a fill (or the account's position after it) still arriving before it
asks the venue."""


class StrategyState(StrEnum):
    """Where a strategy of the portfolio is."""

    RUNNING = "running"
    STOPPED = "stopped"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class StrategySnapshot:
    """One strategy as the strategies pane shows it (a copy: never changes after it is made)."""

    name: str
    kind: str
    """The strategy class's name (``sma_cross``)."""
    symbol: str
    state: str
    """``running``, ``stopped`` or ``failed``."""
    reason: str
    """Why it stopped or failed; while it runs, why its last order was refused (or empty)."""
    position: Decimal
    """Its own signed position (negative: short), from its own fills."""
    entry_price: Decimal
    realised: Decimal
    """Realised price PnL less the fees of its own fills."""
    unrealised: Decimal
    fees: Decimal
    trades: int
    """Closed round trips."""
    win_rate: float
    """Winning round trips / all (nan with none)."""
    allocation: Decimal | None
    open_orders: int
    params: Mapping[str, Any]

    @property
    def terminal(self) -> bool:
        """True once stopped or failed."""
        return self.state != StrategyState.RUNNING


class OwnContext(StrategyContext):
    """The strategy's context in a portfolio: its own position, orders through the slot."""

    def __init__(self, engine: Engine, name: str, symbol: str, slot: StrategySlot) -> None:
        super().__init__(engine, name, symbol, engine.clock.now_ms)
        self._slot = slot

    def position(self, symbol: str | None = None) -> Position | None:
        """The strategy's own position in its symbol (the account's for another symbol)."""
        if symbol not in (None, self.symbol):
            return super().position(symbol)
        return self._slot.own_position()

    def signed_size(self, symbol: str | None = None) -> Decimal:
        """The strategy's own signed size in its symbol (the account's for another symbol)."""
        if symbol not in (None, self.symbol):
            return super().signed_size(symbol)
        return self._slot.own_size()

    def place(self, request: OrderRequest) -> None:
        """Queue an order; the slot checks the allocation and sends it under an id it owns."""
        req = replace(request, source=self.source)
        slot = self._slot
        self._queue.append(
            Command(f"place {req.side.value} {req.qty} {req.symbol}", lambda _e: slot.send(req))
        )


class StrategySlot:
    """One strategy of the portfolio with its runner, ledger and allocation."""

    def __init__(
        self,
        engine: Engine,
        strategy: Strategy,
        *,
        name: str,
        symbol: str,
        allocation: Decimal | None,
        timeframe: str = "1m",
    ) -> None:
        self.engine = engine
        self.name = name
        self.symbol = symbol
        self.allocation = allocation
        self.strategy = strategy
        self.ctx = OwnContext(engine, name, symbol, self)
        self.runner = LiveRunner(engine, strategy, symbol, timeframe=timeframe, ctx=self.ctx)
        self.ledger = Ledger()
        self.state = StrategyState.RUNNING
        self.reason = ""
        self.refused = ""
        """While it runs: why its last order was refused (cleared by the next one accepted)."""
        self.waiting = ""
        """What a kill is waiting for now (a fill or the account's position still arriving)."""
        self._exec_ids: set[str] = set()
        self._booked: dict[str, Decimal] = {}
        """Quantity of its own fills heard, per order."""
        self._orders: dict[str, Order] = {}
        """Its orders as the engine last reported them (open or finished)."""
        self._fills_heard = 0
        """Fills of the symbol heard (anyone's) while attached."""
        self._position_heard_at = 0
        """``_fills_heard`` when the account's position of the symbol was last heard."""
        self._heard: asyncio.Event | None = None

    # --- its own account ------------------------------------------------------------------------
    def attach(self) -> None:
        """Start counting this strategy's fills (before its runner starts)."""
        self.engine.publisher.listeners.append(self.on_event)

    def detach(self) -> None:
        """Stop the runner at once. Fills of its orders are still counted (a kill's close, an order
        left working by a stop) until :meth:`release`."""
        self.runner.detach()

    def release(self) -> None:
        """Stop the runner and stop counting fills (the portfolio is closing)."""
        self.runner.detach()
        if self.on_event in self.engine.publisher.listeners:
            self.engine.publisher.listeners.remove(self.on_event)

    def restore(self, links: Iterable[str]) -> None:
        """Take ``links`` (client order ids it sent before a restart) as this strategy's own."""
        self.runner.links.update(links)

    def book(self, fills: Iterable[Fill]) -> None:
        """Book fills of its own orders read back after a restart (each execution once)."""
        for fill in fills:
            self._book_one(fill)

    def on_event(self, event: Event) -> None:
        """Book a fill of one of this strategy's orders (once per execution); note when the
        account's position of its symbol is heard after a fill (a kill waits for both)."""
        if isinstance(event, FillReceived) and event.fill.symbol == self.symbol:
            self._fills_heard += 1
            self._book_one(event.fill)
        elif isinstance(event, PositionUpdated) and event.position.symbol == self.symbol:
            self._position_heard_at = self._fills_heard
        elif isinstance(event, OrderUpdated) and event.order.order_link_id in self.runner.links:
            self._orders[event.order.order_link_id] = event.order
            self._forget_if_done(event.order.order_link_id)
        else:
            return
        if self._heard is not None:
            self._heard.set()

    def _book_one(self, fill: Fill) -> None:
        if fill.order_link_id not in self.runner.links or fill.exec_id in self._exec_ids:
            return
        self._exec_ids.add(fill.exec_id)
        self._booked[fill.order_link_id] = self._booked.get(fill.order_link_id, ZERO) + fill.qty
        self.ledger.apply_fill(fill)
        self._forget_if_done(fill.order_link_id)

    def _forget_if_done(self, link: str) -> None:
        """Drop a finished order whose fills have all been heard (nothing of it is arriving)."""
        order = self._orders.get(link)
        if order is None or order.is_open or order.status is OrderStatus.CREATED:
            return
        if self._booked.get(link, ZERO) >= order.filled_qty:
            del self._orders[link]

    def own_size(self) -> Decimal:
        """The strategy's signed position from its own fills."""
        return self.ledger.position(self.symbol)[0]

    def own_position(self) -> Position | None:
        """The strategy's own position as a :class:`Position` (None when flat)."""
        size, entry = self.ledger.position(self.symbol)
        if size == ZERO:
            return None
        mark = self._mark() or entry
        return Position(
            self.symbol,
            Side.BUY if size > ZERO else Side.SELL,
            abs(size),
            entry,
            mark,
            size * (mark - entry),
        )

    def working(self) -> list[str]:
        """Client order ids of this strategy's orders still working."""
        orders = self.engine.account().orders
        return [link for link in self.runner.links if (o := orders.get(link)) is not None and o.is_open]

    def _working_size(self) -> Decimal:
        orders = self.engine.account().orders
        return sum(
            (
                orders[link].leaves_qty * orders[link].side.sign
                for link in self.working()
                if not orders[link].reduce_only
            ),
            ZERO,
        )

    def _mark(self) -> Decimal | None:
        return self.engine.pretrade.ref_price(self.symbol)

    # --- orders ---------------------------------------------------------------------------------
    async def send(self, request: OrderRequest) -> CommandResult:
        """Send one order as this strategy's (refused by :data:`ALLOCATION_CHECK` beyond it)."""
        link = self.engine.pretrade.builder.new_client_order_id()
        self.runner.links.add(link)
        refusal = self.allocation_refusal(request)
        if refusal:
            intent = self.engine.lifecycle.intent(request, link)
            result = self.engine.order_path.refusals.reject(
                request.symbol, link, ALLOCATION_CHECK, refusal, intent
            )
        else:
            result = await guarded(self.engine.order_path.place)(request, link)
        self.refused = "" if result.ok else f"order refused: {result.check or result.message}"
        return result

    def allocation_refusal(self, request: OrderRequest) -> str:
        """Why ``request`` goes beyond the allocation, with the numbers ('' when it does not)."""
        if self.allocation is None or request.reduce_only or request.symbol != self.symbol:
            return ""
        held = self.own_size() + self._working_size()
        after = held + request.qty * request.side.sign
        if abs(after) <= abs(held):
            return ""
        price = request.price if request.order_type is OrderType.LIMIT and request.price else self._mark()
        if price is None:
            return f"{self.name}: no price yet to value {request.qty} {request.symbol} against its allocation"
        notional = abs(after) * price
        if notional <= self.allocation:
            return ""
        return (
            f"{self.name}: exposure {abs(after)} {self.symbol} x {price} = {notional:.2f} "
            f"> allocation {self.allocation} (position {self.own_size()}, working {held - self.own_size()})"
        )

    async def flatten(self) -> tuple[int, CommandResult | None, ClosePlan | None]:
        """Cancel this strategy's working orders, wait until its fills and the account's position
        after them have arrived, and close exactly its own part at market through the one order
        path, marked as its kill (see :mod:`core.strategy.kill` for reduce-only or not):
        (orders cancelled, the close's result or None, the close's plan or None)."""
        cancelled = 0
        for link in self.working():
            if (await self.engine.cancel(link)).ok:
                cancelled += 1
        await self.settle()
        plan = self.close_plan()
        if plan is None:
            return cancelled, None, None
        self.engine.publisher.log_line(f"strategy {self.name} kill closes: {plan.describe()}")
        return cancelled, await self.send(plan.request(self.ctx.source)), plan

    def close_plan(self) -> ClosePlan | None:
        """What a kill would send now to close its own part (None when it holds none)."""
        account = self.engine.account().positions.get(self.symbol)
        held = account.signed_size if account is not None else ZERO
        return close_plan(self.symbol, self.own_size(), held)

    def pending(self) -> str:
        """What is still arriving before its own part and the account's are known ('' when
        nothing): a fill of one of its orders, an order's outcome, or the account's position
        after the symbol's last fill."""
        for link, order in sorted(self._orders.items()):
            if order.status is OrderStatus.CREATED:
                return f"the outcome of its order {link}"
            booked = self._booked.get(link, ZERO)
            if order.filled_qty > booked:
                return f"the fills of its order {link} ({order.filled_qty} filled, {booked} heard)"
        if self._position_heard_at < self._fills_heard:
            return f"the account's {self.symbol} position after its last fill"
        return ""

    async def settle(self, timeout_s: float = SETTLE_S) -> None:
        """Wait (on the engine's events) until :meth:`pending` is empty; after ``timeout_s`` ask
        the venue (its executions and the account) instead, so the kill never guesses."""
        self._heard = asyncio.Event()
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout_s
        try:
            while why := self.pending():
                self.waiting = why
                left = end - loop.time()
                if left <= 0:
                    await self._ask_venue(why)
                    return
                self._heard.clear()
                try:
                    await asyncio.wait_for(self._heard.wait(), left)
                except TimeoutError:
                    continue
        finally:
            self.waiting = ""
            self._heard = None

    async def _ask_venue(self, why: str) -> None:
        sync = self.engine.account_sync
        self.engine.publisher.log_line(
            f"strategy {self.name} kill: {why} not heard within {SETTLE_S:g} s; asking the venue",
            Severity.WARN,
        )
        try:
            await sync.backfill_fills()
            await sync.refresh_account()
        except VenueError as exc:
            self.engine.publisher.log_line(
                f"strategy {self.name} kill: the venue could not be asked ({exc}); closing what its "
                "own fills say",
                Severity.ERROR,
            )
            return
        self._position_heard_at = self._fills_heard

    # --- what the pane shows --------------------------------------------------------------------
    def snapshot(self, kind: str, params: Mapping[str, Any]) -> StrategySnapshot:
        """The strategy now, marked at the engine's reference price."""
        mark = self._mark()
        if mark is not None:
            self.ledger.mark(self.symbol, mark)
        size, entry = self.ledger.position(self.symbol)
        led = self.ledger
        return StrategySnapshot(
            name=self.name,
            kind=kind,
            symbol=self.symbol,
            state=self.state.value,
            reason=self.reason or self.refused,
            position=size,
            entry_price=entry,
            realised=led.realised_pnl - led.fees_paid,
            unrealised=led.unrealised_pnl(),
            fees=led.fees_paid,
            trades=len(led.trades),
            win_rate=win_rate(led.trades),
            allocation=self.allocation,
            open_orders=len(self.working()),
            params=dict(params),
        )
