"""Every execution algo by its kind: the one table the engine builds algos from (at start, for a
conditional's follow-up, and when it resumes algos after a restart)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.orders.algos.base import Algo
from core.orders.algos.bracket import Bracket, Oco
from core.orders.algos.chase import Chase
from core.orders.algos.conditional import Conditional
from core.orders.algos.iceberg import Iceberg
from core.orders.algos.scale import Scale
from core.orders.algos.trailing import TrailingStop
from core.orders.algos.twap import Twap

ALGO_KINDS: Mapping[str, type[Algo]] = {
    cls.kind: cls for cls in (Chase, Scale, Twap, Iceberg, Bracket, Oco, TrailingStop, Conditional)
}
"""kind -> algo class: ``chase``, ``scale``, ``twap``, ``iceberg``, ``bracket``, ``oco``,
``trail``, ``cond``."""


def build_algo(kind: str, algo_id: str, params: Mapping[str, Any]) -> Algo:
    """A new algo of ``kind`` from ``params``; ValueError naming the kind or the bad parameter."""
    cls = ALGO_KINDS.get(kind)
    if cls is None:
        raise ValueError(f"kind: {kind!r} is not an algo (one of {', '.join(sorted(ALGO_KINDS))})")
    return cls.from_params(algo_id, params)
