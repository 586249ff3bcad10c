"""Shared pieces of the sim exchange core: the business error, parameter parsing, number formatting."""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

Params = Mapping[str, object]
E8 = Decimal("0.00000001")
ZERO = Decimal(0)
MAX_WINDOW_MS = 7 * 86_400_000
LINK_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,36}$")


class SimError(Exception):
    """A Bybit business error. The server turns it into ``{"retCode": ret_code, "retMsg": ret_msg}``."""

    def __init__(self, ret_code: int, ret_msg: str) -> None:
        super().__init__(f"{ret_code}: {ret_msg}")
        self.ret_code = ret_code
        self.ret_msg = ret_msg


def q8(d: Decimal) -> Decimal:
    """Round money to 8 decimal places, half up."""
    return d.quantize(E8, rounding=ROUND_HALF_UP)


def dstr(d: Decimal) -> str:
    """A money amount as Bybit prints it: up to 8 decimals, no exponent, no trailing zeros."""
    v = d.quantize(E8, rounding=ROUND_HALF_UP).normalize()  # q8, inlined: pushes call this ~40 times a fill
    if not v:
        return "0"
    return f"{v:f}"


def get_str(params: Params, key: str) -> str | None:
    """A parameter as a string (None when absent or empty)."""
    v = params.get(key)
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    s = str(v)
    return s if s != "" else None


def get_dec(params: Params, key: str) -> Decimal | None:
    """A decimal parameter; strings, ints and floats are accepted (10001 if it does not parse)."""
    v = params.get(key)
    if v is None or v == "":
        return None
    if isinstance(v, bool):
        raise SimError(10001, f"{key} invalid")
    try:
        d = Decimal(str(v)) if isinstance(v, float) else Decimal(v) if isinstance(v, int | str) else None
    except InvalidOperation:
        d = None
    if d is None or not d.is_finite():
        raise SimError(10001, f"{key} invalid")
    return d


def get_int(params: Params, key: str, default: int | None = None) -> int | None:
    """An integer parameter (10001 if it does not parse)."""
    v = params.get(key)
    if v is None or v == "":
        return default
    if isinstance(v, bool):
        raise SimError(10001, f"{key} invalid")
    try:
        return int(v) if isinstance(v, int | str) else int(str(v))
    except ValueError:
        raise SimError(10001, f"{key} invalid") from None


def get_bool(params: Params, key: str) -> bool:
    """A boolean parameter: true/false in any case, 1/0, or a JSON bool."""
    v = params.get(key)
    if v is None or v == "":
        return False
    if isinstance(v, bool):
        return v
    s = str(v).lower()
    if s in ("true", "1"):
        return True
    if s in ("false", "0"):
        return False
    raise SimError(10001, f"{key} invalid")


def require_linear(params: Params) -> None:
    """10001 unless ``category`` is ``linear``."""
    cat = get_str(params, "category")
    if cat is None:
        raise SimError(10001, "category is required")
    if cat != "linear":
        raise SimError(10001, "category only support linear")


def limit_param(params: Params, default: int, maximum: int) -> int:
    """``limit`` within [1, maximum] (10001 otherwise)."""
    n = get_int(params, "limit", default)
    assert n is not None
    if n < 1 or n > maximum:
        raise SimError(10001, "limit invalid")
    return n


def time_window(params: Params, now_ms: int) -> tuple[int, int]:
    """``startTime``/``endTime`` resolved to a window of at most 7 days (10001 if wider or reversed)."""
    start = get_int(params, "startTime")
    end = get_int(params, "endTime")
    if start is None and end is None:
        return now_ms - MAX_WINDOW_MS, now_ms
    if start is None:
        assert end is not None
        return end - MAX_WINDOW_MS, end
    if end is None:
        return start, start + MAX_WINDOW_MS
    if end < start or end - start > MAX_WINDOW_MS:
        raise SimError(10001, "The time range between startTime and endTime must not exceed 7 days")
    return start, end


def paginate(
    items: list[dict[str, object]], params: Params, limit: int
) -> tuple[list[dict[str, object]], str]:
    """Slice ``items`` by the opaque ``cursor`` (an offset); returns the page and nextPageCursor."""
    cur = get_str(params, "cursor")
    off = 0
    if cur is not None:
        try:
            off = int(cur.removeprefix("page_"))
        except ValueError:
            raise SimError(10001, "cursor invalid") from None
    page = items[off : off + limit]
    nxt = f"page_{off + limit}" if off + limit < len(items) else ""
    return page, nxt
