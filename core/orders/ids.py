"""Client order ids: unique, time-sortable, and acceptable to the venue they are sent to.

Each venue states its rule in its capabilities (``client_id_max_len``, ``client_id_pattern``);
:class:`ClientIdRule` carries it, and :data:`STRICTEST` is the rule every venue we know accepts
(at most 36 characters of ``[A-Za-z0-9_-]``), used when no venue is given.
"""

from __future__ import annotations

import itertools
import random
import re
import secrets
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core.venues.base import Capabilities

_PREFIX_RE = re.compile(r"^[A-Za-z0-9_]{1,12}$")
_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"
_STAMP_LEN = 13
"""Epoch milliseconds (9 base-36 digits) and a per-process sequence (4)."""
_RANDOM_HEX = 8
_MIN_RANDOM_HEX = 4
_counter = itertools.count()
_lock = threading.Lock()


@dataclass(frozen=True, slots=True)
class ClientIdRule:
    """What a venue accepts as a client order id: a length limit and a pattern."""

    max_len: int = 36
    pattern: str = r"^[A-Za-z0-9_-]+$"

    @classmethod
    def of(cls, capabilities: Capabilities | None) -> ClientIdRule:
        """The rule of a venue's capabilities (:data:`STRICTEST` for ``None``)."""
        if capabilities is None:
            return STRICTEST
        return cls(capabilities.client_id_max_len, capabilities.client_id_pattern)

    def problem(self, client_order_id: str) -> str | None:
        """Why ``client_order_id`` breaks this rule (None when it does not)."""
        if not client_order_id or len(client_order_id) > self.max_len:
            return f"{client_order_id!r} is not 1-{self.max_len} characters long"
        if not re.match(self.pattern, client_order_id):
            return f"{client_order_id!r} does not match the venue's pattern {self.pattern}"
        return None

    def accepts(self, client_order_id: str) -> bool:
        """True when the venue accepts ``client_order_id``."""
        return self.problem(client_order_id) is None


STRICTEST = ClientIdRule()
"""At most 36 characters of ``[A-Za-z0-9_-]``: acceptable to every venue we support."""


class SeededIds:
    """A sequence and random tails of client order ids drawn from a seed (a backtest's): a run
    repeated with its seed on its virtual clock makes the same ids."""

    __slots__ = ("_rng", "_seq")

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(seed)
        self._seq = itertools.count()

    def draw(self) -> tuple[int, str]:
        """The next sequence number (4 base-36 digits) and 8 hex digits of tail."""
        return next(self._seq) % (36**4), f"{self._rng.getrandbits(32):08x}"


def _base36(n: int, width: int) -> str:
    out = []
    for _ in range(width):
        n, r = divmod(n, 36)
        out.append(_ALPHABET[r])
    if n:
        raise ValueError("value does not fit the width")
    return "".join(reversed(out))


def new_client_order_id(
    prefix: str = "tc",
    now_ms: int | None = None,
    rule: ClientIdRule = STRICTEST,
    *,
    draws: SeededIds | None = None,
) -> str:
    """A fresh client order id: ``<prefix>-<ms:9><seq:4>-<random:8>``, fitted to ``rule``.

    The middle part is the epoch milliseconds in fixed-width base 36 followed by a per-process
    sequence, so ids made by one process sort by creation time; the random tail keeps ids from
    different processes (or restarts within the same millisecond) apart. ``prefix`` is 1-12 chars
    of ``[A-Za-z0-9_]``. When ``rule.max_len`` is shorter than the id, the random tail shrinks (to
    no fewer than 4 hex digits), then the prefix goes. ``now_ms`` defaults to the wall clock.
    ``draws`` (a backtest's) gives the sequence and the tail instead of the process's counter and
    the system's randomness, so the same seed and virtual clock give the same ids.
    Raises ValueError when no such id can satisfy ``rule``.
    """
    if not _PREFIX_RE.match(prefix):
        raise ValueError(f"client order id prefix {prefix!r} must be 1-12 chars of [A-Za-z0-9_]")
    ms = time.time_ns() // 1_000_000 if now_ms is None else now_ms
    if draws is None:
        with _lock:
            seq = next(_counter) % (36**4)
        random_hex = secrets.token_hex(4)
    else:
        seq, random_hex = draws.draw()
    stamp = f"{_base36(ms, 9)}{_base36(seq, 4)}"
    room = rule.max_len - _STAMP_LEN - 1
    if room >= len(prefix) + 1 + _MIN_RANDOM_HEX:
        tail = min(_RANDOM_HEX, room - len(prefix) - 1)
        out = f"{prefix}-{stamp}-{random_hex[:tail]}"
    elif room >= _MIN_RANDOM_HEX:
        out = f"{stamp}-{random_hex[: min(_RANDOM_HEX, room)]}"
    else:
        raise ValueError(f"client order ids of at most {rule.max_len} characters are too short to be unique")
    problem = rule.problem(out)
    if problem is not None:
        raise ValueError(f"cannot make a client order id the venue accepts: {problem}")
    return out


def is_valid_client_order_id(client_order_id: str, rule: ClientIdRule = STRICTEST) -> bool:
    """True when ``client_order_id`` satisfies ``rule``."""
    return rule.accepts(client_order_id)


# Earlier names (Bybit calls the client order id ``orderLinkId``), kept for existing callers.
new_order_link_id = new_client_order_id
is_valid_link_id = is_valid_client_order_id
