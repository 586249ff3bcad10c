"""Account circuit breakers: daily loss, minimum balance, gross exposure, API failures.

A breaker is ``closed`` (trading allowed) or ``open`` (tripped: risk-increasing orders are
blocked by the chain's ``breakers`` check; reducing orders always pass, DESIGN §2.4). Tripping is
sticky until an explicit :meth:`BreakerBoard.reset`; the one automatic reset is the daily-loss
breaker at local midnight (``breakers.timezone``), which is reported like any other change so the
engine journals it.

The board is pure: no clock, no I/O. The engine feeds it events with ``now_ms`` and journals and
publishes the :class:`BreakerChange` records every call returns. It is not thread-safe; call it
from the engine's loop only.

Daily PnL is the change in account PnL since local midnight: ``(realised - realised at day start)
+ (unrealised - unrealised at day start)``, where ``realised`` is the cumulative realised PnL the
engine tracks (net of fees) and the day-start values are the last ones seen before midnight (or
the first ones ever seen). The breaker trips when the day's loss reaches the limit
(``-daily_pnl >= breakers.daily_loss_limit``).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from zoneinfo import ZoneInfo

from core.config import BreakerSettings, Settings
from core.config_legs import COMPOSITE
from core.events import BreakerChanged
from core.model import Balance
from core.risk.context import BreakerStatus

_ZERO = Decimal(0)
QUARTER_HOUR = timedelta(minutes=15)
QUARTER_HOUR_MS = 900_000
"""Today's time zones' UTC offsets are multiples of a quarter hour (local midnights fall on one)."""

DAILY_LOSS = "daily_loss"
MIN_BALANCE = "min_balance"
EXPOSURE = "exposure"
API_FAILURES = "api_failures"
BREAKER_NAMES: tuple[str, ...] = (DAILY_LOSS, MIN_BALANCE, EXPOSURE, API_FAILURES)
LEG_SEPARATOR = ":"


def api_failures_of(leg: str | None) -> str:
    """The API-failure breaker of a composite venue's leg (``api_failures:hyperliquid``); the
    account's own for None (a single venue)."""
    return API_FAILURES if leg is None else f"{API_FAILURES}{LEG_SEPARATOR}{leg}"


def leg_of_breaker(name: str) -> str | None:
    """The leg a per-leg breaker guards (None: the whole account)."""
    head, sep, leg = name.partition(LEG_SEPARATOR)
    return leg if sep and head == API_FAILURES and leg else None


class BreakerState(StrEnum):
    """Closed = trading allowed; open = tripped."""

    CLOSED = "closed"
    OPEN = "open"


@dataclass(frozen=True, slots=True)
class BreakerChange:
    """One state change (trip, reset or day rollover) for the journal and the event stream."""

    name: str
    old: BreakerState
    new: BreakerState
    reason: str
    ts_ms: int
    who: str = "auto"
    note: str = ""
    """Why a person reset it, in their words (resets only)."""
    was: str = ""
    """The trip reason a reset cleared (resets only; "" when it was not tripped)."""

    def to_event(self) -> BreakerChanged:
        """The engine event for this change."""
        return BreakerChanged(ts_ms=self.ts_ms, name=self.name, state=self.new.value, reason=self.reason)


@dataclass(slots=True)
class _Breaker:
    name: str
    state: BreakerState = BreakerState.CLOSED
    reason: str = ""
    since_ms: int = 0


def _money(x: Decimal) -> str:
    return f"{x:,.2f}"


class BreakerBoard:
    """The account's circuit breakers. Every ``update``/``record`` returns the changes it caused."""

    def __init__(
        self, settings: BreakerSettings, *, exposure_cap: Decimal, legs: tuple[str, ...] = ()
    ) -> None:
        """``legs``: a composite venue's legs, primary first, each with its own API-failure
        breaker (a failure that names no leg is the primary's)."""
        self.settings = settings
        self.exposure_cap = exposure_cap
        self._tz = ZoneInfo(settings.timezone)
        self.names: tuple[str, ...] = BREAKER_NAMES + tuple(api_failures_of(leg) for leg in legs)
        """Every breaker of this board (the account's, then one per second leg)."""
        self._b: dict[str, _Breaker] = {n: _Breaker(n) for n in self.names}
        self._day: date | None = None
        self._day_of: tuple[int | None, date] = (None, date.min)
        """The last quarter hour :meth:`local_day` was asked about and its local day."""
        self._base_realised = _ZERO
        self._base_unrealised = _ZERO
        self._realised = _ZERO
        self._unrealised = _ZERO
        self._have_pnl = False
        self._failures_of: dict[str, deque[int]] = {
            n: deque() for n in self.names if n.startswith(API_FAILURES)
        }
        self._primary = legs[0] if legs else None
        self._window_ms = int(settings.api_failure_window_s * 1000)
        self.last_api_success_ms = 0

    @classmethod
    def from_settings(cls, settings: Settings) -> BreakerBoard:
        """A board configured from ``settings.breakers`` (exposure cap: ``risk.max_gross_exposure``)."""
        legs = tuple(settings.venue.legs) if settings.venue.name == COMPOSITE else ()
        return cls(settings.breakers, exposure_cap=settings.risk.max_gross_exposure, legs=legs)

    # --- state -------------------------------------------------------------------------
    def state(self, name: str) -> BreakerState:
        """Current state of breaker ``name``."""
        return self._get(name).state

    def reason(self, name: str) -> str:
        """Why breaker ``name`` tripped ("" while closed)."""
        return self._get(name).reason

    def is_tripped(self, name: str) -> bool:
        """True while breaker ``name`` is open."""
        return self._get(name).state is BreakerState.OPEN

    @property
    def any_tripped(self) -> bool:
        """True when at least one breaker is open."""
        return any(b.state is BreakerState.OPEN for b in self._b.values())

    def snapshot(self) -> tuple[BreakerStatus, ...]:
        """Frozen view for :class:`~core.risk.context.RiskContext`."""
        return tuple(BreakerStatus(b.name, b.state is BreakerState.OPEN, b.reason) for b in self._b.values())

    def status_map(self) -> dict[str, tuple[str, str]]:
        """``{name: (state, reason)}`` for :class:`~core.events.RiskStatus`."""
        return {b.name: (b.state.value, b.reason) for b in self._b.values()}

    @property
    def daily_pnl(self) -> Decimal:
        """Realised + unrealised PnL change since local midnight (negative = loss)."""
        return (self._realised - self._base_realised) + (self._unrealised - self._base_unrealised)

    @property
    def daily_loss(self) -> Decimal:
        """The day's loss as a positive number (0 when the day is flat or up)."""
        return max(_ZERO, -self.daily_pnl)

    def local_day(self, now_ms: int) -> date:
        """The calendar day of ``now_ms`` in ``breakers.timezone``.

        Remembered per quarter hour of UTC while the zone's offset is a whole number of quarter
        hours (every zone's today): a local midnight is then on a quarter-hour boundary, so a
        quarter hour never holds two local days (the breakers ask several times per order)."""
        quarter = now_ms // QUARTER_HOUR_MS
        if quarter == self._day_of[0]:
            return self._day_of[1]
        local = datetime.fromtimestamp(now_ms // 1000, tz=self._tz)
        offset = local.utcoffset()
        if offset is not None and not offset % QUARTER_HOUR:
            self._day_of = (quarter, local.date())
        return local.date()

    # --- feeds -------------------------------------------------------------------------
    def tick(self, now_ms: int) -> list[BreakerChange]:
        """Advance time only: handles the daily rollover (call it at least once a minute)."""
        return self._roll(now_ms)

    def update_pnl(self, now_ms: int, realised: Decimal, unrealised: Decimal) -> list[BreakerChange]:
        """Feed cumulative realised PnL (net of fees) and current unrealised PnL, in USDT."""
        changes = self._roll(now_ms)
        if not self._have_pnl:
            self._base_realised, self._base_unrealised = realised, unrealised
            self._have_pnl = True
        self._realised, self._unrealised = realised, unrealised
        limit = self.settings.daily_loss_limit
        loss = -self.daily_pnl
        if loss >= limit:
            r = realised - self._base_realised
            u = unrealised - self._base_unrealised
            reason = (
                f"daily loss {_money(loss)} USDT >= limit {_money(limit)} (breakers.daily_loss_limit; "
                f"realised {_money(r)}, unrealised {_money(u)} since 00:00 {self.settings.timezone})"
            )
            changes += self._trip(DAILY_LOSS, reason, now_ms)
        return changes

    def update_balance(self, now_ms: int, balance: Balance | Decimal) -> list[BreakerChange]:
        """Feed the account equity (a :class:`Balance` or the equity itself)."""
        changes = self._roll(now_ms)
        equity = balance.equity if isinstance(balance, Balance) else balance
        floor = self.settings.min_balance
        if equity < floor:
            reason = f"equity {_money(equity)} USDT < min {_money(floor)} (breakers.min_balance)"
            changes += self._trip(MIN_BALANCE, reason, now_ms)
        return changes

    def update_exposure(self, now_ms: int, gross_exposure: Decimal) -> list[BreakerChange]:
        """Feed the account's gross exposure (sum of absolute position notionals at mark)."""
        changes = self._roll(now_ms)
        cap = self.exposure_cap
        if gross_exposure > cap:
            reason = (
                f"gross exposure {_money(gross_exposure)} USDT > cap {_money(cap)} (risk.max_gross_exposure)"
            )
            changes += self._trip(EXPOSURE, reason, now_ms)
        return changes

    def record_api_failure(
        self, now_ms: int, detail: str = "", leg: str | None = None
    ) -> list[BreakerChange]:
        """Count one failed venue request (on a composite, the ``leg``'s breaker: the primary's
        when no leg is named); trips at ``api_failures`` failures within the window."""
        name = self._api_name(leg)
        changes = self._roll(now_ms)
        failures = self._failures_of[name]
        failures.append(now_ms)
        self._expire(now_ms)
        n, limit = len(failures), self.settings.api_failures
        if n >= limit:
            window = self.settings.api_failure_window_s
            last = f"; last: {detail}" if detail else ""
            reason = (
                f"{n} API failures within {window:g} s >= limit {limit} "
                f"(breakers.api_failures / breakers.api_failure_window_s){last}"
            )
            changes += self._trip(name, reason, now_ms)
        return changes

    def _api_name(self, leg: str | None) -> str:
        name = api_failures_of(leg or self._primary)
        return name if name in self._failures_of else API_FAILURES

    def record_api_success(self, now_ms: int) -> list[BreakerChange]:
        """Note a successful venue request. It does not clear counted failures or a tripped breaker."""
        self.last_api_success_ms = now_ms
        changes = self._roll(now_ms)
        self._expire(now_ms)
        return changes

    def api_failures_in_window(self, now_ms: int) -> int:
        """Failures counted in the window ending at ``now_ms`` (every leg's, on a composite)."""
        self._expire(now_ms)
        return sum(len(f) for f in self._failures_of.values())

    def reset(self, name: str, who: str = "user", now_ms: int = 0, note: str = "") -> BreakerChange:
        """Explicitly close breaker ``name``; returns the record to journal (also when already closed).

        ``note`` is the reason the person gave. The condition is re-evaluated on the next feed: a
        breaker whose cause persists trips again. Resetting ``api_failures`` forgets the counted
        failures.
        """
        b = self._get(name)
        old = b.state
        prior = b.reason
        b.state, b.reason, b.since_ms = BreakerState.CLOSED, "", now_ms
        if name in self._failures_of:
            self._failures_of[name].clear()
        said = f": {note}" if note else ""
        reason = f"reset by {who}{said}" + (
            f" (was: {prior})" if old is BreakerState.OPEN else " (was not tripped)"
        )
        was = prior if old is BreakerState.OPEN else ""
        return BreakerChange(name, old, BreakerState.CLOSED, reason, now_ms, who, note=note, was=was)

    def baseline(self) -> tuple[date, Decimal, Decimal] | None:
        """The day's opening ``(local day, realised, unrealised)``; None before the first PnL."""
        if not self._have_pnl or self._day is None:
            return None
        return self._day, self._base_realised, self._base_unrealised

    def restore_baseline(self, day: date, realised: Decimal, unrealised: Decimal, now_ms: int) -> bool:
        """Take the day's opening baseline from the journal (a restart must not re-base the day's
        loss at the current wallet). Ignored unless ``day`` is today's local day."""
        if day != self.local_day(now_ms):
            return False
        self._day = day
        self._base_realised, self._base_unrealised = realised, unrealised
        self._have_pnl = True
        return True

    def restore(self, name: str, reason: str, since_ms: int, now_ms: int) -> BreakerChange | None:
        """Re-open ``name`` as the journal last left it (a restart never clears a trip).

        A daily-loss trip from an earlier local day is not restored (midnight resets it). Returns
        the change to publish, or None when nothing was restored.
        """
        b = self._get(name)
        if name == DAILY_LOSS and self.local_day(since_ms) != self.local_day(now_ms):
            return None
        if b.state is BreakerState.OPEN:
            return None
        b.state, b.reason, b.since_ms = BreakerState.OPEN, reason, since_ms
        note = "still tripped from before the restart"
        return BreakerChange(name, BreakerState.CLOSED, BreakerState.OPEN, reason, now_ms, note=note)

    # --- internals ---------------------------------------------------------------------
    def _get(self, name: str) -> _Breaker:
        try:
            return self._b[name]
        except KeyError:
            raise KeyError(f"unknown breaker {name!r}; known: {', '.join(self.names)}") from None

    def _trip(self, name: str, reason: str, now_ms: int) -> list[BreakerChange]:
        b = self._b[name]
        if b.state is BreakerState.OPEN:
            return []
        b.state, b.reason, b.since_ms = BreakerState.OPEN, reason, now_ms
        return [BreakerChange(name, BreakerState.CLOSED, BreakerState.OPEN, reason, now_ms)]

    def _expire(self, now_ms: int) -> None:
        horizon = now_ms - self._window_ms
        for f in self._failures_of.values():
            while f and f[0] <= horizon:
                f.popleft()

    def _roll(self, now_ms: int) -> list[BreakerChange]:
        day = self.local_day(now_ms)
        if self._day is None:
            self._day = day
            return []
        if day == self._day:
            return []
        self._day = day
        # New local day: the last values seen become the day's opening baseline.
        self._base_realised, self._base_unrealised = self._realised, self._unrealised
        b = self._b[DAILY_LOSS]
        if b.state is BreakerState.OPEN:
            prior = b.reason
            b.state, b.reason, b.since_ms = BreakerState.CLOSED, "", now_ms
            reason = f"new trading day {day.isoformat()} ({self.settings.timezone}); was: {prior}"
            closed = BreakerChange(
                DAILY_LOSS, BreakerState.OPEN, BreakerState.CLOSED, reason, now_ms, "day_rollover"
            )
            return [closed]
        return []
