"""Fault injection for the sim venue: rate-limit bursts, 5xx, latency, dropped connections,
WebSocket disconnects, stalled feeds and bad values.

Spec syntax (CLI ``--faults``, ``SimSettings.faults``, ``POST /sim/admin/faults``): comma-separated
``key=value`` items; an empty spec (or ``clear``) means no faults.

================== ===================================================================
``rate_limit=P``   each signed REST request is refused with 10006 with probability P
``rate_limit_next=N`` the next N signed REST requests are refused with 10006
``rate_hold_ms=N`` an injected 10006 says the limit resets N ms later (default: Bybit's 1 s window)
``http5xx=P``      each REST request answers HTTP 500/502/503 with probability P
``http5xx_next=N`` the next N REST requests answer 5xx
``http_status=S``  use status S (500..599) for injected 5xx instead of a seeded choice
``latency_ms=N``   add N ms before every REST response
``jitter_ms=N``    add a further seeded uniform 0..N ms
``drop_rest=P``    close the TCP connection without a response with probability P
``drop_rest_next=N`` drop the next N REST requests
``drop_after=P``   the request IS processed, then the connection closes without a reply
``drop_after_next=N`` the next N write requests (POST) are processed and their reply dropped
``http5xx_after=P`` the request IS processed, then the reply is replaced by a 5xx
``garble_after=P`` the request IS processed, then HTTP 200 carries a body that is not JSON
``garble_after_next=N`` the next N write requests (POST) are processed and their reply garbled
``ws_disconnect=X`` one-shot: close ``all`` WebSockets, or N of them (oldest first), now
``private_delay_ms=N`` hold every private WebSocket push (order, execution, position, wallet)
                   for N ms before it is sent (a slow private feed; pushes keep their order)
``cursor_loop=A|B`` paged list replies on these REST paths (``*`` = all) always carry
                   ``nextPageCursor`` = the first page's cursor: a client that follows it never ends
``cursor_endless=A|B`` like ``cursor_loop``, but each reply's cursor is a new string (``page_0``,
                   ``page_00``, ...) that still means the first page: no cursor ever repeats
``page_flood=N``   paged list replies that hold items are padded to N items (copies with new ids),
                   whatever ``limit`` was asked for
``flood_paths=A|B`` the REST paths ``page_flood`` applies to (default: all)
``stall_feed=A|B`` stop publishing public topics of symbols A and B (``*`` = all); REST keeps
                   working; lifting the stall re-sends a fresh snapshot to subscribers
``bad_values=P``   each REST reply and WebSocket message carrying an eligible field has every
                   such field replaced by a bad value with probability P (the venue's own
                   state is untouched: only what goes on the wire is wrong)
``bad_value=V``    the bad value: ``NaN``, ``Infinity``, ``-Infinity``, ``sNaN``, ``-5``, ``0``,
                   ``abc`` or ``1e999999`` (default: a seeded choice per message)
``bad_fields=A|B`` the fields to spoil (default: every field in :data:`BAD_FIELDS`); ``book``
                   spoils the first bid level's price of a book message, ``book_size`` its size
``bad_symbols=A|B`` only records of these symbols (default: all; a wallet has no symbol)
``seed=N``         seed of the fault RNG (default: the sim seed)
================== ===================================================================
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

RestFault = Literal["rate_limit", "http5xx", "drop", "garble"]

BAD_TOKENS = ("NaN", "Infinity", "-Infinity", "sNaN", "-5", "0", "abc", "1e999999")
"""What ``bad_values`` puts on the wire: what a broken venue (or a broken proxy) might send."""
BAD_FIELDS = frozenset(
    {
        "markPrice", "lastPrice", "indexPrice", "bid1Price", "ask1Price",  # tickers
        "book",  # orderbook levels
        "p", "v",  # public trades
        "equity", "walletBalance", "totalAvailableBalance",  # wallet
        "avgPrice", "entryPrice", "execPrice", "execQty", "price", "qty",  # positions, executions, orders
    }
)  # fmt: skip
"""Fields ``bad_values`` spoils by default (``size`` and ``book_size`` only when named)."""

HTTP_5XX_FIRST = 500
"""The lowest status ``http_status`` accepts (a server error)."""
HTTP_5XX_LAST = 599
"""The highest status ``http_status`` accepts."""

_PROB_KEYS = (
    "rate_limit",
    "http5xx",
    "drop_rest",
    "drop_after",
    "http5xx_after",
    "garble_after",
    "bad_values",
)
_SET_KEYS = ("stall_feed", "bad_fields", "bad_symbols", "cursor_loop", "cursor_endless", "flood_paths")
_CASED_KEYS = ("bad_fields", "cursor_loop", "cursor_endless", "flood_paths")
"""Set keys whose values keep their case (field names, REST paths); symbols are upper-cased."""
_INT_KEYS = (
    "rate_limit_next",
    "rate_hold_ms",
    "http5xx_next",
    "drop_rest_next",
    "drop_after_next",
    "garble_after_next",
    "latency_ms",
    "jitter_ms",
    "private_delay_ms",
    "page_flood",
)


@dataclass(frozen=True, slots=True)
class FaultSpec:
    """A parsed fault specification. ``ws_disconnect`` is an action, not a standing fault."""

    rate_limit: float = 0.0
    rate_limit_next: int = 0
    rate_hold_ms: int = 0
    """Reset time an injected 10006 announces, ms ahead (0: the rate limiter's window)."""
    http5xx: float = 0.0
    http5xx_next: int = 0
    http_status: int | None = None
    latency_ms: int = 0
    jitter_ms: int = 0
    drop_rest: float = 0.0
    drop_rest_next: int = 0
    drop_after: float = 0.0
    drop_after_next: int = 0
    http5xx_after: float = 0.0
    garble_after: float = 0.0
    garble_after_next: int = 0
    ws_disconnect: str = ""
    private_delay_ms: int = 0
    cursor_loop: frozenset[str] = field(default_factory=frozenset)
    cursor_endless: frozenset[str] = field(default_factory=frozenset)
    page_flood: int = 0
    flood_paths: frozenset[str] = field(default_factory=frozenset)
    stall_feed: frozenset[str] = field(default_factory=frozenset)
    bad_values: float = 0.0
    bad_value: str = ""
    bad_fields: frozenset[str] = field(default_factory=frozenset)
    bad_symbols: frozenset[str] = field(default_factory=frozenset)
    seed: int | None = None

    @classmethod
    def parse(cls, spec: str) -> FaultSpec:
        """Parse ``"k=v,k=v"``. Raises :class:`ValueError` naming the bad item."""
        items: dict[str, str] = {}
        for raw in spec.split(","):
            item = raw.strip()
            if not item or item == "clear":
                continue
            key, sep, value = item.partition("=")
            if not sep:
                raise ValueError(f"fault item {item!r} is not key=value")
            items[key.strip()] = value.strip()
        return cls.from_mapping(items)

    @classmethod
    def from_mapping(cls, items: Mapping[str, Any]) -> FaultSpec:
        """Build from a mapping (parsed spec or admin JSON). Raises :class:`ValueError`."""
        kwargs: dict[str, Any] = {}
        for key, value in items.items():
            try:
                kwargs[key] = _fault_value(key, value)
            except (TypeError, ValueError) as exc:
                raise ValueError(f"fault {key}={value!r}: {exc}") from None
        return cls(**kwargs)

    def to_dict(self) -> dict[str, Any]:
        """Plain data for the admin endpoint (defaults omitted)."""
        out: dict[str, Any] = {}
        default = FaultSpec()
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            if value != getattr(default, name):
                out[name] = sorted(value) if isinstance(value, frozenset) else value
        return out

    def __str__(self) -> str:
        parts = []
        for key, value in self.to_dict().items():
            parts.append(f"{key}={'|'.join(value) if isinstance(value, list) else value}")
        return ",".join(parts)


class FaultInjector:
    """The live fault state: decisions are drawn from a seeded RNG, so a run is reproducible."""

    def __init__(self, spec: FaultSpec | str = "", *, seed: int = 0) -> None:
        self._default_seed = seed
        self.counts: dict[str, int] = {
            "rate_limit": 0,
            "http5xx": 0,
            "drop_rest": 0,
            "drop_after": 0,
            "http5xx_after": 0,
            "garble_after": 0,
            "ws_disconnect": 0,
            "stalled_msgs": 0,
            "bad_values": 0,
            "private_delayed": 0,
            "cursor_loop": 0,
            "page_flood": 0,
        }
        self.spec = FaultSpec()
        self._rng = random.Random(seed)
        self._rate_next = self._http_next = self._drop_next = self._drop_after_next = 0
        self._garble_after_next = 0
        self.set(spec)

    def set(self, spec: FaultSpec | str) -> FaultSpec:
        """Replace the standing faults (counters from ``*_next`` restart). Returns the parsed spec."""
        parsed = FaultSpec.parse(spec) if isinstance(spec, str) else spec
        self.spec = parsed
        self._rng = random.Random(parsed.seed if parsed.seed is not None else self._default_seed)
        self._rate_next = parsed.rate_limit_next
        self._http_next = parsed.http5xx_next
        self._drop_next = parsed.drop_rest_next
        self._drop_after_next = parsed.drop_after_next
        self._garble_after_next = parsed.garble_after_next
        return parsed

    @property
    def active(self) -> bool:
        """True when any REST fault could fire (fast path for the handler)."""
        s = self.spec
        return bool(
            s.rate_limit
            or s.http5xx
            or s.drop_rest
            or s.latency_ms
            or s.jitter_ms
            or s.drop_after
            or s.http5xx_after
            or s.garble_after
        ) or any(self._pending_counts())

    def _pending_counts(self) -> tuple[int, ...]:
        return (
            self._rate_next,
            self._http_next,
            self._drop_next,
            self._drop_after_next,
            self._garble_after_next,
        )

    def rest_fault(self, *, signed: bool) -> tuple[RestFault | None, int]:
        """Decide the fault for one REST request: (kind or None, HTTP status for 5xx)."""
        s = self.spec
        if self._drop_next or (s.drop_rest and self._rng.random() < s.drop_rest):
            self._drop_next = max(0, self._drop_next - 1)
            self.counts["drop_rest"] += 1
            return "drop", 0
        if self._http_next or (s.http5xx and self._rng.random() < s.http5xx):
            self._http_next = max(0, self._http_next - 1)
            self.counts["http5xx"] += 1
            return "http5xx", s.http_status or self._rng.choice((500, 502, 503))
        if signed and (self._rate_next or (s.rate_limit and self._rng.random() < s.rate_limit)):
            self._rate_next = max(0, self._rate_next - 1)
            self.counts["rate_limit"] += 1
            return "rate_limit", 0
        return None, 0

    def after_fault(self, *, write: bool) -> tuple[RestFault | None, int]:
        """Decide whether a *processed* request loses its reply: ("drop" | "http5xx" | None, status).

        This is the case idempotent order entry exists for: the venue acted, the client cannot know.
        """
        s = self.spec
        if (write and self._drop_after_next) or (s.drop_after and self._rng.random() < s.drop_after):
            if write and self._drop_after_next:
                self._drop_after_next -= 1
            self.counts["drop_after"] += 1
            return "drop", 0
        if s.http5xx_after and self._rng.random() < s.http5xx_after:
            self.counts["http5xx_after"] += 1
            return "http5xx", s.http_status or self._rng.choice((500, 502, 503))
        if write and self._garble_after_next:
            self._garble_after_next -= 1
            self.counts["garble_after"] += 1
            return "garble", 200
        if s.garble_after and self._rng.random() < s.garble_after:
            self.counts["garble_after"] += 1
            return "garble", 200
        return None, 0

    def latency_s(self) -> float:
        """Added latency for one REST response, in seconds."""
        s = self.spec
        ms = s.latency_ms + (self._rng.uniform(0, s.jitter_ms) if s.jitter_ms else 0.0)
        return ms / 1000.0

    def corrupt(self, where: str, payload: Any) -> Any | None:
        """A spoiled copy of ``payload`` (a REST result or a WebSocket message), or None.

        ``where`` is the REST path or the topic (``tickers.BTCUSDT``: its last part is the symbol
        of records that do not name one). Every eligible field of the copy gets the bad value.
        """
        s = self.spec
        if not s.bad_values or self._rng.random() >= s.bad_values:
            return None
        token = s.bad_value or self._rng.choice(BAD_TOKENS)
        out = copy.deepcopy(payload)
        topic_symbol = where.rpartition(".")[2] if "." in where else ""
        if _poison(out, s.bad_fields or BAD_FIELDS, s.bad_symbols, token, topic_symbol) == 0:
            return None
        self.counts["bad_values"] += 1
        return out

    def spoil_pages(self, path: str, result: Any) -> Any | None:
        """A copy of a paged list reply (``list`` + ``nextPageCursor``) on ``path`` with its paging
        broken by ``cursor_loop`` / ``page_flood``, or None when neither applies."""
        s = self.spec
        if not isinstance(result, dict) or "nextPageCursor" not in result:
            return None
        items = result.get("list")
        loop = _on(s.cursor_loop, path) or _on(s.cursor_endless, path)
        flood = s.page_flood if s.page_flood and _on(s.flood_paths or frozenset({"*"}), path) else 0
        if not isinstance(items, list) or not (loop or (flood and items)):
            return None
        out = dict(result)
        if loop:
            self.counts["cursor_loop"] += 1
            # The sim's cursor of the first page; zero-padded to a new string each time if endless.
            zeros = 1 + (self.counts["cursor_loop"] % 1000 if _on(s.cursor_endless, path) else 0)
            out["nextPageCursor"] = "page_" + "0" * zeros
        if flood and items:
            out["list"] = _flooded(items, flood)
            self.counts["page_flood"] += 1
        return out

    def stalled(self, symbol: str) -> bool:
        """True when public topics of ``symbol`` must not be published."""
        stall = self.spec.stall_feed
        return bool(stall) and (symbol in stall or "*" in stall)

    def describe(self) -> dict[str, Any]:
        """Current spec, remaining one-shot counters and what has been injected so far."""
        return {
            "spec": str(self.spec),
            "faults": self.spec.to_dict(),
            "pending": {
                "rate_limit_next": self._rate_next,
                "http5xx_next": self._http_next,
                "drop_rest_next": self._drop_next,
                "drop_after_next": self._drop_after_next,
                "garble_after_next": self._garble_after_next,
            },
            "injected": dict(self.counts),
        }

    def without_action(self) -> FaultSpec:
        """The standing spec with the one-shot ``ws_disconnect`` action cleared."""
        return replace(self.spec, ws_disconnect="")


def _on(paths: frozenset[str], path: str) -> bool:
    return path in paths or "*" in paths


def _flooded(items: list[Any], n: int) -> list[Any]:
    """``items`` padded to ``n`` with copies whose ids are new (so no client can dedupe them away)."""
    out = list(items)
    for i in range(n - len(items)):
        fake = copy.deepcopy(items[i % len(items)])
        if isinstance(fake, dict):
            for key in ("orderLinkId", "orderId", "execId"):
                if key in fake:
                    fake[key] = f"flood{i}-{fake[key]}"
        out.append(fake)
    return out


def _poison(obj: Any, fields: frozenset[str], symbols: frozenset[str], token: str, symbol: str) -> int:
    """Replace every eligible field in ``obj`` (in place) with ``token``; returns how many."""
    if isinstance(obj, list):
        return sum(_poison(x, fields, symbols, token, symbol) for x in obj)
    if not isinstance(obj, dict):
        return 0
    own = obj.get("symbol") or obj.get("s")
    symbol = own if isinstance(own, str) and own else symbol
    hits = 0
    for key, value in obj.items():
        if key in ("b", "a") and isinstance(value, list):
            hits += _poison_levels(key, value, fields, symbols, token, symbol)
        elif isinstance(value, dict | list):
            hits += _poison(value, fields, symbols, token, symbol)
        elif (
            key in fields
            and isinstance(value, str | int | float)
            and not isinstance(value, bool)
            and (not symbols or symbol in symbols)
        ):
            obj[key] = token
            hits += 1
    return hits


def _poison_levels(
    side: str, levels: list[Any], fields: frozenset[str], symbols: frozenset[str], token: str, symbol: str
) -> int:
    """Spoil the first bid level of a book message (``book``: its price, ``book_size``: its size)."""
    if side != "b" or (symbols and symbol not in symbols):
        return 0
    which = 0 if "book" in fields else 1 if "book_size" in fields else -1
    if which < 0:
        return 0
    if not levels:
        levels.append(["1", "1"])
    level = list(levels[0])
    level[which] = token
    levels[0] = level
    return 1


def _probability(value: Any) -> float:
    p = float(value)
    if not 0.0 <= p <= 1.0:
        raise ValueError("must be a probability in [0, 1]")
    return p


def _count(value: Any) -> int:
    n = int(value)
    if n < 0:
        raise ValueError("must be >= 0")
    return n


def _http_status(value: Any) -> int | None:
    s = None if value in (None, "") else int(value)
    if s is not None and not HTTP_5XX_FIRST <= s <= HTTP_5XX_LAST:
        raise ValueError(f"must be {HTTP_5XX_FIRST}..{HTTP_5XX_LAST}")
    return s


def _seed(value: Any) -> int | None:
    return None if value in (None, "") else int(value)


def _ws_disconnect(value: Any) -> str:
    v = str(value).strip().lower()
    if v not in ("", "all") and (not v.isdigit() or int(v) < 0):
        raise ValueError("must be 'all' or a count")
    return v


def _bad_value(value: Any) -> str:
    if str(value) not in ("", *BAD_TOKENS):
        raise ValueError(f"must be one of {', '.join(BAD_TOKENS)}")
    return str(value)


def _name_set(key: str, value: Any) -> frozenset[str]:
    """A ``|``-separated (or list) set of names, upper-cased unless the key's names are cased."""
    names = (
        [str(s) for s in value]
        if isinstance(value, list | tuple | set | frozenset)
        else str(value).split("|")
    )
    upper = key not in _CASED_KEYS
    return frozenset(s.strip().upper() if upper else s.strip() for s in names if s.strip())


_SCALAR_PARSERS: dict[str, Callable[[Any], Any]] = {
    "http_status": _http_status,
    "seed": _seed,
    "ws_disconnect": _ws_disconnect,
    "bad_value": _bad_value,
}


def _fault_value(key: str, value: Any) -> Any:
    """One fault item's value, checked and converted for its kind (``ValueError`` if bad or unknown)."""
    if key in _PROB_KEYS:
        return _probability(value)
    if key in _INT_KEYS:
        return _count(value)
    if key in _SET_KEYS:
        return _name_set(key, value)
    parser = _SCALAR_PARSERS.get(key)
    if parser is None:
        raise ValueError("unknown fault kind")
    return parser(value)
