"""Client order ids (Bybit ``orderLinkId``): unique, at most 36 chars of ``[A-Za-z0-9_-]``, time-sortable."""

from __future__ import annotations

import itertools
import re
import secrets
import threading
import time

MAX_LINK_ID_LEN = 36
"""Bybit's limit for ``orderLinkId``."""

LINK_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,36}$")
"""What Bybit accepts as an ``orderLinkId``."""

_PREFIX_RE = re.compile(r"^[A-Za-z0-9_]{1,12}$")
_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"
_counter = itertools.count()
_lock = threading.Lock()


def _base36(n: int, width: int) -> str:
    out = []
    for _ in range(width):
        n, r = divmod(n, 36)
        out.append(_ALPHABET[r])
    if n:
        raise ValueError("value does not fit the width")
    return "".join(reversed(out))


def new_order_link_id(prefix: str = "tc", now_ms: int | None = None) -> str:
    """A fresh ``orderLinkId``: ``<prefix>-<ms:9><seq:4>-<random:8>``.

    The middle part is the epoch milliseconds in fixed-width base 36 followed by a per-process
    sequence, so ids made by one process sort by creation time; the random tail keeps ids from
    different processes (or restarts within the same millisecond) apart. ``prefix`` is 1-12 chars
    of ``[A-Za-z0-9_]``; the result is at most 36 chars. ``now_ms`` defaults to the wall clock.
    """
    if not _PREFIX_RE.match(prefix):
        raise ValueError(f"order link id prefix {prefix!r} must be 1-12 chars of [A-Za-z0-9_]")
    ms = time.time_ns() // 1_000_000 if now_ms is None else now_ms
    with _lock:
        seq = next(_counter) % (36**4)
    return f"{prefix}-{_base36(ms, 9)}{_base36(seq, 4)}-{secrets.token_hex(4)}"


def is_valid_link_id(link_id: str) -> bool:
    """True when ``link_id`` is acceptable to Bybit as an ``orderLinkId``."""
    return bool(LINK_ID_RE.match(link_id))
