"""Position sizing helpers for the ticket's risk preview. Pure Decimal arithmetic.

Liquidation estimate (one-way, isolated-style, ignoring fees, funding and added margin): the
position is liquidated when its margin ``IM = entry x size / leverage`` minus the loss reaches the
maintenance margin ``MM = entry x size x mmr``:

* long:  ``liq = entry x (1 - 1/leverage + mmr)``
* short: ``liq = entry x (1 + 1/leverage - mmr)``

This is Bybit's isolated-margin formula without the fee-to-close term; under cross margin the
real price is further away. Treat it as an estimate for display, never as a risk limit.
"""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal

from core.api import CheckResult, RiskPreview
from core.model import Side, TimeInForce
from core.orders.built import BuildError, BuiltOrder

_ZERO = Decimal(0)
_ONE = Decimal(1)

DEFAULT_TAKER_FEE = Decimal("0.00055")
"""Bybit's base-tier taker fee for USDT perpetuals (0.055%)."""
DEFAULT_MAKER_FEE = Decimal("0.0002")
"""Bybit's base-tier maker fee for USDT perpetuals (0.02%)."""
DEFAULT_MMR = Decimal("0.005")
"""A typical first-tier maintenance margin rate (0.5%); the real one depends on symbol and risk tier."""


def initial_margin(notional: Decimal, leverage: Decimal) -> Decimal:
    """Margin needed to open ``notional`` at ``leverage`` (notional / leverage)."""
    if leverage <= 0:
        raise ValueError(f"leverage must be positive, got {leverage}")
    return notional / leverage


def estimated_fee(notional: Decimal, rate: Decimal) -> Decimal:
    """Fee for trading ``notional`` at ``rate`` (e.g. 0.00055 for 0.055%)."""
    return notional * rate


def fee_rate_for(
    order: BuiltOrder, taker: Decimal = DEFAULT_TAKER_FEE, maker: Decimal = DEFAULT_MAKER_FEE
) -> Decimal:
    """Maker rate for PostOnly orders (they can only add liquidity), taker rate otherwise (worst case)."""
    return maker if order.tif is TimeInForce.POST_ONLY else taker


def liquidation_price(
    side: Side, entry: Decimal, leverage: Decimal, mmr: Decimal = DEFAULT_MMR
) -> Decimal | None:
    """Estimated liquidation price (formula in the module docstring); None when it would be <= 0."""
    if leverage <= 0:
        raise ValueError(f"leverage must be positive, got {leverage}")
    inv = _ONE / leverage
    liq = entry * (_ONE - inv + mmr) if side is Side.BUY else entry * (_ONE + inv - mmr)
    return liq if liq > 0 else None


def loss_at_stop(
    side: Side, qty: Decimal, entry: Decimal, stop: Decimal, fee_rate: Decimal = _ZERO
) -> Decimal:
    """Loss (a positive number) if a position of ``qty`` opened at ``entry`` is closed at ``stop``.

    Includes ``fee_rate`` on both the entry and the exit notional. A stop on the profitable side
    yields a negative loss (a gain) minus fees, reported as is.
    """
    move = (entry - stop) if side is Side.BUY else (stop - entry)
    return qty * move + (qty * entry + qty * stop) * fee_rate


def qty_for_risk(
    risk_amount: Decimal, entry: Decimal, stop: Decimal, taker_fee: Decimal, qty_step: Decimal
) -> Decimal:
    """Contracts that lose at most ``risk_amount`` if a position opened at ``entry`` is stopped at ``stop``.

    ``qty = risk_amount / (|entry - stop| + taker_fee x (entry + stop))``: the price move plus the
    fee on the entry and on the exit notional (taker on both, the worst case), rounded *down* to a
    whole multiple of ``qty_step`` so the loss at the stop never exceeds ``risk_amount``
    (:func:`loss_at_stop` of the result with the same fee rate is ``<= risk_amount``). The result
    may be 0 when even one step would risk more. Which side of ``entry`` the stop must be on is
    the caller's check (a buy's stop below, a sell's above). Raises ValueError for a non-positive
    amount, price or step, a negative fee rate, or a stop equal to the entry.
    """
    if risk_amount <= 0:
        raise ValueError(f"risk amount must be positive, got {risk_amount}")
    if entry <= 0 or stop <= 0:
        raise ValueError(f"entry and stop must be positive, got entry {entry}, stop {stop}")
    if qty_step <= 0 or taker_fee < 0:
        raise ValueError(f"qty step must be positive and fee rate >= 0, got {qty_step}, {taker_fee}")
    if stop == entry:
        raise ValueError(f"stop {stop} equals entry {entry}: the risk per contract is only fees")
    per_unit = abs(entry - stop) + taker_fee * (entry + stop)
    steps = (risk_amount / per_unit / qty_step).to_integral_value(rounding=ROUND_FLOOR)
    qty = (steps * qty_step).quantize(qty_step)
    while qty > 0 and qty * per_unit > risk_amount:  # the division itself may have rounded up
        qty -= qty_step
    return max(qty, _ZERO.quantize(qty_step))


def build_preview(
    order: BuiltOrder,
    checks: tuple[CheckResult, ...],
    *,
    leverage: Decimal,
    mmr: Decimal = DEFAULT_MMR,
    taker_fee: Decimal = DEFAULT_TAKER_FEE,
    maker_fee: Decimal = DEFAULT_MAKER_FEE,
) -> RiskPreview:
    """The ticket's :class:`RiskPreview` for a built order and its chain verdicts."""
    notional = order.notional
    rate = fee_rate_for(order, taker_fee, maker_fee)
    stop = order.sl
    return RiskPreview(
        symbol=order.symbol,
        qty=order.qty,
        price=order.price,
        notional=notional,
        initial_margin=initial_margin(notional, leverage),
        est_fee=estimated_fee(notional, rate),
        liq_price=None
        if order.reduce_only
        else liquidation_price(order.side, order.ref_price, leverage, mmr),
        loss_at_stop=None
        if stop is None
        else loss_at_stop(order.side, order.qty, order.ref_price, stop, rate),
        checks=checks,
    )


def error_preview(symbol: str, qty: Decimal, price: Decimal | None, error: BuildError) -> RiskPreview:
    """A :class:`RiskPreview` for a request the builder refused."""
    return RiskPreview(
        symbol=symbol,
        qty=qty,
        price=price,
        notional=_ZERO,
        initial_margin=_ZERO,
        est_fee=_ZERO,
        liq_price=None,
        loss_at_stop=None,
        checks=(CheckResult(error.check, False, error.reason),),
        build_error=f"{error.check}: {error.reason}",
    )
