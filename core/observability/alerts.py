"""Alert rules evaluated inside the engine, with hysteresis so they never flap.

The engine builds an :class:`AlertState` (a plain snapshot) every second or so and calls
:meth:`AlertEngine.evaluate`; the returned :class:`AlertChange` list holds only transitions
(raised or cleared), which the engine turns into ``AlertRaised`` events for the console's alert
pane/toasts, into the ``trade_console_alert_active`` metric, and into webhook posts.

Hysteresis, two ways:

* thresholds: a rule is asked :meth:`AlertRule.check` with whether it is currently active, so it
  can raise at one level and clear at another (rate headroom raises below 20 %, clears above 30 %);
* time: a condition must hold for ``raise_after_s`` before the alert raises and be gone for
  ``clear_after_s`` before it clears.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from core.metrics import Metrics, SlowOp, breaker_state_value

__all__ = [
    "AlertChange",
    "AlertEngine",
    "AlertRule",
    "AlertState",
    "BreakerOpenRule",
    "FeedStaleRule",
    "HealthRule",
    "RateHeadroomRule",
    "ReconnectStormRule",
    "SlowOpsRule",
    "default_rules",
]


@dataclass(frozen=True, slots=True)
class AlertState:
    """Everything the rules look at, at time ``now`` (seconds on the engine's monotonic clock).

    ``rate_headroom``: remaining fraction (0..1) per rate-limit group. ``reconnects``: times of
    recent reconnects per stream. ``slow_ops``: recent slow operations (``SlowOp.at`` on the same
    clock as ``now``). ``health_ok``: the latest /healthz verdict (``None``: not evaluated yet).
    """

    now: float
    rate_headroom: Mapping[str, float] = field(default_factory=dict)
    reconnects: Mapping[str, Sequence[float]] = field(default_factory=dict)
    feed_ages_s: Mapping[str, float | None] = field(default_factory=dict)
    breakers: Mapping[str, str] = field(default_factory=dict)
    slow_ops: Sequence[SlowOp] = ()
    health_ok: bool | None = None
    health_reasons: Sequence[str] = ()


@dataclass(frozen=True, slots=True)
class AlertChange:
    """An alert was raised (``active``) or cleared at ``at``."""

    rule: str
    active: bool
    message: str
    at: float
    severity: str = "warn"

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form (for the webhook and the journal)."""
        return {
            "rule": self.rule,
            "active": self.active,
            "message": self.message,
            "at": self.at,
            "severity": self.severity,
        }


class AlertRule:
    """Base class. Subclasses implement :meth:`check`; timing hysteresis is handled by the engine."""

    name: str = "rule"
    severity: str = "warn"

    def __init__(self, *, raise_after_s: float = 0.0, clear_after_s: float = 0.0) -> None:
        """``raise_after_s``/``clear_after_s``: how long the condition must hold / be gone."""
        self.raise_after_s = raise_after_s
        self.clear_after_s = clear_after_s

    def check(self, state: AlertState, active: bool) -> str | None:
        """A message when the condition holds, else ``None``. ``active``: the alert is currently raised."""
        raise NotImplementedError


class RateHeadroomRule(AlertRule):
    """Rate-limit headroom of any group below ``raise_below`` (clears above ``clear_above``)."""

    name = "rate_limit_headroom"

    def __init__(self, raise_below: float = 0.20, clear_above: float = 0.30, **kw: float) -> None:
        """Thresholds are remaining fractions (0.20 = 20 % of the limit left)."""
        super().__init__(**kw)
        if clear_above < raise_below:
            raise ValueError("clear_above must be >= raise_below")
        self.raise_below = raise_below
        self.clear_above = clear_above

    def check(self, state: AlertState, active: bool) -> str | None:
        """Lists every group whose headroom is low (using the clear threshold while active)."""
        limit = self.clear_above if active else self.raise_below
        low = sorted((g, h) for g, h in state.rate_headroom.items() if h < limit)
        if not low:
            return None
        parts = ", ".join(f"{g} {h:.0%}" for g, h in low)
        return f"rate-limit headroom below {self.raise_below:.0%}: {parts}"


class ReconnectStormRule(AlertRule):
    """More than ``max_reconnects`` reconnects of one stream within ``window_s``."""

    name = "ws_reconnects"

    def __init__(self, max_reconnects: int = 5, window_s: float = 600.0, **kw: float) -> None:
        """Defaults: more than 5 reconnects in 10 minutes."""
        super().__init__(**kw)
        self.max_reconnects = max_reconnects
        self.window_s = window_s

    def check(self, state: AlertState, active: bool) -> str | None:
        """Names each stream over the limit and its count within the window."""
        since = state.now - self.window_s
        over = []
        for stream in sorted(state.reconnects):
            n = sum(1 for t in state.reconnects[stream] if t >= since)
            if n > self.max_reconnects:
                over.append(f"{stream} {n}")
        if not over:
            return None
        window = f"{self.window_s / 60:g} min"
        return f"WebSocket reconnects above {self.max_reconnects} per {window}: {', '.join(over)}"


class FeedStaleRule(AlertRule):
    """A feed with no data or older than ``max_age_s``."""

    name = "feed_stale"

    def __init__(self, max_age_s: float = 5.0, **kw: float) -> None:
        """``max_age_s``: the age at which a feed counts as stale."""
        super().__init__(**kw)
        self.max_age_s = max_age_s

    def check(self, state: AlertState, active: bool) -> str | None:
        """Names each stale feed and its age."""
        stale = []
        for stream in sorted(state.feed_ages_s):
            age = state.feed_ages_s[stream]
            if age is None:
                stale.append(f"{stream} (no data)")
            elif age > self.max_age_s:
                stale.append(f"{stream} {age:.1f} s")
        return f"feed stale (> {self.max_age_s:g} s): {', '.join(stale)}" if stale else None


class BreakerOpenRule(AlertRule):
    """Any circuit breaker not closed."""

    name = "breaker_open"
    severity = "error"

    def check(self, state: AlertState, active: bool) -> str | None:
        """Names each breaker that is open or half-open."""
        tripped = [f"{n} {s}" for n, s in sorted(state.breakers.items()) if breaker_state_value(s) != 0]
        return f"breaker not closed: {', '.join(tripped)}" if tripped else None


class SlowOpsRule(AlertRule):
    """A slow operation within the last ``window_s``."""

    name = "slow_operations"

    def __init__(self, window_s: float = 60.0, **kw: float) -> None:
        """``window_s``: how long one slow operation keeps the alert up."""
        super().__init__(**kw)
        self.window_s = window_s

    def check(self, state: AlertState, active: bool) -> str | None:
        """Names the slowest occurrence of each slow operation in the window."""
        since = state.now - self.window_s
        worst: dict[str, float] = {}
        for op in state.slow_ops:
            if op.at >= since:
                worst[op.name] = max(worst.get(op.name, 0.0), op.seconds)
        if not worst:
            return None
        parts = ", ".join(f"{n} {s:.2f} s" for n, s in sorted(worst.items()))
        return f"slow operations in the last {self.window_s:g} s: {parts}"


class HealthRule(AlertRule):
    """/healthz would answer 503."""

    name = "health"
    severity = "error"

    def check(self, state: AlertState, active: bool) -> str | None:
        """The health reasons, when health is known to be bad."""
        if state.health_ok is False:
            return "health 503: " + ("; ".join(state.health_reasons) or "unhealthy")
        return None


def default_rules(
    *,
    headroom_below: float = 0.20,
    max_reconnects: int = 5,
    reconnect_window_s: float = 600.0,
    max_feed_age_s: float = 5.0,
    slow_window_s: float = 60.0,
) -> list[AlertRule]:
    """The issue's rule set: headroom < 20 %, reconnect storm, stale feed, breaker, slow ops, health."""
    return [
        RateHeadroomRule(raise_below=headroom_below, clear_above=min(1.0, headroom_below + 0.10)),
        ReconnectStormRule(max_reconnects=max_reconnects, window_s=reconnect_window_s),
        FeedStaleRule(max_age_s=max_feed_age_s, clear_after_s=2.0),
        BreakerOpenRule(),
        SlowOpsRule(window_s=slow_window_s),
        HealthRule(raise_after_s=2.0, clear_after_s=2.0),
    ]


@dataclass(slots=True)
class _Track:
    active: bool = False
    message: str = ""
    pending_since: float | None = None  # condition started holding (not yet raised)
    clearing_since: float | None = None  # condition stopped holding (not yet cleared)


class AlertEngine:
    """Evaluates rules over successive :class:`AlertState` snapshots and reports transitions."""

    def __init__(self, rules: Iterable[AlertRule] | None = None, metrics: Metrics | None = None) -> None:
        """``rules`` default to :func:`default_rules`; ``metrics`` gets ``set_alert`` on every change."""
        self.rules = list(rules) if rules is not None else default_rules()
        names = [r.name for r in self.rules]
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate alert rule names: {names}")
        self.metrics = metrics
        self._tracks = {r.name: _Track() for r in self.rules}
        if metrics is not None:
            for name in names:
                metrics.set_alert(name, False)

    @property
    def active(self) -> dict[str, str]:
        """Currently active alerts: rule name → latest message."""
        return {n: t.message for n, t in self._tracks.items() if t.active}

    def evaluate(self, state: AlertState) -> list[AlertChange]:
        """Run every rule against ``state``; return only raises and clears, in rule order."""
        changes: list[AlertChange] = []
        for rule in self.rules:
            track = self._tracks[rule.name]
            message = rule.check(state, track.active)
            change = self._step(rule, track, message, state.now)
            if change is not None:
                changes.append(change)
                if self.metrics is not None:
                    self.metrics.set_alert(rule.name, change.active)
        return changes

    @staticmethod
    def _step(rule: AlertRule, track: _Track, message: str | None, now: float) -> AlertChange | None:
        if message is not None:
            track.clearing_since = None
            if track.active:
                track.message = message
                return None
            if track.pending_since is None:
                track.pending_since = now
            if now - track.pending_since >= rule.raise_after_s:
                track.active, track.message, track.pending_since = True, message, None
                return AlertChange(rule.name, True, message, now, rule.severity)
            return None
        track.pending_since = None
        if not track.active:
            return None
        if track.clearing_since is None:
            track.clearing_since = now
        if now - track.clearing_since >= rule.clear_after_s:
            track.active, track.clearing_since = False, None
            return AlertChange(rule.name, False, f"cleared: {track.message}", now, rule.severity)
        return None
