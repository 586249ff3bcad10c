"""Pre-trade risk: the check chain, account circuit breakers and position sizing helpers.

Typical use by the engine::

    chain = RiskChain.from_settings(settings.risk)
    board = BreakerBoard.from_settings(settings)
    ctx = RiskContext(mode=..., rest_url=..., instrument=..., mark_price=..., breakers=board.snapshot(), ...)
    blocked = chain.first_failure(order, ctx)      # send path
    preview = build_preview(order, chain.evaluate(order, ctx), leverage=...)   # ticket

Cross-symbol caps (asset-class groups, correlated exposure) are in :mod:`core.risk.exposure`;
sizing rules (fixed qty, fixed fraction, volatility target, fractional Kelly) in
:mod:`core.risk.sizers`.
"""

from core.risk.breakers import BreakerBoard, BreakerChange, BreakerState
from core.risk.chain import RiskChain, default_checks
from core.risk.context import (
    BreakerStatus,
    OpenOrderSummary,
    RiskContext,
    only_reduces,
    summarize_open_orders,
)
from core.risk.sizing import build_preview, error_preview

__all__ = [
    "BreakerBoard",
    "BreakerChange",
    "BreakerState",
    "BreakerStatus",
    "OpenOrderSummary",
    "RiskChain",
    "RiskContext",
    "build_preview",
    "default_checks",
    "error_preview",
    "only_reduces",
    "summarize_open_orders",
]
