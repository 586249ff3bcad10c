"""How the composite venue combines its legs: capabilities (the conservative combination) and
the one account balance (the sum of the legs')."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from core.model import Balance
from core.venues.base import Capabilities
from core.venues.multi.legs import COMPOSITE


def combined_capabilities(legs: Sequence[Capabilities]) -> Capabilities:
    """The conservative combination: a feature is native only when every leg has it; a client
    id must suit every leg (the shortest length, every leg's pattern); the switch is re-armed as
    a deadline when any leg's is one."""
    patterns = list(dict.fromkeys(c.client_id_pattern for c in legs))
    pattern = patterns[0] if len(patterns) == 1 else "".join(f"(?={p})" for p in patterns)
    return Capabilities(
        name=COMPOSITE,
        client_id_max_len=min(c.client_id_max_len for c in legs),
        client_id_pattern=pattern,
        native_tpsl=all(c.native_tpsl for c in legs),
        native_trailing=all(c.native_trailing for c in legs),
        dead_mans_switch=all(c.dead_mans_switch for c in legs),
        dead_mans_switch_deadline=any(c.dead_mans_switch_deadline for c in legs),
        conditional_orders=all(c.conditional_orders for c in legs),
        rate_groups=legs[0].rate_groups,
        inline_calls=all(c.inline_calls for c in legs),
    )


def summed(balances: Sequence[Balance]) -> Balance:
    """One account balance for several venues: every figure added up (the first leg's coin)."""

    def total(field: str) -> Decimal:
        return sum((getattr(b, field) for b in balances), Decimal(0))

    return Balance(
        coin=balances[0].coin,
        wallet_balance=total("wallet_balance"),
        equity=total("equity"),
        available=total("available"),
        unrealised_pnl=total("unrealised_pnl"),
        initial_margin=total("initial_margin"),
        maintenance_margin=total("maintenance_margin"),
        cum_realised_pnl=total("cum_realised_pnl"),
    )


__all__ = ["combined_capabilities", "summed"]
