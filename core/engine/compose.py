"""The composition root of the engine: builds each collaborator with only what it uses.

:func:`build_order_side` builds what an order walks through (and the account it keeps true);
:func:`build_runtime` what runs beside it (panic, health, feeds, loops, start-up). Two pairs are
wired after both exist, because each asks the other: the reconciler re-reads the account once
every order is settled, and the account sync asks the reconciler about unknown outcomes.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.account import AccountState
from core.clock import Clock
from core.config import Settings
from core.engine.account_sync import AccountSync
from core.engine.algo_protect import protect
from core.engine.algos import AlgoPorts, AlgoRunner
from core.engine.amend import OrderAmender
from core.engine.deadman import DeadMansSwitchKeeper
from core.engine.failsafe import FailSafe
from core.engine.guards import Guards
from core.engine.health import Health
from core.engine.lifecycle import OrderJournal
from core.engine.link import Tasks, VenueLink
from core.engine.loops import Loops
from core.engine.order_path import OrderPath
from core.engine.outcomes import Refusals, WriteOutcomes, guarded
from core.engine.panic import PanicRunner
from core.engine.panic_commands import EnginePanicCommands
from core.engine.positions import PositionTools
from core.engine.pretrade import PreTrade
from core.engine.publisher import Publisher
from core.engine.reconcile import Reconciler
from core.engine.resync import RecoveryTiming
from core.engine.sent_times import SentTimes
from core.engine.startup import EngineParts, Startup
from core.engine.streams import Streams
from core.engine.wiring import ObservedRateLimiter, Support
from core.journal.journal import Journal
from core.metrics import Metrics
from core.observability.baddata import BadDataTracker
from core.observability.stack import ObservabilityStack
from core.orders.executor import OrderExecutor
from core.orders.ids import ClientIdRule
from core.store import MarketStore
from core.venues.base import Venue, capabilities_for


@dataclass(slots=True)
class Base:
    """What every collaborator may be given: the settings, the clock, the venue, the shared
    account and link state, and the guards built from the settings."""

    settings: Settings
    clock: Clock
    store: MarketStore
    venue: Venue
    state: AccountState
    link: VenueLink
    tasks: Tasks
    timing: RecoveryTiming
    publisher: Publisher
    bad_data: BadDataTracker
    support: Support
    guards: Guards
    executor: OrderExecutor

    @property
    def journal(self) -> Journal:
        """The journal."""
        return self.support.journal

    @property
    def metrics(self) -> Metrics:
        """The metrics."""
        return self.support.metrics

    @property
    def limiter(self) -> ObservedRateLimiter:
        """The rate limiter."""
        return self.support.limiter

    @property
    def obs(self) -> ObservabilityStack:
        """Metrics, /healthz and alerts."""
        return self.support.obs


@dataclass(slots=True)
class OrderSide:
    """The collaborators an order walks through, and the account they keep true."""

    lifecycle: OrderJournal
    pretrade: PreTrade
    reconciler: Reconciler
    account_sync: AccountSync
    order_path: OrderPath
    amender: OrderAmender
    position_tools: PositionTools


@dataclass(slots=True)
class Runtime:
    """The collaborators that run beside the order path."""

    panic_runner: PanicRunner
    failsafe: FailSafe
    health: Health
    streams: Streams
    loops: Loops
    startup: Startup
    algos: AlgoRunner
    deadman: DeadMansSwitchKeeper


def build_order_side(base: Base) -> OrderSide:
    """The collaborators an order walks through, and the account they keep true."""
    out, state = base.publisher, base.state
    lifecycle = OrderJournal(base.journal)
    pretrade = PreTrade(
        mode=base.settings.mode,
        rest_url=base.venue.rest_url,
        clock=base.clock,
        store=base.store,
        state=state,
        instruments={},
        risk_chain=base.support.risk_chain,
        guards=base.guards,
        journal=base.journal,
        link=base.link,
        client_ids=ClientIdRule.of(base.venue.capabilities),
    )
    out.listeners.append(pretrade.on_event)
    reconciler = Reconciler(
        state=state,
        journal=base.journal,
        lifecycle=lifecycle,
        executor=base.executor,
        venue=base.venue,
        instruments=pretrade.instruments,
        link=base.link,
        publisher=out,
        tasks=base.tasks,
        timing=base.timing,
    )
    sent_at = SentTimes()
    account_sync = AccountSync(
        clock=base.clock,
        state=state,
        store=base.store,
        executor=base.executor,
        venue=base.venue,
        lifecycle=lifecycle,
        publisher=out,
        guards=base.guards,
        link=base.link,
        metrics=base.metrics,
        sent_at=sent_at,
        reconcile_later=reconciler.schedule,
    )
    reconciler.refresh_account = account_sync.refresh_account
    refusals = Refusals(lifecycle, out, base.metrics)
    outcomes = WriteOutcomes(state, lifecycle, out, reconciler.schedule)
    order_path = OrderPath(
        clock=base.clock,
        state=state,
        pretrade=pretrade,
        lifecycle=lifecycle,
        refusals=refusals,
        outcomes=outcomes,
        executor=base.executor,
        venue=base.venue,
        publisher=out,
        metrics=base.metrics,
        link=base.link,
        refresh_account=account_sync.refresh_account,
        reconcile_later=reconciler.schedule,
        sent_at=sent_at,
    )
    amender = OrderAmender(
        state=state,
        pretrade=pretrade,
        refusals=refusals,
        lifecycle=lifecycle,
        executor=base.executor,
        venue=base.venue,
        outcomes=outcomes,
    )
    position_tools = PositionTools(
        state=state,
        store=base.store,
        instruments=pretrade.instruments,
        max_leverage=base.settings.risk.max_leverage,
        place=guarded(order_path.place),
        refusals=refusals,
        lifecycle=lifecycle,
        executor=base.executor,
        venue=base.venue,
        publisher=out,
    )
    return OrderSide(
        lifecycle=lifecycle,
        pretrade=pretrade,
        reconciler=reconciler,
        account_sync=account_sync,
        order_path=order_path,
        amender=amender,
        position_tools=position_tools,
    )


def build_algos(base: Base, orders: OrderSide) -> AlgoRunner:
    """The algo runner: every child down the one order path, order events routed to it."""
    place, cancel = guarded(orders.order_path.place), guarded(orders.order_path.cancel)
    amend = guarded(orders.amender.amend)
    runner = AlgoRunner(
        clock=base.clock,
        store=base.store,
        state=base.state,
        instruments=orders.pretrade.instruments,
        lifecycle=orders.lifecycle,
        publisher=base.publisher,
        ports=AlgoPorts(
            place=lambda request, link_id: place(request, link_id),
            amend=lambda link_id, qty, price, trigger: amend(link_id, qty, price, trigger),
            cancel=cancel,
            preview=orders.pretrade.preview,
            position_stop=lambda symbol, action: guarded(protect)(
                orders.position_tools, capabilities_for(base.venue, symbol), symbol, action
            ),
        ),
        client_ids=ClientIdRule.of(base.venue.capabilities),
        books=lambda: base.link.books,
    )
    base.publisher.listeners.append(runner.on_engine_event)
    return runner


def build_runtime(base: Base, orders: OrderSide) -> Runtime:
    """The collaborators that run in the background: panic, health, feeds, loops, start-up."""
    out = base.publisher
    algos = build_algos(base, orders)
    commands = EnginePanicCommands(
        state=base.state,
        executor=base.executor,
        venue=base.venue,
        account=orders.account_sync,
        reconciler=orders.reconciler,
        close=guarded(orders.position_tools.close_position),
    )
    panic_runner = PanicRunner(commands, base.journal, out, base.metrics, stop_algos=algos.stop_all)
    failsafe = FailSafe(base.journal, base.metrics, base.bad_data, out)
    health = Health(
        settings=base.settings,
        clock=base.clock,
        state=base.state,
        guards=base.guards,
        limiter=base.limiter,
        link=base.link,
        journal=base.journal,
        obs=base.obs,
        metrics=base.metrics,
        bad_data=base.bad_data,
        publisher=out,
    )
    streams = Streams(
        settings=base.settings,
        store=base.store,
        venue=base.venue,
        executor=base.executor,
        account=orders.account_sync,
        health=health,
        link=base.link,
        publisher=out,
        metrics=base.metrics,
        tasks=base.tasks,
        timing=base.timing,
    )
    loops = Loops(
        failsafe=failsafe,
        link=base.link,
        health=health,
        guards=base.guards,
        state=base.state,
        store=base.store,
        refresh_account=orders.account_sync.refresh_account,
        publisher=out,
        timing=base.timing,
    )
    parts = EngineParts(
        journal=base.journal,
        obs=base.obs,
        metrics=base.metrics,
        executor=base.executor,
        pretrade=orders.pretrade,
        account=orders.account_sync,
        reconciler=orders.reconciler,
        guards=base.guards,
        health=health,
        streams=streams,
        loops=loops,
        failsafe=failsafe,
        panic=panic_runner,
        algos=algos,
        deadman=DeadMansSwitchKeeper(
            window_s=base.settings.venue.dead_mans_switch_s,
            venue=base.venue,
            executor=base.executor,
            publisher=out,
            clock=base.clock,
        ),
    )
    startup = Startup(
        settings=base.settings,
        clock=base.clock,
        venue=base.venue,
        store=base.store,
        link=base.link,
        tasks=base.tasks,
        parts=parts,
        publisher=out,
        timing=base.timing,
    )
    return Runtime(
        panic_runner=panic_runner,
        failsafe=failsafe,
        health=health,
        streams=streams,
        loops=loops,
        startup=startup,
        algos=algos,
        deadman=parts.deadman,
    )
