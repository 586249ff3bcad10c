"""Shared hypothesis strategies for fuzzing the venue boundary: spoiled values, mutated records,
and a soundness check for whatever the parsers let through."""

from __future__ import annotations

import dataclasses
import math
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from core.market.candles import Candle
from core.model import Side
from core.sim.faults import BAD_TOKENS
from core.venues.values import MAX_MAGNITUDE, BadValue

SPECIAL_TEXT = [
    *BAD_TOKENS,
    "nan", "-NaN", "sNaN1", "inf", "-inf", "+Infinity", "1e-999999", "1e20", "-0", "0x10", "1_000",
    "١٢", "１２", "1,5", " 7 ", "7 8", "", "\x00", "true", "Buy", "Sell", "null", "[]", "{}", "9" * 40,
]  # fmt: skip
"""Strings a broken venue (or proxy) might put where a number, a side or an id belongs."""

scalars = (
    st.sampled_from(SPECIAL_TEXT)
    | st.text(max_size=10)
    | st.integers(-(10**22), 10**22)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.booleans()
    | st.none()
)
junk = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)
"""Any JSON-ish value: scalars of every type, NaN text, lists and objects."""


@st.composite
def mutated(draw: st.DrawFn, base: dict[str, Any], extra_keys: tuple[str, ...] = ()) -> Any:
    """``base`` with some keys spoiled (a junk value), some deleted; rarely not an object at all."""
    if draw(st.integers(0, 40)) == 0:
        return draw(junk)
    out = dict(base)
    keys = sorted({*base, *extra_keys})
    for key in draw(st.lists(st.sampled_from(keys), max_size=4, unique=True)):
        if draw(st.booleans()):
            out[key] = draw(junk)
        else:
            out.pop(key, None)
    return out


def assert_sound(obj: Any, where: str = "") -> None:
    """Every number in a parsed model object is finite and in range; sides are real sides."""
    if isinstance(obj, Decimal):
        assert obj.is_finite() and abs(obj) < MAX_MAGNITUDE, (where, obj)
    elif isinstance(obj, float):
        assert math.isfinite(obj), (where, obj)
    elif isinstance(obj, bool | str | int | Side | None):
        return
    elif isinstance(obj, Candle):
        body = (min(obj.open, obj.close), max(obj.open, obj.close))
        assert obj.start_ms >= 0 and 0 < obj.low <= body[0] <= body[1] <= obj.high, (where, obj)
        for name in ("open", "high", "low", "close", "volume"):
            assert_sound(getattr(obj, name), f"{where}.{name}")
    elif dataclasses.is_dataclass(obj):
        for f in dataclasses.fields(obj):
            assert_sound(getattr(obj, f.name), f"{where}.{f.name}")
    elif isinstance(obj, list | tuple):
        for i, x in enumerate(obj):
            assert_sound(x, f"{where}[{i}]")


def clear(bad: BadValue) -> None:
    """A refusal names its field first and says what was wrong."""
    assert bad.field and str(bad).startswith(f"{bad.field} "), str(bad)
    assert bad.why and bad.why in str(bad)
