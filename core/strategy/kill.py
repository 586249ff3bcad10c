"""What a strategy's kill switch sends to close the strategy's own part, and why.

The kill closes exactly the strategy's own net position as its own fills give it (its ledger),
never what the account happens to hold: the account may be shared with the trader and other
strategies, and it may not have heard of the strategy's last fill yet.

Reduce-only or not, decided like a careful trader would:

* the account is on the strategy's side and at least as large: the close is **reduce-only**
  (it can never flip the account, and a tripped breaker never blocks it);
* otherwise (the account is flat, smaller, or net opposite because someone else holds the other
  side): the close is **not reduce-only** — closing the strategy's part then legitimately adds to
  the others' side, and the preview and the log line say so with the numbers. The risk chain
  judges it like any risk-increasing order.

Before the kill decides, every fill of the strategy's orders must have arrived and the account's
position must have been heard after the last fill of the symbol (the slot waits for the engine's
events, then asks the venue); it never guesses.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from core.model import ZERO, OrderRequest, OrderType, Side, TimeInForce

KILL_SOURCE_SUFFIX = ":kill"
"""Appended to the strategy's order source (``strategy:NAME:kill``): the close is its kill's."""


@dataclass(frozen=True, slots=True)
class ClosePlan:
    """The order that closes a strategy's own part, and what it does to the account."""

    symbol: str
    side: Side
    qty: Decimal
    reduce_only: bool
    own: Decimal
    """The strategy's own signed position (from its fills)."""
    account: Decimal
    """The account's signed position when the plan was made."""

    @property
    def after(self) -> Decimal:
        """The account's signed position once the close has filled."""
        return self.account - self.own

    def describe(self) -> str:
        """One line: the order, reduce-only or not, and why."""
        order = f"{self.side.value} {_plain(self.qty)} {self.symbol} at market"
        if self.reduce_only:
            return (
                f"{order} reduce-only (own {_signed(self.own)}; account {_signed(self.account)} "
                f"-> {_signed(self.after)})"
            )
        return (
            f"{order} NOT reduce-only: the account is {_net(self.account)}, so closing the strategy's "
            f"own {_signed(self.own)} leaves the others' part: account {_signed(self.account)} "
            f"-> {_signed(self.after)}"
        )

    def request(self, source: str) -> OrderRequest:
        """The closing order, marked as the kill of the strategy whose source is ``source``."""
        return OrderRequest(
            self.symbol,
            self.side,
            self.qty,
            OrderType.MARKET,
            time_in_force=TimeInForce.IOC,
            reduce_only=self.reduce_only,
            source=source + KILL_SOURCE_SUFFIX,
        )


def close_plan(symbol: str, own: Decimal, account: Decimal) -> ClosePlan | None:
    """The close of ``own`` (signed) given the account's signed ``account``; None when flat."""
    if own == ZERO:
        return None
    same_side = (account > ZERO) == (own > ZERO) and account != ZERO
    reduce_only = same_side and abs(account) >= abs(own)
    side = Side.SELL if own > ZERO else Side.BUY
    return ClosePlan(symbol, side, abs(own), reduce_only, own, account)


def _plain(size: Decimal) -> str:
    """``size`` without trailing zeros or an exponent (0.020 -> 0.02, 100 -> 100)."""
    return format(size.normalize(), "f")


def _signed(size: Decimal) -> str:
    return ("+" if size > ZERO else "") + _plain(size) if size != ZERO else "0"


def _net(size: Decimal) -> str:
    if size == ZERO:
        return "flat"
    return f"net {'long' if size > ZERO else 'short'} {_plain(abs(size))}"


__all__ = ["KILL_SOURCE_SUFFIX", "ClosePlan", "close_plan"]
