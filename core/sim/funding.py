"""Funding settlement of the sim venue (Bybit V5 linear perpetuals).

At every funding time (every ``fundingInterval`` minutes from 00:00 UTC: 00:00, 08:00 and 16:00 for
the 480-minute interval) each open position pays or receives

    funding fee = position value x funding rate,  position value = size x mark price

a long pays a positive rate and a short receives it (the reverse for a negative rate). The fee
moves the wallet balance and is reported as an execution with ``execType`` ``Funding`` whose
``execFee`` is the fee (positive paid, negative received), as Bybit's execution list and private
execution stream carry it. The mark price is the one standing at the funding time: settlement
runs before the market moves past the boundary.

Checking whether a boundary is due costs one integer comparison per market step.

A recorded series (:data:`FundingPoints`, e.g. from a recording's tickers) replaces the fixed
interval and the constant: each position settles at the recorded funding times at the rate
recorded for each (see :meth:`FundingSchedule.set_rate`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal

from core.sim._common import dstr, q8
from core.sim.accounts import Account, Position
from core.sim.instruments import FUNDING_INTERVAL_MIN, FUNDING_RATE

MINUTE_MS = 60_000
EXEC_TYPE = "Funding"
NEVER_MS = 2**62
"""The next funding time once a recorded series has none left (no settlement ever falls due)."""

FundingPoints = tuple[tuple[int, Decimal], ...]
"""A recorded funding series: (funding time in ms, rate settled then), ascending by time."""

Emit = Callable[[str, str, dict[str, object]], None]
ExecId = Callable[[], str]
MarkOf = Callable[[str], int]


def next_boundary(now_ms: int, interval_ms: int) -> int:
    """The first funding time strictly after ``now_ms`` (boundaries are multiples of the interval
    counted from the epoch, i.e. from 00:00 UTC)."""
    return now_ms - now_ms % interval_ms + interval_ms


class FundingSchedule:
    """Funding times and rates of the sim's symbols, and the settlement at each time.

    ``rate`` is the funding rate every symbol settles at (the rate its ticker shows), unless
    :meth:`set_rate` gave a symbol its own, or a recorded series (:data:`FundingPoints`) whose
    times and rates replace the interval and the constant.
    """

    def __init__(
        self, start_ms: int, *, rate: Decimal = FUNDING_RATE, interval_min: int = FUNDING_INTERVAL_MIN
    ) -> None:
        self.interval_ms = interval_min * MINUTE_MS
        self.next_ms = next_boundary(start_ms, self.interval_ms)
        self.rate = rate
        self.rates: dict[str, Decimal] = {}
        self.enabled = True
        self.series: FundingPoints = ()
        """Recorded funding times and rates (empty: every ``interval_ms`` at ``rate``)."""
        self._settled_ms = start_ms
        """The last funding time settled (the start before any)."""

    def set_rate(self, rate: Decimal | FundingPoints, symbol: str | None = None) -> None:
        """Settle ``symbol`` (every symbol when None) at ``rate`` from now on; a recorded series
        (every symbol) settles at its own times and rates instead."""
        if isinstance(rate, tuple):
            self._set_series(rate)
        elif symbol is None:
            self.rate = rate
            self.rates.clear()
        else:
            self.rates[symbol] = rate

    def _set_series(self, points: FundingPoints) -> None:
        self.series = tuple(sorted(points))
        self.rates.clear()
        self.next_ms = self._after(self._settled_ms)

    def _after(self, at_ms: int) -> int:
        """The first recorded funding time strictly after ``at_ms``."""
        return next((t for t, _ in self.series if t > at_ms), NEVER_MS)

    def _series_rate(self, at_ms: int) -> Decimal:
        return next((r for t, r in self.series if t == at_ms), self.rate)

    def rate_of(self, symbol: str) -> Decimal:
        """The funding rate ``symbol`` settles at."""
        return self.rates.get(symbol, self.rate)

    def due(self, now_ms: int) -> bool:
        """True when a funding time has been reached (the one check made on every step)."""
        return now_ms >= self.next_ms

    def settle(self, accounts: Iterable[Account], mark_of: MarkOf, emit: Emit, exec_id: ExecId) -> int:
        """Settle every funding time reached (at most one per call: missed ones are settled at the
        same marks); returns the settlements booked."""
        at = self._settled_ms = self.next_ms
        recorded = bool(self.series)
        self.next_ms = self._after(at) if recorded else at + self.interval_ms
        if not self.enabled:
            return 0
        booked = 0
        for acct in accounts:
            for pos in acct.positions.values():
                if pos.size == 0:
                    continue
                rate = self._series_rate(at) if recorded else self.rate_of(pos.spec.symbol)
                ex = settle_position(acct, pos, mark_of(pos.spec.symbol), rate, at, exec_id())
                emit(acct.api_key, "execution", ex)
                booked += 1
        return booked


def settle_position(
    acct: Account, pos: Position, mark_tick: int, rate: Decimal, at_ms: int, exec_id: str
) -> dict[str, object]:
    """Book one position's funding fee into the wallet; return its ``Funding`` execution item."""
    spec = pos.spec
    lots = abs(pos.size)
    value = spec.qty(lots) * spec.px(mark_tick)
    sign = 1 if pos.size > 0 else -1
    fee = q8(value * rate * sign)
    acct.wallet -= fee
    pos.cum_realised -= fee
    pos.cur_realised -= fee
    pos.updated_ms = at_ms
    pos.seq += 1
    ex: dict[str, object] = {
        "category": "linear",
        "symbol": spec.symbol,
        "orderType": "UNKNOWN",
        "orderLinkId": "",
        "side": "Buy" if sign > 0 else "Sell",
        "orderId": "",
        "stopOrderType": "UNKNOWN",
        "leavesQty": "0",
        "execTime": str(at_ms),
        "feeCurrency": "USDT",
        "isMaker": False,
        "execFee": dstr(fee),
        "feeRate": f"{rate:f}",
        "execId": exec_id,
        "blockTradeId": "",
        "markPrice": spec.fmt_px(mark_tick),
        "execPrice": spec.fmt_px(mark_tick),
        "orderQty": "0",
        "orderPrice": "0",
        "execValue": dstr(value),
        "execType": EXEC_TYPE,
        "execQty": spec.fmt_qty(lots),
        "closedSize": "0",
        "execPnl": "0",
        "extraFees": "",
        "seq": pos.seq,
        "isLeverage": "",
        "marketUnit": "",
        "createType": "",
        "underlyingPrice": "",
        "indexPrice": "",
        "tradeIv": "",
        "markIv": "",
    }
    acct.executions.append(ex)
    return ex
