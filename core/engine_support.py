"""The engine's safety bookkeeping: its guards and their wiring, kept apart from the order path.

This mixin builds the rate limiter, per-endpoint circuit breakers, retry policy, journal, risk
chain, account breakers and metrics from the settings, feeds the breakers, reconciles the
journal with the venue at start, and answers health questions.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from decimal import Decimal
from functools import partial
from typing import TYPE_CHECKING

from core.api import CommandResult
from core.events import AlertRaised, BreakerChanged, Event, Severity
from core.journal.adopt import adopt_unknown_orders
from core.journal.journal import Journal
from core.metrics import Metrics
from core.model import Balance, OrderStatus
from core.observability.alerts import AlertState
from core.observability.health import HealthSnapshot, evaluate_health, evaluate_readiness
from core.observability.stack import ObservabilityStack
from core.resilience.breaker import EndpointBreaker
from core.resilience.errors import Transient, Unknown, VenueError, is_api_failure, outcome_category
from core.resilience.ratelimit import RateLimiter
from core.resilience.retry import RetryPolicy
from core.risk.breakers import BREAKER_NAMES, BreakerBoard, BreakerChange, BreakerState
from core.risk.chain import RiskChain
from core.risk.wallet_guard import WalletJumpGuard

if TYPE_CHECKING:
    from core.account import AccountState
    from core.clock import Clock
    from core.config import Settings
    from core.market.books import BookKeeper
    from core.model import Instrument
    from core.observability.baddata import BadDataTracker
    from core.orders.executor import OrderExecutor
    from core.venues.base import Feeds, RateFeedback, Venue

log = logging.getLogger(__name__)

class ObservedRateLimiter(RateLimiter):
    """The engine's rate limiter; also hands the venue's own rate-limit reports to the metrics."""

    on_feedback: Callable[[str, RateFeedback], object] | None = None

    def observe(self, feedback: RateFeedback) -> None:
        """Correct the group's window from the report, then pass it on (with its group)."""
        super().observe(feedback)
        if self.on_feedback is not None:
            self.on_feedback(self.group_of(feedback.endpoint), feedback)


PNL_SETTLE_MS = 3000
"""How long the daily-loss breaker waits for the wallet push that follows a position change."""


class EngineSupport:
    """Mixin for :class:`core.engine.Engine`: guards, journal reconciliation, metrics and health."""

    # Provided by Engine.
    settings: Settings
    clock: Clock
    state: AccountState
    venue: Venue
    executor: OrderExecutor
    feeds: Feeds | None
    books: BookKeeper | None
    symbols: tuple[str, ...]
    started: bool
    time_offset_ms: float | None
    venue_reachable: bool
    _instruments: dict[str, Instrument]
    in_flight: set[str]
    pnl_settling_since: int | None
    bad_data: BadDataTracker

    def now_ms(self) -> int:
        """The engine clock (Engine overrides)."""
        raise NotImplementedError

    def publish(self, event: Event, *, wake: bool = False) -> None:
        """Queue an event (Engine overrides)."""
        raise NotImplementedError

    def log_line(self, message: str, severity: Severity = Severity.INFO, **fields: str) -> None:
        """Log pane line (Engine overrides)."""
        raise NotImplementedError

    def feed_ages(self) -> dict[str, float]:
        """Feed ages (Engine overrides)."""
        raise NotImplementedError

    def _init_support(self) -> None:
        s = self.settings
        self.limiter = ObservedRateLimiter(self.venue.rate_table)
        self.venue.on_rate_feedback = self.limiter.observe
        self.endpoint_breakers = EndpointBreaker(
            open_after=s.breakers.endpoint_open_after,
            window_s=s.breakers.api_failure_window_s,
            half_open_after_s=s.breakers.endpoint_half_open_s,
        )
        self.retry_policy = RetryPolicy(wall_ms=self.clock.now_ms)
        self.obs = ObservabilityStack.from_settings(
            s.metrics,
            mode=s.mode.value,
            venue=self.venue_label,
            health_provider=self.health_snapshot,
            max_feed_age_s=s.risk.book_stale_s,
            clock=self.clock.monotonic,
        )
        self.metrics: Metrics = self.obs.metrics
        metrics = self.metrics
        self.limiter.on_feedback = lambda group, fb: metrics.set_rate_limit_reported(
            group, fb.limit, fb.remaining
        )
        self._reconnect_times: dict[str, deque[float]] = {}
        self._ws_counted: dict[str, int] = {}
        self.journal = Journal(s.journal.path, self.clock)
        self.journal.on_write = self.metrics.observe_journal_write
        key, secret = s.credentials()
        self.journal.add_secret(key)
        self.journal.add_secret(secret)
        self.risk_chain = RiskChain.from_settings(s.risk)
        self.breaker_board = BreakerBoard.from_settings(s)
        self._journaled_baseline: tuple[date, Decimal, Decimal] | None = None
        self._baseline_checked = False
        self.wallet_guard = WalletJumpGuard()
        self._wallet_check: asyncio.Task[None] | None = None

    # --- breakers ---------------------------------------------------------------------------
    def _journal_baseline(self) -> None:
        """Journal the daily-loss baseline whenever a new one is set (first PnL of the day)."""
        base = self.breaker_board.baseline()
        if base is None or base == self._journaled_baseline:
            return
        day, realised, unrealised = base
        self.journal.record(
            "day_baseline", day=day.isoformat(), realised=str(realised), unrealised=str(unrealised)
        )
        self._journaled_baseline = base

    def _admit_balance(self, bal: Balance) -> bool:
        """False (and a REST confirmation on its way) when one message moved the wallet implausibly
        far: the breakers keep their last view until the venue confirms it."""
        if self.wallet_guard.admit(bal):
            return True
        if self._wallet_check is None or self._wallet_check.done():
            self.log_line(
                f"wallet equity {bal.equity} in one message (breakers saw {self.wallet_guard.fed}): "
                "held until the venue confirms it over REST",
                Severity.WARN,
            )
            self._wallet_check = asyncio.get_running_loop().create_task(self._confirm_wallet())
        return False

    async def _confirm_wallet(self) -> None:
        try:
            balance = await self.executor.call("balance", self.venue.balance, bypass_breaker=True)
        except VenueError as err:
            self.log_line(f"wallet confirmation failed ({err}); the breakers keep their view", Severity.WARN)
            return
        self.wallet_guard.confirm(balance)
        if balance is not None:
            for ev in self.state.apply_balance(balance, self.now_ms()):
                self.publish(ev)
        self._update_breakers()

    def _ensure_baseline_restored(self) -> None:
        """Before the board sees its first PnL, take today's journaled baseline (once)."""
        if not self._baseline_checked:
            self._baseline_checked = True
            self._restore_baseline()

    def _restore_baseline(self) -> None:
        """The day's opening baseline from the journal, when it is today's."""
        records = self.journal.query(kinds=("day_baseline",))
        if not records:
            return
        data = records[-1].data
        try:
            day = date.fromisoformat(str(data["day"]))
            realised, unrealised = Decimal(str(data["realised"])), Decimal(str(data["unrealised"]))
        except (KeyError, ValueError, ArithmeticError) as exc:
            self.log_line(
                f"journal day_baseline unreadable ({exc}); the day's loss starts now", Severity.WARN
            )
            return
        finite = realised.is_finite() and unrealised.is_finite()
        if finite and self.breaker_board.restore_baseline(day, realised, unrealised, self.now_ms()):
            self._journaled_baseline = (day, realised, unrealised)
            self.log_line(f"daily loss counted from today's opening baseline (wallet {realised})")

    def restore_breakers(self) -> list[str]:
        """Re-open every breaker whose last journal record is a trip (a restart must never be a
        way round a tripped breaker); returns the names restored. Published and logged, not
        journaled again (the trip is already there)."""
        self._ensure_baseline_restored()
        last: dict[str, tuple[str, str, int]] = {}
        for rec in self.journal.query(kinds=("breaker_trip", "breaker_reset")):
            name = str(rec.data.get("name", ""))
            last[name] = (rec.kind, str(rec.data.get("reason", "")), rec.ts_ms)
        restored: list[str] = []
        for name, (kind, reason, ts_ms) in last.items():
            if kind != "breaker_trip" or name not in BREAKER_NAMES:
                continue
            change = self.breaker_board.restore(name, reason, ts_ms, self.now_ms())
            if change is None:
                continue
            restored.append(name)
            self.publish(change.to_event(), wake=True)
            self.metrics.set_breaker(name, change.new.value)
            self.log_line(f"breaker {name} still open from before the restart: {reason}", Severity.ERROR)
        return restored

    def _apply_breaker_changes(self, changes: list[BreakerChange]) -> None:
        for ch in changes:
            event: BreakerChanged = ch.to_event()
            kind = "breaker_reset" if event.state == "closed" else "breaker_trip"
            extra = {"note": ch.note, "was": ch.was} if kind == "breaker_reset" else {}
            self.journal.record(
                kind, name=event.name, state=event.state, reason=event.reason, who=ch.who, **extra
            )
            self.publish(event, wake=True)
            self.metrics.set_breaker(event.name, event.state)
            sev = Severity.INFO if event.state == "closed" else Severity.ERROR
            self.log_line(f"breaker {event.name} {event.state}: {event.reason}", sev)

    def _update_breakers(self) -> None:
        self._ensure_baseline_restored()
        now = self.now_ms()
        board = self.breaker_board
        changes = board.tick(now)
        bal = self.state.balance
        settling = self.pnl_settling_since is not None and now - self.pnl_settling_since < PNL_SETTLE_MS
        if bal is not None and not settling and self._admit_balance(bal):
            changes += board.update_pnl(now, bal.wallet_balance, self.state.unrealised)
            changes += board.update_balance(now, bal)
            self._journal_baseline()
        changes += board.update_exposure(now, self.state.gross_exposure)
        self._apply_breaker_changes(changes)

    def _on_api_result(self, endpoint: str, seconds: float, err: VenueError | None) -> None:
        """Every REST attempt: the request metrics (and proof that the venue answers)."""
        self.metrics.observe_request(endpoint, seconds, outcome_category(err))
        if not isinstance(err, Transient | Unknown):
            self.venue_reachable = True

    def _on_call_result(self, endpoint: str, err: VenueError | None) -> None:
        """Every venue call's final outcome, after its retries: feeds the api_failures breaker.

        Only failures that reached the caller count (an attempt the retry policy absorbed does
        not), and only infrastructure ones (:func:`~core.resilience.errors.is_api_failure`): a
        business rejection means the API works, and 10006 with a reset time is back-pressure.
        """
        now = self.now_ms()
        if is_api_failure(err):
            changes = self.breaker_board.record_api_failure(now, str(err))
        else:
            changes = self.breaker_board.record_api_success(now)
        self._apply_breaker_changes(changes)

    def note_reconnect(self, stream: str) -> None:
        """Remember a reconnect for the alert rules (and count it)."""
        times = self._reconnect_times.setdefault(stream, deque(maxlen=100))
        times.append(self.clock.monotonic())
        self.metrics.ws_reconnect(stream)

    def _refresh_gauges(self, snap: HealthSnapshot) -> None:
        """Once a second: state gauges that are not event-driven (every breaker, readiness, WS counts)."""
        for name, state in snap.breakers.items():
            self.metrics.set_breaker(name, state)
        self.metrics.set_ready(evaluate_readiness(snap).ok)
        feeds = self.feeds
        if feeds is not None:
            for stream, count in dict(feeds.messages).items():
                new = count - self._ws_counted.get(stream, 0)
                if new > 0:
                    self.metrics.ws_message(stream, new)
                self._ws_counted[stream] = count

    def evaluate_alerts(self) -> None:
        """Run the alert rules once; publish every change to the console and the journal.

        Also refreshes the gauges that are sampled rather than event-driven (health, readiness,
        breaker states, WebSocket message counts).
        """
        snap = self.health_snapshot()
        self.obs.publish_health(snap)  # what /healthz answers from, off this loop
        health = evaluate_health(snap, max_feed_age_s=self.settings.risk.book_stale_s)
        self.metrics.set_health(health.ok)
        self._refresh_gauges(snap)
        state = AlertState(
            now=self.clock.monotonic(),
            rate_headroom=self.limiter.headroom(),
            reconnects={k: list(v) for k, v in self._reconnect_times.items()},
            feed_ages_s=snap.feed_ages_s,
            breakers=snap.breakers,
            slow_ops=self.metrics.recent_slow_ops(),
            health_ok=health.ok,
            health_reasons=health.reasons,
        )
        for change in self.obs.evaluate_alerts(state):
            self.journal.record("alert", rule=change.rule, active=change.active, message=change.message)
            self.publish(AlertRaised(self.now_ms(), change.rule, change.message, change.active), wake=True)
            # The stack already logged it; the console shows the AlertRaised event in its log pane.

    async def reset_breaker(self, name: str, who: str = "user", reason: str = "") -> CommandResult:
        """Explicitly reset a breaker: an account breaker by name, an endpoint one as ``api:<path>``.

        Journaled as ``breaker_reset`` with ``who``, the person's ``reason`` (``note``) and the trip
        reason it cleared (``was``); published and logged like any breaker change. A breaker whose
        cause persists trips again on the next check.
        """
        now = self.now_ms()
        if name.startswith("api:"):
            change = self._reset_endpoint(name, who, reason, now)
            if change is None:
                return CommandResult(False, f"no endpoint breaker named {name}")
        else:
            try:
                change = self.breaker_board.reset(name, who, now, note=reason)
            except KeyError:
                return CommandResult(False, f"no breaker named {name}")
        self._apply_breaker_changes([change])
        return CommandResult(True, f"breaker {name} reset by {who}" + (f": {reason}" if reason else ""))

    def _reset_endpoint(self, name: str, who: str, note: str, now: int) -> BreakerChange | None:
        """Close the endpoint circuit ``api:<path>``; the change to journal (None: no such circuit)."""
        known = self.endpoint_breakers.states().get(name[4:])
        if known is None:
            return None
        state, prior = known
        tripped = state != "closed"
        self.endpoint_breakers.reset(name[4:])
        said = f": {note}" if note else ""
        reason = f"reset by {who}{said}" + (f" (was: {prior})" if tripped else " (was not tripped)")
        old = BreakerState.OPEN if tripped else BreakerState.CLOSED
        was = prior if tripped else ""
        return BreakerChange(name, old, BreakerState.CLOSED, reason, now, who, note=note, was=was)

    def _update_rate_metrics(self) -> None:
        for group, headroom in self.limiter.headroom().items():
            self.metrics.set_rate_limit(group, 1.0 - headroom)

    def metrics_panic(self, seconds: float, flat: bool) -> None:
        """Record a finished panic run."""
        self.metrics.panic_run(seconds, flat)

    # --- reconciliation by orderLinkId ----------------------------------------------------------
    unchecked_orders: int = 0
    """Orders the last :meth:`reconcile_journal` could not ask the venue about (it is run again)."""

    async def reconcile_journal(self) -> list[str]:
        """Ask the venue about every order whose outcome the engine does not know; report each one.

        These are intents the journal never saw settled (a crash, a lost reply) and placeholders
        the venue never acknowledged. An order the venue cannot be asked about now is counted in
        :attr:`unchecked_orders` and stays open in the journal for the next run.
        """
        differences: list[str] = []
        targets = [(rec.symbol, rec.order_link_id) for rec in self.journal.open_intents()]
        listed = {link for _, link in targets}
        targets += [
            (o.symbol, o.order_link_id) for o in self.state.unacknowledged() if o.order_link_id not in listed
        ]
        unchecked = 0
        for symbol, link in targets:
            if symbol not in self._instruments or link in self.in_flight:
                continue
            msg, checked = await self._reconcile_one(symbol, link)
            unchecked += not checked
            differences.append(msg)
        self.unchecked_orders = unchecked
        differences += adopt_unknown_orders(self.journal, self.state.orders.values())
        if self.journal.recovery is not None and not self.started:
            self.log_line(self.journal.recovery.message(), Severity.ERROR)
        for msg in differences:
            self.log_line(f"reconcile: {msg}", Severity.WARN)
        if not differences:
            self.journal.record("reconcile", clean=True)
        return differences

    async def _reconcile_one(self, symbol: str, link: str) -> tuple[str, bool]:
        """Ask the venue for ``link``; adopt and journal its answer. (What was found, answered?)"""
        try:
            order = await self.executor.call("open_orders", partial(self.venue.find_order, symbol, link))
        except VenueError as err:
            return f"{link}: could not check ({err})", False
        if order is None:
            msg = f"{link} ({symbol}): journaled intent never reached the venue"
            placeholder = self.state.orders.get(link)
            if placeholder is not None:
                gone = replace(
                    placeholder, status=OrderStatus.REJECTED, reject_reason="never reached the venue"
                )
                for ev in self.state.apply_order(gone, self.now_ms()):
                    self.publish(ev, wake=True)
        else:
            msg = f"{link} ({symbol}): on the venue as {order.status.value}, filled {order.filled_qty}"
            for ev in self.state.apply_order(order, self.now_ms()):
                self.publish(ev, wake=True)
        self.journal.record(
            "reconcile", symbol=symbol, order_link_id=link, found=order is not None, resolved=True, detail=msg
        )
        return msg, True

    # --- health ------------------------------------------------------------------------------
    @property
    def venue_label(self) -> str:
        """The venue as metrics and /healthz name it, e.g. ``bybit-sim``."""
        return f"bybit-{self.settings.mode.value}"

    def health_snapshot(self) -> HealthSnapshot:
        """What /healthz reports. Book feeds are named like their topic: ``orderbook.BTCUSDT``."""
        breakers = {name: state for name, (state, _reason) in self.breaker_board.status_map().items()}
        breakers |= {f"api:{k}": v[0] for k, v in self.endpoint_breakers.states().items()}
        feeds: dict[str, float | None] = {}
        stale: dict[str, str] = {}
        if self.feeds is not None and self.books is not None:
            ages = self.feed_ages()
            for sym in self.symbols:
                feeds[f"orderbook.{sym}"] = ages.get(sym)
                if sym in ages and self.books.is_stale(sym):
                    stale[f"orderbook.{sym}"] = self.books.stale_reason(sym) or "marked stale"
            # The private stream is silent while nothing happens, so its health is its connection.
            up = self.feeds.is_connected("private")
            feeds["private"] = 0.0 if up else None
            if not up:
                stale["private"] = "private stream disconnected: fills and order updates are not arriving"
        journal_problem = self.journal.probe()  # a real write (at most once a second), not SELECT 1
        return HealthSnapshot(
            venue_reachable=self.venue_reachable,
            time_offset_ms=self.time_offset_ms,
            feed_ages_s=feeds,
            breakers=breakers,
            journal_writable=not journal_problem,
            started=self.started,
            ready_reasons=() if self.started else ("engine starting",),
            mode=self.settings.mode.value,
            venue=self.venue_label,
            stale_feeds=stale,
            journal_reason=journal_problem,
            bad_data=self.bad_data.recent(),
        )
