"""``POST /info`` ``userFees``: the account's fee rates and daily volume, in Hyperliquid's shape.

The rates are the ones the sim's exchange core charges on every fill (taker for a fill that
crossed, maker for one that rested), so a client that reads them prices its fees as the venue
does. ``dailyUserVlm`` sums the account's fills per UTC day (``userCross``: taker notional,
``userAdd``: maker notional) and ``exchange`` every account's, for the last days that had any.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from core.sim.hyperliquid.rules import wire
from core.sim.hyperliquid.venue import HlVenue
from core.sim.instruments import MAKER_FEE, TAKER_FEE

VOLUME_DAYS = 15
"""Days of ``dailyUserVlm`` (Hyperliquid's fee tiers look at 14 days of volume)."""
SPOT_TAKER = Decimal("0.0007")
SPOT_MAKER = Decimal("0.0004")
"""The sim has no spot market; these fill in the spot fields with Hyperliquid's base rates."""
REFERRAL_DISCOUNT = Decimal("0.04")
ZERO = Decimal(0)
MS_PER_S = 1000


def _day(ms: int) -> str:
    return datetime.fromtimestamp(ms / MS_PER_S, tz=UTC).date().isoformat()


def _notional(fill: Mapping[str, object]) -> Decimal:
    return Decimal(str(fill["px"])) * Decimal(str(fill["sz"]))


def _volumes(fills: Iterable[Mapping[str, object]]) -> dict[str, tuple[Decimal, Decimal]]:
    """UTC day -> (taker notional, maker notional)."""
    out: dict[str, tuple[Decimal, Decimal]] = {}
    for f in fills:
        day = _day(int(str(f["time"])))
        cross, add = out.get(day, (ZERO, ZERO))
        n = _notional(f)
        out[day] = (cross + n, add) if f.get("crossed") else (cross, add + n)
    return out


def user_fees(v: HlVenue, user: str) -> dict[str, Any]:
    """The ``userFees`` reply for ``user`` (an unknown user trades at the base rates, no volume)."""
    u = v.users.get(user)
    mine = _volumes(u.fills if u else [])
    every = _volumes(f for other in v.users.values() for f in other.fills)
    days = sorted(set(every) | set(mine))[-VOLUME_DAYS:]
    return {
        "dailyUserVlm": [
            {
                "date": day,
                "userCross": wire(mine.get(day, (ZERO, ZERO))[0]),
                "userAdd": wire(mine.get(day, (ZERO, ZERO))[1]),
                "exchange": wire(sum(every.get(day, (ZERO, ZERO)), ZERO)),
            }
            for day in days
        ],
        "feeSchedule": {
            "cross": wire(TAKER_FEE),
            "add": wire(MAKER_FEE),
            "spotCross": wire(SPOT_TAKER),
            "spotAdd": wire(SPOT_MAKER),
            "tiers": {"vip": [], "mm": []},
            "referralDiscount": wire(REFERRAL_DISCOUNT),
            "stakingDiscountTiers": [],
        },
        "userCrossRate": wire(TAKER_FEE),
        "userAddRate": wire(MAKER_FEE),
        "userSpotCrossRate": wire(SPOT_TAKER),
        "userSpotAddRate": wire(SPOT_MAKER),
        "activeReferralDiscount": "0.0",
        "trial": None,
        "feeTrialReward": "0.0",
        "nextTrialAvailableTimestamp": None,
        "stakingLink": None,
        "activeStakingDiscount": {"bpsOfMaxSupply": "0.0", "discount": "0.0"},
    }


__all__ = ["user_fees"]
