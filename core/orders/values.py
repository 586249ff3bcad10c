"""The command API's numbers, checked before anything else looks at them.

A trader's typed numbers are parsed strictly by :mod:`core.orders.numparse`, but the command API
(:class:`core.api.EngineAPI`) also takes Decimals from strategies, algos, scripts and webhooks, and
``Decimal("NaN")``, ``Decimal("Infinity")`` or ``Decimal("-1")`` must never get further than here:
a NaN quantity used to surface as ``place failed: InvalidOperation`` with no check named and
nothing journaled. Each function returns a :class:`~core.orders.built.BuildError` (the check is
named after the field) or None; the engine journals the rejection like any other.
"""

from __future__ import annotations

from decimal import Decimal

from core.model import OrderRequest
from core.orders.built import BuildError

_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("qty", "qty", "quantity"),
    ("price", "price", "price"),
    ("trigger_price", "trigger", "trigger price"),
    ("take_profit", "take_profit", "take-profit"),
    ("stop_loss", "stop_loss", "stop-loss"),
)
"""(OrderRequest attribute, check name, words) for every number an order carries."""


def value_problem(value: Decimal, what: str) -> str:
    """Why ``value`` is not a usable positive number ("" when it is)."""
    if not isinstance(value, Decimal):
        return f"{what} {value!r} is not a Decimal"
    if value.is_nan():
        return f"{what} {value} is not a number"
    if value.is_infinite():
        return f"{what} {value} is not a finite number"
    if value <= 0:
        return f"{what} {value} must be greater than 0"
    return ""


def request_problem(request: OrderRequest) -> BuildError | None:
    """The first number in ``request`` that is NaN, infinite, zero or negative, as a BuildError."""
    for attr, check, what in _FIELDS:
        value = getattr(request, attr)
        if attr != "qty" and value is None:
            continue
        problem = value_problem(value, what)
        if problem:
            return BuildError(check, problem)
    return None


def amend_problem(
    qty: Decimal | None, price: Decimal | None, trigger: Decimal | None = None
) -> BuildError | None:
    """A NaN, infinite, zero or negative new quantity, price or trigger for an amend, as a BuildError."""
    fields = (
        (qty, "qty", "new quantity"),
        (price, "price", "new price"),
        (trigger, "trigger", "new trigger"),
    )
    for value, check, what in fields:
        if value is not None and (problem := value_problem(value, what)):
            return BuildError(check, problem)
    return None


__all__ = ["amend_problem", "request_problem", "value_problem"]
