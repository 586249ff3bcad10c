"""Plain value types the analytics functions take and return.

Money (prices, quantities, PnL, fees, funding) is :class:`~decimal.Decimal`; ratios are ``float``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from core.model import ZERO, Side


@dataclass(frozen=True, slots=True)
class FundingPayment:
    """One funding settlement on one position.

    ``amount`` is what the account paid: positive is a cost, negative is funding received
    (the sign convention of the exchange's ``execFee`` for funding executions).
    """

    symbol: str
    ts_ms: int
    amount: Decimal


@dataclass(frozen=True, slots=True)
class ClosedTrade:
    """A round trip: a position opened from flat and closed back to flat (or flipped).

    ``pnl`` is the price PnL on the average-cost basis; ``fees`` and ``funding`` are the costs paid
    while it was open (a flipping fill's fee is split by quantity); ``net_pnl`` subtracts them.
    """

    symbol: str
    side: Side
    qty: Decimal
    entry_price: Decimal
    exit_price: Decimal
    entry_ms: int
    exit_ms: int
    pnl: Decimal
    fees: Decimal = ZERO
    funding: Decimal = ZERO

    @property
    def net_pnl(self) -> Decimal:
        """Price PnL less fees and funding paid."""
        return self.pnl - self.fees - self.funding

    @property
    def duration_ms(self) -> int:
        """Time from the opening fill to the closing fill."""
        return self.exit_ms - self.entry_ms


@dataclass(frozen=True, slots=True)
class EquityPoint:
    """Account equity at the end of one period (bar), marked to market.

    ``exposure`` is the gross notional held at that moment (sum of ``|size| * mark``); zero when
    flat. It drives the exposure time.
    """

    ts_ms: int
    equity: Decimal
    exposure: Decimal = ZERO
