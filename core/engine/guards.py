"""The engine's guards: the account breakers (daily loss, balance, exposure, API failures) and the
per-endpoint circuits, fed from the account state and every venue call; trips and resets are
journaled, published and counted. The daily-loss baseline survives a restart through the journal."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

from core.account import AccountState
from core.api import CommandResult
from core.engine.link import VenueLink
from core.engine.publisher import Publisher
from core.events import BreakerChanged, Severity
from core.journal.journal import Journal, JournalRecord
from core.metrics import Metrics
from core.model import Balance
from core.resilience.breaker import EndpointBreaker
from core.resilience.errors import Transient, Unknown, VenueError, is_api_failure, outcome_category
from core.risk.breakers import BreakerBoard, BreakerChange, BreakerState
from core.risk.wallet_guard import WalletJumpGuard
from core.venue_symbols import leg_of_endpoint

PNL_SETTLE_MS = 3000
"""How long the daily-loss breaker waits for the wallet push that follows a position change."""


class Guards:
    """Feeds the breakers and reports every change (journal, event, metric, log line)."""

    def __init__(
        self,
        board: BreakerBoard,
        endpoints: EndpointBreaker,
        state: AccountState,
        journal: Journal,
        publisher: Publisher,
        metrics: Metrics,
        link: VenueLink,
    ) -> None:
        self.board = board
        self.endpoints = endpoints
        self.state = state
        self.journal = journal
        self.out = publisher
        self.metrics = metrics
        self.link = link
        self.wallet_guard = WalletJumpGuard()
        self.pnl_settling_since: int | None = None
        """Since when realised PnL is on its way to the wallet (the daily-loss check waits)."""
        self.on_wallet_jump: Callable[[Balance], None] | None = None
        """Asks the venue to confirm a wallet that moved implausibly far in one message."""
        self._journaled_baseline: tuple[date, Decimal, Decimal] | None = None
        self._baseline_checked = False
        self._held_baselines: list[JournalRecord] = []
        self._holding = False
        """A part is held: the baseline counts only the parts in, so it is not journaled."""

    # --- PnL settling -----------------------------------------------------------------------
    def pnl_moving(self, now: int) -> None:
        """A fill or a position change: the wallet push with its realised PnL is on its way."""
        self.pnl_settling_since = self.pnl_settling_since or now

    def pnl_settled(self) -> None:
        """The wallet has been heard since (a push or a REST snapshot)."""
        self.pnl_settling_since = None

    # --- baseline ---------------------------------------------------------------------------
    def _journal_baseline(self) -> None:
        """Journal the daily-loss baseline whenever a new one is set (first PnL of the day), never
        while a part of the venue is held (it would be taken as the whole account's opening)."""
        base = self.board.baseline()
        if self._holding or base is None or base == self._journaled_baseline:
            return
        day, realised, unrealised = base
        self.journal.record(
            "day_baseline", day=day.isoformat(), realised=str(realised), unrealised=str(unrealised)
        )
        self._journaled_baseline = base

    def _ensure_baseline_restored(self) -> None:
        """Before the board sees its first PnL, take today's journaled baseline (once)."""
        if not self._baseline_checked:
            self._baseline_checked = True
            self._restore_baseline()

    def hold_baseline(self) -> None:
        """Part of the venue is down at start-up (:mod:`core.engine.admission`): the journaled
        opening baseline counts every part, so it waits for :meth:`release_baseline` (the wallet
        without that part would read as a loss); until then the day's loss starts now."""
        self._holding = True
        if not self._baseline_checked:
            self._baseline_checked = True
            self._held_baselines = self.journal.query(kinds=("day_baseline",))

    def release_baseline(self) -> bool:
        """Every part is in: take the opening baseline :meth:`hold_baseline` kept, when it is
        today's. True when it was taken."""
        records, self._held_baselines = self._held_baselines, []
        self._holding = False
        return self._restore_baseline(records)

    def _restore_baseline(self, records: list[JournalRecord] | None = None) -> bool:
        """The day's opening baseline from the journal, when it is today's (True when taken)."""
        if records is None:
            records = self.journal.query(kinds=("day_baseline",))
        if not records:
            return False
        data = records[-1].data
        try:
            day = date.fromisoformat(str(data["day"]))
            realised, unrealised = Decimal(str(data["realised"])), Decimal(str(data["unrealised"]))
        except (KeyError, ValueError, ArithmeticError) as exc:
            self.out.log_line(
                f"journal day_baseline unreadable ({exc}); the day's loss starts now", Severity.WARN
            )
            return False
        finite = realised.is_finite() and unrealised.is_finite()
        if finite and self.board.restore_baseline(day, realised, unrealised, self.out.now_ms()):
            self._journaled_baseline = (day, realised, unrealised)
            self.out.log_line(f"daily loss counted from today's opening baseline (wallet {realised})")
            return True
        return False

    # --- breakers ---------------------------------------------------------------------------
    def restore(self) -> list[str]:
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
            if kind != "breaker_trip" or name not in self.board.names:
                continue
            change = self.board.restore(name, reason, ts_ms, self.out.now_ms())
            if change is None:
                continue
            restored.append(name)
            self.out.publish(change.to_event(), wake=True)
            self.metrics.set_breaker(name, change.new.value)
            self.out.log_line(f"breaker {name} still open from before the restart: {reason}", Severity.ERROR)
        return restored

    def apply(self, changes: list[BreakerChange]) -> None:
        """Journal, publish, count and log each breaker change."""
        for ch in changes:
            event: BreakerChanged = ch.to_event()
            kind = "breaker_reset" if event.state == "closed" else "breaker_trip"
            extra = {"note": ch.note, "was": ch.was} if kind == "breaker_reset" else {}
            self.journal.record(
                kind, name=event.name, state=event.state, reason=event.reason, who=ch.who, **extra
            )
            self.out.publish(event, wake=True)
            self.metrics.set_breaker(event.name, event.state)
            sev = Severity.INFO if event.state == "closed" else Severity.ERROR
            self.out.log_line(f"breaker {event.name} {event.state}: {event.reason}", sev)

    def _admit_balance(self, bal: Balance) -> bool:
        """False (and a REST confirmation on its way) when one message moved the wallet implausibly
        far: the breakers keep their last view until the venue confirms it."""
        if self.wallet_guard.admit(bal):
            return True
        if self.on_wallet_jump is not None:
            self.on_wallet_jump(bal)
        return False

    def update(self) -> None:
        """Feed the board the account as it is now (PnL, balance, exposure) and report changes."""
        self._ensure_baseline_restored()
        now = self.out.now_ms()
        board = self.board
        changes = board.tick(now)
        bal = self.state.balance
        since = self.pnl_settling_since
        settling = since is not None and now - since < PNL_SETTLE_MS
        if bal is not None and not settling and self._admit_balance(bal):
            changes += board.update_pnl(now, bal.wallet_balance, self.state.unrealised)
            changes += board.update_balance(now, bal)
            self._journal_baseline()
        changes += board.update_exposure(now, self.state.gross_exposure)
        self.apply(changes)

    # --- every venue call -------------------------------------------------------------------
    def on_api_result(self, endpoint: str, seconds: float, err: VenueError | None) -> None:
        """Every REST attempt: the request metrics (and proof that the venue answers)."""
        self.metrics.observe_request(endpoint, seconds, outcome_category(err))
        if not isinstance(err, Transient | Unknown):
            self.link.venue_reachable = True

    def on_call_result(self, endpoint: str, err: VenueError | None) -> None:
        """Every venue call's final outcome, after its retries: feeds the api_failures breaker.

        Only failures that reached the caller count (an attempt the retry policy absorbed does
        not), and only infrastructure ones (:func:`~core.resilience.errors.is_api_failure`): a
        business rejection means the API works, and 10006 with a reset time is back-pressure.
        """
        now = self.out.now_ms()
        if is_api_failure(err):  # a composite's second leg counts on its own breaker
            changes = self.board.record_api_failure(now, str(err), leg=leg_of_endpoint(endpoint))
        else:
            changes = self.board.record_api_success(now)
        self.apply(changes)

    # --- resets -----------------------------------------------------------------------------
    def reset(self, name: str, who: str = "user", reason: str = "") -> CommandResult:
        """Explicitly reset a breaker: an account breaker by name, an endpoint one as ``api:<path>``.

        Journaled as ``breaker_reset`` with ``who``, the person's ``reason`` (``note``) and the trip
        reason it cleared (``was``); published and logged like any breaker change. A breaker whose
        cause persists trips again on the next check.
        """
        now = self.out.now_ms()
        if name.startswith("api:"):
            change = self._reset_endpoint(name, who, reason, now)
            if change is None:
                return CommandResult(False, f"no endpoint breaker named {name}")
        else:
            try:
                change = self.board.reset(name, who, now, note=reason)
            except KeyError:
                return CommandResult(False, f"no breaker named {name}")
        self.apply([change])
        return CommandResult(True, f"breaker {name} reset by {who}" + (f": {reason}" if reason else ""))

    def _reset_endpoint(self, name: str, who: str, note: str, now: int) -> BreakerChange | None:
        """Close the endpoint circuit ``api:<path>``; the change to journal (None: no such circuit)."""
        known = self.endpoints.states().get(name[4:])
        if known is None:
            return None
        state, prior = known
        tripped = state != "closed"
        self.endpoints.reset(name[4:])
        said = f": {note}" if note else ""
        reason = f"reset by {who}{said}" + (f" (was: {prior})" if tripped else " (was not tripped)")
        old = BreakerState.OPEN if tripped else BreakerState.CLOSED
        was = prior if tripped else ""
        return BreakerChange(name, old, BreakerState.CLOSED, reason, now, who, note=note, was=was)
