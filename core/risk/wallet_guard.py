"""Holds the breakers' view of the wallet when one message moves it implausibly far.

A spoiled wallet push (a broken proxy, a venue bug: ``"0"`` where 98,900 was) would trip the
daily-loss and minimum-balance breakers on a number the venue never meant. A real wallet can move
that far too (a liquidation, a transfer), so the jump is neither believed nor dropped: the
breakers keep their last view until the venue confirms the new balance over REST, and then they
see whatever REST said. Pure: the engine asks :meth:`admit` and runs the confirmation.
"""

from __future__ import annotations

from decimal import Decimal

from core.model import Balance

MAX_JUMP = Decimal("0.5")
"""A change of more than this fraction of equity in one message needs a REST confirmation."""


class WalletJumpGuard:
    """Decides which balances the breakers may see."""

    def __init__(self, max_jump: Decimal = MAX_JUMP) -> None:
        self.max_jump = max_jump
        self.fed: Decimal | None = None
        """The last equity the breakers saw."""
        self.confirmed: Balance | None = None
        """The last balance read over REST (always admitted)."""
        self.held = 0
        """Balances held back so far (for the log and tests)."""

    def admit(self, balance: Balance) -> bool:
        """True when the breakers may see ``balance``; False holds it until REST confirms."""
        if balance == self.confirmed or self.fed is None or not self._jump(self.fed, balance.equity):
            self.fed = balance.equity
            return True
        self.held += 1
        return False

    def confirm(self, balance: Balance | None) -> None:
        """The venue's REST answer: admitted next time whatever it says."""
        self.confirmed = balance

    def _jump(self, old: Decimal, new: Decimal) -> bool:
        if old <= 0:
            return False
        return new <= 0 or abs(new - old) / old > self.max_jump


__all__ = ["MAX_JUMP", "WalletJumpGuard"]
