"""RiskChain: the ordered pre-trade checks every order passes before the executor (DESIGN §2.2).

``evaluate`` runs every check (the ticket's preview shows them all); ``first_failure`` stops at
the first failing one (the send path). A check that raises fails closed: the order is blocked
with the exception named in the reason, and the traceback is logged.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from core.api import CheckResult
from core.config import RiskSettings
from core.orders.built import BuiltOrder
from core.risk.checks import (
    BookStaleCheck,
    BreakerCheck,
    GrossExposureCheck,
    InstrumentFilterCheck,
    JournalCheck,
    LeverageCheck,
    MaxOpenOrdersCheck,
    MaxOrderNotionalCheck,
    MaxPositionNotionalCheck,
    ModeEndpointCheck,
    PriceBandCheck,
    ReduceOnlyCheck,
    RiskCheck,
    SymbolAllowListCheck,
)
from core.risk.context import RiskContext
from core.risk.exposure import CorrelatedExposureCheck, GroupCapCheck

log = logging.getLogger(__name__)


def default_checks(risk: RiskSettings) -> list[RiskCheck]:
    """The standard checks, in the order they run, configured from ``risk``."""
    return [
        ModeEndpointCheck(),
        SymbolAllowListCheck(risk.symbols),
        InstrumentFilterCheck(),
        ReduceOnlyCheck(),
        MaxOrderNotionalCheck(risk.max_order_notional),
        MaxPositionNotionalCheck(risk.max_position_notional),
        GrossExposureCheck(risk.max_gross_exposure),
        GroupCapCheck(risk.groups, risk.group_caps),
        CorrelatedExposureCheck(
            risk.max_correlated_exposure,
            risk.correlation_threshold,
            timeframe=risk.correlation_timeframe,
            window=risk.correlation_window,
            min_returns=risk.correlation_min_returns,
        ),
        LeverageCheck(risk.max_leverage),
        PriceBandCheck(risk.price_band_pct),
        MaxOpenOrdersCheck(risk.max_open_orders),
        BookStaleCheck(risk.book_stale_s),
        BreakerCheck(),
        JournalCheck(),
    ]


def _history_need(checks: Sequence[RiskCheck]) -> tuple[str, int] | None:
    """The candle history the checks need together (one timeframe, the longest length)."""
    needs = [n for c in checks if (n := getattr(c, "history_need", None)) is not None]
    if not needs:
        return None
    if len({tf for tf, _ in needs}) > 1:
        raise ValueError(f"checks need candles of different timeframes: {needs}")
    return needs[0][0], max(n for _, n in needs)


class RiskChain:
    """An ordered sequence of :class:`~core.risk.checks.RiskCheck`."""

    __slots__ = ("_history_need", "checks")

    def __init__(self, checks: Sequence[RiskCheck]) -> None:
        names = [c.name for c in checks]
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate risk check names: {names}")
        self.checks: tuple[RiskCheck, ...] = tuple(checks)
        self._history_need = _history_need(self.checks)

    @classmethod
    def from_settings(cls, risk: RiskSettings) -> RiskChain:
        """The standard chain configured from ``settings.risk``."""
        return cls(default_checks(risk))

    @property
    def names(self) -> tuple[str, ...]:
        """Check names in evaluation order."""
        return tuple(c.name for c in self.checks)

    @property
    def history_need(self) -> tuple[str, int] | None:
        """``(timeframe, closes)`` of candle history a check needs in ``RiskContext.closes``, or
        None when none does (the engine then gathers none)."""
        return self._history_need

    def evaluate(self, order: BuiltOrder, ctx: RiskContext) -> tuple[CheckResult, ...]:
        """Every check's verdict, in order (for the ticket's preview)."""
        return tuple(self._run(c, order, ctx) for c in self.checks)

    def first_failure(self, order: BuiltOrder, ctx: RiskContext) -> CheckResult | None:
        """The first failing check, or None when the order may be sent."""
        for c in self.checks:
            r = self._run(c, order, ctx)
            if not r.passed:
                return r
        return None

    @staticmethod
    def _run(check: RiskCheck, order: BuiltOrder, ctx: RiskContext) -> CheckResult:
        try:
            return check.check(order, ctx)
        except Exception as exc:  # fail closed: a broken check must block, never wave through
            log.exception("risk check %s raised on %s", check.name, order.order_link_id)
            return CheckResult(check.name, False, f"check error ({type(exc).__name__}: {exc}); blocked")
