"""A TWAP's parameters and the bounds of its schedule, checked before it is built
(:mod:`core.orders.algos.twap`).

The schedule is made slice by slice when the algo starts and whenever it is previewed (on every
keystroke of the ticket and the command line): an unbounded one (``twap buy 1 99999999h`` is six
billion slices at one a minute) would stall the engine's loop, and slices faster than one a
second are a burst of orders, not a TWAP.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from core.orders.algos._common import (
    dec_str,
    param_bool,
    param_choice,
    param_decimal,
    param_int,
    param_optional_decimal,
    param_side,
)

MODES = ("maker", "taker")
LEFTOVERS = ("carry", "take")
ON_TIMEOUT = ("market", "stop")
MAX_JITTER_PCT = Decimal(50)
DEFAULT_INTERVAL_MS = 500
DEFAULT_CATCH_UP = Decimal(3)
MAX_SLICES = 10_000
"""The schedule is built (and previewed) slice by slice: more would stall the engine's loop."""
MIN_SLICE_INTERVAL_MS = 1000
"""At most one slice a second: faster is a burst of orders, not a TWAP (and the venue's rate limit)."""
MAX_DURATION_MS = 7 * 24 * 3600 * 1000
"""A week: a longer schedule is a typo more often than a plan."""


def validate_schedule(duration_ms: int, slices: int) -> None:
    """The schedule's size: a bounded duration, a bounded count, at most one slice a second."""
    if duration_ms > MAX_DURATION_MS:
        raise ValueError(
            f"duration_ms: at most {MAX_DURATION_MS // 3_600_000}h is accepted, got {duration_ms // 1000}s"
        )
    if slices > MAX_SLICES:
        raise ValueError(f"slices: at most {MAX_SLICES} are accepted, got {slices}")
    if duration_ms < slices * MIN_SLICE_INTERVAL_MS:
        most = max(1, duration_ms // MIN_SLICE_INTERVAL_MS)
        raise ValueError(
            f"duration_ms/slices: {slices} slices in {duration_ms / 1000:g}s is more than one a second: "
            f"use at most {most} slices or a longer duration"
        )


def normalised_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters with defaults filled in, JSON-able."""
    return {
        "symbol": str(params["symbol"]),
        "side": param_side(params).value,
        "qty": str(param_decimal(params, "qty")),
        "duration_ms": param_int(params, "duration_ms", minimum=1),
        "slices": param_int(params, "slices", minimum=1),
        "size_jitter_pct": str(param_decimal(params, "size_jitter_pct", positive=False, default=Decimal(0))),
        "time_jitter_pct": str(param_decimal(params, "time_jitter_pct", positive=False, default=Decimal(0))),
        "seed": param_int(params, "seed", minimum=0, default=0),
        "limit_price": dec_str(param_optional_decimal(params, "limit_price")),
        "mode": param_choice(params, "mode", MODES, "taker"),
        "leftover": param_choice(params, "leftover", LEFTOVERS, "carry"),
        "max_catch_up": str(param_decimal(params, "max_catch_up", default=DEFAULT_CATCH_UP)),
        "on_timeout": param_choice(params, "on_timeout", ON_TIMEOUT, "market"),
        "reduce_only": param_bool(params, "reduce_only", False),
        "min_interval_ms": param_int(params, "min_interval_ms", minimum=0, default=DEFAULT_INTERVAL_MS),
    }


def validate_params(params: Mapping[str, Any]) -> None:
    """Check every parameter; ValueError names the first bad one."""
    if not isinstance(params.get("symbol"), str) or not params["symbol"]:
        raise ValueError(f"symbol: a non-empty symbol name is required, got {params.get('symbol')!r}")
    p = normalised_params(params)
    for name in ("size_jitter_pct", "time_jitter_pct"):
        if Decimal(p[name]) > MAX_JITTER_PCT:
            raise ValueError(f"{name}: 0 to {MAX_JITTER_PCT} is accepted, got {p[name]}")
    if Decimal(p["max_catch_up"]) < 1:
        raise ValueError(f"max_catch_up: a factor >= 1 is accepted, got {p['max_catch_up']}")
    validate_schedule(p["duration_ms"], p["slices"])


__all__ = [
    "MAX_DURATION_MS",
    "MAX_SLICES",
    "MIN_SLICE_INTERVAL_MS",
    "normalised_params",
    "validate_params",
    "validate_schedule",
]
